//! `/api/v1/bank/payments/{id}`: one payment with its allocations, allocating it by hand,
//! taking an allocation back, and running the matcher on it again. Same rules as the page.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ErrorBody};
use shtab_web::extract::{ApiJson, ApiPath};

use super::dto::{BankMatchRun, BankNewAllocation, BankPaymentAllocation, BankPaymentBody};
use crate::domain::Kopecks;
use crate::service::matching::Matcher;
use crate::store::{allocations, payments};

async fn body(state: &AppState, id: i64) -> Result<BankPaymentBody, ApiError> {
    let payment = payments::get(&state.db, id).await?;
    let allocations = allocations::of_payment(&state.db, id).await?;
    Ok(BankPaymentBody::new(payment, allocations))
}

/// One payment: every field, its matching state and reason, its allocations.
#[utoipa::path(
    get,
    path = "/bank/payments/{id}",
    tag = "bank",
    params(("id" = i64, Path, description = "The payment's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The payment", body = BankPaymentBody),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read the bank", body = ErrorBody),
        (status = 404, description = "No such payment", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn get_payment(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<BankPaymentBody>, ApiError> {
    user.require(Permission::BankRead)?;
    Ok(Json(body(&state, id).await?))
}

/// Allocate part of an incoming payment to an invoice by hand. Never more than is left of
/// the payment or of the invoice; only to an invoice of the payer's INN (any invoice when
/// the bank reported no INN). A second allocation to the same invoice adds to the first.
#[utoipa::path(
    post,
    path = "/bank/payments/{id}/allocations",
    tag = "bank",
    params(("id" = i64, Path, description = "The payment's id")),
    request_body = BankNewAllocation,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Allocated; the allocation as stored", body = BankPaymentAllocation,
         headers(("Location" = String, description = "The payment in the API: `/api/v1/bank/payments/{id}`"))),
        (status = 400, description = "The id is not a number, or the body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not allocate payments", body = ErrorBody),
        (status = 404, description = "No such payment", body = ErrorBody),
        (status = 409, description = "The payment is not incoming", body = ErrorBody),
        (status = 422, description = "Refused: no such invoice (`invoice_id`: `not_found`), a paid or cancelled one (`invoice_closed`), another INN's (`foreign_invoice`), an amount not positive (`amount_not_positive`) or above what is left of the payment (`exceeds_payment`) or of the invoice (`exceeds_invoice`); nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn allocate(
    Extension(matcher): Extension<Matcher>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<BankNewAllocation>,
) -> Result<Response, ApiError> {
    user.require(Permission::BankManage)?;
    let stored = matcher
        .allocate(&user.actor(), id, &input.invoice_id, Kopecks(input.amount))
        .await?;
    let location = HeaderValue::from_str(&format!("/api/v1/bank/payments/{id}"))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let body: BankPaymentAllocation = stored.into();
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

/// Take an allocation back. The payment then waits for a person (`attention`), and the
/// invoice's paid amount and state follow.
#[utoipa::path(
    delete,
    path = "/bank/payments/{id}/allocations/{allocation_id}",
    tag = "bank",
    params(
        ("id" = i64, Path, description = "The payment's id"),
        ("allocation_id" = i64, Path, description = "The allocation's id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Removed; the payment as it is now", body = BankPaymentBody),
        (status = 400, description = "An id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not allocate payments", body = ErrorBody),
        (status = 404, description = "No such payment, or no such allocation of it", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn unallocate(
    State(state): State<AppState>,
    Extension(matcher): Extension<Matcher>,
    user: CurrentUser,
    ApiPath((id, allocation_id)): ApiPath<(i64, i64)>,
) -> Result<Json<BankPaymentBody>, ApiError> {
    user.require(Permission::BankManage)?;
    matcher.unallocate(&user.actor(), id, allocation_id).await?;
    Ok(Json(body(&state, id).await?))
}

/// Run the matcher on the payment again, as after an import. A settled payment (matched,
/// or with money allocated by a person) is left alone; a payment waiting for an invoice or
/// for a person is decided again, and the responsible manager is told when the decision is
/// news.
#[utoipa::path(
    post,
    path = "/bank/payments/{id}/match",
    tag = "bank",
    params(("id" = i64, Path, description = "The payment's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What the run did, and the payment after it", body = BankMatchRun),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not allocate payments", body = ErrorBody),
        (status = 404, description = "No such payment", body = ErrorBody),
        (status = 409, description = "The payer's invoices kept changing during the run; try again", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn rematch(
    State(state): State<AppState>,
    Extension(matcher): Extension<Matcher>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<BankMatchRun>, ApiError> {
    user.require(Permission::BankManage)?;
    let result = matcher.match_payment_as(&user.actor(), id).await?;
    Ok(Json(BankMatchRun::new(&result, body(&state, id).await?)))
}
