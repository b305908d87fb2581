//! What the hub remembers about deals on the portal: how a pipeline lies on it
//! (`bitrix24_deal_settings`), which deal each external key became (`bitrix24_deals`), and
//! the stage each deal was last known in (`bitrix24_deal_stages`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::db::{Db, Tx};
use shtab_core::error::CoreResult;
use shtab_core::time::now_ms;

/// How a pipeline of Shtab lies on the portal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealsMap {
    /// The portal's deal category (pipeline); 0 is its default one.
    pub category_id: u64,
    /// Shtab's stage → the category's `STATUS_ID` (`C5:NEW`).
    pub stages: BTreeMap<String, String>,
    /// Shtab's field → the deal's user field (`UF_CRM_SHT_REGNUMBER`).
    pub fields: BTreeMap<String, String>,
}

impl DealsMap {
    /// Shtab's stage of a portal `STATUS_ID`, when one is mapped to it.
    pub fn stage_of(&self, status_id: &str) -> Option<&str> {
        self.stages
            .iter()
            .find(|(_, s)| s.as_str() == status_id)
            .map(|(shtab, _)| shtab.as_str())
    }
}

/// The stored settings of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealSettings {
    pub map: DealsMap,
    /// Stage-history rows up to this one were made before Shtab watched.
    pub watch_from: u64,
    /// The last stage-history row the robot went through.
    pub robot_after: u64,
    /// What the last check found missing on the portal.
    pub problem: Option<String>,
}

type SettingsRow = (i64, String, String, i64, i64, Option<String>);

pub async fn settings(db: &Db, pipeline: &str) -> CoreResult<Option<DealSettings>> {
    let row: Option<SettingsRow> = sqlx::query_as(
        "SELECT category_id, stages, fields, watch_from, robot_after, problem \
         FROM bitrix24_deal_settings WHERE pipeline_id = $1",
    )
    .bind(pipeline)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(
        |(category_id, stages, fields, watch_from, robot_after, problem)| DealSettings {
            map: DealsMap {
                category_id: category_id as u64,
                stages: serde_json::from_str(&stages).unwrap_or_default(),
                fields: serde_json::from_str(&fields).unwrap_or_default(),
            },
            watch_from: watch_from as u64,
            robot_after: robot_after as u64,
            problem,
        },
    ))
}

