//! The tracker when `systems.tasks = "bitrix24"` but the portal's settings cannot be used:
//! every call fails naming why, so linking jobs end visibly instead of writing to Shtab's own
//! tables behind the portal's back. The messenger likewise, for the `bitrix24` channel.

use async_trait::async_trait;
use shtab_core::CoreError;
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::ports::{CommitLink, Messenger, Notice, Task, TimeEntry, Tracker};

pub struct UnusableTracker(pub String);

impl UnusableTracker {
    fn refuse<T>(&self) -> CoreResult<T> {
        Err(CoreError::Internal(format!(
            "tasks live on Bitrix24, but its settings cannot be used: {}",
            self.0
        )))
    }
}

#[async_trait]
impl Tracker for UnusableTracker {
    async fn find_task(&self, _: &str) -> CoreResult<Option<Task>> {
        self.refuse()
    }

    async fn link_commit(&self, _: &str, _: &CommitLink) -> CoreResult<()> {
        self.refuse()
    }

    async fn comment(&self, _: &str, _: Option<PersonId>, _: &str) -> CoreResult<()> {
        self.refuse()
    }

    async fn close_task(&self, _: &str, _: Option<PersonId>, _: &str) -> CoreResult<()> {
        self.refuse()
    }

    async fn log_time(&self, _: &str, _: &TimeEntry) -> CoreResult<()> {
        self.refuse()
    }
}

pub struct UnusableMessenger(pub String);

#[async_trait]
impl Messenger for UnusableMessenger {
    async fn notify(&self, _: &str, _: &Notice<'_>) -> CoreResult<()> {
        Err(CoreError::Internal(format!(
            "the Bitrix24 settings cannot be used: {}",
            self.0
        )))
    }
}
