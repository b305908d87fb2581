//! What the tasks API reads and writes. These types are the API's contract (and its
//! OpenAPI schemas); the core's types stay free to change behind them. Schema names start
//! with `Task` so they never collide with another area's in the one document.

use serde::{Deserialize, Deserializer, Serialize};
use shtab_core::ports::NamingCommit;
use shtab_core::tasks::{
    ListPage, RawTaskChange, RawTaskInput, Task, TaskCommit, TaskStatus, TaskSummary, TaskTime,
    TimeSheet,
};
use shtab_core::time::rfc3339_ms;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatusName {
    Open,
    InProgress,
    Closed,
}

impl From<TaskStatus> for TaskStatusName {
    fn from(s: TaskStatus) -> Self {
        match s {
            TaskStatus::Open => TaskStatusName::Open,
            TaskStatus::InProgress => TaskStatusName::InProgress,
            TaskStatus::Closed => TaskStatusName::Closed,
        }
    }
}

/// A person, named.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskPerson {
    pub id: i64,
    pub full_name: String,
}

fn person(id: Option<shtab_core::ids::PersonId>, name: Option<String>) -> Option<TaskPerson> {
    id.zip(name).map(|(id, full_name)| TaskPerson {
        id: id.0,
        full_name,
    })
}

/// A task.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskBody {
    #[schema(example = 42)]
    pub id: i64,
    /// The key from an old tracker, upper case.
    #[schema(example = "WEB-12")]
    pub key: Option<String>,
    /// What commit messages name it by: the key, or `#id`.
    #[schema(example = "WEB-12")]
    pub reference: String,
    #[schema(example = "Вёрстка главной страницы")]
    pub title: String,
    pub description: String,
    pub status: TaskStatusName,
    pub assignee_id: Option<i64>,
    pub assignee: Option<TaskPerson>,
    /// The task's page, relative to the hub.
    #[schema(example = "/tasks/42")]
    pub url: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// RFC 3339; set while the status is `closed`.
    pub closed_at: Option<String>,
}

impl From<Task> for TaskBody {
    fn from(t: Task) -> Self {
        TaskBody {
            reference: t.reference(),
            url: format!("/tasks/{}", t.id),
            id: t.id.0,
            key: t.key.map(|k| k.to_string()),
            title: t.title,
            description: t.description,
            status: t.status.into(),
            assignee_id: t.assignee_id.map(|a| a.0),
            assignee: person(t.assignee_id, t.assignee_name),
            created_at: rfc3339_ms(t.created_at),
            updated_at: rfc3339_ms(t.updated_at),
            closed_at: t.closed_at.map(rfc3339_ms),
        }
    }
}

