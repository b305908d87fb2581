//! The crate's queued work: what the portal's events ask for (see [`crate::web::events`]).
//! The portal does not resend an event, so the hook only queues and answers.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shtab_core::jobs::{Job, Registry};

use crate::adapters::TaskCopies;

/// A portal task changed or went (`ONTASKUPDATE`, `ONTASKDELETE`): the task pages' copy of it
/// is dropped, so the next page reads it again. Nothing is asked of the portal now: it posts
/// an update for every change of a task, and reading each would spend the request budget on
/// tasks nobody looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskChanged {
    pub task_id: u64,
}

impl Job for TaskChanged {
    const KIND: &'static str = "bitrix24.task_changed";
}

pub fn registry(copies: Arc<dyn TaskCopies>) -> Registry {
    Registry::new().register::<TaskChanged, _, _>(move |job, _ctx| {
        let copies = copies.clone();
        async move {
            copies.forget(job.task_id).await?;
            Ok(())
        }
    })
}
