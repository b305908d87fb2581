//! `GET /tasks/{id}`: a task, the form to change its status and assignee, and its history:
//! commits oldest first, time spent, comments. A task of another system of record is shown
//! by [`super::outside`].

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use shtab_core::auth::Permission;
use shtab_core::ids::TaskId;
use shtab_core::tasks::{self, Task, TaskStatus};
use shtab_core::time::format_ms;

use super::form::{PersonOption, assignees};
use super::history::{self, CommentView, CommitView, TimeView};
use super::list::status_class;
use super::texts::{TasksTexts, texts};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::extract::{PagePath, Saved};
use crate::i18n::{FormErrors, Lang};
use crate::shell::Shell;
use crate::state::AppState;

pub struct TaskView {
    id: i64,
    key: Option<String>,
    title: String,
    description: String,
    status: &'static str,
    status_class: &'static str,
    assignee: Option<(i64, String)>,
    created: String,
    closed: Option<String>,
}

impl TaskView {
    fn new(t: &TasksTexts, state: &AppState, task: Task) -> TaskView {
        let tz = state.config.time_zone();
        TaskView {
            id: task.id.0,
            key: task.key.map(|k| k.to_string()),
            title: task.title,
            description: task.description,
            status: t.status(task.status),
            status_class: status_class(task.status),
            assignee: task
                .assignee_id
                .zip(task.assignee_name)
                .map(|(id, n)| (id.0, n)),
            created: format_ms(task.created_at, tz),
            closed: task.closed_at.map(|at| format_ms(at, tz)),
        }
    }
}

/// The change form as shown: the stored values, or what was submitted when it was refused.
#[derive(Debug, Clone, Default)]
pub struct ChangeForm {
    pub status: String,
    pub assignee_id: String,
}

pub struct StatusOption {
    value: &'static str,
    label: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "tasks/show.html")]
pub struct ShowPage {
    shell: Shell,
    t: &'static TasksTexts,
    task: TaskView,
    saved: bool,
    can_write: bool,
    form: ChangeForm,
    statuses: Vec<StatusOption>,
    people: Vec<PersonOption>,
    errors: FormErrors,
    commits: Vec<CommitView>,
    time: Vec<TimeView>,
    total: String,
    comments: Vec<CommentView>,
}

/// Shtab's own task, or, when tasks live in another system, that system's task by its id.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<TaskId>,
    Saved(saved): Saved,
) -> Result<Response, PageError> {
    if let Some(outside) = &state.outside_tasks {
        let page = super::outside::page(&state, &user, lang, outside, id).await?;
        return Ok(page.into_response());
    }
    let page = page(&state, &user, lang, id, saved, None, FormErrors::default()).await?;
    Ok(page.into_response())
}

/// The page, also shown again (with `errors`) when the change form is refused; `form` is
/// then what was submitted.
pub async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: TaskId,
    saved: bool,
    form: Option<ChangeForm>,
    errors: FormErrors,
) -> Result<ShowPage, PageError> {
    user.require(Permission::TasksRead)?;
    let t = texts(lang.0);
    let task = tasks::get(&state.db, id).await?;
    let commits = tasks::commits(&state.db, id).await?;
    let sheet = tasks::time(&state.db, id).await?;
    let comments = tasks::comments(&state.db, id).await?;
    let can_write = user.can(Permission::TasksWrite);
    let form = form.unwrap_or_else(|| ChangeForm {
        status: task.status.as_str().to_string(),
        assignee_id: task.assignee_id.map(|a| a.to_string()).unwrap_or_default(),
    });
    let people = if can_write {
        assignees(state, task.assignee_id).await?
    } else {
        Vec::new()
    };
    let config = &state.config;
    Ok(ShowPage {
        shell: Shell::new(
            state,
            user,
            lang,
            format!("{}: {}", task.reference(), task.title),
            "/tasks",
        ),
        t,
        saved,
        can_write,
        form,
        statuses: TaskStatus::ALL
            .into_iter()
            .map(|s| StatusOption {
                value: s.as_str(),
                label: t.status(s),
            })
            .collect(),
        people,
        errors,
        commits: history::commits(commits, config, user.can(Permission::PeopleRead)),
        total: t.duration(sheet.total_minutes),
        time: history::time(t, sheet.entries, config),
        comments: history::comments(comments, config, lang.0),
        task: TaskView::new(t, state, task),
    })
}
