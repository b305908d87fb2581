//! API tokens for `Authorization: Bearer`. The secret is shown once at creation; the table
//! keeps its SHA-256 and a short prefix so people can tell their tokens apart.

use serde::Serialize;

use super::secrets::{random_token, sha256_hex};
use crate::audit::{self, Actor, Changes, Event};
use crate::db::{Db, FromRow, Tx};
use crate::error::{CoreError, CoreResult};
use crate::ids::{ApiTokenId, UserId};
use crate::time::now_ms;
use crate::types::required_text;

/// Every token starts with this, so secret scanners and people recognise a Shtab token.
pub const TOKEN_PREFIX: &str = "shtab_";

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub name: String,
    /// The first characters of the secret, for recognising it.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const SELECT: &str = "SELECT t.id, t.user_id, p.full_name AS user_name, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at \
     FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN people p ON p.id = u.person_id";

/// Creates a token for `user`; the returned secret is not stored anywhere.
pub async fn create(
    db: &Db,
    actor: &Actor,
    user: UserId,
    name: &str,
) -> CoreResult<(ApiToken, String)> {
    let name = required_text("name", name, 100).map_err(|e| CoreError::Invalid(vec![e]))?;
    let secret = format!("{TOKEN_PREFIX}{}", random_token());
    let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user.0)
    .bind(&name)
    .bind(sha256_hex(&secret))
    .bind(&prefix)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    let mut changes = Changes::new();
    changes
        .set("name", &name)
        .set("user_id", &user.0)
        .set("prefix", &prefix);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "token.create",
            object_kind: "token",
            object_id: id.to_string(),
            object_label: name.clone(),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((get(db, ApiTokenId(id)).await?, secret))
}

pub async fn get(db: &Db, id: ApiTokenId) -> CoreResult<ApiToken> {
    sqlx::query_as::<_, ApiToken>(sqlx::AssertSqlSafe(format!("{SELECT} WHERE t.id = $1")))
        .bind(id.0)
        .fetch_optional(db.pool())
        .await?
        .ok_or(CoreError::NotFound("token"))
}

/// Tokens of one user, or of everyone (for admins), newest first.
pub async fn list(db: &Db, user: Option<UserId>) -> CoreResult<Vec<ApiToken>> {
    Ok(sqlx::query_as::<_, ApiToken>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE ($1 IS NULL OR t.user_id = $1) ORDER BY t.id DESC"
    )))
    .bind(user.map(|u| u.0))
    .fetch_all(db.pool())
    .await?)
}

pub async fn revoke(db: &Db, actor: &Actor, id: ApiTokenId) -> CoreResult<ApiToken> {
    let token = get(db, id).await?;
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "token.revoke",
            object_kind: "token",
            object_id: id.to_string(),
            object_label: format!("{} ({})", token.name, token.user_name),
            changes: Changes::new(),
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

/// Revokes every live token of `user` (named `user_label` in the log) in the caller's
/// transaction, with a `token.revoke` entry for each, as [`revoke`] writes; returns how many.
pub async fn revoke_all(
    tx: &mut Tx,
    actor: &Actor,
    user: UserId,
    user_label: &str,
) -> CoreResult<usize> {
    let revoked: Vec<(i64, String)> = sqlx::query_as(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL RETURNING id, name",
    )
    .bind(now_ms())
    .bind(user.0)
    .fetch_all(&mut **tx)
    .await?;
    for (id, name) in &revoked {
        audit::record(
            tx,
            actor,
            Event {
                action: "token.revoke",
                object_kind: "token",
                object_id: id.to_string(),
                object_label: format!("{name} ({user_label})"),
                changes: Changes::new(),
            },
        )
        .await?;
    }
    Ok(revoked.len())
}

/// The live token with this secret, if any; notes when it was last used (at most once a
/// minute, so a busy integration does not write on every call).
pub async fn lookup(db: &Db, secret: &str) -> CoreResult<Option<ApiToken>> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let token = sqlx::query_as::<_, ApiToken>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
    )))
    .bind(sha256_hex(secret))
    .fetch_optional(db.pool())
    .await?;
    if let Some(t) = &token {
        let now = now_ms();
        if t.last_used_at.is_none_or(|at| now - at > 60_000) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(t.id)
                .execute(db.pool())
                .await?;
        }
    }
    Ok(token)
}
