//! Tenders: one row per registration number with its current facts, every earlier state in
//! `tender_versions`, and which searches found it. Writes happen inside the caller's
//! transaction, so a run stores all it found or nothing.

use std::collections::HashMap;

use shtab_core::db::{AnyRow, Db, Row, Tx};
use shtab_core::error::{CoreError, CoreResult};
use sqlx::AssertSqlSafe;

use crate::domain::{RegNumber, TenderFacts};

/// What storing a sighting of a tender came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New(i64),
    Updated(i64),
    Unchanged(i64),
}

impl Stored {
    pub fn id(self) -> i64 {
        match self {
            Stored::New(id) | Stored::Updated(id) | Stored::Unchanged(id) => id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Tender {
    pub id: i64,
    pub facts: TenderFacts,
    /// The CRM deal; `None` until the CRM took the tender.
    pub deal_id: Option<String>,
    pub first_search: Option<i64>,
    pub first_seen_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Version {
    pub version: i64,
    pub source: String,
    pub facts: TenderFacts,
    pub recorded_at: i64,
}

const SELECT: &str =
    "SELECT id, facts, deal_id, first_search, first_seen_at, updated_at FROM tenders";

fn facts_of(json: &str) -> CoreResult<TenderFacts> {
    serde_json::from_str(json).map_err(|e| CoreError::Internal(format!("stored tender facts: {e}")))
}

fn from_row(r: &AnyRow) -> CoreResult<Tender> {
    let deal: String = r.try_get("deal_id")?;
    Ok(Tender {
        id: r.try_get("id")?,
        facts: facts_of(&r.try_get::<String, _>("facts")?)?,
        deal_id: (!deal.is_empty()).then_some(deal),
        first_search: r.try_get("first_search")?,
        first_seen_at: r.try_get("first_seen_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// The stored facts of those of `numbers` that are known.
pub async fn known(db: &Db, numbers: &[RegNumber]) -> CoreResult<HashMap<RegNumber, TenderFacts>> {
    let mut found = HashMap::new();
    // Chunks keep the statement under both backends' parameter limits.
    for chunk in numbers.chunks(500) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT reg_number, facts FROM tenders WHERE reg_number IN ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for n in chunk {
            q = q.bind(n.as_str());
        }
        for r in q.fetch_all(db.pool()).await? {
            let reg: String = r.try_get("reg_number")?;
            let reg = RegNumber::parse(&reg).map_err(|e| CoreError::Internal(e.to_string()))?;
            found.insert(reg, facts_of(&r.try_get::<String, _>("facts")?)?);
        }
    }
    Ok(found)
}

fn ms(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<i64> {
    t.map(|t| t.timestamp_millis())
}

/// Stores a sighting of a tender by `search` (if any): a new tender, a changed one (its
/// previous facts stay as a version), or nothing new. Always records the search ↔ tender link.
pub async fn store(
    tx: &mut Tx,
    facts: &TenderFacts,
    source: &str,
    search: Option<i64>,
    now: i64,
) -> CoreResult<Stored> {
    let existing = sqlx::query("SELECT id, facts FROM tenders WHERE reg_number = $1")
        .bind(facts.reg_number.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    let outcome = match existing {
        None => {
            let json =
                serde_json::to_string(facts).map_err(|e| CoreError::Internal(e.to_string()))?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO tenders (reg_number, law, title, url, customer, customer_inn, region, \
                 max_price, currency, published_at, deadline, okpd2, platform, stage, \
                 notice_version, cancelled, facts, first_search, first_seen_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17, $18, $19, $19) RETURNING id",
            )
            .bind(facts.reg_number.as_str())
            .bind(facts.law.to_string())
            .bind(&facts.title)
            .bind(&facts.url)
            .bind(facts.customer.clone().unwrap_or_default())
            .bind(facts.customer_inn.clone().unwrap_or_default())
            .bind(facts.region.clone().unwrap_or_default())
            .bind(facts.max_price.map(|p| p.0))
            .bind(facts.currency.clone().unwrap_or_default())
            .bind(ms(facts.published_at))
            .bind(ms(facts.deadline))
            .bind(serde_json::to_string(&facts.okpd2).unwrap_or_else(|_| "[]".into()))
            .bind(facts.platform.clone().unwrap_or_default())
            .bind(stage_text(facts))
            .bind(facts.notice_version.map(i64::from))
            .bind(i64::from(facts.cancelled))
            .bind(&json)
            .bind(search)
            .bind(now)
            .fetch_one(&mut **tx)
            .await?;
            add_version(tx, id, source, &json, now).await?;
            Stored::New(id)
        }
        Some(row) => {
            let id: i64 = row.try_get("id")?;
            let stored = facts_of(&row.try_get::<String, _>("facts")?)?;
            let merged = facts.clone().merged_over(&stored);
            if merged == stored {
                Stored::Unchanged(id)
            } else {
                let json = serde_json::to_string(&merged)
                    .map_err(|e| CoreError::Internal(e.to_string()))?;
                sqlx::query(
                    "UPDATE tenders SET title = $1, url = $2, customer = $3, customer_inn = $4, \
                     region = $5, max_price = $6, currency = $7, published_at = $8, deadline = $9, \
                     okpd2 = $10, platform = $11, stage = $12, notice_version = $13, \
                     cancelled = $14, facts = $15, updated_at = $16 WHERE id = $17",
                )
                .bind(&merged.title)
                .bind(&merged.url)
                .bind(merged.customer.clone().unwrap_or_default())
                .bind(merged.customer_inn.clone().unwrap_or_default())
                .bind(merged.region.clone().unwrap_or_default())
                .bind(merged.max_price.map(|p| p.0))
                .bind(merged.currency.clone().unwrap_or_default())
                .bind(ms(merged.published_at))
                .bind(ms(merged.deadline))
                .bind(serde_json::to_string(&merged.okpd2).unwrap_or_else(|_| "[]".into()))
                .bind(merged.platform.clone().unwrap_or_default())
                .bind(stage_text(&merged))
                .bind(merged.notice_version.map(i64::from))
                .bind(i64::from(merged.cancelled))
                .bind(&json)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
                add_version(tx, id, source, &json, now).await?;
                Stored::Updated(id)
            }
        }
    };
    if let Some(search) = search {
        sqlx::query(
            "INSERT INTO tender_search_hits (search_id, tender_id, first_found_at, last_found_at) \
             VALUES ($1, $2, $3, $3) \
             ON CONFLICT (search_id, tender_id) DO UPDATE SET last_found_at = excluded.last_found_at",
        )
        .bind(search)
        .bind(outcome.id())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(outcome)
}

fn stage_text(facts: &TenderFacts) -> String {
    facts
        .stage
        .as_ref()
        .and_then(|s| serde_json::to_value(s).ok())
        .map(|v| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        })
        .unwrap_or_default()
}

async fn add_version(tx: &mut Tx, id: i64, source: &str, json: &str, now: i64) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO tender_versions (tender_id, version, source, facts, recorded_at) \
         SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4 FROM tender_versions \
         WHERE tender_id = $1",
    )
    .bind(id)
    .bind(source)
    .bind(json)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records a search run's counters.
pub async fn record_run(
    tx: &mut Tx,
    search: i64,
    found: i64,
    new: i64,
    updated: i64,
    now: i64,
) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO tender_search_runs (search_id, found, new_count, updated_count, finished_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(search)
    .bind(found)
    .bind(new)
    .bind(updated)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE tender_searches SET last_run_at = $1 WHERE id = $2")
        .bind(now)
        .bind(search)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn get(db: &Db, id: i64) -> CoreResult<Option<Tender>> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_reg_number(db: &Db, reg: &str) -> CoreResult<Option<Tender>> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE reg_number = $1")))
        .bind(reg)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The most recently seen tenders, newest first.
pub async fn recent(db: &Db, limit: i64) -> CoreResult<Vec<Tender>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{SELECT} ORDER BY first_seen_at DESC, id DESC LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Tenders the CRM has not taken yet (its call failed or has not been made).
pub async fn without_deal(db: &Db) -> CoreResult<Vec<Tender>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{SELECT} WHERE deal_id = '' ORDER BY id"
    )))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn set_deal(db: &Db, id: i64, deal: &str) -> CoreResult<()> {
    sqlx::query("UPDATE tenders SET deal_id = $1 WHERE id = $2")
        .bind(deal)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn versions(db: &Db, id: i64) -> CoreResult<Vec<Version>> {
    let rows = sqlx::query(
        "SELECT version, source, facts, recorded_at FROM tender_versions \
         WHERE tender_id = $1 ORDER BY version DESC",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Version {
                version: r.try_get("version")?,
                source: r.try_get("source")?,
                facts: facts_of(&r.try_get::<String, _>("facts")?)?,
                recorded_at: r.try_get("recorded_at")?,
            })
        })
        .collect()
}

/// A search that found a tender.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub search_id: i64,
    pub search_name: String,
    pub first_found_at: i64,
    pub last_found_at: i64,
}

pub async fn hits(db: &Db, id: i64) -> CoreResult<Vec<Hit>> {
    let rows = sqlx::query(
        "SELECT h.search_id, s.name, h.first_found_at, h.last_found_at \
         FROM tender_search_hits h JOIN tender_searches s ON s.id = h.search_id \
         WHERE h.tender_id = $1 ORDER BY h.first_found_at, s.name",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Hit {
                search_id: r.try_get("search_id")?,
                search_name: r.try_get("name")?,
                first_found_at: r.try_get("first_found_at")?,
                last_found_at: r.try_get("last_found_at")?,
            })
        })
        .collect()
}

/// Open tenders with a deal whose deadline falls in `[now, until]` and that were not
/// reminded of this deadline yet.
pub async fn due_reminders(db: &Db, now: i64, until: i64) -> CoreResult<Vec<Tender>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{SELECT} WHERE cancelled = 0 AND deal_id <> '' AND deadline IS NOT NULL \
         AND deadline >= $1 AND deadline <= $2 \
         AND (reminded_for IS NULL OR reminded_for <> deadline) ORDER BY deadline, id"
    )))
    .bind(now)
    .bind(until)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn mark_reminded(db: &Db, id: i64, deadline: i64) -> CoreResult<()> {
    sqlx::query("UPDATE tenders SET reminded_for = $1 WHERE id = $2")
        .bind(deadline)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// How many tenders are stored (for the pages' counters and tests).
pub async fn count(db: &Db) -> CoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM tenders")
        .fetch_one(db.pool())
        .await?)
}
