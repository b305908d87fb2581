//! `GET|PUT /api/v1/bitrix24/settings`: how Shtab's systems lie on the portal, for admins and
//! scripts, one key per system (`deals`, `invoices`). A PUT saves only what the portal
//! confirms exists: a category, stage or field it does not have is a 422 naming it, and
//! nothing is saved.

use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use shtab_core::auth::Permission;
use shtab_core::{CoreError, FieldError};
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ApiErrors, ErrorBody};
use shtab_web::extract::ApiJson;
use utoipa::ToSchema;

use super::deals::DealsSetup;
use super::deals::dto::{DealsSettingsDto, DealsSettingsInput};
use crate::adapters::invoices::settings as invoice_checks;
use crate::client::Client;
use crate::hub::Configured;
use crate::store::invoice_settings::{self, InvoiceSettings};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SettingsDto {
    /// Where the tenders' deals go on the portal; `null` until set up (or without a portal).
    pub deals: Option<DealsSettingsDto>,
    /// Which stages payments move the portal's smart invoices to; `null` without a portal.
    pub invoices: Option<InvoiceSettingsDto>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    /// Left out: the deals' settings stay as they are.
    #[serde(default)]
    pub deals: Option<DealsSettingsInput>,
    /// Left out: the invoices' settings stay as they are.
    #[serde(default)]
    pub invoices: Option<InvoiceSettings>,
}

/// The invoices part of the settings, and what the portal says of it now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoiceSettingsDto {
    /// The smart-invoice pipeline (`crm.category.list`, entity type 31); none: each invoice's
    /// own pipeline's success stage marks it paid.
    pub category_id: Option<u64>,
    /// The stage a fully paid invoice of that pipeline moves to (`DT31_2:P`).
    pub paid_stage: Option<String>,
    /// The stage a partly paid invoice of that pipeline moves to; none: it stays.
    pub partly_paid_stage: Option<String>,
    /// Choices the portal does not have any more (renamed or deleted there): until they are
    /// fixed, payments of that pipeline's invoices are not written to the portal.
    pub problems: Vec<ProblemDto>,
    /// Why the portal could not be asked, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portal_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemDto {
    /// `category_id`, `paid_stage` or `partly_paid_stage`.
    pub field: String,
    /// `not_on_portal`, `final_stage` or `required`.
    pub code: String,
    pub message: String,
}

impl InvoiceSettingsDto {
    fn new(s: InvoiceSettings, problems: Vec<FieldError>, portal_error: Option<String>) -> Self {
        InvoiceSettingsDto {
            category_id: s.category_id,
            paid_stage: s.paid_stage,
            partly_paid_stage: s.partly_paid_stage,
            problems: problems
                .into_iter()
                .map(|p| ProblemDto {
                    field: p.field,
                    code: p.code.to_owned(),
                    message: p.message,
                })
                .collect(),
            portal_error,
        }
    }
}

/// A portal's refusal (a missing scope, the portal down) is the admin's to read.
fn portal_error(e: CoreError) -> ApiError {
    match e {
        CoreError::Internal(m) | CoreError::Transient { message: m, .. } => {
            ApiError::Conflict(format!("the portal could not be asked: {m}"))
        }
        other => other.into(),
    }
}

/// The portal's client, or why there is none.
fn client(portal: &Configured) -> Result<&Client, ApiError> {
    match portal {
        Configured::Yes(p) => Ok(p.client()),
        Configured::Unusable(why) => Err(ApiError::Conflict(why.clone())),
        Configured::No => Err(ApiError::Conflict(crate::hub::HOW_TO_CONFIGURE.to_owned())),
    }
}

/// The saved invoice settings, checked against the live portal; none without a portal.
async fn invoices(
    state: &AppState,
    portal: &Configured,
) -> Result<Option<InvoiceSettingsDto>, ApiError> {
    let Some(portal) = portal.portal() else {
        return Ok(None);
    };
    let saved = invoice_settings::load(&state.db).await?;
    let (problems, error) = match invoice_checks::check_saved(portal.client(), &state.db).await {
        Ok(p) => (p, None),
        Err(CoreError::Internal(m) | CoreError::Transient { message: m, .. }) => {
            (Vec::new(), Some(m))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Some(InvoiceSettingsDto::new(saved, problems, error)))
}

async fn current(
    state: &AppState,
    portal: &Configured,
    setup: &DealsSetup,
) -> Result<SettingsDto, ApiError> {
    Ok(SettingsDto {
        deals: setup.dto().await?,
        invoices: invoices(state, portal).await?,
    })
}

/// Field errors of one system's settings, named under its key (`invoices.paid_stage`).
fn under(key: &str, e: CoreError) -> CoreError {
    match e {
        CoreError::Invalid(errors) => CoreError::Invalid(
            errors
                .into_iter()
                .map(|f| FieldError {
                    field: format!("{key}.{}", f.field),
                    ..f
                })
                .collect(),
        ),
        other => other,
    }
}

/// The settings as saved, with what the portal says of them now.
#[utoipa::path(get, path = "/bitrix24/settings", tag = "bitrix24", security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = SettingsDto), (status = 401, body = ErrorBody),
        (status = 403, description = "The caller is not an administrator", body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    Extension(setup): Extension<DealsSetup>,
    user: CurrentUser,
) -> Result<Json<SettingsDto>, ApiError> {
    user.require(Permission::SettingsManage)?;
    Ok(Json(current(&state, &portal, &setup).await?))
}

/// Saves the settings of each system named, after the portal confirmed what they name; when
/// any is refused, none is saved.
#[utoipa::path(put, path = "/bitrix24/settings", tag = "bitrix24", security(("bearer" = [])),
    request_body = SettingsInput,
    responses(ApiErrors, (status = 200, body = SettingsDto), (status = 401, body = ErrorBody),
        (status = 403, description = "The caller is not an administrator", body = ErrorBody),
        (status = 409, description = "No portal is configured, or the portal refused", body = ErrorBody),
        (status = 422, description = "A category, stage or field the portal does not have, or one of Shtab's left unmapped (each named)", body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    Extension(setup): Extension<DealsSetup>,
    user: CurrentUser,
    ApiJson(input): ApiJson<SettingsInput>,
) -> Result<Json<SettingsDto>, ApiError> {
    user.require(Permission::SettingsManage)?;
    // Invoices are checked first and saved last, so a refused deals map saves neither.
    let invoices = match input.invoices {
        Some(wanted) => Some(
            invoice_checks::confirmed(client(&portal)?, wanted)
                .await
                .map_err(|e| portal_error(under("invoices", e)))?,
        ),
        None => None,
    };
    if let Some(deals) = input.deals {
        let Some(portal_deals) = setup.0.as_ref() else {
            return Err(ApiError::Conflict(crate::hub::HOW_TO_CONFIGURE.into()));
        };
        portal_deals
            .save_map(&deals.into_map(), &user.actor())
            .await
            .map_err(portal_error)?;
    }
    if let Some(invoices) = invoices {
        invoice_settings::save(&state.db, &user.actor(), &invoices).await?;
    }
    Ok(Json(current(&state, &portal, &setup).await?))
}
