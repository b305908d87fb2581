//! `GET /api/v1/audit`: the audit log for programs, with the page's filters.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use shtab_core::audit::{self, ActorKind, AuditFilter};
use shtab_core::auth::Permission;

use super::dto::{AuditList, AuditParams};
use super::period::Bound;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

const DEFAULT_LIMIT: i64 = 50;

/// The audit log, newest first.
///
/// Filters combine: all given must hold. Page with `before_id`: pass the previous answer's
/// `next_before_id` until it is absent.
#[utoipa::path(
    get,
    path = "/audit",
    tag = "audit",
    params(AuditParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of entries, newest first", body = AuditList),
        (status = 400, description = "A parameter is malformed (the message names it): an unknown `actor_kind`, an id or `limit` that is not a number, `limit` outside 1–500, or `since`/`until` neither RFC 3339 nor `YYYY-MM-DD`", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read the audit log", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<AuditList>, ApiError> {
    user.require(Permission::AuditRead)?;
    // Only a query that is not URL-encoding at all, or repeats a parameter, gets here.
    let Query(params) = params.map_err(|r| ApiError::BadRequest(r.body_text()))?;
    let limit = number("limit", params.limit.as_deref())?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit: {limit} is outside 1–500"
        )));
    }
    let filter = AuditFilter {
        actor_kind: given(params.actor_kind.as_deref())
            .map(|s| {
                ActorKind::parse(s).ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "actor_kind: «{s}» is none of user, token, robot, system"
                    ))
                })
            })
            .transpose()?,
        actor_id: number("actor_id", params.actor_id.as_deref())?,
        object_kind: params.object_kind,
        object_id: params.object_id,
        since: bound("since", params.since.as_deref())?.map(|b| b.since(&state.config)),
        until: bound("until", params.until.as_deref())?.map(|b| b.until(&state.config)),
        before_id: number("before_id", params.before_id.as_deref())?,
        limit,
    };
    Ok(Json(audit::list(&state.db, &filter).await?.into()))
}

/// A parameter sent is parsed as it is: an empty one (`?since=`) is not a date, as the
/// document says (programs call this, not forms).
fn given(value: Option<&str>) -> Option<&str> {
    value
}

fn number(name: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    given(value)
        .map(|v| {
            v.parse()
                .map_err(|_| ApiError::BadRequest(format!("{name}: «{v}» is not a whole number")))
        })
        .transpose()
}

fn bound(name: &str, value: Option<&str>) -> Result<Option<Bound>, ApiError> {
    given(value)
        .map(|v| {
            Bound::parse(v).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "{name}: «{v}» is neither an RFC 3339 instant nor a YYYY-MM-DD date"
                ))
            })
        })
        .transpose()
}
