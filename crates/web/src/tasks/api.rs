//! `/api/v1/tasks`: the built-in tracker's tasks, their commits and time, for scripts and
//! other systems. Same rules as the pages (the core enforces them).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shtab_core::auth::Permission;
use shtab_core::ids::{PersonId, TaskId};
use shtab_core::tasks::{self, ListFilter, RawTaskChange, RawTaskInput, TaskStatus};

use super::dto::{
    NewTask, TaskBody, TaskCommitBody, TaskCommitList, TaskList, TaskListParams, TaskPatch,
    TaskStatusFilter, TaskTimeBody,
};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

/// List tasks, newest first, filtered and paged.
#[utoipa::path(
    get,
    path = "/tasks",
    tag = "tasks",
    params(TaskListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of tasks, newest first", body = TaskList),
        (status = 400, description = "A query parameter is malformed", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read tasks", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_tasks(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(params): ApiQuery<TaskListParams>,
) -> Result<Json<TaskList>, ApiError> {
    user.require(Permission::TasksRead)?;
    let (status, unfinished) = match params.status.unwrap_or_default() {
        TaskStatusFilter::Active => (None, true),
        TaskStatusFilter::Open => (Some(TaskStatus::Open), false),
        TaskStatusFilter::InProgress => (Some(TaskStatus::InProgress), false),
        TaskStatusFilter::Closed => (Some(TaskStatus::Closed), false),
        TaskStatusFilter::All => (None, false),
    };
    let filter = ListFilter {
        q: params.q,
        status,
        unfinished,
        assignee_id: params.assignee_id.map(PersonId),
        offset: crate::paging::offset("offset", params.offset)?,
        limit: crate::paging::limit("limit", params.limit, 50, 500)?,
    };
    Ok(Json(tasks::list(&state.db, &filter).await?.into()))
}

/// Create a task. It starts `open`.
#[utoipa::path(
    post,
    path = "/tasks",
    tag = "tasks",
    request_body = NewTask,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = TaskBody,
         headers(("Location" = String, description = "The new task in the API: `/api/v1/tasks/{id}`"))),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not change tasks", body = ErrorBody),
        (status = 422, description = "Invalid fields (no title, a malformed or taken key, an unknown assignee); nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn create_task(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewTask>,
) -> Result<Response, ApiError> {
    user.require(Permission::TasksWrite)?;
    let input = RawTaskInput::from(body).parse()?;
    let task = tasks::create(&state.db, &user.actor(), &input).await?;
    let location = HeaderValue::from_str(&format!("/api/v1/tasks/{}", task.id))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let body: TaskBody = task.into();
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

/// One task.
#[utoipa::path(
    get,
    path = "/tasks/{id}",
    tag = "tasks",
    params(("id" = i64, Path, description = "The task's number")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The task", body = TaskBody),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read tasks", body = ErrorBody),
        (status = 404, description = "No such task", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn get_task(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TaskBody>, ApiError> {
    user.require(Permission::TasksRead)?;
    Ok(Json(tasks::get(&state.db, TaskId(id)).await?.into()))
}

/// Change a task's title, description, status or assignee; fields left out keep their
/// value.
#[utoipa::path(
    patch,
    path = "/tasks/{id}",
    tag = "tasks",
    params(("id" = i64, Path, description = "The task's number")),
    request_body = TaskPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The task as saved", body = TaskBody),
        (status = 400, description = "The id is not a number, or the body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not change tasks", body = ErrorBody),
        (status = 404, description = "No such task", body = ErrorBody),
        (status = 422, description = "Invalid fields (an empty title, an unknown status or assignee); nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn update_task(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<TaskPatch>,
) -> Result<Json<TaskBody>, ApiError> {
    user.require(Permission::TasksWrite)?;
    let change = RawTaskChange::from(patch).parse()?;
    let task = tasks::update(&state.db, &user.actor(), TaskId(id), &change).await?;
    Ok(Json(task.into()))
}

/// The commits that named the task, oldest first (by commit time, then author time). When tasks live in another system (`systems.tasks = "bitrix24"`), `id` is that system's task id and the list also holds the commits still waiting for the task, each with its reason; a task that system does not show, named by no commit, is 404.
#[utoipa::path(
    get,
    path = "/tasks/{id}/commits",
    tag = "tasks",
    params(("id" = i64, Path, description = "The task's number (or the other system's task id)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The commits, oldest first", body = TaskCommitList),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read tasks", body = ErrorBody),
        (status = 404, description = "No such task", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn task_commits(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TaskCommitList>, ApiError> {
    user.require(Permission::TasksRead)?;
    if let Some(outside) = &state.outside_tasks {
        let loaded = super::outside::load(outside, TaskId(id)).await?;
        if loaded.is_unknown() {
            return Err(ApiError::NotFound("task"));
        }
        let items = loaded
            .commits
            .iter()
            .map(|c| TaskCommitBody::naming(c.clone(), loaded.waiting_reason(c)))
            .collect();
        return Ok(Json(TaskCommitList { items }));
    }
    let items = tasks::commits(&state.db, TaskId(id)).await?;
    Ok(Json(TaskCommitList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// The time spent on the task, entry by entry, and the total in minutes.
#[utoipa::path(
    get,
    path = "/tasks/{id}/time",
    tag = "tasks",
    params(("id" = i64, Path, description = "The task's number")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The time entries and their total", body = TaskTimeBody),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read tasks", body = ErrorBody),
        (status = 404, description = "No such task", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn task_time(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TaskTimeBody>, ApiError> {
    user.require(Permission::TasksRead)?;
    Ok(Json(tasks::time(&state.db, TaskId(id)).await?.into()))
}
