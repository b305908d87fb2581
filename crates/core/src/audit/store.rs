use serde::Serialize;
use sqlx::AssertSqlSafe;

use super::{Actor, ActorKind, Event};
use crate::db::{Db, FromRow, values};
use crate::error::CoreResult;
use crate::time::now_ms;

/// Writes `event` as done by `actor`, inside the caller's transaction.
pub async fn record(tx: &mut crate::db::Tx, actor: &Actor, event: Event<'_>) -> CoreResult<()> {
    record_many(tx, actor, vec![event]).await
}

/// Writes `events`, in order, as done by `actor`, inside the caller's transaction: one
/// statement per few dozen (a push's links are an entry per task).
pub async fn record_many(
    tx: &mut crate::db::Tx,
    actor: &Actor,
    events: Vec<Event<'_>>,
) -> CoreResult<()> {
    let at = now_ms();
    for chunk in events.chunks(values::rows_per_statement(9)) {
        let sql = format!(
            "INSERT INTO audit_log (at, actor_kind, actor_id, actor_label, action, object_kind, object_id, object_label, changes) \
             VALUES {}",
            values::placeholders(chunk.len(), 9, 1)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for event in chunk {
            q = q
                .bind(at)
                .bind(actor.kind.as_str())
                .bind(actor.user_id.map(|u| u.0))
                .bind(&actor.label)
                .bind(event.action)
                .bind(event.object_kind)
                .bind(&event.object_id)
                .bind(&event.object_label)
                .bind(event.changes.to_json());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    pub object_label: String,
    pub changes: String,
}

/// The audit page's and API's filter. Times are Unix milliseconds, `until` exclusive.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_kind: Option<ActorKind>,
    pub actor_id: Option<i64>,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Entries older than this id (keyset paging: newest first).
    pub before_id: Option<i64>,
    pub limit: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before_id` for the next page; `None` on the last page.
    pub next_before_id: Option<i64>,
}

pub async fn list(db: &Db, filter: &AuditFilter) -> CoreResult<AuditPage> {
    let limit = filter.limit.clamp(1, 500);
    // Conditions are fixed strings; only their values are bound.
    let mut conditions: Vec<&str> = Vec::new();
    let mut binds: Vec<Bind> = Vec::new();
    let mut add = |sql: &'static str, value: Bind, conditions: &mut Vec<&str>| {
        binds.push(value);
        conditions.push(sql);
    };
    if let Some(k) = filter.actor_kind {
        add(
            "actor_kind = $",
            Bind::Text(k.as_str().into()),
            &mut conditions,
        );
    }
    if let Some(id) = filter.actor_id {
        add("actor_id = $", Bind::Int(id), &mut conditions);
    }
    if let Some(k) = filter.object_kind.as_deref().filter(|s| !s.is_empty()) {
        add("object_kind = $", Bind::Text(k.into()), &mut conditions);
    }
    if let Some(id) = filter.object_id.as_deref().filter(|s| !s.is_empty()) {
        add("object_id = $", Bind::Text(id.into()), &mut conditions);
    }
    if let Some(t) = filter.since {
        add("at >= $", Bind::Int(t), &mut conditions);
    }
    if let Some(t) = filter.until {
        add("at < $", Bind::Int(t), &mut conditions);
    }
    if let Some(id) = filter.before_id {
        add("id < $", Bind::Int(id), &mut conditions);
    }
    let mut sql = String::from(
        "SELECT id, at, actor_kind, actor_id, actor_label, action, object_kind, object_id, object_label, changes FROM audit_log",
    );
    for (i, c) in conditions.iter().enumerate() {
        sql.push_str(if i == 0 { " WHERE " } else { " AND " });
        sql.push_str(c);
        sql.push_str(&(i + 1).to_string());
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", limit + 1));
    let mut query = sqlx::query_as::<_, AuditEntry>(AssertSqlSafe(sql));
    for b in binds {
        query = match b {
            Bind::Int(v) => query.bind(v),
            Bind::Text(v) => query.bind(v),
        };
    }
    let mut entries = query.fetch_all(db.pool()).await?;
    let next_before_id = if entries.len() as i64 > limit {
        entries.truncate(limit as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditPage {
        entries,
        next_before_id,
    })
}

/// Every kind of object the log has entries about, for the page's filter: capabilities
/// add kinds of their own, and the filter offers them without being told.
pub async fn object_kinds(db: &Db) -> CoreResult<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT DISTINCT object_kind FROM audit_log ORDER BY object_kind")
            .fetch_all(db.pool())
            .await?,
    )
}

enum Bind {
    Int(i64),
    Text(String),
}
