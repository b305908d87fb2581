//! [`TaskCopies`] over table `bitrix24_tasks`.

use async_trait::async_trait;
use shtab_core::db::Db;
use shtab_core::error::CoreResult;

use crate::adapters::copies::{TaskCopies, TaskCopy};

pub struct StoredCopies(pub Db);

/// A stored number back as the portal's id.
fn id(n: Option<i64>) -> Option<u64> {
    n.and_then(|n| u64::try_from(n).ok())
}

#[async_trait]
impl TaskCopies for StoredCopies {
    async fn get(&self, task: u64) -> CoreResult<Option<TaskCopy>> {
        let row: Option<(String, Option<i64>, Option<i64>, i64)> = sqlx::query_as(
            "SELECT title, status, responsible_user, read_at FROM bitrix24_tasks WHERE task_id = $1",
        )
        .bind(task as i64)
        .fetch_optional(self.0.pool())
        .await?;
        Ok(row.map(|(title, status, responsible, read_at)| TaskCopy {
            id: task,
            title,
            status: id(status),
            responsible: id(responsible),
            read_at,
        }))
    }

    async fn put(&self, copies: &[TaskCopy]) -> CoreResult<()> {
        if copies.is_empty() {
            return Ok(());
        }
        let mut tx = self.0.begin().await?;
        for c in copies {
            // An older read (a slow page) never replaces a newer one (an event's).
            sqlx::query(
                "INSERT INTO bitrix24_tasks (task_id, title, status, responsible_user, read_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (task_id) DO UPDATE SET title = excluded.title, status = excluded.status, \
                 responsible_user = excluded.responsible_user, read_at = excluded.read_at \
                 WHERE bitrix24_tasks.read_at <= excluded.read_at",
            )
            .bind(c.id as i64)
            .bind(&c.title)
            .bind(c.status.map(|s| s as i64))
            .bind(c.responsible.map(|r| r as i64))
            .bind(c.read_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn forget(&self, task: u64) -> CoreResult<()> {
        sqlx::query("DELETE FROM bitrix24_tasks WHERE task_id = $1")
            .bind(task as i64)
            .execute(self.0.pool())
            .await?;
        Ok(())
    }
}
