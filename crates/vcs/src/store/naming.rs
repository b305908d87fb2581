//! The commits that name one task, for the task pages of a tracker that keeps no copy of its
//! own in Shtab (the portal's tasks): [`TaskCommits`] over the references the linker stored.

use async_trait::async_trait;
use shtab_core::db::{Db, FromRow};
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::ports::{NamingCommit, TaskCommits};
use shtab_core::tasks::TaskCommit;

use crate::domain::repository::RepoForge;

#[derive(FromRow)]
struct Row {
    repository: String,
    forge: String,
    web_url: String,
    sha: String,
    change_key: String,
    message: String,
    person_id: Option<i64>,
    person_name: Option<String>,
    author_name: String,
    author_email: String,
    authored_at: i64,
    committed_at: i64,
    branches: String,
    linked_at: Option<i64>,
    first_seen_at: i64,
    task_id: Option<String>,
}

/// [`TaskCommits`] over `vcs_refs` and `vcs_commits`.
#[derive(Clone)]
pub struct StoredTaskCommits(pub Db);

#[async_trait]
impl TaskCommits for StoredTaskCommits {
    async fn naming(&self, task_id: &str) -> CoreResult<Vec<NamingCommit>> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT p.name AS repository, p.forge, p.web_url, r.sha, c.change_key, c.message, \
                    c.person_id, pe.full_name AS person_name, c.author_name, c.author_email, \
                    c.authored_at, c.committed_at, c.branches, r.linked_at, c.first_seen_at, r.task_id \
             FROM vcs_refs r \
             JOIN vcs_commits c ON c.repository_id = r.repository_id AND c.sha = r.sha \
             JOIN vcs_repositories p ON p.id = r.repository_id \
             LEFT JOIN people pe ON pe.id = c.person_id \
             WHERE r.task_id = $1 OR (r.task_id IS NULL AND r.reference = $1) \
             ORDER BY c.committed_at, c.authored_at, p.name, r.sha",
        )
        .bind(task_id)
        .fetch_all(self.0.pool())
        .await?;
        let mut commits: Vec<NamingCommit> = Vec::with_capacity(rows.len());
        for r in rows {
            // Two references of one commit may both name the task (`#101` linked, `101`
            // waiting for a moment): the commit is listed once, linked if either is.
            let linked = r.task_id.is_some();
            if let Some(same) = commits
                .iter_mut()
                .find(|c| c.commit.repository == r.repository && c.commit.sha == r.sha)
            {
                same.linked |= linked;
                continue;
            }
            let url = RepoForge::parse(&r.forge).and_then(|f| f.commit_url(&r.web_url, &r.sha));
            let branches: Vec<String> = r
                .branches
                .lines()
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(str::to_string)
                .collect();
            commits.push(NamingCommit {
                commit: TaskCommit {
                    repository: r.repository,
                    unreachable: branches.is_empty(),
                    branches,
                    sha: r.sha,
                    change_key: r.change_key,
                    message: r.message,
                    author_id: r.person_id.map(PersonId),
                    author_person: r.person_name,
                    author_name: r.author_name,
                    author_email: r.author_email,
                    authored_at: r.authored_at,
                    committed_at: r.committed_at,
                    url,
                    linked_at: r.linked_at.unwrap_or(r.first_seen_at),
                },
                linked,
            });
        }
        Ok(commits)
    }
}

impl StoredTaskCommits {
    /// Minutes each commit logged on `task_id` (by sha): the `@1h30m` of the references whose
    /// commands ran there (`done`); a rebased copy of a change, or an author not allowed to,
    /// logged nothing.
    pub async fn logged_minutes(
        &self,
        task_id: &str,
    ) -> CoreResult<std::collections::HashMap<String, i64>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT sha, minutes FROM vcs_refs WHERE task_id = $1 AND minutes > 0 \
             AND commands_status = 'done'",
        )
        .bind(task_id)
        .fetch_all(self.0.pool())
        .await?;
        let mut logged = std::collections::HashMap::new();
        for (sha, minutes) in rows {
            *logged.entry(sha).or_insert(0) += minutes;
        }
        Ok(logged)
    }
}