/// Saves the mapping (audit-logged). `watch_from`: the portal's last stage-history row when
/// the category changes (watching starts after it); `None` keeps where watching stands.
pub async fn save_map(
    db: &Db,
    pipeline: &str,
    map: &DealsMap,
    watch_from: Option<u64>,
    by: &Actor,
) -> CoreResult<()> {
    let before = settings(db, pipeline).await?;
    let now = now_ms();
    let stages = serde_json::to_string(&map.stages).unwrap_or_default();
    let fields = serde_json::to_string(&map.fields).unwrap_or_default();
    let mut tx = db.begin().await?;
    match watch_from {
        Some(from) => {
            sqlx::query(
                "INSERT INTO bitrix24_deal_settings \
                 (pipeline_id, category_id, stages, fields, watch_from, robot_after, problem, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5, NULL, $6) \
                 ON CONFLICT (pipeline_id) DO UPDATE SET category_id = $2, stages = $3, fields = $4, \
                 watch_from = $5, robot_after = $5, problem = NULL, updated_at = $6",
            )
            .bind(pipeline)
            .bind(map.category_id as i64)
            .bind(&stages)
            .bind(&fields)
            .bind(from as i64)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query(
                "UPDATE bitrix24_deal_settings SET category_id = $2, stages = $3, fields = $4, \
                 problem = NULL, updated_at = $5 WHERE pipeline_id = $1",
            )
            .bind(pipeline)
            .bind(map.category_id as i64)
            .bind(&stages)
            .bind(&fields)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
    }
    let mut changes = Changes::new();
    changes.diff("deals", &before.map(|b| b.map).unwrap_or_default(), map);
    audit::record(
        &mut tx,
        by,
        Event {
            action: "bitrix24.deals_settings",
            object_kind: "bitrix24",
            object_id: pipeline.to_owned(),
            object_label: format!("deals of {pipeline}"),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records what a check found missing (`None`: nothing).
pub async fn set_problem(db: &Db, pipeline: &str, problem: Option<&str>) -> CoreResult<()> {
    sqlx::query("UPDATE bitrix24_deal_settings SET problem = $2 WHERE pipeline_id = $1")
        .bind(pipeline)
        .bind(problem)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Moves the robot's cursor forward (never back: two runs may overlap).
pub async fn set_robot_after(db: &Db, pipeline: &str, after: u64) -> CoreResult<()> {
    sqlx::query(
        "UPDATE bitrix24_deal_settings SET robot_after = $2 \
         WHERE pipeline_id = $1 AND robot_after < $2",
    )
    .bind(pipeline)
    .bind(after as i64)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Whose a key is: the caller's to create, already created, or being created by another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Mine,
    Done(u64),
    Busy,
}

/// Claims `key` for creating its deal. A claim older than `stale_ms` without a deal was left
/// by a process that died: it is taken over (the caller looks the key up on the portal
/// before creating anything).
pub async fn claim_key(db: &Db, key: &str, stale_ms: i64) -> CoreResult<Claim> {
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO bitrix24_deals (external_key, deal_id, claimed_at) VALUES ($1, NULL, $2) \
         ON CONFLICT (external_key) DO NOTHING",
    )
    .bind(key)
    .bind(now)
    .execute(db.pool())
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Claim::Mine);
    }
    let row: Option<(Option<i64>, i64)> =
        sqlx::query_as("SELECT deal_id, claimed_at FROM bitrix24_deals WHERE external_key = $1")
            .bind(key)
            .fetch_optional(db.pool())
            .await?;
    match row {
        Some((Some(deal), _)) => Ok(Claim::Done(deal as u64)),
        Some((None, claimed_at)) if claimed_at < now - stale_ms => {
            let taken = sqlx::query(
                "UPDATE bitrix24_deals SET claimed_at = $2 \
                 WHERE external_key = $1 AND deal_id IS NULL AND claimed_at = $3",
            )
            .bind(key)
            .bind(now)
            .bind(claimed_at)
            .execute(db.pool())
            .await?;
            Ok(if taken.rows_affected() == 1 {
                Claim::Mine
            } else {
                Claim::Busy
            })
        }
        // Released between the insert and the look: try once more.
        None => Box::pin(claim_key(db, key, stale_ms)).await,
        Some(_) => Ok(Claim::Busy),
    }
}

pub async fn finish_key(db: &Db, key: &str, deal_id: u64) -> CoreResult<()> {
    sqlx::query("UPDATE bitrix24_deals SET deal_id = $2, done_at = $3 WHERE external_key = $1")
        .bind(key)
        .bind(deal_id as i64)
        .bind(now_ms())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The external key (a tender's registration number) of the portal's deal `deal_id`.
pub async fn key_of_deal(db: &Db, deal_id: u64) -> CoreResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT external_key FROM bitrix24_deals WHERE deal_id = $1")
            .bind(deal_id as i64)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// Gives a claim back: the portal refused, nothing was created.
pub async fn release_key(db: &Db, key: &str) -> CoreResult<()> {
    sqlx::query("DELETE FROM bitrix24_deals WHERE external_key = $1 AND deal_id IS NULL")
        .bind(key)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The stage a deal was last known in, and the last stage-history row accounted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageState {
    pub stage_id: String,
    pub history_id: u64,
}

pub async fn stage_state(db: &Db, deal_id: u64) -> CoreResult<Option<StageState>> {
    let row: Option<(String, i64)> =
        sqlx::query_as("SELECT stage_id, history_id FROM bitrix24_deal_stages WHERE deal_id = $1")
            .bind(deal_id as i64)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(|(stage_id, history_id)| StageState {
        stage_id,
        history_id: history_id as u64,
    }))
}

/// Moves what Shtab knows of the deal to `stage` as of row `history_id`, if nobody did since
/// `seen` (the row it knew, or `None` when it knew nothing): true when this caller did, and
/// so acts on the entry.
pub async fn advance(
    tx: &mut Tx,
    deal_id: u64,
    seen: Option<u64>,
    stage: &str,
    history_id: u64,
) -> CoreResult<bool> {
    let done =
        match seen {
            Some(seen) => sqlx::query(
                "UPDATE bitrix24_deal_stages SET stage_id = $2, history_id = $3, updated_at = $4 \
                 WHERE deal_id = $1 AND history_id = $5",
            )
            .bind(deal_id as i64)
            .bind(stage)
            .bind(history_id as i64)
            .bind(now_ms())
            .bind(seen as i64)
            .execute(&mut **tx)
            .await?,
            None => {
                sqlx::query(
                    "INSERT INTO bitrix24_deal_stages (deal_id, stage_id, history_id, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (deal_id) DO NOTHING",
                )
                .bind(deal_id as i64)
                .bind(stage)
                .bind(history_id as i64)
                .bind(now_ms())
                .execute(&mut **tx)
                .await?
            }
        };
    Ok(done.rows_affected() == 1)
}
