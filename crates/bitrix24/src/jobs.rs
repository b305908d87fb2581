//! The crate's queued work: what the portal's events ask for (see [`crate::web::events`]).
//! The portal does not resend an event, so the hook only queues and answers; the jobs are
//! retried like any other when the portal is away.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shtab_core::jobs::{Job, Registry};

use crate::adapters::PortalTracker;

/// A portal task changed (`ONTASKUPDATE`): what the task pages show of it is read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskChanged {
    pub task_id: u64,
}

impl Job for TaskChanged {
    const KIND: &'static str = "bitrix24.task_changed";
}

/// The handlers, over the hub's portal tracker when tasks live on the portal; without it no
/// handler is registered and such jobs wait (the hook queues none then).
pub fn registry(tracker: Option<Arc<PortalTracker>>) -> Registry {
    let Some(tracker) = tracker else {
        return Registry::new();
    };
    Registry::new().register::<TaskChanged, _, _>(move |job, _ctx| {
        let tracker = tracker.clone();
        async move {
            tracker.refresh(job.task_id).await?;
            Ok(())
        }
    })
}
