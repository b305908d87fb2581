//! The branch heads the last successful sweep saw: commits reachable from them were walked.

use std::collections::BTreeMap;

use shtab_core::db::Db;
use shtab_core::error::CoreResult;

use super::RepositoryId;

pub async fn get(db: &Db, repository: RepositoryId) -> CoreResult<BTreeMap<String, String>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT branch, sha FROM vcs_heads WHERE repository_id = $1")
            .bind(repository.0)
            .fetch_all(db.pool())
            .await?;
    Ok(rows.into_iter().collect())
}

/// Replaces the remembered heads at once, after everything below them was linked.
pub async fn replace(
    db: &Db,
    repository: RepositoryId,
    heads: &BTreeMap<String, String>,
) -> CoreResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM vcs_heads WHERE repository_id = $1")
        .bind(repository.0)
        .execute(&mut *tx)
        .await?;
    for (branch, sha) in heads {
        sqlx::query("INSERT INTO vcs_heads (repository_id, branch, sha) VALUES ($1, $2, $3)")
            .bind(repository.0)
            .bind(branch)
            .bind(sha)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
