//! Commits that name tasks and their references. The linker writes a batch of commits in
//! one transaction, then reads back the references still waiting for their task.

use std::collections::HashMap;

use shtab_core::db::{Db, FromRow, Tx, values};
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::time::now_ms;

use super::RepositoryId;
use crate::domain::reach::Reach;

/// A reference as found in a commit, with the commands attached to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefRecord {
    pub reference: String,
    pub close: bool,
    pub minutes: i64,
}

/// A commit about to be stored.
#[derive(Debug, Clone)]
pub struct CommitRecord {
    pub sha: String,
    pub change_key: String,
    pub author_name: String,
    pub author_email: String,
    pub person: Option<PersonId>,
    pub authored_at: i64,
    pub committed_at: i64,
    pub message: String,
    pub reach: Reach,
    pub refs: Vec<RefRecord>,
}

/// Stores a batch: new commits are inserted, known ones get their branches brought up to
/// date (see [`Reach::apply`]); references are added once. Returns the known commits whose
/// branches changed. New commits and references go in multi-row statements.
pub async fn store_batch(
    tx: &mut Tx,
    repository: RepositoryId,
    batch: &[CommitRecord],
) -> CoreResult<Vec<String>> {
    let mut moved = Vec::new();
    if batch.is_empty() {
        return Ok(moved);
    }
    let known = known_branches(tx, repository, batch).await?;
    let mut new = Vec::new();
    for c in batch {
        match known.get(&c.sha) {
            None => new.push(c),
            Some(branches) => {
                let now_reaching = c.reach.apply(branches);
                if now_reaching != *branches {
                    sqlx::query("UPDATE vcs_commits SET branches = $1 WHERE repository_id = $2 AND sha = $3")
                        .bind(now_reaching)
                        .bind(repository.0)
                        .bind(&c.sha)
                        .execute(&mut **tx)
                        .await?;
                    moved.push(c.sha.clone());
                }
            }
        }
    }
    insert_commits(tx, repository, &new).await?;
    let refs: Vec<(&str, &RefRecord)> = batch
        .iter()
        .flat_map(|c| c.refs.iter().map(move |r| (c.sha.as_str(), r)))
        .collect();
    insert_refs(tx, repository, &refs).await?;
    Ok(moved)
}

