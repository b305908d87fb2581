//! The [`Tracker`] port over our own task tables.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::commits::{self, Attached};
use super::domain::{Task, TaskKey, TaskStatus};
use super::{comments, store, time};
use crate::audit::{self, Actor, Changes, Event};
use crate::db::{Db, Tx, values};
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

/// [`label`] for many tasks at once; fails if any of them does not exist.
async fn labels(tx: &mut Tx, ids: &[TaskId]) -> CoreResult<BTreeMap<TaskId, String>> {
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut found = BTreeMap::new();
    for chunk in unique.chunks(values::rows_per_statement(1)) {
        let sql = format!(
            "SELECT id, title FROM tasks WHERE id IN {}",
            values::placeholders(1, chunk.len(), 1)
        );
        let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.0);
        }
        found.extend(
            q.fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(|(id, title)| (TaskId(id), title)),
        );
    }
    if found.len() < unique.len() {
        return Err(CoreError::NotFound("task"));
    }
    Ok(found)
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

fn task_event(action: &str, id: TaskId, label: String, changes: Changes) -> Event<'_> {
    Event {
        action,
        object_kind: "task",
        object_id: id.to_string(),
        object_label: label,
        changes,
    }
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
        task_event(action, id, label, changes),
    )
    .await
}

/// What a reference names: `123` (or `#123`) is task 123; `WEB-12`, in any case, is the
/// task with that key; anything else names none of ours.
enum Named {
    Id(TaskId),
    Key(TaskKey),
}

fn named(reference: &str) -> Option<Named> {
    let reference = reference.trim();
    let number = reference.strip_prefix('#').unwrap_or(reference);
    if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) {
        // More digits than any id has names nothing.
        number.parse::<i64>().ok().map(|id| Named::Id(TaskId(id)))
    } else {
        TaskKey::parse("reference", reference).ok().map(Named::Key)
    }
}

#[async_trait]
impl Tracker for BuiltinTracker {
    /// Every reference in two statements (one for ids, one for keys) however many there
    /// are: a push names a task in each of its commits.
    async fn find_tasks(
        &self,
        references: &[String],
    ) -> CoreResult<std::collections::HashMap<String, ports::Task>> {
        let names: Vec<(&String, Named)> = references
            .iter()
            .filter_map(|r| named(r).map(|n| (r, n)))
            .collect();
        let mut ids = Vec::new();
        let mut keys = Vec::new();
        for (_, name) in &names {
            match name {
                Named::Id(id) => ids.push(*id),
                Named::Key(key) => keys.push(key.clone()),
            }
        }
        let tasks = store::get_many(&self.db, &ids, &keys).await?;
        let by_id: std::collections::HashMap<TaskId, &Task> =
            tasks.iter().map(|t| (t.id, t)).collect();
        let by_key: std::collections::HashMap<&str, &Task> = tasks
            .iter()
            .filter_map(|t| t.key.as_ref().map(|k| (k.as_str(), t)))
            .collect();
        Ok(names
            .into_iter()
            .filter_map(|(reference, name)| {
                let task = match &name {
                    Named::Id(id) => by_id.get(id),
                    Named::Key(key) => by_key.get(key.as_str()),
                };
                task.map(|t| (reference.clone(), as_port_task(t)))
            })
            .collect())
    }

    async fn find_task(&self, reference: &str) -> CoreResult<Option<ports::Task>> {
        Ok(self
            .find_tasks(&[reference.to_string()])
            .await?
            .remove(reference))
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
        let mut ids = Vec::with_capacity(links.len());
        for (task, _) in links {
            ids.push(task_id(task)?);
        }
        let mut tx = self.db.begin().await?;
        let mut labels = labels(&mut tx, &ids).await?;
        let pairs: Vec<(TaskId, &CommitLink)> = ids
            .iter()
            .copied()
            .zip(links.iter().map(|(_, l)| l))
            .collect();
        let outcomes = commits::attach_many(&mut tx, self.db.backend(), &pairs).await?;
        let mut done: BTreeMap<TaskId, Attachments> = BTreeMap::new();
        for ((id, link), what) in pairs.into_iter().zip(outcomes) {
            let entry = done.entry(id).or_insert_with(|| Attachments {
                label: labels.remove(&id).unwrap_or_default(),
                ..Attachments::default()
            });
            match what {
                Attached::New => entry.new.push(short(link)),
                Attached::Updated => entry.updated.push(short(link)),
                Attached::Unchanged => {}
            }
        }
        let mut events = Vec::new();
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
            events.push(task_event("task.link_commits", id, a.label, changes));
        }
        audit::record_many(&mut tx, &BuiltinTracker::actor(), events).await?;
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
