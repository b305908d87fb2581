//! `GET /api/v1/attention` and `GET /api/v1/search`: the home page's counts and the
//! header's search, for programs.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{attention, first_steps, search};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::i18n::Lang;
use crate::state::AppState;

/// A count of things needing a look.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttentionItemBody {
    /// Stable name, e.g. `bank.payments_attention`, `robots.failed`.
    pub key: String,
    pub count: i64,
    /// In the caller's language.
    pub label: String,
    /// The page listing exactly these (relative to the hub).
    pub href: String,
    /// The permission that page needs.
    pub permission: String,
}

/// A first step of setting up the hub (admins only; empty once all are done).
#[derive(Debug, Serialize, ToSchema)]
pub struct FirstStepBody {
    pub key: String,
    pub done: bool,
    pub label: String,
    pub href: String,
}

/// What needs the caller's attention, only of kinds the caller may open.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttentionBody {
    /// Every count the caller may see, zeros included.
    pub items: Vec<AttentionItemBody>,
    pub first_steps: Vec<FirstStepBody>,
}

/// Search terms.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GlobalSearchParams {
    /// What to look for: a name, a task key or title, an INN, an amount (`150000`,
    /// `1 500,50`), an invoice or tender number, words. Longer than 200 characters is cut.
    pub q: Option<String>,
    /// Results per group, 1–50; 5 when absent.
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
}

/// One result.
#[derive(Debug, Serialize, ToSchema)]
pub struct GlobalSearchHit {
    pub title: String,
    pub detail: String,
    /// Its page (relative to the hub).
    pub href: String,
}

/// Results of one kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct GlobalSearchGroup {
    /// `people`, `tasks`, `repositories`, `payments`, `invoices`, `tenders`, `deals`.
    pub key: String,
    pub label: String,
    pub hits: Vec<GlobalSearchHit>,
}

/// Results grouped by kind; only kinds the caller may open, only groups with hits.
#[derive(Debug, Serialize, ToSchema)]
pub struct GlobalSearchBody {
    pub q: String,
    pub groups: Vec<GlobalSearchGroup>,
}

/// What needs the caller's attention (the home page's counts) and, for admins, the first
/// steps not yet done.
#[utoipa::path(
    get,
    path = "/attention",
    tag = "home",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The counts the caller may see", body = AttentionBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn get_attention(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<Json<AttentionBody>, ApiError> {
    let items = attention::gather(&state, &user).await?;
    let steps = first_steps::pending(&state, &user).await?;
    Ok(Json(AttentionBody {
        items: items
            .into_iter()
            .map(|i| AttentionItemBody {
                key: i.key.into(),
                count: i.count,
                label: i.label(lang.0).into(),
                permission: i.permission.as_str().into(),
                href: i.href,
            })
            .collect(),
        first_steps: steps
            .into_iter()
            .map(|s| FirstStepBody {
                key: s.key.into(),
                done: s.done,
                label: s.label(lang.0).into(),
                href: s.href.into(),
            })
            .collect(),
    }))
}

/// Looks through people, tasks, repositories, payments, invoices, tenders and deals — those
/// the caller may open.
#[utoipa::path(
    get,
    path = "/search",
    tag = "home",
    params(GlobalSearchParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Results grouped by kind (none for an empty query)", body = GlobalSearchBody),
        (status = 400, description = "`limit` is not a number or outside 1–50", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    ApiQuery(params): ApiQuery<GlobalSearchParams>,
) -> Result<Json<GlobalSearchBody>, ApiError> {
    let text = params.q.unwrap_or_default();
    let limit = params.limit.unwrap_or(search::PER_GROUP);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be from 1 to 50, not {limit}"
        )));
    }
    let groups = match search::query(&text, limit, lang.0) {
        Some(q) => search::gather(&state, &user, &q).await?,
        None => Vec::new(),
    };
    Ok(Json(GlobalSearchBody {
        q: text.trim().to_string(),
        groups: groups
            .into_iter()
            .map(|g| GlobalSearchGroup {
                key: g.key.into(),
                label: g.label(lang.0).into(),
                hits: g
                    .hits
                    .into_iter()
                    .map(|h| GlobalSearchHit {
                        title: h.title,
                        detail: h.detail,
                        href: h.href,
                    })
                    .collect(),
            })
            .collect(),
    }))
}
