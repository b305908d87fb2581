//! The `tasks` table: creating, reading, listing and changing tasks.

use sqlx::AssertSqlSafe;

use super::domain::{Task, TaskChange, TaskInput, TaskKey, TaskStatus, TaskSummary, search_text};
use super::job::TaskCreated;
use crate::audit::{self, Actor, Changes, Event};
use crate::db::{Db, Row, Tx, can_match, like_pattern, values};
use crate::error::{CoreError, CoreResult, unique_violation_as};
use crate::ids::{PersonId, TaskId};
use crate::jobs;
use crate::time::now_ms;

const KEY_TAKEN: &str = "another task has this key";

/// Creates a task and queues [`TaskCreated`] in the same transaction, so whoever reacts to
/// new tasks hears of every one and of nothing that was rolled back.
pub async fn create(db: &Db, actor: &Actor, input: &TaskInput) -> CoreResult<Task> {
    let mut tx = db.begin().await?;
    if let Some(key) = &input.key {
        check_key_free(&mut tx, None, key).await?;
    }
    if let Some(a) = input.assignee_id {
        check_assignee(&mut tx, a).await?;
    }
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tasks (key, title, description, status, assignee_id, search_text, created_at, updated_at) \
         VALUES ($1, $2, $3, 'open', $4, $5, $6, $6) RETURNING id",
    )
    .bind(input.key.as_ref().map(TaskKey::as_str))
    .bind(&input.title)
    .bind(&input.description)
    .bind(input.assignee_id.map(|a| a.0))
    .bind(search_text(input.key.as_ref(), &input.title))
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    // Two requests with the same new key at once: the loser hears it like the form would.
    .map_err(|e| unique_violation_as(e, "key", "duplicate_task_key", KEY_TAKEN))?;
    let id = TaskId(id);

    let mut changes = Changes::new();
    changes
        .set("title", &input.title)
        .set("key", &input.key)
        .set("assignee_id", &input.assignee_id);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "task.create",
            object_kind: "task",
            object_id: id.to_string(),
            object_label: input.title.clone(),
            changes,
        },
    )
    .await?;
    jobs::enqueue_in(&mut tx, &TaskCreated { task_id: id }, None).await?;
    tx.commit().await?;
    get(db, id).await
}

/// Applies `change`; a change that changes nothing writes nothing (no audit entry either).
pub async fn update(db: &Db, actor: &Actor, id: TaskId, change: &TaskChange) -> CoreResult<Task> {
    let mut tx = db.begin().await?;
    let before = get_in(&mut tx, id).await?;
    let title = change.title.clone().unwrap_or_else(|| before.title.clone());
    let description = change
        .description
        .clone()
        .unwrap_or_else(|| before.description.clone());
    let status = change.status.unwrap_or(before.status);
    let assignee = change.assignee_id.unwrap_or(before.assignee_id);
    if let Some(a) = assignee.filter(|a| Some(*a) != before.assignee_id) {
        check_assignee(&mut tx, a).await?;
    }

    let mut changes = Changes::new();
    changes
        .diff("title", &before.title, &title)
        .diff("description", &before.description, &description)
        .diff("status", &before.status, &status)
        .diff("assignee_id", &before.assignee_id, &assignee);
    if changes.is_empty() {
        tx.commit().await?;
        return Ok(before);
    }
    let now = now_ms();
    // Reopening forgets when it was closed; closing again records the new moment.
    let closed_at = match (before.status, status) {
        (_, TaskStatus::Closed) if before.status != TaskStatus::Closed => Some(now),
        (_, TaskStatus::Closed) => before.closed_at,
        _ => None,
    };
    sqlx::query(
        "UPDATE tasks SET title = $1, description = $2, status = $3, assignee_id = $4, search_text = $5, \
         updated_at = $6, closed_at = $7 WHERE id = $8",
    )
    .bind(&title)
    .bind(&description)
    .bind(status.as_str())
    .bind(assignee.map(|a| a.0))
    .bind(search_text(before.key.as_ref(), &title))
    .bind(now)
    .bind(closed_at)
    .bind(id.0)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "task.update",
            object_kind: "task",
            object_id: id.to_string(),
            object_label: title,
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

const SELECT_TASK: &str = "SELECT t.id, t.key, t.title, t.description, t.status, t.assignee_id, p.full_name AS assignee_name, \
            t.created_at, t.updated_at, t.closed_at \
     FROM tasks t LEFT JOIN people p ON p.id = t.assignee_id";

fn task_from_row(row: &crate::db::AnyRow) -> Result<Task, sqlx::Error> {
    Ok(Task {
        id: TaskId(row.try_get("id")?),
        key: row
            .try_get::<Option<String>, _>("key")?
            .map(TaskKey::from_stored),
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        status: TaskStatus::parse(&row.try_get::<String, _>("status")?).unwrap_or(TaskStatus::Open),
        assignee_id: row.try_get::<Option<i64>, _>("assignee_id")?.map(PersonId),
        assignee_name: row.try_get("assignee_name")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        closed_at: row.try_get("closed_at")?,
    })
}

pub async fn get(db: &Db, id: TaskId) -> CoreResult<Task> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT_TASK} WHERE t.id = $1")))
        .bind(id.0)
        .fetch_optional(db.pool())
        .await?
        .ok_or(CoreError::NotFound("task"))?;
    Ok(task_from_row(&row)?)
}

