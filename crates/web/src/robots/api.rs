//! `/api/v1/robots`: schedules, "run now" and runs for scripts.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shtab_core::auth::Permission;
use shtab_core::robots::{self, ScheduleChange};

use super::Robots;
use super::dto::{RobotBody, RobotList, RobotPatch, RunBody, RunList, RunParams, RunQueued};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
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

/// Queue a run of the robot now. Refused while another run of it is queued or running,
/// however many requests and hubs ask at once: the answer's message names that run.
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
        (status = 409, description = "A run of this robot is already queued or running; the message names it", body = ErrorBody),
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

/// The robot's runs, newest first, paged: pass `next_before_id` as `before_id` until it is
/// absent. Each run as in `GET /robots/runs/{id}`, without its log.
#[utoipa::path(
    get,
    path = "/robots/{name}/runs",
    tag = "robots",
    params(("name" = String, Path, description = "The robot's name"), RunParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of runs, newest first", body = RunList),
        (status = 400, description = "`before_id` or `limit` is not a number, or `limit` is outside 1–500", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not see robots", body = ErrorBody),
        (status = 404, description = "No such robot", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_runs(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(name): ApiPath<String>,
    ApiQuery(params): ApiQuery<RunParams>,
) -> Result<Json<RunList>, ApiError> {
    user.require(Permission::RobotsRead)?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit: {limit} is outside 1–500"
        )));
    }
    let page = robots::run_history(&state.db, &name, params.before_id, limit).await?;
    Ok(Json(RunList {
        runs: page
            .runs
            .into_iter()
            .map(|r| RunBody::new(r, None))
            .collect(),
        next_before_id: page.next_before_id,
    }))
}
