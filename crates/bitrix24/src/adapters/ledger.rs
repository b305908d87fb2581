//! What Shtab already did on the portal, so a webhook, a sweep, a redelivery, a rebased copy
//! and a retry after a crash act once: one comment per (task, change), one time entry per
//! (task, source). The portal cannot be asked (the new task card has no comment list), so
//! the hub keeps this in its database.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use shtab_core::error::CoreResult;

#[async_trait]
pub trait Ledger: Send + Sync {
    /// The portal's id for what was done under `key` on `task_id` (0 when the portal gave
    /// none), or none if it was not done.
    async fn done(&self, task_id: &str, key: &str) -> CoreResult<Option<u64>>;
    /// Records that it was done. Recording the same key again keeps the first record.
    async fn record(&self, task_id: &str, key: &str, portal_id: u64) -> CoreResult<()>;
}

/// A ledger in memory, for tests.
#[derive(Default)]
pub struct MemoryLedger(Mutex<HashMap<(String, String), u64>>);

impl MemoryLedger {
    pub fn entries(&self) -> usize {
        self.0.lock().expect("ledger lock").len()
    }
}

#[async_trait]
impl Ledger for MemoryLedger {
    async fn done(&self, task_id: &str, key: &str) -> CoreResult<Option<u64>> {
        Ok(self
            .0
            .lock()
            .expect("ledger lock")
            .get(&(task_id.to_owned(), key.to_owned()))
            .copied())
    }

    async fn record(&self, task_id: &str, key: &str, portal_id: u64) -> CoreResult<()> {
        self.0
            .lock()
            .expect("ledger lock")
            .entry((task_id.to_owned(), key.to_owned()))
            .or_insert(portal_id);
        Ok(())
    }
}
