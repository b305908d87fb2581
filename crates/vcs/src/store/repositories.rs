//! Repositories: settings, secrets, and the outcome of the last sweep.

use serde::{Deserialize, Serialize};
use shtab_core::CoreError;
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::auth::random_token;
use shtab_core::db::{Db, FromRow};
use shtab_core::error::{CoreResult, unique_violation_as};
use shtab_core::time::now_ms;

use crate::domain::clone_url;
use crate::domain::refs::{PatternError, RefRules};
use crate::domain::repository::{BranchFilter, RepoForge, RepositoryInput};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RepositoryId(pub i64);

impl std::fmt::Display for RepositoryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A repository with its secrets; `Debug` leaves them out.
#[derive(Clone)]
pub struct Repository {
    pub id: RepositoryId,
    pub name: String,
    pub forge: RepoForge,
    pub clone_url: String,
    pub web_url: String,
    pub forge_key: Option<String>,
    pub credential_username: String,
    pub credential_secret: String,
    pub webhook_secret: String,
    pub branch_filter: String,
    pub ref_patterns: String,
    pub project_keys: Vec<String>,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_sweep_at: Option<i64>,
    pub last_sweep_status: String,
    pub last_sweep_error: String,
    pub last_sweep_commits: i64,
    /// Refused webhook calls dropped from the log, which keeps only the newest few.
    pub rejected_dropped: i64,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("forge", &self.forge)
            .field("clone_url", &self.clone_url)
            .field("web_url", &self.web_url)
            .finish_non_exhaustive()
    }
}

impl Repository {
    /// The reference rules; stored patterns were checked when saved, so an error here means
    /// the rules changed under them (a newer Shtab) and is reported, not hidden.
    pub fn ref_rules(&self) -> Result<RefRules, PatternError> {
        RefRules::new(&self.ref_patterns, &self.project_keys)
    }

    pub fn branch_filter(&self) -> BranchFilter {
        BranchFilter::new(&self.branch_filter)
    }

    pub fn commit_url(&self, sha: &str) -> Option<String> {
        self.forge.commit_url(&self.web_url, sha)
    }

    pub fn has_credential(&self) -> bool {
        !self.credential_secret.is_empty()
    }
}

#[derive(FromRow)]
struct Row {
    id: i64,
    name: String,
    forge: String,
    clone_url: String,
    web_url: String,
    forge_key: Option<String>,
    credential_username: String,
    credential_secret: String,
    webhook_secret: String,
    branch_filter: String,
    ref_patterns: String,
    project_keys: String,
    enabled: i64,
    created_at: i64,
    updated_at: i64,
    last_sweep_at: Option<i64>,
    last_sweep_status: String,
    last_sweep_error: String,
    last_sweep_commits: i64,
    rejected_dropped: i64,
}

const COLUMNS: &str = "id, name, forge, clone_url, web_url, forge_key, credential_username, \
     credential_secret, webhook_secret, branch_filter, ref_patterns, project_keys, enabled, \
     created_at, updated_at, last_sweep_at, last_sweep_status, last_sweep_error, last_sweep_commits, \
     rejected_dropped";

impl TryFrom<Row> for Repository {
    type Error = CoreError;
    fn try_from(r: Row) -> CoreResult<Repository> {
        let forge = RepoForge::parse(&r.forge).ok_or_else(|| {
            CoreError::Internal(format!("repository {}: unknown forge {}", r.id, r.forge))
        })?;
        Ok(Repository {
            id: RepositoryId(r.id),
            name: r.name,
            forge,
            clone_url: r.clone_url,
            web_url: r.web_url,
            forge_key: r.forge_key,
            credential_username: r.credential_username,
            credential_secret: r.credential_secret,
            webhook_secret: r.webhook_secret,
            branch_filter: r.branch_filter,
            ref_patterns: r.ref_patterns,
            project_keys: r
                .project_keys
                .split(',')
                .filter(|k| !k.is_empty())
                .map(str::to_string)
                .collect(),
            enabled: r.enabled != 0,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_sweep_at: r.last_sweep_at,
            last_sweep_status: r.last_sweep_status,
            last_sweep_error: r.last_sweep_error,
            last_sweep_commits: r.last_sweep_commits,
            rejected_dropped: r.rejected_dropped,
        })
    }
}

