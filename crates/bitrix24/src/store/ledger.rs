//! [`Ledger`] over table `bitrix24_ledger`: the primary key (task, key) makes a claim win
//! once across hubs, jobs and retries.

use async_trait::async_trait;
use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::time::now_ms;

use crate::adapters::Ledger;

pub struct StoredLedger(pub Db);

#[async_trait]
impl Ledger for StoredLedger {
    async fn claim(&self, task_id: &str, key: &str) -> CoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO bitrix24_ledger (task_id, action_key, state, claimed_at) \
             VALUES ($1, $2, 'pending', $3) ON CONFLICT (task_id, action_key) DO NOTHING",
        )
        .bind(task_id)
        .bind(key)
        .bind(now_ms())
        .execute(self.0.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn finish(&self, task_id: &str, key: &str, portal_id: u64) -> CoreResult<()> {
        sqlx::query(
            "UPDATE bitrix24_ledger SET state = 'done', portal_id = $3, done_at = $4 \
             WHERE task_id = $1 AND action_key = $2",
        )
        .bind(task_id)
        .bind(key)
        .bind(portal_id as i64)
        .bind(now_ms())
        .execute(self.0.pool())
        .await?;
        Ok(())
    }

    async fn release(&self, task_id: &str, key: &str) -> CoreResult<()> {
        sqlx::query(
            "DELETE FROM bitrix24_ledger \
             WHERE task_id = $1 AND action_key = $2 AND state = 'pending'",
        )
        .bind(task_id)
        .bind(key)
        .execute(self.0.pool())
        .await?;
        Ok(())
    }
}
