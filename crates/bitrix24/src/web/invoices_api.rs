//! `GET|PUT /api/v1/bitrix24/settings/invoices`, for admins: the smart-invoice pipeline, its
//! "paid" stage and optional "partly paid" stage that payments move invoices to. A PUT naming
//! a pipeline or stage the portal does not have is a 422 naming it, and nothing is saved.

use axum::extract::State;
use axum::{Extension, Json};
use serde::Serialize;
use shtab_core::FieldError;
use shtab_core::auth::Permission;
use shtab_core::error::CoreError;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ApiErrors, ErrorBody};
use shtab_web::extract::ApiJson;
use utoipa::ToSchema;

use crate::adapters::invoices::settings;
use crate::client::Client;
use crate::hub::Configured;
use crate::store::invoice_settings::{self, InvoiceSettings};

/// The invoices part of the portal's settings, and what the portal says of it now.
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

fn client(portal: &Configured) -> Result<&Client, ApiError> {
    match portal {
        Configured::Yes(p) => Ok(p.client()),
        Configured::Unusable(why) => Err(ApiError::Conflict(why.clone())),
        Configured::No => Err(ApiError::Conflict(crate::hub::HOW_TO_CONFIGURE.to_owned())),
    }
}

/// A portal that could not be asked is the request's conflict, named; the rest as usual.
fn portal_failure(e: CoreError) -> ApiError {
    match e {
        CoreError::Internal(m) | CoreError::Transient { message: m, .. } => {
            ApiError::Conflict(format!("the portal could not be asked: {m}"))
        }
        other => other.into(),
    }
}

/// The saved choices, checked against the live portal.
#[utoipa::path(get, path = "/bitrix24/settings/invoices", tag = "bitrix24", security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = InvoiceSettingsDto), (status = 401, body = ErrorBody),
        (status = 403, description = "The caller is not an administrator", body = ErrorBody),
        (status = 409, description = "No portal is configured, or its settings cannot be used", body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    user: CurrentUser,
) -> Result<Json<InvoiceSettingsDto>, ApiError> {
    user.require(Permission::SettingsManage)?;
    let client = client(&portal)?;
    let saved = invoice_settings::load(&state.db).await?;
    let (problems, error) = match settings::check_saved(client, &state.db).await {
        Ok(p) => (p, None),
        Err(CoreError::Internal(m) | CoreError::Transient { message: m, .. }) => {
            (Vec::new(), Some(m))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Json(InvoiceSettingsDto::new(saved, problems, error)))
}

/// Picks the pipeline and stages; only what the portal confirms exists is saved.
#[utoipa::path(put, path = "/bitrix24/settings/invoices", tag = "bitrix24", security(("bearer" = [])),
    request_body = InvoiceSettings,
    responses(ApiErrors, (status = 200, body = InvoiceSettingsDto), (status = 401, body = ErrorBody),
        (status = 403, description = "The caller is not an administrator", body = ErrorBody),
        (status = 409, description = "No portal is configured, or it could not be asked", body = ErrorBody),
        (status = 422, description = "A pipeline or stage the portal does not have, named; nothing was saved", body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    user: CurrentUser,
    ApiJson(body): ApiJson<InvoiceSettings>,
) -> Result<Json<InvoiceSettingsDto>, ApiError> {
    user.require(Permission::SettingsManage)?;
    let client = client(&portal)?;
    let saved = settings::save(client, &state.db, &user.actor(), body)
        .await
        .map_err(portal_failure)?;
    Ok(Json(InvoiceSettingsDto::new(saved, Vec::new(), None)))
}
