//! `GET /api/v1/bitrix24/status` and `POST /api/v1/bitrix24/check`, for admins.

use axum::extract::State;
use axum::{Extension, Json};
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ApiErrors, ErrorBody};

use super::dto::StatusDto;
use crate::hub::Configured;

/// The portal as the hub sees it: how it is reached (`mode`: an incoming webhook or a local
/// application), its address, whose webhook or tokens they are and the scopes granted (as the
/// last check found), the scopes each enabled system needs, the last error and the request
/// budget in use; a local application's connection (authorised or not, by whom, its scopes
/// and token expiry, never the tokens); the people who left the portal and the e-mail
/// conflicts of the users robot. Asks the portal nothing.
#[utoipa::path(get, path = "/bitrix24/status", tag = "bitrix24", security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = StatusDto), (status = 401, body = ErrorBody),
        (status = 403, description = "The caller is not an administrator", body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    user: CurrentUser,
) -> Result<Json<StatusDto>, ApiError> {
    user.require(Permission::SettingsManage)?;
    Ok(Json(
        StatusDto::new(&state.config, &portal)
            .with_database(&state.config, &state.db)
            .await?,
    ))
}

/// Asks the portal now (`profile`, `scope`) and answers the status with what it said. A
/// portal that refuses is not an error of this request: `check.ok` is false and
/// `last_error` says why (a wrong webhook code, a missing scope named…).
#[utoipa::path(post, path = "/bitrix24/check", tag = "bitrix24", security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = StatusDto), (status = 401, body = ErrorBody),
        (status = 403, description = "The caller is not an administrator", body = ErrorBody),
        (status = 409, description = "No portal is configured, or its settings cannot be used", body = ErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    user: CurrentUser,
) -> Result<Json<StatusDto>, ApiError> {
    user.require(Permission::SettingsManage)?;
    let Some(p) = portal.portal() else {
        return Err(ApiError::Conflict(
            StatusDto::new(&state.config, &portal)
                .problem
                .unwrap_or_default(),
        ));
    };
    p.check().await;
    Ok(Json(
        StatusDto::new(&state.config, &portal)
            .with_database(&state.config, &state.db)
            .await?,
    ))
}