/// Inserts new commits; one already there (a sweep and a webhook at once) is left as it is.
async fn insert_commits(
    tx: &mut Tx,
    repository: RepositoryId,
    commits: &[&CommitRecord],
) -> CoreResult<()> {
    let now = now_ms();
    for chunk in commits.chunks(values::rows_per_statement(11)) {
        let sql = format!(
            "INSERT INTO vcs_commits (repository_id, sha, change_key, author_name, author_email, person_id, \
             authored_at, committed_at, message, branches, first_seen_at) \
             VALUES {} ON CONFLICT (repository_id, sha) DO NOTHING",
            values::placeholders(chunk.len(), 11, 1)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for c in chunk {
            q = q
                .bind(repository.0)
                .bind(&c.sha)
                .bind(&c.change_key)
                .bind(&c.author_name)
                .bind(&c.author_email)
                .bind(c.person.map(|p| p.0))
                .bind(c.authored_at)
                .bind(c.committed_at)
                .bind(&c.message)
                .bind(c.reach.apply(""))
                .bind(now);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Adds references (sha, reference) that are not there yet.
async fn insert_refs(
    tx: &mut Tx,
    repository: RepositoryId,
    refs: &[(&str, &RefRecord)],
) -> CoreResult<()> {
    for chunk in refs.chunks(values::rows_per_statement(5)) {
        let sql = format!(
            "INSERT INTO vcs_refs (repository_id, sha, reference, close_requested, minutes) VALUES {} \
             ON CONFLICT (repository_id, sha, reference) DO NOTHING",
            values::placeholders(chunk.len(), 5, 1)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (sha, r) in chunk {
            q = q
                .bind(repository.0)
                .bind(*sha)
                .bind(&r.reference)
                .bind(i64::from(r.close))
                .bind(r.minutes);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

async fn known_branches(
    tx: &mut Tx,
    repository: RepositoryId,
    batch: &[CommitRecord],
) -> CoreResult<HashMap<String, String>> {
    let mut known = HashMap::new();
    for chunk in batch.chunks(values::rows_per_statement(1)) {
        let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT sha, branches FROM vcs_commits WHERE repository_id = $1 AND sha IN ({})",
            placeholders.join(", ")
        );
        let mut q =
            sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql)).bind(repository.0);
        for c in chunk {
            q = q.bind(&c.sha);
        }
        known.extend(q.fetch_all(&mut **tx).await?);
    }
    Ok(known)
}

/// Whether the repository has any stored commit.
pub async fn any(db: &Db, repository: RepositoryId) -> CoreResult<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM vcs_commits WHERE repository_id = $1 LIMIT 1")
            .bind(repository.0)
            .fetch_optional(db.pool())
            .await?;
    Ok(found.is_some())
}

/// Every stored commit of the repository with its branches (sorted, one per line).
pub async fn branches(db: &Db, repository: RepositoryId) -> CoreResult<HashMap<String, String>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT sha, branches FROM vcs_commits WHERE repository_id = $1")
            .bind(repository.0)
            .fetch_all(db.pool())
            .await?;
    Ok(rows.into_iter().collect())
}

/// Replaces the branches of commits: (sha, branches), in one transaction.
pub async fn set_branches(
    db: &Db,
    repository: RepositoryId,
    changed: &[(String, String)],
) -> CoreResult<()> {
    if changed.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    for (sha, branches) in changed {
        sqlx::query("UPDATE vcs_commits SET branches = $1 WHERE repository_id = $2 AND sha = $3")
            .bind(branches)
            .bind(repository.0)
            .bind(sha)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A reference with everything the tracker needs about its commit.
#[derive(Debug, Clone, FromRow)]
pub struct RefRow {
    pub repository_id: i64,
    pub repository_name: String,
    pub forge: String,
    pub web_url: String,
    pub repository_created_at: i64,
    pub sha: String,
    pub reference: String,
    pub task_id: Option<String>,
    pub close_requested: i64,
    pub minutes: i64,
    pub commands_status: String,
    pub change_key: String,
    pub author_name: String,
    pub author_email: String,
    pub person_id: Option<i64>,
    pub authored_at: i64,
    pub committed_at: i64,
    pub message: String,
    pub branches: String,
}

/// Which references to load.
pub enum RefFilter<'a> {
    /// Those of these commits not linked yet.
    UnlinkedOf {
        repository: RepositoryId,
        shas: &'a [String],
    },
    /// Every reference not linked yet with this canonical text (a task appeared).
    UnlinkedNamed(&'a str),
    /// Every reference not linked yet.
    AllUnlinked,
    /// Linked references of commits by this e-mail (an author was mapped).
    LinkedByAuthor(&'a str),
    /// Linked references whose commands did not finish (a failure or a crash half-way).
    CommandsUnfinished,
    /// Linked references of these commits (their branches changed).
    LinkedOf {
        repository: RepositoryId,
        shas: &'a [String],
    },
}

const REF_COLUMNS: &str = "r.repository_id, p.name AS repository_name, p.forge, p.web_url, p.created_at AS repository_created_at, \
     r.sha, r.reference, r.task_id, r.close_requested, r.minutes, r.commands_status, c.change_key, c.author_name, \
     c.author_email, c.person_id, c.authored_at, c.committed_at, c.message, c.branches";

const REF_FROM: &str = "FROM vcs_refs r JOIN vcs_commits c ON c.repository_id = r.repository_id AND c.sha = r.sha \
     JOIN vcs_repositories p ON p.id = r.repository_id";

pub async fn load_refs(db: &Db, filter: RefFilter<'_>) -> CoreResult<Vec<RefRow>> {
    let order = "ORDER BY c.committed_at, r.sha, r.reference";
    match filter {
        RefFilter::UnlinkedOf { repository, shas } | RefFilter::LinkedOf { repository, shas } => {
            let linked = if matches!(filter, RefFilter::LinkedOf { .. }) {
                "IS NOT NULL"
            } else {
                "IS NULL"
            };
            let mut rows = Vec::new();
            for chunk in shas.chunks(values::rows_per_statement(1)) {
                let placeholders: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
                let sql = format!(
                    "SELECT {REF_COLUMNS} {REF_FROM} WHERE r.task_id {linked} AND r.repository_id = $1 AND r.sha IN ({}) {order}",
                    placeholders.join(", ")
                );
                let mut q = sqlx::query_as::<_, RefRow>(sqlx::AssertSqlSafe(sql)).bind(repository.0);
                for sha in chunk {
                    q = q.bind(sha);
                }
                rows.extend(q.fetch_all(db.pool()).await?);
            }
            Ok(rows)
        }
        RefFilter::UnlinkedNamed(reference) => Ok(sqlx::query_as::<_, RefRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {REF_COLUMNS} {REF_FROM} WHERE r.task_id IS NULL AND r.reference = $1 {order}"
        )))
        .bind(reference)
        .fetch_all(db.pool())
        .await?),
        RefFilter::AllUnlinked => Ok(sqlx::query_as::<_, RefRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {REF_COLUMNS} {REF_FROM} WHERE r.task_id IS NULL {order}"
        )))
        .fetch_all(db.pool())
        .await?),
        RefFilter::CommandsUnfinished => Ok(sqlx::query_as::<_, RefRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {REF_COLUMNS} {REF_FROM} WHERE r.task_id IS NOT NULL AND r.commands_status = '' {order}"
        )))
        .fetch_all(db.pool())
        .await?),
        RefFilter::LinkedByAuthor(email) => Ok(sqlx::query_as::<_, RefRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {REF_COLUMNS} {REF_FROM} WHERE r.task_id IS NOT NULL AND c.author_email = $1 {order}"
        )))
        .bind(email)
        .fetch_all(db.pool())
        .await?),
    }
}

