//! Webhook deliveries: each call for a known repository, what became of it, and (until it
//! is processed) the push it carried.

use serde::Serialize;
use shtab_core::db::{Db, FromRow, Tx};
use shtab_core::error::CoreResult;
use shtab_core::time::now_ms;

use super::RepositoryId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Accepted; the linking job has not run yet.
    Queued,
    Processed,
    /// Accepted but nothing to do (a ping, a tag, another event).
    Ignored,
    /// Refused: bad signature, and the like.
    Rejected,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Processed => "processed",
            DeliveryStatus::Ignored => "ignored",
            DeliveryStatus::Rejected => "rejected",
            DeliveryStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize, FromRow, utoipa::ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub repository_id: i64,
    /// The forge's delivery id as it was claimed (for rejected calls too).
    pub claimed_id: String,
    pub event: String,
    pub status: String,
    pub reason: String,
    pub git_ref: String,
    pub commits: i64,
    pub linked: i64,
    pub received_at: i64,
    pub processed_at: Option<i64>,
}

const COLUMNS: &str = "id, repository_id, claimed_id, event, status, reason, git_ref, commits, linked, received_at, processed_at";

pub struct NewDelivery<'a> {
    pub repository: RepositoryId,
    pub claimed_id: &'a str,
    pub event: &'a str,
    pub status: DeliveryStatus,
    pub reason: &'a str,
    pub git_ref: &'a str,
    pub commits: i64,
    pub payload: Option<&'a str>,
}

/// Records an accepted delivery; `None` when this delivery id was accepted before (a
/// redelivery, which changes nothing).
pub async fn insert_accepted(tx: &mut Tx, d: &NewDelivery<'_>) -> CoreResult<Option<i64>> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO vcs_deliveries (repository_id, delivery_id, claimed_id, event, status, reason, git_ref, commits, payload, received_at) \
         VALUES ($1, $2, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (repository_id, delivery_id) DO NOTHING RETURNING id",
    )
    .bind(d.repository.0)
    .bind(d.claimed_id)
    .bind(d.event)
    .bind(d.status.as_str())
    .bind(d.reason)
    .bind(d.git_ref)
    .bind(d.commits)
    .bind(d.payload)
    .bind(now_ms())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(inserted)
}

/// How many refused calls the log keeps per repository. Anyone can post to a webhook
/// address, and a loop of forged calls must neither fill the table nor push the few
/// refusals that explain a misconfigured hook out of sight; the rest are only counted.
pub const REJECTED_KEPT: i64 = 50;

/// Records a refused call, so the repository page can say why the forge's hooks fail:
/// the newest [`REJECTED_KEPT`] are kept, older refused ones are dropped from the log and
/// counted on the repository (`rejected_dropped`).
pub async fn insert_rejected(
    db: &Db,
    repository: RepositoryId,
    claimed_id: &str,
    event: &str,
    reason: &str,
) -> CoreResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO vcs_deliveries (repository_id, delivery_id, claimed_id, event, status, reason, received_at) \
         VALUES ($1, NULL, $2, $3, 'rejected', $4, $5)",
    )
    .bind(repository.0)
    .bind(claimed_id)
    .bind(event)
    .bind(reason)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    // Everything from the first refused call past the kept ones, and older.
    let dropped = sqlx::query(
        "DELETE FROM vcs_deliveries WHERE repository_id = $1 AND status = 'rejected' AND id <= \
         (SELECT id FROM vcs_deliveries WHERE repository_id = $1 AND status = 'rejected' \
          ORDER BY id DESC LIMIT 1 OFFSET $2)",
    )
    .bind(repository.0)
    .bind(REJECTED_KEPT)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if dropped > 0 {
        sqlx::query(
            "UPDATE vcs_repositories SET rejected_dropped = rejected_dropped + $1 WHERE id = $2",
        )
        .bind(dropped as i64)
        .bind(repository.0)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The push a queued delivery carries, with its repository.
pub async fn payload(
    db: &Db,
    id: i64,
) -> CoreResult<Option<(RepositoryId, String, Option<String>)>> {
    let row: Option<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT repository_id, status, payload FROM vcs_deliveries WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(|(r, s, p)| (RepositoryId(r), s, p)))
}

/// Marks a delivery done and drops its payload (it can be megabytes; the links are kept).
pub async fn finish(
    db: &Db,
    id: i64,
    status: DeliveryStatus,
    reason: &str,
    linked: i64,
) -> CoreResult<()> {
    sqlx::query(
        "UPDATE vcs_deliveries SET status = $1, reason = $2, linked = $3, payload = NULL, processed_at = $4 WHERE id = $5",
    )
    .bind(status.as_str())
    .bind(reason)
    .bind(linked)
    .bind(now_ms())
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn recent(db: &Db, repository: RepositoryId, limit: i64) -> CoreResult<Vec<Delivery>> {
    Ok(sqlx::query_as::<_, Delivery>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM vcs_deliveries WHERE repository_id = $1 ORDER BY id DESC LIMIT $2"
    )))
    .bind(repository.0)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// Forgets deliveries older than `before` (the links they made stay).
pub async fn prune(db: &Db, before: i64) -> CoreResult<u64> {
    Ok(
        sqlx::query("DELETE FROM vcs_deliveries WHERE received_at < $1 AND status <> 'queued'")
            .bind(before)
            .execute(db.pool())
            .await?
            .rows_affected(),
    )
}
