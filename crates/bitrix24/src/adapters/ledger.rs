//! What Shtab already did on the portal, so a webhook, a sweep, a redelivery, a rebased copy,
//! a second hub and a retry act once: one comment per (task, change), one time entry per
//! (task, source). The portal cannot be asked (the new task card has no comment list), so
//! the hub keeps this in its database.
//!
//! An entry is claimed BEFORE the portal is called and finished after it answered: two hubs
//! or two jobs racing for the same key see the other's claim and post nothing. When the
//! portal refused (an error answer: it did nothing), the claim is released and the job's
//! retry posts. When the outcome is unknown (the connection broke after sending, or the
//! process died between the call and the record) the claim stays `pending`: Shtab prefers
//! a missing comment to a duplicate, and the pending entry shows what to check by hand.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use shtab_core::error::CoreResult;

#[async_trait]
pub trait Ledger: Send + Sync {
    /// Claims `key` on `task_id`: true when this caller may act, false when it was done or
    /// is being done (or its outcome is unknown).
    async fn claim(&self, task_id: &str, key: &str) -> CoreResult<bool>;
    /// Records that the claimed action was done, with the portal's id (0 when it gave none).
    async fn finish(&self, task_id: &str, key: &str, portal_id: u64) -> CoreResult<()>;
    /// Gives a claim back: the portal refused, nothing happened, a retry may act.
    async fn release(&self, task_id: &str, key: &str) -> CoreResult<()>;
}

/// A ledger in memory, for tests: `None` while claimed, the portal's id once finished.
#[derive(Default)]
pub struct MemoryLedger(Mutex<HashMap<(String, String), Option<u64>>>);

impl MemoryLedger {
    /// Finished entries.
    pub fn entries(&self) -> usize {
        self.0
            .lock()
            .expect("ledger lock")
            .values()
            .filter(|v| v.is_some())
            .count()
    }
}

fn key(task_id: &str, key: &str) -> (String, String) {
    (task_id.to_owned(), key.to_owned())
}

#[async_trait]
impl Ledger for MemoryLedger {
    async fn claim(&self, task_id: &str, k: &str) -> CoreResult<bool> {
        let mut map = self.0.lock().expect("ledger lock");
        if map.contains_key(&key(task_id, k)) {
            return Ok(false);
        }
        map.insert(key(task_id, k), None);
        Ok(true)
    }

    async fn finish(&self, task_id: &str, k: &str, portal_id: u64) -> CoreResult<()> {
        self.0
            .lock()
            .expect("ledger lock")
            .insert(key(task_id, k), Some(portal_id));
        Ok(())
    }

    async fn release(&self, task_id: &str, k: &str) -> CoreResult<()> {
        let mut map = self.0.lock().expect("ledger lock");
        if map.get(&key(task_id, k)) == Some(&None) {
            map.remove(&key(task_id, k));
        }
        Ok(())
    }
}