/// Distinct references still waiting for a task.
pub async fn unlinked_references(db: &Db) -> CoreResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT reference FROM vcs_refs WHERE task_id IS NULL ORDER BY reference",
    )
    .fetch_all(db.pool())
    .await?)
}

/// Records that references now point at their tasks: (repository, sha, reference, task).
pub async fn mark_linked(db: &Db, linked: &[(i64, String, String, String)]) -> CoreResult<()> {
    let now = now_ms();
    update_refs(db, "task_id = v.column4, linked_at = $1", Some(now), linked).await
}

/// Records how the commands of references went: (repository, sha, reference, status).
pub async fn set_commands_statuses(
    db: &Db,
    statuses: &[(i64, String, String, String)],
) -> CoreResult<()> {
    update_refs(db, "commands_status = v.column4", None, statuses).await
}

/// Sets `assignments` on each reference (repository, sha, reference) of `rows`, with the
/// row's fourth value as `v.column4` and `extra` as `$1`: one statement per
/// [`values::rows_per_statement`] rows, all in one transaction.
async fn update_refs(
    db: &Db,
    assignments: &str,
    extra: Option<i64>,
    rows: &[(i64, String, String, String)],
) -> CoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let first = if extra.is_some() { 2 } else { 1 };
    let mut tx = db.begin().await?;
    for chunk in rows.chunks(values::rows_per_statement(4)) {
        let sql = format!(
            "UPDATE vcs_refs SET {assignments} FROM (VALUES {}) AS v \
             WHERE vcs_refs.repository_id = v.column1 AND vcs_refs.sha = v.column2 \
             AND vcs_refs.reference = v.column3",
            values::placeholders(chunk.len(), 4, first)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(extra) = extra {
            q = q.bind(extra);
        }
        for (repository, sha, reference, value) in chunk {
            q = q.bind(repository).bind(sha).bind(reference).bind(value);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
