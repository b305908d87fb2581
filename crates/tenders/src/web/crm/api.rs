//! `/api/v1/deals`: the built-in CRM's deals for scripts and other systems. The same rules
//! as the pages: a move the stage rules refuse is refused here too (422, one field error
//! per missing field), so a gate cannot be bypassed through the API.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shtab_core::auth::Permission;
use shtab_core::time::rfc3339_ms;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ErrorBody};
use shtab_web::extract::{ApiJson, ApiPath, ApiQuery};
use utoipa::{IntoParams, ToSchema};

use super::{crm, deals};
use crate::crm::{DEFAULT_PIPELINE, DealRecord, HistoryEntry, SentEmail};

/// A deal.
#[derive(Debug, Serialize, ToSchema)]
pub struct DealBody {
    #[schema(example = 7)]
    pub id: i64,
    #[schema(example = "tenders")]
    pub pipeline: String,
    #[schema(example = "approval")]
    pub stage: String,
    pub title: String,
    pub responsible_id: Option<i64>,
    /// The tender's registration number for deals the robot made.
    pub external_key: Option<String>,
    /// By name; money as integer kopecks, times as RFC 3339.
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    /// The deal's page, relative to the hub.
    pub url: String,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
}

impl From<DealRecord> for DealBody {
    fn from(d: DealRecord) -> Self {
        DealBody {
            url: format!("/deals/{}", d.id),
            id: d.id,
            pipeline: d.pipeline,
            stage: d.stage,
            title: d.title,
            responsible_id: d.responsible.map(|p| p.0),
            external_key: d.external_key,
            fields: d.fields,
            created_at: rfc3339_ms(d.created_at),
            updated_at: rfc3339_ms(d.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealList {
    pub items: Vec<DealBody>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DealListParams {
    /// The pipeline; `tenders` when left out.
    pub pipeline: Option<String>,
    /// Only deals in this stage.
    pub stage: Option<String>,
    /// At most this many (500 by default), most recently changed first.
    #[param(minimum = 1, maximum = 5000)]
    pub limit: Option<i64>,
}

/// Where to move a deal.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DealMove {
    #[schema(example = "approval")]
    pub stage: String,
}

/// Field values to write; `null` or `""` clears one. Money may be integer kopecks or text
/// as people type it (`"1 234 567,89"`).
/// Unknown keys are refused: a `"stage"` here would otherwise be ignored with a 200, and
/// the client would believe the deal moved (moves go through `…/move`, which checks the
/// stage rules).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealFieldsPatch {
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    /// The person responsible (told when the deal enters a stage that notifies); `null`
    /// for nobody; left out: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub responsible_id: Option<Option<i64>>,
}

/// Tells a `null` apart from a key left out.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealHistoryItem {
    pub at: String,
    pub actor: String,
    /// created, moved, fields, action.
    pub kind: String,
    pub from_stage: Option<String>,
    pub to_stage: Option<String>,
    #[schema(value_type = Object)]
    pub detail: Value,
}

impl From<HistoryEntry> for DealHistoryItem {
    fn from(h: HistoryEntry) -> Self {
        DealHistoryItem {
            at: rfc3339_ms(h.at),
            actor: h.actor,
            kind: h.kind,
            from_stage: h.from_stage,
            to_stage: h.to_stage,
            detail: h.detail,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealEmailItem {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// pending, sent, failed, dead.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

impl From<SentEmail> for DealEmailItem {
    fn from(e: SentEmail) -> Self {
        DealEmailItem {
            id: e.id,
            to: e.to,
            subject: e.subject,
            body: e.body,
            status: e.status,
            attempts: e.attempts,
            last_error: e.last_error,
            created_at: rfc3339_ms(e.created_at),
            sent_at: e.sent_at.map(rfc3339_ms),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealHistoryBody {
    pub history: Vec<DealHistoryItem>,
    pub emails: Vec<DealEmailItem>,
}

/// List deals of a pipeline, most recently changed first.
#[utoipa::path(
    get, path = "/deals", tag = "deals", params(DealListParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "The deals", body = DealList),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read deals", body = ErrorBody),
        (status = 404, description = "No such pipeline", body = ErrorBody),
    )
)]
pub async fn list_deals(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(p): ApiQuery<DealListParams>,
) -> Result<Json<DealList>, ApiError> {
    user.require(Permission::TendersRead)?;
    let crm = crm(&state);
    let pipeline = p.pipeline.unwrap_or_else(|| DEFAULT_PIPELINE.to_string());
    crm.pipeline(&pipeline).await?;
    if let Some(board) = deals(&state).board_elsewhere(&pipeline).await? {
        return Err(ApiError::Conflict(format!(
            "the deals are kept on Bitrix24, not listed here: {board}"
        )));
    }
    let deals = crm
        .deals(
            &pipeline,
            p.stage.as_deref().filter(|s| !s.is_empty()),
            shtab_web::paging::limit("limit", p.limit, 500, 5000)?,
        )
        .await?;
    Ok(Json(DealList {
        items: deals.into_iter().map(Into::into).collect(),
    }))
}

/// One deal.
#[utoipa::path(
    get, path = "/deals/{id}", tag = "deals", params(("id" = i64, Path, description = "The deal's number")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The deal", body = DealBody),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read deals", body = ErrorBody),
        (status = 404, description = "No such deal", body = ErrorBody),
    )
)]
pub async fn get_deal(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DealBody>, ApiError> {
    user.require(Permission::TendersRead)?;
    Ok(Json(deals(&state).deal(id).await?.0.into()))
}

/// Move a deal to another stage of its pipeline. The stage rules are checked first: a
/// refusal is a 422 with one field error per missing field, and nothing changes. Then the
/// new stage's entry actions run (e-mails and notifications are queued).
#[utoipa::path(
    post, path = "/deals/{id}/move", tag = "deals", params(("id" = i64, Path, description = "The deal's number")),
    request_body = DealMove, security(("bearer" = [])),
    responses(
        (status = 200, description = "Moved; the deal as it is now", body = DealBody),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not change deals", body = ErrorBody),
        (status = 404, description = "No such deal", body = ErrorBody),
        (status = 409, description = "Someone else moved the deal meanwhile", body = ErrorBody),
        (status = 422, description = "Refused: an unknown stage, or fields the rules require are missing (each named)", body = ErrorBody),
    )
)]
pub async fn move_deal(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DealMove>,
) -> Result<Json<DealBody>, ApiError> {
    user.require(Permission::TendersWrite)?;
    Ok(Json(
        deals(&state)
            .move_to(id, &body.stage, &user.actor())
            .await?
            .into(),
    ))
}

/// Write field values of a deal, or its responsible person; what is left out keeps its
/// value. Everything is checked before anything is written.
#[utoipa::path(
    patch, path = "/deals/{id}", tag = "deals", params(("id" = i64, Path, description = "The deal's number")),
    request_body = DealFieldsPatch, security(("bearer" = [])),
    responses(
        (status = 200, description = "The deal as saved", body = DealBody),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not change deals", body = ErrorBody),
        (status = 404, description = "No such deal", body = ErrorBody),
        (status = 422, description = "A value does not fit its field, or the pipeline has no such field; nothing was written", body = ErrorBody),
    )
)]
pub async fn patch_deal(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DealFieldsPatch>,
) -> Result<Json<DealBody>, ApiError> {
    user.require(Permission::TendersWrite)?;
    let crm = deals(&state);
    let (deal, _) = crm.deal(id).await?;
    let pipeline = crm.pipeline(&deal.pipeline).await?;
    crate::crm::domain::read_fields(&pipeline, &body.fields, true).map_err(ApiError::Invalid)?;
    if let Some(person) = body.responsible_id {
        crm.assign(id, person.map(shtab_core::ids::PersonId), &user.actor())
            .await?;
    }
    Ok(Json(
        crm.write(id, &body.fields, &user.actor(), true)
            .await?
            .into(),
    ))
}

/// A deal's history (oldest first) and the e-mails its stages sent, with their status.
#[utoipa::path(
    get, path = "/deals/{id}/history", tag = "deals", params(("id" = i64, Path, description = "The deal's number")), security(("bearer" = [])),
    responses(
        (status = 200, description = "History and e-mails", body = DealHistoryBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read deals", body = ErrorBody),
        (status = 404, description = "No such deal", body = ErrorBody),
    )
)]
pub async fn deal_history(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DealHistoryBody>, ApiError> {
    user.require(Permission::TendersRead)?;
    let crm = deals(&state);
    crm.deal(id).await?;
    Ok(Json(DealHistoryBody {
        history: crm.history(id).await?.into_iter().map(Into::into).collect(),
        emails: crm.emails(id).await?.into_iter().map(Into::into).collect(),
    }))
}
