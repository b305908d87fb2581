//! The `state` of an authorisation an administrator started (table `bitrix24_oauth_states`):
//! random, sent to the portal and handed back with the code, bound to the administrator's
//! session, good once and for a few minutes. Without it, anyone could have an administrator's
//! browser deliver a code of their choosing (their own portal's) to the callback.

use shtab_core::auth::{random_token, sha256_hex};
use shtab_core::db::{Db, FromRow};
use shtab_core::error::CoreResult;
use shtab_core::ids::UserId;
use shtab_core::time::now_ms;

/// How long an administrator has between the button and the portal's answer.
pub const STATE_LIFETIME_MS: i64 = 10 * 60_000;

/// An authorisation started, as it was started: by whom, for which portal and application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub user_id: UserId,
    pub portal: String,
    pub client_id: String,
}

/// Starts an authorisation from the session `session_hash`; returns the `state` to send.
pub async fn begin(db: &Db, session_hash: &str, started: &Started) -> CoreResult<String> {
    let state = random_token();
    let now = now_ms();
    // Abandoned ones are swept here: authorisations are rare.
    sqlx::query("DELETE FROM bitrix24_oauth_states WHERE expires_at <= $1")
        .bind(now)
        .execute(db.pool())
        .await?;
    sqlx::query(
        "INSERT INTO bitrix24_oauth_states (state_hash, session_hash, user_id, portal, client_id, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(sha256_hex(&state))
    .bind(session_hash)
    .bind(started.user_id.0)
    .bind(&started.portal)
    .bind(&started.client_id)
    .bind(now + STATE_LIFETIME_MS)
    .execute(db.pool())
    .await?;
    Ok(state)
}

#[derive(FromRow)]
struct Row {
    user_id: i64,
    portal: String,
    client_id: String,
}

/// Uses `state` up, when it was started from the session `session_hash` and is still valid;
/// none otherwise (unknown, another session's, expired, or used already). A state shown to
/// another session is left for its own.
pub async fn take(db: &Db, state: &str, session_hash: &str) -> CoreResult<Option<Started>> {
    let row: Option<Row> = sqlx::query_as(
        "DELETE FROM bitrix24_oauth_states \
         WHERE state_hash = $1 AND session_hash = $2 AND expires_at > $3 \
         RETURNING user_id, portal, client_id",
    )
    .bind(sha256_hex(state))
    .bind(session_hash)
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| Started {
        user_id: UserId(r.user_id),
        portal: r.portal,
        client_id: r.client_id,
    }))
}
