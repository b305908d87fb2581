//! `/api/v1/tenders`: the inbox, one tender with its history and searches, and the answers
//! take / not interesting. The CRM's stage rules apply here as on the pages.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use shtab_core::auth::Permission;
use shtab_core::time::rfc3339_ms;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ErrorBody};
use shtab_web::extract::ApiPath;
use utoipa::ToSchema;

use super::crm;
use crate::service::inbox::{self, Answer};
use crate::store::tenders::{self, Hit, Tender};

/// A tender: what the portal says about it, and its deal.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenderBody {
    pub id: i64,
    pub reg_number: String,
    /// `44-FZ` or `223-FZ`.
    pub law: String,
    pub title: String,
    /// The notice page on the portal.
    pub url: String,
    pub customer: Option<String>,
    pub customer_inn: Option<String>,
    pub region: Option<String>,
    /// Kopecks.
    pub max_price: Option<i64>,
    pub currency: Option<String>,
    /// RFC 3339.
    pub deadline: Option<String>,
    pub published_at: Option<String>,
    pub okpd2: Vec<String>,
    pub platform: Option<String>,
    pub cancelled: bool,
    pub deal_id: Option<String>,
    pub first_seen_at: String,
    pub updated_at: String,
}

impl From<Tender> for TenderBody {
    fn from(t: Tender) -> Self {
        let f = t.facts;
        TenderBody {
            id: t.id,
            reg_number: f.reg_number.to_string(),
            law: f.law.to_string(),
            title: f.title,
            url: f.url,
            customer: f.customer,
            customer_inn: f.customer_inn,
            region: f.region,
            max_price: f.max_price.map(|p| p.0),
            currency: f.currency,
            deadline: f.deadline.map(|d| d.to_rfc3339()),
            published_at: f.published_at.map(|d| d.to_rfc3339()),
            okpd2: f.okpd2,
            platform: f.platform,
            cancelled: f.cancelled,
            deal_id: t.deal_id,
            first_seen_at: rfc3339_ms(t.first_seen_at),
            updated_at: rfc3339_ms(t.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenderList {
    pub items: Vec<TenderBody>,
}

/// One earlier or current state of a tender.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionBody {
    pub version: i64,
    /// rss, notice or documents.
    pub source: String,
    pub recorded_at: String,
    #[schema(value_type = Object)]
    pub facts: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenderDetail {
    pub tender: TenderBody,
    pub searches: Vec<Hit>,
    pub versions: Vec<VersionBody>,
}

/// The deal after the answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerBody {
    pub deal_id: String,
    pub stage: String,
}

#[utoipa::path(
    get,
    path = "/tenders",
    tag = "tenders",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Tenders whose deal waits in the stage \"new\", newest first", body = TenderList),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not see tenders", body = ErrorBody),
    )
)]
pub async fn inbox(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<TenderList>, ApiError> {
    user.require(Permission::TendersRead)?;
    let items = inbox::inbox(&state.db, &crm(&state))
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(TenderList { items }))
}

#[utoipa::path(
    get,
    path = "/tenders/{id}",
    tag = "tenders",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The tender's id")),
    responses(
        (status = 200, description = "The tender, the searches that found it and its history (newest first)", body = TenderDetail),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not see tenders", body = ErrorBody),
        (status = 404, description = "No such tender", body = ErrorBody),
    )
)]
pub async fn get_tender(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TenderDetail>, ApiError> {
    user.require(Permission::TendersRead)?;
    let tender = tenders::get(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound("tender"))?;
    let searches = tenders::hits(&state.db, id).await?;
    let versions = tenders::versions(&state.db, id)
        .await?
        .into_iter()
        .map(|v| VersionBody {
            version: v.version,
            source: v.source,
            recorded_at: rfc3339_ms(v.recorded_at),
            facts: serde_json::to_value(&v.facts).unwrap_or_default(),
        })
        .collect();
    Ok(Json(TenderDetail {
        tender: tender.into(),
        searches,
        versions,
    }))
}

async fn answer(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    what: Answer,
) -> Result<Json<AnswerBody>, ApiError> {
    user.require(Permission::TendersWrite)?;
    let deal = inbox::answer(
        &state.db,
        &crm(state),
        id,
        what,
        &user.actor(),
        Some(user.user().person_id),
    )
    .await?;
    Ok(Json(AnswerBody {
        deal_id: deal.id,
        stage: deal.stage,
    }))
}

#[utoipa::path(
    post,
    path = "/tenders/{id}/take",
    tag = "tenders",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The tender's id")),
    responses(
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 200, description = "The deal moved to \"reviewing\"", body = AnswerBody),
        (status = 403, description = "The caller may not work on tenders", body = ErrorBody),
        (status = 404, description = "No such tender", body = ErrorBody),
        (status = 409, description = "The tender has no deal yet", body = ErrorBody),
        (status = 422, description = "A stage rule refused the move; the fields it misses", body = ErrorBody),
    )
)]
pub async fn take(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AnswerBody>, ApiError> {
    answer(&state, &user, id, Answer::Take).await
}

#[utoipa::path(
    post,
    path = "/tenders/{id}/dismiss",
    tag = "tenders",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The tender's id")),
    responses(
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 200, description = "The deal moved to \"lost\": not interesting", body = AnswerBody),
        (status = 403, description = "The caller may not work on tenders", body = ErrorBody),
        (status = 404, description = "No such tender", body = ErrorBody),
        (status = 409, description = "The tender has no deal yet", body = ErrorBody),
        (status = 422, description = "A stage rule refused the move; the fields it misses", body = ErrorBody),
    )
)]
pub async fn dismiss(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AnswerBody>, ApiError> {
    answer(&state, &user, id, Answer::NotInteresting).await
}
