//! `/api/v1/robots`: schedules, "run now" and runs for scripts.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shtab_core::auth::Permission;
use shtab_core::robots::{self, ScheduleChange};

use super::Robots;
use super::dto::{RobotBody, RobotList, RobotPatch, RunBody, RunQueued};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::i18n::Lang;
use crate::state::AppState;

/// Every robot with its schedule, last run and next run.
#[utoipa::path(
    get,
    path = "/robots",
    tag = "robots",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The robots, by name", body = RobotList),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not see robots", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_robots(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Robots(set): Robots,
) -> Result<Json<RobotList>, ApiError> {
    user.require(Permission::RobotsRead)?;
    let mut list = Vec::new();
    for row in robots::list(&state.db).await? {
        let last = robots::last_run(&state.db, &row.name).await?;
        let title = set.title(&row.name, lang.0);
        list.push(RobotBody::new(row, title, last));
    }
    Ok(Json(RobotList { robots: list }))
}

/// One robot.
#[utoipa::path(
    get,
    path = "/robots/{name}",
    tag = "robots",
    params(("name" = String, Path, description = "The robot's name")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The robot", body = RobotBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not see robots", body = ErrorBody),
        (status = 404, description = "No such robot", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn get_robot(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Robots(set): Robots,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<RobotBody>, ApiError> {
    user.require(Permission::RobotsRead)?;
    let row = robots::get(&state.db, &name).await?;
    let last = robots::last_run(&state.db, &name).await?;
    Ok(Json(RobotBody::new(row, set.title(&name, lang.0), last)))
}

/// Change a robot's schedule (cron, time zone, enabled); absent fields keep their value.
#[utoipa::path(
    patch,
    path = "/robots/{name}",
    tag = "robots",
    params(("name" = String, Path, description = "The robot's name")),
    request_body = RobotPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The robot as saved", body = RobotBody),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not change robots", body = ErrorBody),
        (status = 404, description = "No such robot", body = ErrorBody),
        (status = 422, description = "`cron` or `time_zone` is invalid; nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn update_robot(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Robots(set): Robots,
    ApiPath(name): ApiPath<String>,
    ApiJson(patch): ApiJson<RobotPatch>,
) -> Result<Json<RobotBody>, ApiError> {
    user.require(Permission::RobotsManage)?;
    let change = ScheduleChange {
        cron: patch.cron,
        time_zone: patch.time_zone,
        enabled: patch.enabled,
    };
    let row = robots::update_schedule(&state.db, &user.actor(), &name, &change).await?;
    let last = robots::last_run(&state.db, &name).await?;
    Ok(Json(RobotBody::new(row, set.title(&name, lang.0), last)))
}

/// Queue a run of the robot now. Refused while another run of it is queued or running.
#[utoipa::path(
    post,
    path = "/robots/{name}/run",
    tag = "robots",
    params(("name" = String, Path, description = "The robot's name")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued; follow it at `/robots/runs/{run_id}`", body = RunQueued),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not run robots", body = ErrorBody),
        (status = 404, description = "No such robot", body = ErrorBody),
        (status = 409, description = "A run of this robot is already queued or running", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn run_robot(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(name): ApiPath<String>,
) -> Result<(StatusCode, Json<RunQueued>), ApiError> {
    user.require(Permission::RobotsManage)?;
    let run = robots::request_run(&state.db, &user.actor(), &name).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(RunQueued {
            run_id: run.id,
            job_id: run.job_id,
            run: RunBody::new(run, None),
        }),
    ))
}

/// One run with its counters, progress and log.
#[utoipa::path(
    get,
    path = "/robots/runs/{id}",
    tag = "robots",
    params(("id" = i64, Path, description = "The run's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The run", body = RunBody),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not see robots", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn get_run(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RunBody>, ApiError> {
    user.require(Permission::RobotsRead)?;
    let run = robots::get_run(&state.db, id).await?;
    let log = robots::logs(&state.db, id).await?;
    Ok(Json(RunBody::new(run, Some(log))))
}