/// A row of the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskSummaryBody {
    pub id: i64,
    pub key: Option<String>,
    pub title: String,
    pub status: TaskStatusName,
    pub assignee: Option<TaskPerson>,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<TaskSummary> for TaskSummaryBody {
    fn from(t: TaskSummary) -> Self {
        TaskSummaryBody {
            id: t.id.0,
            key: t.key.map(|k| k.to_string()),
            title: t.title,
            status: t.status.into(),
            assignee: person(t.assignee_id, t.assignee_name),
            updated_at: rfc3339_ms(t.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskList {
    pub items: Vec<TaskSummaryBody>,
    /// How many match, across all pages.
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

impl From<ListPage> for TaskList {
    fn from(p: ListPage) -> Self {
        TaskList {
            items: p.items.into_iter().map(Into::into).collect(),
            total: p.total,
            offset: p.offset,
            limit: p.limit,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatusFilter {
    /// Open and in progress.
    Active,
    Open,
    InProgress,
    Closed,
    #[default]
    All,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskListParams {
    /// Searches titles and keys, case-insensitive; `12` or `#12` also finds task 12.
    pub q: Option<String>,
    /// Default `all`.
    #[param(inline)]
    pub status: Option<TaskStatusFilter>,
    /// Only this person's tasks.
    pub assignee_id: Option<i64>,
    /// How many to skip; 0 by default.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// How many; 50 by default.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A new task. Only `title` is required; it starts `open`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewTask {
    #[schema(required = true, example = "Вёрстка главной страницы")]
    pub title: String,
    /// For a task carried over from an old tracker: `WEB-12` (any case; kept upper case).
    /// Unique.
    #[schema(example = "WEB-12")]
    pub key: Option<String>,
    pub description: Option<String>,
    pub assignee_id: Option<i64>,
}

impl From<NewTask> for RawTaskInput {
    fn from(t: NewTask) -> Self {
        RawTaskInput {
            title: t.title,
            key: t.key,
            description: t.description,
            assignee_id: t.assignee_id,
        }
    }
}

/// A partial update: fields left out keep their value; `"assignee_id": null` unassigns.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TaskPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    #[schema(value_type = Option<TaskStatusName>)]
    pub status: Option<String>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
}

/// Tells a field sent as `null` (`Some(None)`: clear it) from one left out (`None`, by
/// `default`: keep it).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl From<TaskPatch> for RawTaskChange {
    fn from(p: TaskPatch) -> Self {
        RawTaskChange {
            title: p.title,
            description: p.description,
            status: p.status,
            assignee_id: p.assignee_id,
        }
    }
}

/// Who made a commit: as the commit says, and the person that is, when known.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskCommitAuthor {
    #[schema(example = "Ivan Petrov")]
    pub name: String,
    /// Empty when the commit carried none.
    #[schema(example = "ivan@agency.ru")]
    pub email: String,
    pub person: Option<TaskPerson>,
}

/// A commit attached to the task.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskCommitBody {
    /// The repository's name in Shtab.
    #[schema(example = "backend")]
    pub repository: String,
    #[schema(example = "9fceb02d0ae598e95dc970b74767f19372d61af8")]
    pub sha: String,
    /// Equal for a commit and its rebased or cherry-picked copies.
    pub change_key: String,
    pub message: String,
    pub author: TaskCommitAuthor,
    /// RFC 3339.
    pub authored_at: String,
    /// RFC 3339.
    pub committed_at: String,
    /// The commit on the forge.
    pub url: Option<String>,
    /// The branches that reach it now.
    #[schema(example = json!(["main", "release/2.0"]))]
    pub branches: Vec<String>,
    /// No branch reaches it any more (its branch was deleted or force-pushed over); it
    /// stays on the task.
    pub unreachable: bool,
    /// RFC 3339: when Shtab attached it; null while it waits for the task.
    pub linked_at: Option<String>,
    /// Only for a task of another system, while the commit waits for it: why it is not
    /// linked yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        example = "the tracker has no such task (yet), or Shtab's user there cannot see it: the commit waits for it"
    )]
    pub waiting: Option<String>,
}

impl From<TaskCommit> for TaskCommitBody {
    fn from(c: TaskCommit) -> Self {
        TaskCommitBody {
            repository: c.repository,
            sha: c.sha,
            change_key: c.change_key,
            message: c.message,
            author: TaskCommitAuthor {
                name: c.author_name,
                email: c.author_email,
                person: person(c.author_id, c.author_person),
            },
            authored_at: rfc3339_ms(c.authored_at),
            committed_at: rfc3339_ms(c.committed_at),
            url: c.url,
            branches: c.branches,
            unreachable: c.unreachable,
            linked_at: Some(rfc3339_ms(c.linked_at)),
            waiting: None,
        }
    }
}

impl TaskCommitBody {
    /// A commit naming a task of another system: linked, or waiting for `waiting`'s reason.
    pub fn naming(c: NamingCommit, waiting: Option<String>) -> Self {
        let mut body = TaskCommitBody::from(c.commit);
        if !c.linked {
            body.linked_at = None;
            body.waiting = waiting;
        }
        body
    }
}

/// The task's commits, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskCommitList {
    pub items: Vec<TaskCommitBody>,
}

/// Time spent on the task.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskTimeEntryBody {
    pub id: i64,
    pub person: TaskPerson,
    #[schema(example = 150)]
    pub minutes: i64,
    /// RFC 3339: when the work was done.
    pub spent_at: String,
    pub note: String,
    /// What logged it (`commit:backend@9fceb02…`).
    pub source: String,
}

impl From<TaskTime> for TaskTimeEntryBody {
    fn from(e: TaskTime) -> Self {
        TaskTimeEntryBody {
            id: e.id.0,
            person: TaskPerson {
                id: e.person_id.0,
                full_name: e.person_name,
            },
            minutes: e.minutes,
            spent_at: rfc3339_ms(e.spent_at),
            note: e.note,
            source: e.source,
        }
    }
}

/// The task's time entries, in the order the work was done, and their sum.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskTimeBody {
    pub entries: Vec<TaskTimeEntryBody>,
    #[schema(example = 150)]
    pub total_minutes: i64,
}

impl From<TimeSheet> for TaskTimeBody {
    fn from(s: TimeSheet) -> Self {
        TaskTimeBody {
            entries: s.entries.into_iter().map(Into::into).collect(),
            total_minutes: s.total_minutes,
        }
    }
}