fn duplicate(e: sqlx::Error) -> CoreError {
    let message = e.to_string();
    if message.contains("forge_key") {
        unique_violation_as(
            e,
            "web_url",
            "duplicate_web_url",
            "another repository has this web address",
        )
    } else {
        unique_violation_as(
            e,
            "name",
            "duplicate_name",
            "another repository has this name",
        )
    }
}

/// What an audit entry says about settings: secrets only as "set" or "cleared", URLs
/// without user-info.
fn audited(input: &RepositoryInput) -> Changes {
    let mut changes = Changes::new();
    changes
        .set("name", &input.name)
        .set("forge", &input.forge.as_str())
        .set("clone_url", &clone_url::redacted(&input.clone_url))
        .set("web_url", &input.web_url)
        .set("branch_filter", &input.branch_filter)
        .set("ref_patterns", &input.ref_patterns)
        .set("project_keys", &input.project_keys)
        .set("enabled", &input.enabled);
    if let Some(secret) = &input.credential_secret {
        changes.set(
            "credential",
            &if secret.is_empty() { "cleared" } else { "set" },
        );
    }
    changes
}

pub async fn create(db: &Db, actor: &Actor, input: &RepositoryInput) -> CoreResult<Repository> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO vcs_repositories (name, forge, clone_url, web_url, forge_key, credential_username, \
         credential_secret, webhook_secret, branch_filter, ref_patterns, project_keys, enabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
    )
    .bind(&input.name)
    .bind(input.forge.as_str())
    .bind(&input.clone_url)
    .bind(&input.web_url)
    .bind(&input.forge_key)
    .bind(&input.credential_username)
    .bind(input.credential_secret.clone().unwrap_or_default())
    .bind(random_token())
    .bind(&input.branch_filter)
    .bind(&input.ref_patterns)
    .bind(input.project_keys.join(","))
    .bind(i64::from(input.enabled))
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(duplicate)?;
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "repository.create",
            object_kind: "repository",
            object_id: id.to_string(),
            object_label: input.name.clone(),
            changes: audited(input),
        },
    )
    .await?;
    tx.commit().await?;
    get(db, RepositoryId(id)).await
}

