//! `/api/v1/bank/payments` and `/api/v1/bank/filters`: the filtered payments list with
//! keyset paging, and the caller's saved filters.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shtab_core::auth::Permission;
use shtab_core::{CoreError, FieldError};
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ErrorBody};
use shtab_web::extract::{ApiJson, ApiPath, ApiQuery};

use super::dto::{
    BankNewSavedFilter, BankPaymentList, BankPaymentListParams, BankSavedFilter,
    BankSavedFilterList,
};
use super::list::PAGE_SIZE;
use crate::store::payment_list::{self, Cursor, MAX_LIMIT, RawFilter};
use crate::store::saved_filters;

/// Payments matching the filter, one page at a time. Follow `next` (as `after`) for the
/// next page; positions stay valid while payments are added.
#[utoipa::path(
    get,
    path = "/bank/payments",
    tag = "bank",
    params(BankPaymentListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of payments in the requested order", body = BankPaymentList),
        (status = 400, description = "The query string is malformed", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read the bank", body = ErrorBody),
        (status = 422, description = "A parameter is invalid (a date, an amount, a direction, a state, the order, `after` or `limit`); `fields` names it", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_payments(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(params): ApiQuery<BankPaymentListParams>,
) -> Result<Json<BankPaymentList>, ApiError> {
    user.require(Permission::BankRead)?;
    let (filter, mut errors) = match params.filter().parse() {
        Ok(f) => (Some(f), Vec::new()),
        Err(CoreError::Invalid(fields)) => (None, fields),
        Err(e) => return Err(e.into()),
    };
    let limit = match params.limit.as_deref().map(str::trim) {
        None | Some("") => PAGE_SIZE,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    "invalid_limit",
                    format!("«{l}» is not a number from 1 to {MAX_LIMIT}"),
                ));
                PAGE_SIZE
            }
        },
    };
    let after = match (&filter, params.after.as_deref().map(str::trim)) {
        (Some(f), Some(a)) if !a.is_empty() => match Cursor::parse(a, f.sort) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(e);
                None
            }
        },
        _ => None,
    };
    let Some(filter) = filter.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let page = payment_list::page(&state.db, &filter, after.as_ref(), limit).await?;
    let totals = payment_list::totals(&state.db, &filter).await?;
    Ok(Json(BankPaymentList {
        items: page.items.into_iter().map(Into::into).collect(),
        totals: totals.into(),
        next: page.next.map(|c| c.to_param()),
    }))
}

/// The caller's saved filters and those others shared.
#[utoipa::path(
    get,
    path = "/bank/filters",
    tag = "bank",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's filters first, then shared ones", body = BankSavedFilterList),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read the bank", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_filters(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<BankSavedFilterList>, ApiError> {
    user.require(Permission::BankRead)?;
    let me = user.user().id;
    let items = saved_filters::visible_to(&state.db, me).await?;
    Ok(Json(BankSavedFilterList {
        items: items
            .into_iter()
            .map(|f| BankSavedFilter::new(f, me.0))
            .collect(),
    }))
}

/// Save a filter under a name of the caller's; shared filters are seen by everyone who
/// reads the bank.
#[utoipa::path(
    post,
    path = "/bank/filters",
    tag = "bank",
    request_body = BankNewSavedFilter,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Saved", body = BankSavedFilter,
         headers(("Location" = String, description = "The caller's filters: `/api/v1/bank/filters`"))),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read the bank", body = ErrorBody),
        (status = 422, description = "No name, a name the caller already uses, or an invalid filter parameter in `query`; nothing was saved", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn create_filter(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<BankNewSavedFilter>,
) -> Result<Response, ApiError> {
    user.require(Permission::BankRead)?;
    let filter = RawFilter::from_query(&body.query).parse()?;
    let me = user.user().id;
    let saved = saved_filters::create(
        &state.db,
        &user.actor(),
        me,
        &body.name,
        &filter,
        body.shared,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            HeaderValue::from_static("/api/v1/bank/filters"),
        )],
        Json(BankSavedFilter::new(saved, me.0)),
    )
        .into_response())
}

/// Delete one of the caller's saved filters.
#[utoipa::path(
    delete,
    path = "/bank/filters/{id}",
    tag = "bank",
    params(("id" = i64, Path, description = "The saved filter's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "A filter someone else shared: only its owner deletes it", body = ErrorBody),
        (status = 404, description = "No such filter among those the caller sees", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn delete_filter(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    user.require(Permission::BankRead)?;
    saved_filters::delete(&state.db, &user.actor(), user.user().id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
