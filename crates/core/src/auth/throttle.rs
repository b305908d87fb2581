//! Login throttling, kept in the database so it holds across several hub processes.
//! A key (an address, an account) is blocked once it has `max` failures within the window
//! that began with its first failure.

use crate::db::Db;
use crate::error::CoreResult;
use crate::time::now_ms;

/// Whether `key` may try again now; `Some(ms)` is how long it must wait otherwise.
pub async fn blocked_for(db: &Db, key: &str, max: u32, window_ms: i64) -> CoreResult<Option<i64>> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT window_start, failures FROM login_throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(db.pool())
            .await?;
    let now = now_ms();
    Ok(match row {
        Some((start, failures)) if failures >= i64::from(max) && now - start < window_ms => {
            Some(start + window_ms - now)
        }
        _ => None,
    })
}

pub async fn record_failure(db: &Db, key: &str, window_ms: i64) -> CoreResult<()> {
    let now = now_ms();
    // A window that has run out starts again with this failure.
    sqlx::query(
        "INSERT INTO login_throttle (key, window_start, failures) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN $2 - login_throttle.window_start >= $3 THEN 1 ELSE login_throttle.failures + 1 END, \
           window_start = CASE WHEN $2 - login_throttle.window_start >= $3 THEN $2 ELSE login_throttle.window_start END",
    )
    .bind(key)
    .bind(now)
    .bind(window_ms)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn clear(db: &Db, key: &str) -> CoreResult<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(db.pool())
        .await?;
    Ok(())
}
