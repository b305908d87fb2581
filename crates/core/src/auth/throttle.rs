//! Login throttling, kept in the database so it holds across several hub processes.
//! A key (an address, an account) gets `max` attempts within the window that began with its
//! first one; a successful login gives its attempt back.
//!
//! The attempt is counted *before* the password is checked, in one statement that returns
//! the new count: parallel guesses each see the others' counts, so no more than `max` of
//! them ever reach the (slow, deliberately) password check.

use crate::db::Db;
use crate::error::CoreResult;
use crate::time::now_ms;

/// Counts an attempt of `key`; `Some(ms)` when it is one too many, with how long to wait.
pub async fn count_attempt(
    db: &Db,
    key: &str,
    max: u32,
    window_ms: i64,
) -> CoreResult<Option<i64>> {
    let now = now_ms();
    // A window that has run out starts again with this attempt.
    let (start, attempts): (i64, i64) = sqlx::query_as(
        "INSERT INTO login_throttle (key, window_start, failures) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN $2 - login_throttle.window_start >= $3 THEN 1 ELSE login_throttle.failures + 1 END, \
           window_start = CASE WHEN $2 - login_throttle.window_start >= $3 THEN $2 ELSE login_throttle.window_start END \
         RETURNING window_start, failures",
    )
    .bind(key)
    .bind(now)
    .bind(window_ms)
    .fetch_one(db.pool())
    .await?;
    Ok((attempts > i64::from(max)).then(|| (start + window_ms - now).max(1)))
}

/// Gives back the attempt of a login that succeeded, so people logging in from one office
/// address do not use up its allowance.
pub async fn give_back(db: &Db, key: &str) -> CoreResult<()> {
    sqlx::query(
        "UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0",
    )
    .bind(key)
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
