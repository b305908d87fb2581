//! The delivery log: one row per message and channel, with its outcome.

use serde::Serialize;
use sqlx::AssertSqlSafe;

use super::channels::Channel;
use super::send::Deliver;
use crate::audit::{self, Actor, Changes, Event};
use crate::db::{Db, FromRow};
use crate::error::{CoreError, CoreResult};
use crate::ids::PersonId;
use crate::jobs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Queued, or waiting for another attempt (`last_error` says why the last one failed).
    Pending,
    Sent,
    /// Retrying cannot help (a refused address, a channel that is not configured).
    Failed,
    /// Every attempt failed.
    Dead,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 4] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Sent,
        DeliveryStatus::Failed,
        DeliveryStatus::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct Delivery {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub channel: String,
    pub target: String,
    pub template_key: String,
    pub subject: String,
    pub body: String,
    pub link: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub job_id: Option<i64>,
}

/// A delivery whose job ended without the handler recording it (the worker died on the
/// last attempt, and the queue gave the job up) shows the job's end, not "pending" forever.
const SELECT: &str = "SELECT * FROM (SELECT d.id, d.person_id, p.full_name AS person_name, d.channel, d.target, \
     d.template_key, d.subject, d.body, d.link, \
     CASE WHEN d.status = 'pending' AND j.state IN ('dead', 'failed') THEN j.state ELSE d.status END AS status, \
     d.attempts, \
     CASE WHEN d.status = 'pending' AND j.state IN ('dead', 'failed') THEN COALESCE(j.last_error, d.last_error) ELSE d.last_error END AS last_error, \
     d.created_at, d.sent_at, d.job_id \
     FROM notify_deliveries d JOIN people p ON p.id = d.person_id LEFT JOIN jobs j ON j.id = d.job_id) d";

/// The log's filter; newest first, paged by `before_id`.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub status: Option<DeliveryStatus>,
    pub channel: Option<Channel>,
    pub person_id: Option<PersonId>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub async fn list(db: &Db, filter: &DeliveryFilter) -> CoreResult<Vec<Delivery>> {
    let mut sql = format!("{SELECT} WHERE 1 = 1");
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if filter.status.is_some() {
        sql.push_str(&format!(" AND d.status = {}", next()));
    }
    if filter.channel.is_some() {
        sql.push_str(&format!(" AND d.channel = {}", next()));
    }
    if filter.person_id.is_some() {
        sql.push_str(&format!(" AND d.person_id = {}", next()));
    }
    if filter.before_id.is_some() {
        sql.push_str(&format!(" AND d.id < {}", next()));
    }
    sql.push_str(&format!(" ORDER BY d.id DESC LIMIT {}", next()));
    let mut q = sqlx::query_as::<_, Delivery>(AssertSqlSafe(sql));
    if let Some(s) = filter.status {
        q = q.bind(s.as_str());
    }
    if let Some(c) = filter.channel {
        q = q.bind(c.as_str());
    }
    if let Some(p) = filter.person_id {
        q = q.bind(p.0);
    }
    if let Some(b) = filter.before_id {
        q = q.bind(b);
    }
    q = q.bind(filter.limit.clamp(1, 500));
    Ok(q.fetch_all(db.pool()).await?)
}

pub async fn get(db: &Db, id: i64) -> CoreResult<Delivery> {
    sqlx::query_as::<_, Delivery>(AssertSqlSafe(format!("{SELECT} WHERE d.id = $1")))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(CoreError::NotFound("delivery"))
}

/// Sends a failed or dead delivery again, as a new job (audit-logged).
pub async fn retry(db: &Db, actor: &Actor, id: i64) -> CoreResult<Delivery> {
    let d = get(db, id).await?;
    if d.status != DeliveryStatus::Failed.as_str() && d.status != DeliveryStatus::Dead.as_str() {
        return Err(CoreError::Conflict(format!(
            "delivery {id} is {}; only failed or dead ones are sent again",
            d.status
        )));
    }
    let mut tx = db.begin().await?;
    let job_id = jobs::enqueue_in(&mut tx, &Deliver { delivery_id: id }, None).await?;
    sqlx::query("UPDATE notify_deliveries SET status = 'pending', job_id = $1 WHERE id = $2")
        .bind(job_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let mut changes = Changes::new();
    changes.diff("status", &d.status, &"pending".to_string());
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "notify.delivery.retry",
            object_kind: "notify_delivery",
            object_id: id.to_string(),
            object_label: format!("{} → {} ({})", d.template_key, d.person_name, d.channel),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct StatusCount {
    pub channel: String,
    pub status: String,
    pub count: i64,
}

/// Deliveries by channel and status, for the page and `/metrics`.
pub async fn counts(db: &Db) -> CoreResult<Vec<StatusCount>> {
    Ok(sqlx::query_as::<_, StatusCount>(
        "SELECT channel, status, COUNT(*) AS count FROM notify_deliveries GROUP BY channel, status ORDER BY channel, status",
    )
    .fetch_all(db.pool())
    .await?)
}

/// How many deliveries are in `status` (as the log shows it: a pending delivery whose job
/// gave up counts as that job's end), for the home page's count of what keeps failing.
pub async fn count_with_status(db: &Db, status: DeliveryStatus) -> CoreResult<i64> {
    Ok(sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM ({SELECT} WHERE d.status = $1) c"
    )))
    .bind(status.as_str())
    .fetch_one(db.pool())
    .await?)
}
