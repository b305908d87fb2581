//! The built-in tracker's pages and JSON API: the task list with search, the form for a new
//! task, a task's page with its commits (oldest first), time spent and comments. The rules
//! live in `shtab_core::tasks`; these handlers parse input, check permissions, call it and
//! render. When tasks live in another system (`systems.tasks = "bitrix24"`), a task's page and
//! its commits are that system's task, by its id ([`outside`]).

mod api;
mod change;
mod dto;
mod form;
mod history;
mod list;
mod outside;
mod show;
mod texts;

use axum::Router;
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(list::show).post(form::create))
        .route("/tasks/new", get(form::new))
        .route("/tasks/{id}", get(show::show).post(change::submit))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list_tasks, api::create_task))
        .routes(routes!(api::get_task, api::update_task))
        .routes(routes!(api::task_commits))
        .routes(routes!(api::task_time))
}