pub async fn update(
    db: &Db,
    actor: &Actor,
    id: RepositoryId,
    input: &RepositoryInput,
) -> CoreResult<Repository> {
    let before = get(db, id).await?;
    // Decided against the URL as read; the WHERE below writes only over that URL, so a
    // credential set meanwhile for another URL is never kept for this one.
    let moved = before.has_credential() && input.moves_credential_away_from(&before.clone_url);
    let credential_secret = if moved {
        Some(String::new())
    } else {
        input.credential_secret.clone()
    };
    let mut tx = db.begin().await?;
    let written = sqlx::query(
        "UPDATE vcs_repositories SET name = $1, forge = $2, clone_url = $3, web_url = $4, forge_key = $5, \
         credential_username = $6, credential_secret = COALESCE($7, credential_secret), branch_filter = $8, \
         ref_patterns = $9, project_keys = $10, enabled = $11, updated_at = $12 WHERE id = $13 \
         AND clone_url = $14",
    )
    .bind(&input.name)
    .bind(input.forge.as_str())
    .bind(&input.clone_url)
    .bind(&input.web_url)
    .bind(&input.forge_key)
    .bind(&input.credential_username)
    .bind(credential_secret)
    .bind(&input.branch_filter)
    .bind(&input.ref_patterns)
    .bind(input.project_keys.join(","))
    .bind(i64::from(input.enabled))
    .bind(now_ms())
    .bind(id.0)
    .bind(&before.clone_url)
    .execute(&mut *tx)
    .await
    .map_err(duplicate)?
    .rows_affected();
    if written == 0 {
        drop(tx);
        get(db, id).await?;
        return Err(CoreError::Conflict(
            "the repository was changed meanwhile; load it again and repeat the change".into(),
        ));
    }
    let mut changes = audited(input);
    if moved {
        changes.set(
            "credential",
            &"cleared: the clone URL moved to another scheme, host or port",
        );
    }
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "repository.update",
            object_kind: "repository",
            object_id: id.to_string(),
            object_label: before.name.clone(),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

/// A new webhook secret (the old one stops working at once).
pub async fn rotate_webhook_secret(
    db: &Db,
    actor: &Actor,
    id: RepositoryId,
) -> CoreResult<Repository> {
    let before = get(db, id).await?;
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE vcs_repositories SET webhook_secret = $1, updated_at = $2 WHERE id = $3")
        .bind(random_token())
        .bind(now_ms())
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    let mut changes = Changes::new();
    changes.set("webhook_secret", &"replaced");
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "repository.rotate_secret",
            object_kind: "repository",
            object_id: id.to_string(),
            object_label: before.name,
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

/// Removes a repository with its deliveries, commits and references. Links already made in
/// the tracker stay there: they are the tasks' history.
pub async fn delete(db: &Db, actor: &Actor, id: RepositoryId) -> CoreResult<()> {
    let before = get(db, id).await?;
    let mut tx = db.begin().await?;
    // vcs_refs cascades from vcs_commits; deleted first anyway so the order does not
    // depend on how each backend orders cascades.
    for statement in [
        "DELETE FROM vcs_refs WHERE repository_id = $1",
        "DELETE FROM vcs_commits WHERE repository_id = $1",
        "DELETE FROM vcs_deliveries WHERE repository_id = $1",
        "DELETE FROM vcs_heads WHERE repository_id = $1",
        "DELETE FROM vcs_repositories WHERE id = $1",
    ] {
        sqlx::query(statement).bind(id.0).execute(&mut *tx).await?;
    }
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "repository.delete",
            object_kind: "repository",
            object_id: id.to_string(),
            object_label: before.name,
            changes: Changes::new(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn get(db: &Db, id: RepositoryId) -> CoreResult<Repository> {
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM vcs_repositories WHERE id = $1"
    )))
    .bind(id.0)
    .fetch_optional(db.pool())
    .await?
    .ok_or(CoreError::NotFound("repository"))?
    .try_into()
}

pub async fn list(db: &Db) -> CoreResult<Vec<Repository>> {
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM vcs_repositories ORDER BY name"
    )))
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(Repository::try_from)
    .collect()
}

/// The repository a webhook of `forge` is for, by the forge key of its web address.
pub async fn find_by_forge_key(
    db: &Db,
    forge: RepoForge,
    forge_key: &str,
) -> CoreResult<Option<Repository>> {
    sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM vcs_repositories WHERE forge = $1 AND forge_key = $2"
    )))
    .bind(forge.as_str())
    .bind(forge_key)
    .fetch_optional(db.pool())
    .await?
    .map(Repository::try_from)
    .transpose()
}

/// Remembers how the last sweep of `id` went.
pub async fn record_sweep(
    db: &Db,
    id: RepositoryId,
    error: Option<&str>,
    commits: i64,
) -> CoreResult<()> {
    sqlx::query(
        "UPDATE vcs_repositories SET last_sweep_at = $1, last_sweep_status = $2, last_sweep_error = $3, \
         last_sweep_commits = $4 WHERE id = $5",
    )
    .bind(now_ms())
    .bind(if error.is_some() { "failed" } else { "ok" })
    .bind(error.unwrap_or(""))
    .bind(commits)
    .bind(id.0)
    .execute(db.pool())
    .await?;
    Ok(())
}
