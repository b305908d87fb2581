//! The [`Tracker`] port over our own task tables.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::commits::{self, Attached};
use super::domain::{Task, TaskKey, TaskStatus};
use super::{comments, store, time};
use crate::audit::{self, Actor, Changes, Event};
use crate::db::{Db, Tx};
use crate::error::{CoreError, CoreResult};
use crate::ids::{PersonId, TaskId};
use crate::ports::{self, CommitLink, TimeEntry, Tracker};
use crate::time::now_ms;

/// How many commits one audit entry names; a back-fill can attach thousands to a task at
/// once, and the entry says how many there were.
const AUDITED_SHAS: usize = 50;

/// The built-in tracker: tasks in our own tables, shown at `/tasks/{id}`.
///
/// The port's calls carry no actor: they come from robots (the `vcs` linker acting on a
/// commit), not from a person at a page. So they are audited as the robot `tracker`, and
/// each entry names what caused it (the commit, the time entry's source) in its changes.
#[derive(Clone)]
pub struct BuiltinTracker {
    db: Db,
}

impl BuiltinTracker {
    pub fn new(db: Db) -> Self {
        BuiltinTracker { db }
    }

    fn actor() -> Actor {
        Actor::robot("tracker")
    }
}

/// The port's task id is our number; anything else names no task of ours.
fn task_id(id: &str) -> CoreResult<TaskId> {
    id.trim()
        .parse::<i64>()
        .map(TaskId)
        .map_err(|_| CoreError::NotFound("task"))
}

fn as_port_task(t: &Task) -> ports::Task {
    ports::Task {
        id: t.id.to_string(),
        reference: t.reference(),
        title: t.title.clone(),
        url: Some(format!("/tasks/{}", t.id)),
        closed: t.status == TaskStatus::Closed,
        status: t.status.as_str().to_string(),
        responsible: t.assignee_id,
    }
}

