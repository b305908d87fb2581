//! `/api/v1/tenders/searches`: saved searches for scripts, with the portal's URLs and a
//! preview that fetches and filters without storing.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shtab_core::auth::Permission;
use shtab_core::time::rfc3339_ms;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ErrorBody};
use shtab_web::extract::{ApiJson, ApiPath};
use utoipa::ToSchema;

use super::ingest;
use crate::store::searches::{self, SavedSearch, SearchInput, SearchRun};

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchBody {
    pub id: i64,
    pub name: String,
    /// Keywords, exclusions, laws, prices (kopecks), OKPD2, regions, stages.
    #[schema(value_type = Object)]
    pub spec: crate::domain::SavedSearchSpec,
    pub responsible: Option<i64>,
    pub enabled: bool,
    pub schedule: String,
    pub use_documents: bool,
    /// The same search on the portal's results page, to open in a browser.
    pub browser_url: String,
    /// The RSS feeds the robot polls.
    pub rss_urls: Vec<String>,
    pub last_run_at: Option<String>,
    pub last_runs: Vec<SearchRun>,
}

async fn body(state: &AppState, s: SavedSearch) -> Result<SearchBody, ApiError> {
    let last_runs = searches::runs(&state.db, s.id, 10).await?;
    Ok(SearchBody {
        browser_url: s.spec.browser_url(),
        rss_urls: s.spec.rss_urls(),
        id: s.id,
        name: s.name,
        spec: s.spec,
        responsible: s.responsible.map(|p| p.0),
        enabled: s.enabled,
        schedule: s.schedule,
        use_documents: s.use_documents,
        last_run_at: s.last_run_at.map(rfc3339_ms),
        last_runs,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchList {
    pub items: Vec<SearchBody>,
}

#[utoipa::path(
    get,
    path = "/tenders/searches",
    tag = "tenders",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The saved searches, by name", body = SearchList),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not see tenders", body = ErrorBody),
    )
)]
pub async fn list_searches(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<SearchList>, ApiError> {
    user.require(Permission::TendersRead)?;
    let mut items = Vec::new();
    for s in searches::list(&state.db).await? {
        items.push(body(&state, s).await?);
    }
    Ok(Json(SearchList { items }))
}

#[utoipa::path(
    post,
    path = "/tenders/searches",
    tag = "tenders",
    request_body = SearchInput,
    security(("bearer" = [])),
    responses(
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 201, description = "Created", body = SearchBody),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 403, description = "The caller may not manage searches", body = ErrorBody),
        (status = 422, description = "Invalid fields (name taken, bad schedule, price range, codes); nothing was written", body = ErrorBody),
    )
)]
pub async fn create_search(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<SearchInput>,
) -> Result<Response, ApiError> {
    user.require(Permission::TendersWrite)?;
    let s = searches::create(
        &state.db,
        &user.actor(),
        &input,
        &state.config.server.time_zone,
    )
    .await?;
    let location = format!("/api/v1/tenders/searches/{}", s.id);
    let mut response = (StatusCode::CREATED, Json(body(&state, s).await?)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

#[utoipa::path(
    get,
    path = "/tenders/searches/{id}",
    tag = "tenders",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The search's id")),
    responses(
        (status = 403, description = "The caller may not see tenders", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 200, description = "The search", body = SearchBody),
        (status = 404, description = "No such search", body = ErrorBody),
    )
)]
pub async fn get_search(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SearchBody>, ApiError> {
    user.require(Permission::TendersRead)?;
    let s = searches::get(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound("search"))?;
    Ok(Json(body(&state, s).await?))
}

#[utoipa::path(
    put,
    path = "/tenders/searches/{id}",
    tag = "tenders",
    request_body = SearchInput,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The search's id")),
    responses(
        (status = 403, description = "The caller may not see tenders", body = ErrorBody),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 200, description = "Saved", body = SearchBody),
        (status = 404, description = "No such search", body = ErrorBody),
        (status = 422, description = "Invalid fields; nothing was written", body = ErrorBody),
    )
)]
pub async fn update_search(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<SearchInput>,
) -> Result<Json<SearchBody>, ApiError> {
    user.require(Permission::TendersWrite)?;
    let s = searches::update(
        &state.db,
        &user.actor(),
        id,
        &input,
        &state.config.server.time_zone,
    )
    .await?;
    Ok(Json(body(&state, s).await?))
}

/// A tender the search turns up now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandidateBody {
    pub reg_number: String,
    pub title: String,
    pub url: String,
    /// Kopecks.
    pub max_price: Option<i64>,
    pub accepted: bool,
    /// Why the search does not want it: law, no_keyword, excluded_word, price_below_min,
    /// price_above_max, okpd2, region, deadline_passed, stage.
    pub rejection: Option<String>,
    /// Stored already with these facts.
    pub known: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewBody {
    pub items: Vec<CandidateBody>,
}

#[utoipa::path(
    post,
    path = "/tenders/searches/{id}/preview",
    tag = "tenders",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The search's id")),
    responses(
        (status = 403, description = "The caller may not see tenders", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 200, description = "What the search finds now; nothing is stored", body = PreviewBody),
        (status = 404, description = "No such search", body = ErrorBody),
        (status = 502, description = "The portal failed (its error page, a timeout, broken XML); the message says which", body = ErrorBody),
    )
)]
pub async fn preview_search(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    user.require(Permission::TendersRead)?;
    let s = searches::get(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound("search"))?;
    match ingest(&state).preview(&s).await {
        Ok(list) => {
            let items = list
                .into_iter()
                .map(|c| CandidateBody {
                    reg_number: c.facts.reg_number.to_string(),
                    title: c.facts.title,
                    url: c.facts.url,
                    max_price: c.facts.max_price.map(|p| p.0),
                    accepted: c.rejection.is_none(),
                    rejection: c
                        .rejection
                        .and_then(|r| serde_json::to_value(r).ok())
                        .and_then(|v| v["reason"].as_str().map(str::to_owned)),
                    known: c.known,
                })
                .collect();
            Ok(Json(PreviewBody { items }).into_response())
        }
        Err(crate::service::IngestError::Store(e)) => Err(e.into()),
        Err(e) => Ok((
            StatusCode::BAD_GATEWAY,
            Json(serde_json::json!({"error": {"code": "portal_failed", "message": e.to_string()}})),
        )
            .into_response()),
    }
}
