//! The `bank_imports` table: one row per account per statement file or API pull, with what
//! it brought, so "where did this payment come from" has an answer.

use shtab_core::audit::Actor;
use shtab_core::db::{Db, Row, Tx};
use shtab_core::error::CoreResult;
use shtab_core::time::now_ms;

use super::accounts::AccountId;
use super::payments::Source;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Import {
    pub id: i64,
    pub account_id: AccountId,
    pub account_number: String,
    /// `1c` or `tbank`.
    pub source: String,
    pub file_name: String,
    pub new_count: i64,
    pub known_count: i64,
    /// Who imported: the actor's label (a user's name, a token, the robot, the CLI).
    pub actor: String,
    pub created_at: i64,
}

/// Starts the row (counts 0); [`finish`] fills the counts once the payments are stored,
/// which need the row's id first.
pub async fn start(
    tx: &mut Tx,
    actor: &Actor,
    account: AccountId,
    source: Source,
    file_name: &str,
) -> CoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO bank_imports (account_id, source, file_name, new_count, known_count, actor, created_at) \
         VALUES ($1, $2, $3, 0, 0, $4, $5) RETURNING id",
    )
    .bind(account.0)
    .bind(source.as_str())
    .bind(file_name)
    .bind(&actor.label)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn finish(tx: &mut Tx, id: i64, new: u64, known: u64) -> CoreResult<()> {
    sqlx::query("UPDATE bank_imports SET new_count = $1, known_count = $2 WHERE id = $3")
        .bind(i64::try_from(new).unwrap_or(i64::MAX))
        .bind(i64::try_from(known).unwrap_or(i64::MAX))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The latest imports, newest first; of one account when `account` is given.
pub async fn recent(db: &Db, account: Option<AccountId>, limit: i64) -> CoreResult<Vec<Import>> {
    let rows = sqlx::query(
        "SELECT i.id, i.account_id, a.number, i.source, i.file_name, i.new_count, i.known_count, \
         i.actor, i.created_at FROM bank_imports i JOIN bank_accounts a ON a.id = i.account_id \
         WHERE ($1 IS NULL OR i.account_id = $1) ORDER BY i.id DESC LIMIT $2",
    )
    .bind(account.map(|a| a.0))
    .bind(limit.clamp(1, 500))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Import {
                id: r.try_get("id")?,
                account_id: AccountId(r.try_get("account_id")?),
                account_number: r.try_get("number")?,
                source: r.try_get("source")?,
                file_name: r.try_get("file_name")?,
                new_count: r.try_get("new_count")?,
                known_count: r.try_get("known_count")?,
                actor: r.try_get("actor")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}
