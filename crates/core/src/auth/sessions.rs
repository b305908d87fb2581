//! Browser sessions. The cookie carries a random token; the table keeps its SHA-256, the
//! user, the CSRF token of the session and a sliding expiry, which never passes the
//! session's absolute end (its start plus the longest a session may live).

use super::secrets::{random_token, sha256_hex};
use crate::audit::{self, Actor, Changes, Event};
use crate::db::{Db, Tx};
use crate::error::CoreResult;
use crate::ids::UserId;
use crate::time::now_ms;

/// A session as a request sees it.
#[derive(Debug, Clone)]
pub struct Session {
    pub token_hash: String,
    pub user_id: UserId,
    pub csrf_token: String,
}

/// How long sessions live: without activity, and at most.
#[derive(Debug, Clone, Copy)]
pub struct Lifetime {
    pub idle_ms: i64,
    pub max_ms: i64,
}

impl Lifetime {
    /// When a session started at `created` and seen at `now` ends.
    fn expiry(self, created: i64, now: i64) -> i64 {
        (now + self.idle_ms).min(created + self.max_ms)
    }
}

/// Starts a session; returns the cookie value (shown to the browser only) and the session.
pub async fn create(db: &Db, user: UserId, life: Lifetime) -> CoreResult<(String, Session)> {
    let token = random_token();
    let session = Session {
        token_hash: sha256_hex(&token),
        user_id: user,
        csrf_token: random_token(),
    };
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(&session.token_hash)
    .bind(user.0)
    .bind(&session.csrf_token)
    .bind(now)
    .bind(life.expiry(now, now))
    .execute(db.pool())
    .await?;
    // Old sessions are swept here rather than by a timer: logins are rare and cheap.
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(now)
        .execute(db.pool())
        .await?;
    Ok((token, session))
}

/// Finds the live session of a cookie value and extends it. Extending writes at most once a
/// minute per session, so browsing does not turn every page view into a write.
pub async fn lookup(db: &Db, cookie: &str, life: Lifetime) -> CoreResult<Option<Session>> {
    let hash = sha256_hex(cookie);
    let now = now_ms();
    // The start is checked too: sessions made before the absolute limit existed have an
    // expiry that does not know it.
    let row: Option<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT user_id, csrf_token, last_seen_at, created_at FROM sessions \
         WHERE token_hash = $1 AND expires_at > $2 AND created_at > $3",
    )
    .bind(&hash)
    .bind(now)
    .bind(now - life.max_ms)
    .fetch_optional(db.pool())
    .await?;
    let Some((user_id, csrf_token, last_seen, created)) = row else {
        return Ok(None);
    };
    if now - last_seen > 60_000 {
        sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3")
            .bind(now)
            .bind(life.expiry(created, now))
            .bind(&hash)
            .execute(db.pool())
            .await?;
    }
    Ok(Some(Session {
        token_hash: hash,
        user_id: UserId(user_id),
        csrf_token,
    }))
}

pub async fn delete(db: &Db, token_hash: &str) -> CoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Ends every session of `user` (named `user_label` in the log) in the caller's
/// transaction, with a `session.end` entry for each; returns how many ended.
pub async fn end_all(
    tx: &mut Tx,
    actor: &Actor,
    user: UserId,
    user_label: &str,
) -> CoreResult<usize> {
    // One statement picks and deletes, so a session started meanwhile is either ended and
    // logged, or neither.
    let ended: Vec<(i64, i64)> = sqlx::query_as(
        "DELETE FROM sessions WHERE user_id = $1 RETURNING created_at, last_seen_at",
    )
    .bind(user.0)
    .fetch_all(&mut **tx)
    .await?;
    for (created_at, last_seen_at) in &ended {
        let mut changes = Changes::new();
        changes
            .set("created_at", created_at)
            .set("last_seen_at", last_seen_at);
        audit::record(
            tx,
            actor,
            Event {
                action: "session.end",
                object_kind: "user",
                object_id: user.to_string(),
                object_label: user_label.to_string(),
                changes,
            },
        )
        .await?;
    }
    Ok(ended.len())
}