/// [`get`] inside a transaction (whose writes it sees).
pub(super) async fn get_in(tx: &mut Tx, id: TaskId) -> CoreResult<Task> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT_TASK} WHERE t.id = $1")))
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(CoreError::NotFound("task"))?;
    Ok(task_from_row(&row)?)
}

/// The tasks with these ids and those with these keys, in one statement per few hundred;
/// ids and keys that name no task are left out.
pub async fn get_many(db: &Db, ids: &[TaskId], keys: &[TaskKey]) -> CoreResult<Vec<Task>> {
    let mut tasks = Vec::new();
    for chunk in ids.chunks(values::rows_per_statement(1)) {
        let sql = format!(
            "{SELECT_TASK} WHERE t.id IN {}",
            values::placeholders(1, chunk.len(), 1)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.0);
        }
        for row in q.fetch_all(db.pool()).await? {
            tasks.push(task_from_row(&row)?);
        }
    }
    for chunk in keys.chunks(values::rows_per_statement(1)) {
        let sql = format!(
            "{SELECT_TASK} WHERE t.key IN {}",
            values::placeholders(1, chunk.len(), 1)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for key in chunk {
            q = q.bind(key.as_str());
        }
        for row in q.fetch_all(db.pool()).await? {
            tasks.push(task_from_row(&row)?);
        }
    }
    Ok(tasks)
}

/// The task carried over from an old tracker under `key`.
pub async fn find_by_key(db: &Db, key: &TaskKey) -> CoreResult<Option<Task>> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT_TASK} WHERE t.key = $1")))
        .bind(key.as_str())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.as_ref().map(task_from_row).transpose()?)
}

/// The task list's filter: a search text, a status and an assignee, paged by offset.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Looks through keys and titles; `12` or `#12` also finds task 12.
    pub q: Option<String>,
    pub status: Option<TaskStatus>,
    /// Only tasks not closed (open and in progress); combines with `status`.
    pub unfinished: bool,
    pub assignee_id: Option<PersonId>,
    pub offset: i64,
    pub limit: i64,
}

pub type ListPage = crate::db::ListPage<TaskSummary>;

/// Newest first.
pub async fn list(db: &Db, filter: &ListFilter) -> CoreResult<ListPage> {
    let limit = if filter.limit <= 0 {
        50
    } else {
        filter.limit.min(500)
    };
    let offset = filter.offset.max(0);
    let q = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| !can_match(q)) {
        return Ok(ListPage::empty(offset, limit));
    }
    let number: Option<i64> = q.and_then(|q| q.strip_prefix('#').unwrap_or(q).parse().ok());
    let q = q.map(like_pattern);
    let status = filter.status.map(TaskStatus::as_str);
    let unfinished = i64::from(filter.unfinished);
    let assignee = filter.assignee_id.map(|a| a.0);
    // Every condition is always present and switched off by a NULL (or 0) parameter, so
    // one statement serves every combination.
    let condition = "($1 IS NULL OR t.search_text LIKE $1 ESCAPE '\\' OR t.id = $2) \
         AND ($3 IS NULL OR t.status = $3) AND ($4 = 0 OR t.status <> 'closed') \
         AND ($5 IS NULL OR t.assignee_id = $5)";
    let total: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM tasks t WHERE {condition}"
    )))
    .bind(&q)
    .bind(number)
    .bind(status)
    .bind(unfinished)
    .bind(assignee)
    .fetch_one(db.pool())
    .await?;
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT t.id, t.key, t.title, t.status, t.assignee_id, p.full_name AS assignee_name, t.updated_at \
         FROM tasks t LEFT JOIN people p ON p.id = t.assignee_id \
         WHERE {condition} ORDER BY t.id DESC LIMIT $6 OFFSET $7"
    )))
    .bind(&q)
    .bind(number)
    .bind(status)
    .bind(unfinished)
    .bind(assignee)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    let items = rows
        .into_iter()
        .map(|r| {
            Ok(TaskSummary {
                id: TaskId(r.try_get("id")?),
                key: r
                    .try_get::<Option<String>, _>("key")?
                    .map(TaskKey::from_stored),
                title: r.try_get("title")?,
                status: TaskStatus::parse(&r.try_get::<String, _>("status")?)
                    .unwrap_or(TaskStatus::Open),
                assignee_id: r.try_get::<Option<i64>, _>("assignee_id")?.map(PersonId),
                assignee_name: r.try_get("assignee_name")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(ListPage {
        items,
        total,
        offset,
        limit,
    })
}

/// Names the task that has the key already, so the form can say which.
async fn check_key_free(tx: &mut Tx, me: Option<TaskId>, key: &TaskKey) -> CoreResult<()> {
    let owner: Option<i64> = sqlx::query_scalar("SELECT id FROM tasks WHERE key = $1")
        .bind(key.as_str())
        .fetch_optional(&mut **tx)
        .await?;
    match owner.filter(|o| Some(TaskId(*o)) != me) {
        Some(other) => Err(CoreError::field(
            "key",
            "duplicate_task_key",
            format!("{key} is already the key of task #{other}"),
        )),
        None => Ok(()),
    }
}

async fn check_assignee(tx: &mut Tx, person: PersonId) -> CoreResult<()> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE id = $1")
        .bind(person.0)
        .fetch_optional(&mut **tx)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(CoreError::field(
            "assignee_id",
            "not_found",
            format!("there is no person #{person}"),
        )),
    }
}
