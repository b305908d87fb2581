//! The tracker, the messenger and the CRM when `systems.tasks`, the `bitrix24` channel or
//! `systems.deals` needs the portal but its settings cannot be used: every call fails naming
//! why, so jobs end visibly instead of writing to Shtab's own tables behind the portal's back.

use async_trait::async_trait;
use shtab_core::CoreError;
use shtab_core::audit::Actor;
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::ports::{
    CommitLink, Crm, Deal, Messenger, NewDeal, Notice, Task, TimeEntry, Tracker,
};

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

pub struct UnusableCrm(pub String);

impl UnusableCrm {
    fn refuse<T>(&self) -> CoreResult<T> {
        Err(CoreError::Internal(format!(
            "deals live on Bitrix24, but its settings cannot be used: {}",
            self.0
        )))
    }
}

#[async_trait]
impl Crm for UnusableCrm {
    async fn create_deal(&self, _: &NewDeal, _: &Actor) -> CoreResult<Deal> {
        self.refuse()
    }

    async fn get_deal(&self, _: &str) -> CoreResult<Option<Deal>> {
        self.refuse()
    }

    async fn move_deal(&self, _: &str, _: &str, _: &Actor) -> CoreResult<Deal> {
        self.refuse()
    }

    async fn assign_deal(&self, _: &str, _: Option<PersonId>, _: &Actor) -> CoreResult<Deal> {
        self.refuse()
    }

    async fn read_fields(&self, _: &str) -> CoreResult<serde_json::Map<String, serde_json::Value>> {
        self.refuse()
    }

    async fn write_fields(
        &self,
        _: &str,
        _: &serde_json::Map<String, serde_json::Value>,
        _: &Actor,
    ) -> CoreResult<()> {
        self.refuse()
    }

    async fn board_url(&self, _: &str) -> CoreResult<Option<String>> {
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
