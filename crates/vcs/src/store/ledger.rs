//! The change ledger (`vcs_change_actions`): what Shtab did on a task for a change, each
//! [`ChangeAction`] once per (task, change key), whichever copy of the change — rebased,
//! cherry-picked, or the same commit in a second repository — came first.
//!
//! Acting is claim, act, finish. The claim is an insert the primary key lets through once,
//! across hubs and concurrent jobs; the winner tells the tracker and then records the
//! outcome. A failed act releases its claim so a retry can take it. A claim left pending by
//! a process that died half-way is taken over once it is stale, with the same source, so a
//! tracker that keys time entries by source (the built-in one does) adds nothing twice.

use shtab_core::db::{Db, FromRow};
use shtab_core::error::CoreResult;
use shtab_core::time::now_ms;

use crate::domain::change::ChangeAction;

/// A pending claim older than this is taken to belong to a process that died.
const STALE_MS: i64 = 15 * 60 * 1000;

/// What a copy of a change asks to do on a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionKey<'a> {
    pub task_id: &'a str,
    pub change_key: &'a str,
    pub action: ChangeAction,
}

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This caller acts, under `source` (its own, or that of the stale claim it took over).
    Won { source: String },
    /// Another copy claimed it first; `status` is how it went so far (pending, done,
    /// skipped: why).
    Taken { source: String, status: String },
}

/// Claims `key` for the copy `source` (`commit:<repository>@<sha>`).
pub async fn claim(db: &Db, key: &ActionKey<'_>, source: &str) -> CoreResult<Claim> {
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO vcs_change_actions (task_id, change_key, action, source, status, claimed_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5) ON CONFLICT (task_id, change_key, action) DO NOTHING",
    )
    .bind(key.task_id)
    .bind(key.change_key)
    .bind(key.action.as_str())
    .bind(source)
    .bind(now)
    .execute(db.pool())
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::Won {
            source: source.to_string(),
        });
    }
    // Taking over a stale claim is itself a guarded update: of two takers, one wins.
    let taken_over = sqlx::query(
        "UPDATE vcs_change_actions SET claimed_at = $1 \
         WHERE task_id = $2 AND change_key = $3 AND action = $4 AND status = 'pending' AND claimed_at < $5",
    )
    .bind(now)
    .bind(key.task_id)
    .bind(key.change_key)
    .bind(key.action.as_str())
    .bind(now - STALE_MS)
    .execute(db.pool())
    .await?
    .rows_affected();
    let (source_of_first, status): (String, String) = sqlx::query_as(
        "SELECT source, status FROM vcs_change_actions WHERE task_id = $1 AND change_key = $2 AND action = $3",
    )
    .bind(key.task_id)
    .bind(key.change_key)
    .bind(key.action.as_str())
    .fetch_one(db.pool())
    .await?;
    Ok(if taken_over == 1 {
        Claim::Won {
            source: source_of_first,
        }
    } else {
        Claim::Taken {
            source: source_of_first,
            status,
        }
    })
}

/// Records how a won claim ended: `done`, or `skipped: why`.
pub async fn finish(db: &Db, key: &ActionKey<'_>, status: &str) -> CoreResult<()> {
    sqlx::query(
        "UPDATE vcs_change_actions SET status = $1, finished_at = $2 \
         WHERE task_id = $3 AND change_key = $4 AND action = $5",
    )
    .bind(status)
    .bind(now_ms())
    .bind(key.task_id)
    .bind(key.change_key)
    .bind(key.action.as_str())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Gives a won claim back after the act failed, so that a retry may act.
pub async fn release(db: &Db, key: &ActionKey<'_>) -> CoreResult<()> {
    sqlx::query(
        "DELETE FROM vcs_change_actions \
         WHERE task_id = $1 AND change_key = $2 AND action = $3 AND status = 'pending'",
    )
    .bind(key.task_id)
    .bind(key.change_key)
    .bind(key.action.as_str())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// One entry of the ledger: which copy acted for a change on a task, and how it went.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LedgerEntry {
    pub change_key: String,
    pub action: String,
    pub source: String,
    pub status: String,
}

/// What was done on `task_id` change by change, oldest claim first.
pub async fn for_task(db: &Db, task_id: &str) -> CoreResult<Vec<LedgerEntry>> {
    Ok(sqlx::query_as(
        "SELECT change_key, action, source, status FROM vcs_change_actions \
         WHERE task_id = $1 ORDER BY claimed_at, change_key, action",
    )
    .bind(task_id)
    .fetch_all(db.pool())
    .await?)
}
