//! What Shtab last read of portal tasks, so a task page does not ask the portal on every view:
//! written whenever the tracker reads a task anyway, dropped when the portal's event says a
//! task changed (the next page reads it again), and trusted only for a while in any case (an
//! event can be lost). Linking never reads it.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use shtab_core::error::CoreResult;

/// A portal task as last read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCopy {
    pub id: u64,
    pub title: String,
    /// The portal's `STATUS`.
    pub status: Option<u64>,
    /// The portal's `RESPONSIBLE_ID`.
    pub responsible: Option<u64>,
    /// Unix ms.
    pub read_at: i64,
}

#[async_trait]
pub trait TaskCopies: Send + Sync {
    async fn get(&self, task: u64) -> CoreResult<Option<TaskCopy>>;
    /// Keeps `copies`, replacing older ones of the same tasks.
    async fn put(&self, copies: &[TaskCopy]) -> CoreResult<()>;
    /// The portal no longer shows the task (deleted, or hidden from the webhook's user).
    async fn forget(&self, task: u64) -> CoreResult<()>;
}

/// No copies: every page asks the portal (a tracker built without a database).
pub struct NoCopies;

#[async_trait]
impl TaskCopies for NoCopies {
    async fn get(&self, _: u64) -> CoreResult<Option<TaskCopy>> {
        Ok(None)
    }

    async fn put(&self, _: &[TaskCopy]) -> CoreResult<()> {
        Ok(())
    }

    async fn forget(&self, _: u64) -> CoreResult<()> {
        Ok(())
    }
}

/// Copies in memory: tests.
#[derive(Default)]
pub struct MemoryCopies(Mutex<HashMap<u64, TaskCopy>>);

impl MemoryCopies {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, TaskCopy>> {
        self.0.lock().expect("copies lock")
    }
}

#[async_trait]
impl TaskCopies for MemoryCopies {
    async fn get(&self, task: u64) -> CoreResult<Option<TaskCopy>> {
        Ok(self.lock().get(&task).cloned())
    }

    async fn put(&self, copies: &[TaskCopy]) -> CoreResult<()> {
        let mut all = self.lock();
        for c in copies {
            all.insert(c.id, c.clone());
        }
        Ok(())
    }

    async fn forget(&self, task: u64) -> CoreResult<()> {
        self.lock().remove(&task);
        Ok(())
    }
}
