//! The `task_comments` table.

use super::domain::TaskComment;
use crate::db::{Db, Row, Tx};
use crate::error::{CoreError, CoreResult};
use crate::ids::{PersonId, TaskCommentId, TaskId};
use crate::time::now_ms;

/// Long enough for any note a robot or a person leaves.
const BODY_MAX: usize = 10_000;

pub(super) async fn add(
    tx: &mut Tx,
    task: TaskId,
    author: Option<PersonId>,
    body: &str,
) -> CoreResult<TaskCommentId> {
    let body = body.trim();
    if body.is_empty() {
        return Err(CoreError::field("body", "required", "is required"));
    }
    let body: String = body.chars().take(BODY_MAX).collect();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO task_comments (task_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(task.0)
    .bind(author.map(|a| a.0))
    .bind(&body)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await?;
    Ok(TaskCommentId(id))
}

/// Oldest first, as a conversation reads.
pub async fn comments(db: &Db, task: TaskId) -> CoreResult<Vec<TaskComment>> {
    super::store::get(db, task).await?;
    let rows = sqlx::query(
        "SELECT c.id, c.author_id, p.full_name, c.body, c.created_at \
         FROM task_comments c LEFT JOIN people p ON p.id = c.author_id \
         WHERE c.task_id = $1 ORDER BY c.created_at, c.id",
    )
    .bind(task.0)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(TaskComment {
                id: TaskCommentId(r.try_get("id")?),
                author_id: r.try_get::<Option<i64>, _>("author_id")?.map(PersonId),
                author_name: r.try_get("full_name")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(CoreError::from)
}
