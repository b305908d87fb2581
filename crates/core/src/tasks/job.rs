use serde::{Deserialize, Serialize};

use crate::ids::TaskId;
use crate::jobs::Job;

/// A task was created. Queued by [`super::create`] in the creating transaction, so it
/// exists exactly when the task does.
///
/// The tasks module only announces; other capabilities react by registering a handler for
/// this kind in their job [`crate::jobs::Registry`]. The `vcs` capability does, to link
/// commits that named the task before it existed. A process where nobody registered a
/// handler leaves these jobs queued (workers claim only the kinds they know), so one that
/// does can still run them later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskCreated {
    pub task_id: TaskId,
}

impl Job for TaskCreated {
    const KIND: &'static str = "tasks.created";
}

/// The system of record for tasks says a task appeared, or may have become visible to
/// Shtab (the portal's `ONTASKADD` and `ONTASKUPDATE` events). Queued by whoever hears it,
/// with the tracker's id for the task; like [`TaskCreated`], the capabilities that wait for
/// tasks react: `vcs` links the references that named it before Shtab could see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskAppeared {
    pub task_id: String,
}

impl Job for TaskAppeared {
    const KIND: &'static str = "tasks.appeared";
}
