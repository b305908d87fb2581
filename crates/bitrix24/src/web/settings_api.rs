//! `GET|PUT /api/v1/bitrix24/settings`: how Shtab's systems lie on the portal, for admins and
//! scripts, one key per system (`deals`). A PUT saves only what the portal confirms exists:
//! a category, stage or field it does not have is a 422 naming it, and nothing is saved.

use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ApiErrors, ErrorBody};
use shtab_web::extract::ApiJson;
use utoipa::ToSchema;

use super::deals::DealsSetup;
use super::deals::dto::{DealsSettingsDto, DealsSettingsInput};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SettingsDto {
    /// Where the tenders' deals go on the portal; `null` until set up (or without a portal).
    pub deals: Option<DealsSettingsDto>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    /// Left out: the deals' settings stay as they are.
    #[serde(default)]
    pub deals: Option<DealsSettingsInput>,
}

/// A portal's refusal (a missing scope, the portal down) is the admin's to read.
fn portal_error(e: CoreError) -> ApiError {
    match e {
        CoreError::Internal(m) | CoreError::Transient { message: m, .. } => ApiError::Conflict(m),
        other => other.into(),
    }
}

async fn current(setup: &DealsSetup) -> Result<SettingsDto, ApiError> {
    Ok(SettingsDto {
        deals: setup.dto().await?,
    })
}

/// The settings as saved, with what the last check found missing on the portal.
#[utoipa::path(get, path = "/bitrix24/settings", tag = "bitrix24", security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = SettingsDto), (status = 401, body = ErrorBody),
        (status = 403, description = "The caller is not an administrator", body = ErrorBody)))]
pub async fn get_settings(
    State(_state): State<AppState>,
    Extension(setup): Extension<DealsSetup>,
    user: CurrentUser,
) -> Result<Json<SettingsDto>, ApiError> {
    user.require(Permission::SettingsManage)?;
    Ok(Json(current(&setup).await?))
}

/// Saves the settings of each system named, after the portal confirmed what they name.
#[utoipa::path(put, path = "/bitrix24/settings", tag = "bitrix24", security(("bearer" = [])),
    request_body = SettingsInput,
    responses(ApiErrors, (status = 200, body = SettingsDto), (status = 401, body = ErrorBody),
        (status = 403, description = "The caller is not an administrator", body = ErrorBody),
        (status = 409, description = "No portal is configured, or the portal refused", body = ErrorBody),
        (status = 422, description = "A category, stage or field the portal does not have, or one of Shtab's left unmapped (each named)", body = ErrorBody)))]
pub async fn put_settings(
    State(_state): State<AppState>,
    Extension(setup): Extension<DealsSetup>,
    user: CurrentUser,
    ApiJson(input): ApiJson<SettingsInput>,
) -> Result<Json<SettingsDto>, ApiError> {
    user.require(Permission::SettingsManage)?;
    if let Some(deals) = input.deals {
        let Some(portal_deals) = setup.0.as_ref() else {
            return Err(ApiError::Conflict(crate::hub::HOW_TO_CONFIGURE.into()));
        };
        portal_deals
            .save_map(&deals.into_map(), &user.actor())
            .await
            .map_err(portal_error)?;
    }
    Ok(Json(current(&setup).await?))
}
