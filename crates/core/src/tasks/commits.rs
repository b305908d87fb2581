//! The `task_commits` table: commits attached to tasks, one row per (task, repository, sha).

use super::domain::{TaskCommit, join_branches, split_branches};
use std::collections::HashSet;

use crate::db::{Backend, Db, Row, Tx, values};
use crate::error::{CoreError, CoreResult};
use crate::ids::{PersonId, TaskId};
use crate::ports::CommitLink;
use crate::time::now_ms;

/// What attaching a commit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Attached {
    New,
    /// Known already; something about it changed (its author was mapped, another branch).
    Updated,
    Unchanged,
}

/// Only web addresses become links on the page: a `javascript:` URL from a misconfigured
/// repository must not.
fn web_url(url: Option<&str>) -> Option<String> {
    url.map(str::trim)
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .filter(|u| u.len() <= 2000 && !u.chars().any(char::is_control))
        .map(str::to_string)
}

fn check(link: &CommitLink) -> CoreResult<()> {
    if link.repository.trim().is_empty() {
        return Err(CoreError::field("repository", "required", "is required"));
    }
    let sha = &link.sha;
    if !(4..=64).contains(&sha.len()) || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(CoreError::field(
            "sha",
            "invalid_sha",
            format!("«{sha}» is not a commit hash"),
        ));
    }
    Ok(())
}

/// Attaches each link to its task (which must exist), in order, or brings a known one up to
/// date: the new ones in one multi-row statement per few hundred, then the known ones (a
/// later call about a commit, which is rarer) one by one, see [`update_known`].
pub(super) async fn attach_many(
    tx: &mut Tx,
    backend: Backend,
    links: &[(TaskId, &CommitLink)],
) -> CoreResult<Vec<Attached>> {
    for (_, link) in links {
        check(link)?;
    }
    let now = now_ms();
    let mut inserted: HashSet<(i64, String, String)> = HashSet::new();
    for chunk in links.chunks(values::rows_per_statement(13)) {
        let sql = format!(
            "INSERT INTO task_commits (task_id, repository, sha, change_key, message, author_id, author_name, \
                                       author_email, authored_at, committed_at, url, branches, linked_at) \
             VALUES {} ON CONFLICT (task_id, repository, sha) DO NOTHING RETURNING task_id, repository, sha",
            values::placeholders(chunk.len(), 13, 1)
        );
        let mut q = sqlx::query_as::<_, (i64, String, String)>(sqlx::AssertSqlSafe(sql));
        for (task, link) in chunk {
            q = q
                .bind(task.0)
                .bind(&link.repository)
                .bind(link.sha.to_ascii_lowercase())
                .bind(&link.change_key)
                .bind(&link.message)
                .bind(link.author.map(|a| a.0))
                .bind(&link.author_name)
                .bind(&link.author_email)
                .bind(link.authored_at)
                .bind(link.committed_at)
                .bind(web_url(link.url.as_deref()))
                .bind(join_branches(link.branches.iter().map(String::as_str)))
                .bind(now);
        }
        inserted.extend(q.fetch_all(&mut **tx).await?);
    }
    let mut outcomes = Vec::with_capacity(links.len());
    for (task, link) in links {
        // The first of the batch's links to a commit made its row; any later one updates it.
        let key = (
            task.0,
            link.repository.clone(),
            link.sha.to_ascii_lowercase(),
        );
        outcomes.push(if inserted.remove(&key) {
            Attached::New
        } else {
            update_known(tx, backend, *task, link).await?
        });
    }
    Ok(outcomes)
}

