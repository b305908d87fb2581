//! The built-in tracker: tasks with a title, a status and an assignee, the commits that
//! named them, time spent and comments. Capabilities reach it through the tracker port
//! ([`BuiltinTracker`]); the task pages read it directly.

mod comments;
mod commits;
mod domain;
mod job;
mod store;
mod time;
mod tracker;

pub use comments::comments;
pub use commits::commits;
pub use domain::{
    DESCRIPTION_MAX, RawTaskChange, RawTaskInput, TITLE_MAX, Task, TaskChange, TaskComment,
    TaskCommit, TaskInput, TaskKey, TaskStatus, TaskSummary, TaskTime, TimeSheet,
};
pub use job::{TaskAppeared, TaskCreated};
pub use store::{ListFilter, ListPage, create, find_by_key, get, list, update};
pub use time::time;
pub use tracker::BuiltinTracker;