/// The task's title, for audit entries; also makes sure it exists.
async fn label(tx: &mut Tx, id: TaskId) -> CoreResult<String> {
    sqlx::query_scalar("SELECT title FROM tasks WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(CoreError::NotFound("task"))
}

fn short(link: &CommitLink) -> String {
    let sha: String = link.sha.chars().take(12).collect();
    format!("{}@{sha}", link.repository)
}

/// What one batch did to one task.
#[derive(Default)]
struct Attachments {
    label: String,
    new: Vec<String>,
    updated: Vec<String>,
}

async fn audit(
    tx: &mut Tx,
    action: &str,
    id: TaskId,
    label: String,
    changes: Changes,
) -> CoreResult<()> {
    audit::record(
        tx,
        &BuiltinTracker::actor(),
        Event {
            action,
            object_kind: "task",
            object_id: id.to_string(),
            object_label: label,
            changes,
        },
    )
    .await
}

/// Of `references`, those that may name an existing task: one query for the numbers and
/// one for the keys, so the many references naming nothing cost nothing more.
async fn existing(db: &Db, references: &[String]) -> CoreResult<Vec<String>> {
    let mut numbers: Vec<(i64, &String)> = Vec::new();
    let mut keys: Vec<(String, &String)> = Vec::new();
    for r in references {
        let text = r.trim();
        let number = text.strip_prefix('#').unwrap_or(text);
        if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) {
            if let Ok(n) = number.parse::<i64>() {
                numbers.push((n, r));
            }
        } else {
            keys.push((text.to_uppercase(), r));
        }
    }
    let mut hits = std::collections::HashSet::new();
    for chunk in numbers.chunks(500) {
        let sql = format!(
            "SELECT id FROM tasks WHERE id IN ({})",
            (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
        for (n, _) in chunk {
            q = q.bind(*n);
        }
        hits.extend(
            q.fetch_all(db.pool())
                .await?
                .into_iter()
                .map(|id| id.to_string()),
        );
    }
    for chunk in keys.chunks(500) {
        let sql = format!(
            "SELECT key FROM tasks WHERE key IN ({})",
            (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for (k, _) in chunk {
            q = q.bind(k.clone());
        }
        hits.extend(q.fetch_all(db.pool()).await?);
    }
    let numbered = numbers
        .into_iter()
        .filter(|(n, _)| hits.contains(&n.to_string()))
        .map(|(_, r)| r.clone());
    let keyed = keys
        .into_iter()
        .filter(|(k, _)| hits.contains(k))
        .map(|(_, r)| r.clone());
    Ok(numbered.chain(keyed).collect())
}

#[async_trait]
impl Tracker for BuiltinTracker {
    async fn find_tasks(
        &self,
        references: &[String],
    ) -> CoreResult<std::collections::HashMap<String, ports::Task>> {
        let mut found = std::collections::HashMap::new();
        for reference in existing(&self.db, references).await? {
            if let Some(task) = self.find_task(&reference).await? {
                found.insert(reference, task);
            }
        }
        Ok(found)
    }

    /// `123` (or `#123`) is task 123; `WEB-12`, in any case, is the task with that key.
    async fn find_task(&self, reference: &str) -> CoreResult<Option<ports::Task>> {
        let reference = reference.trim();
        let number = reference.strip_prefix('#').unwrap_or(reference);
        let task = if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) {
            match number.parse::<i64>() {
                Ok(id) => match store::get(&self.db, TaskId(id)).await {
                    Ok(t) => Some(t),
                    Err(CoreError::NotFound(_)) => None,
                    Err(e) => return Err(e),
                },
                // More digits than any id has.
                Err(_) => None,
            }
        } else {
            match TaskKey::parse("reference", reference) {
                Ok(key) => store::find_by_key(&self.db, &key).await?,
                Err(_) => None,
            }
        };
        Ok(task.as_ref().map(as_port_task))
    }

    async fn link_commit(&self, task_id: &str, commit: &CommitLink) -> CoreResult<()> {
        self.link_commits(&[(task_id.to_string(), commit.clone())])
            .await
    }

    /// All in one transaction, with one audit entry per task: the sweep's back-fill sends
    /// thousands at once.
    async fn link_commits(&self, links: &[(String, CommitLink)]) -> CoreResult<()> {
        if links.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        let mut done: BTreeMap<TaskId, Attachments> = BTreeMap::new();
        for (task, link) in links {
            let id = task_id(task)?;
            if let std::collections::btree_map::Entry::Vacant(slot) = done.entry(id) {
                slot.insert(Attachments {
                    label: label(&mut tx, id).await?,
                    ..Attachments::default()
                });
            }
            let what = commits::attach(&mut tx, self.db.backend(), id, link).await?;
            let entry = done.get_mut(&id).expect("inserted above");
            match what {
                Attached::New => entry.new.push(short(link)),
                Attached::Updated => entry.updated.push(short(link)),
                Attached::Unchanged => {}
            }
        }
        for (id, a) in done {
            if a.new.is_empty() && a.updated.is_empty() {
                continue;
            }
            let mut changes = Changes::new();
            for (field, list) in [("commits_linked", &a.new), ("commits_updated", &a.updated)] {
                if !list.is_empty() {
                    changes.set(field, &list.iter().take(AUDITED_SHAS).collect::<Vec<_>>());
                    changes.set(&format!("{field}_count"), &list.len());
                }
            }
            audit(&mut tx, "task.link_commits", id, a.label, changes).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn comment(&self, task_id: &str, author: Option<PersonId>, text: &str) -> CoreResult<()> {
        let id = self::task_id(task_id)?;
        let mut tx = self.db.begin().await?;
        let label = label(&mut tx, id).await?;
        let comment = comments::add(&mut tx, id, author, text).await?;
        let mut changes = Changes::new();
        changes
            .set("comment_id", &comment)
            .set("author_id", &author);
        audit(&mut tx, "task.comment", id, label, changes).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn close_task(&self, task_id: &str, by: Option<PersonId>, note: &str) -> CoreResult<()> {
        let id = self::task_id(task_id)?;
        let mut tx = self.db.begin().await?;
        let task = store::get_in(&mut tx, id).await?;
        let now = now_ms();
        // The status is checked in the statement, so two robots closing at once change it
        // once.
        let closed = sqlx::query(
            "UPDATE tasks SET status = 'closed', closed_at = $1, updated_at = $1 WHERE id = $2 AND status <> 'closed'",
        )
        .bind(now)
        .bind(id.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if closed == 0 {
            tx.commit().await?;
            return Ok(());
        }
        if !note.trim().is_empty() {
            comments::add(&mut tx, id, by, note).await?;
        }
        let mut changes = Changes::new();
        changes
            .diff("status", &task.status, &TaskStatus::Closed)
            .set("by", &by)
            .set("note", &note.trim());
        audit(&mut tx, "task.close", id, task.title, changes).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn log_time(&self, task_id: &str, entry: &TimeEntry) -> CoreResult<()> {
        let id = self::task_id(task_id)?;
        let mut tx = self.db.begin().await?;
        let label = label(&mut tx, id).await?;
        if time::log(&mut tx, id, entry).await? {
            let mut changes = Changes::new();
            changes
                .set("person_id", &entry.person)
                .set("minutes", &entry.minutes)
                .set("source", &entry.source.trim());
            audit(&mut tx, "task.log_time", id, label, changes).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