/// Brings the row of `link` on `task`, which exists, up to date: a later call may know the
/// author's person, their e-mail, the forge address, and which branches reach the commit
/// now. What a later call does not know (no person, no URL) never erases what an earlier
/// one did; branches are always the latest word.
async fn update_known(
    tx: &mut Tx,
    backend: Backend,
    task: TaskId,
    link: &CommitLink,
) -> CoreResult<Attached> {
    let sha = link.sha.to_ascii_lowercase();
    let url = web_url(link.url.as_deref());
    let branches = join_branches(link.branches.iter().map(String::as_str));
    // Two links of the same commit at once (a webhook and the sweep) must not each
    // undo the other's update: on PostgreSQL the second waits for the first.
    let lock = if backend == Backend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT author_id, author_name, author_email, url, branches FROM task_commits \
         WHERE task_id = $1 AND repository = $2 AND sha = $3{lock}"
    )))
    .bind(task.0)
    .bind(&link.repository)
    .bind(&sha)
    .fetch_one(&mut **tx)
    .await?;
    let old_author: Option<i64> = row.try_get("author_id")?;
    let old_name: String = row.try_get("author_name")?;
    let old_email: String = row.try_get("author_email")?;
    let old_url: Option<String> = row.try_get("url")?;
    let old_branches: String = row.try_get("branches")?;

    let author = link.author.map(|a| a.0).or(old_author);
    let name = Some(link.author_name.trim())
        .filter(|n| !n.is_empty())
        .map_or(old_name.clone(), str::to_string);
    let email = Some(link.author_email.trim())
        .filter(|e| !e.is_empty())
        .map_or(old_email.clone(), str::to_string);
    let url = url.or(old_url.clone());
    // The branches are what reaches the commit now, as the caller knows it: a branch deleted
    // or force-pushed away is dropped, and none at all means the commit left every branch.
    let old_branches = join_branches(split_branches(&old_branches).iter().map(String::as_str));
    if (author, &name, &email, &url, &branches)
        == (old_author, &old_name, &old_email, &old_url, &old_branches)
    {
        return Ok(Attached::Unchanged);
    }
    sqlx::query(
        "UPDATE task_commits SET author_id = $1, author_name = $2, author_email = $3, url = $4, branches = $5 \
         WHERE task_id = $6 AND repository = $7 AND sha = $8",
    )
    .bind(author)
    .bind(&name)
    .bind(&email)
    .bind(&url)
    .bind(&branches)
    .bind(task.0)
    .bind(&link.repository)
    .bind(&sha)
    .execute(&mut **tx)
    .await?;
    Ok(Attached::Updated)
}

/// A task's commits in the order they were made: by commit time, then author time (a
/// rebase gives a series one commit time), then hash for a stable order.
pub async fn commits(db: &Db, task: TaskId) -> CoreResult<Vec<TaskCommit>> {
    super::store::get(db, task).await?;
    let rows = sqlx::query(
        "SELECT c.repository, c.sha, c.change_key, c.message, c.author_id, p.full_name AS author_person, \
                c.author_name, c.author_email, c.authored_at, c.committed_at, c.url, c.branches, c.linked_at \
         FROM task_commits c LEFT JOIN people p ON p.id = c.author_id \
         WHERE c.task_id = $1 ORDER BY c.committed_at, c.authored_at, c.repository, c.sha",
    )
    .bind(task.0)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(TaskCommit {
                repository: r.try_get("repository")?,
                sha: r.try_get("sha")?,
                change_key: r.try_get("change_key")?,
                message: r.try_get("message")?,
                author_id: r.try_get::<Option<i64>, _>("author_id")?.map(PersonId),
                author_person: r.try_get("author_person")?,
                author_name: r.try_get("author_name")?,
                author_email: r.try_get("author_email")?,
                authored_at: r.try_get("authored_at")?,
                committed_at: r.try_get("committed_at")?,
                url: r.try_get("url")?,
                branches: split_branches(&r.try_get::<String, _>("branches")?),
                unreachable: r.try_get::<String, _>("branches")?.trim().is_empty(),
                linked_at: r.try_get("linked_at")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(CoreError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_addresses_are_kept_as_links() {
        assert_eq!(
            web_url(Some("https://git.example/c/1")).as_deref(),
            Some("https://git.example/c/1")
        );
        assert_eq!(web_url(Some("javascript:alert(1)")), None);
        assert_eq!(web_url(Some("https://a\nb")), None);
        assert_eq!(web_url(None), None);
    }
}
