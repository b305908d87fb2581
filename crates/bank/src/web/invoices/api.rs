//! `/api/v1/invoices`: the built-in invoices for scripts and accounting systems. Same rules
//! as the pages (the store enforces them).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ErrorBody};
use shtab_web::extract::{ApiJson, ApiPath, ApiQuery};

use super::dto::{
    InvoiceBody, InvoiceDetail, InvoiceImportErrorBody, InvoiceImportResult, InvoiceList,
    InvoiceListParams, InvoicePatch, InvoiceStateFilter, NewInvoice, api_field_names,
};
use super::list::today;
use crate::invoices::{
    self, InvoiceId, ListFilter, RawInvoiceChange, RawInvoiceInput, RowError, StateFilter,
};
use shtab_core::ports::InvoiceState;

/// Field errors under the names the API uses.
fn api_error(e: CoreError) -> ApiError {
    match e {
        CoreError::Invalid(fields) => ApiError::Invalid(api_field_names(fields)),
        other => other.into(),
    }
}

/// List invoices, newest first, filtered and paged, with totals over all that were found.
#[utoipa::path(
    get,
    path = "/invoices",
    tag = "invoices",
    params(InvoiceListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of invoices, newest first", body = InvoiceList),
        (status = 400, description = "A query parameter is malformed", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read invoices", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_invoices(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(params): ApiQuery<InvoiceListParams>,
) -> Result<Json<InvoiceList>, ApiError> {
    user.require(Permission::InvoicesRead)?;
    let state_filter = match params.state.unwrap_or_default() {
        InvoiceStateFilter::Unpaid => StateFilter::Unpaid,
        InvoiceStateFilter::Open => StateFilter::Is(InvoiceState::Open),
        InvoiceStateFilter::PartiallyPaid => StateFilter::Is(InvoiceState::PartiallyPaid),
        InvoiceStateFilter::Paid => StateFilter::Is(InvoiceState::Paid),
        InvoiceStateFilter::Cancelled => StateFilter::Is(InvoiceState::Cancelled),
        InvoiceStateFilter::All => StateFilter::All,
    };
    let today = today(&state);
    let filter = ListFilter {
        q: params.q,
        state: state_filter,
        overdue: params.overdue.unwrap_or(false),
        today,
        offset: shtab_web::paging::offset("offset", params.offset)?,
        limit: shtab_web::paging::limit("limit", params.limit, 50, 500)?,
    };
    let page = invoices::list(&state.db, &filter).await?;
    Ok(Json(InvoiceList::new(page, today)))
}

/// Create an invoice. It starts `open`, and payments of its payer waiting for an invoice
/// are matched to it.
#[utoipa::path(
    post,
    path = "/invoices",
    tag = "invoices",
    request_body = NewInvoice,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = InvoiceBody,
         headers(("Location" = String, description = "The new invoice in the API: `/api/v1/invoices/{id}`"))),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not change invoices", body = ErrorBody),
        (status = 422, description = "Invalid fields (a wrong INN, an amount not above zero, a number this payer already has, an unknown responsible person…); nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn create_invoice(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewInvoice>,
) -> Result<Response, ApiError> {
    user.require(Permission::InvoicesWrite)?;
    let input = RawInvoiceInput::from(body).parse().map_err(api_error)?;
    let invoice = invoices::create(&state.db, &user.actor(), &input)
        .await
        .map_err(api_error)?;
    let location = HeaderValue::from_str(&format!("/api/v1/invoices/{}", invoice.id))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let body = InvoiceBody::new(invoice, today(&state));
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

/// One invoice with the payments allocated to it.
#[utoipa::path(
    get,
    path = "/invoices/{id}",
    tag = "invoices",
    params(("id" = i64, Path, description = "The invoice's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The invoice", body = InvoiceDetail),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read invoices", body = ErrorBody),
        (status = 404, description = "No such invoice", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn get_invoice(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<InvoiceDetail>, ApiError> {
    user.require(Permission::InvoicesRead)?;
    let invoice = invoices::get(&state.db, InvoiceId(id)).await?;
    let allocations = invoices::allocations(&state.db, InvoiceId(id)).await?;
    Ok(Json(InvoiceDetail {
        invoice: InvoiceBody::new(invoice, today(&state)),
        allocations: allocations.into_iter().map(Into::into).collect(),
    }))
}

/// Change an invoice's number, date, payer, amount, due date or responsible person; fields
/// left out keep their value.
#[utoipa::path(
    patch,
    path = "/invoices/{id}",
    tag = "invoices",
    params(("id" = i64, Path, description = "The invoice's id")),
    request_body = InvoicePatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The invoice as saved", body = InvoiceBody),
        (status = 400, description = "The id is not a number, or the body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not change invoices", body = ErrorBody),
        (status = 404, description = "No such invoice", body = ErrorBody),
        (status = 409, description = "The invoice is cancelled", body = ErrorBody),
        (status = 422, description = "Invalid fields (an amount below what is paid, a new payer while payments are allocated, a taken number…); nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn update_invoice(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<InvoicePatch>,
) -> Result<Json<InvoiceBody>, ApiError> {
    user.require(Permission::InvoicesWrite)?;
    let change = RawInvoiceChange::from(patch).parse().map_err(api_error)?;
    let invoice = invoices::update(&state.db, &user.actor(), InvoiceId(id), &change)
        .await
        .map_err(api_error)?;
    Ok(Json(InvoiceBody::new(invoice, today(&state))))
}

/// Cancel an invoice no payment is allocated to. Cancelling a cancelled invoice changes
/// nothing.
#[utoipa::path(
    post,
    path = "/invoices/{id}/cancel",
    tag = "invoices",
    params(("id" = i64, Path, description = "The invoice's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The invoice, now `cancelled`", body = InvoiceBody),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not change invoices", body = ErrorBody),
        (status = 404, description = "No such invoice", body = ErrorBody),
        (status = 409, description = "Payments are allocated to the invoice; take them off first", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn cancel_invoice(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<InvoiceBody>, ApiError> {
    user.require(Permission::InvoicesWrite)?;
    let invoice = invoices::cancel(&state.db, &user.actor(), InvoiceId(id)).await?;
    Ok(Json(InvoiceBody::new(invoice, today(&state))))
}

/// Add invoices from a CSV file (UTF-8 or Windows-1251, `,` or `;`, a header row). All or
/// nothing: with any bad row nothing is written and every bad row is listed by its line.
#[utoipa::path(
    post,
    path = "/invoices/import",
    tag = "invoices",
    request_body(
        content = String,
        content_type = "text/csv",
        description = "Columns by header: number (номер), date (дата), payer (плательщик), inn (ИНН), \
                       amount (сумма, roubles: `1 234,56`), due (срок оплаты, optional), \
                       responsible (ответственный: the manager's e-mail, optional)"
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Imported", body = InvoiceImportResult),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not change invoices", body = ErrorBody),
        (status = 422, description = "The file cannot be read, or rows have errors (listed in `rows`); nothing was written", body = InvoiceImportErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn import_invoices(
    State(state): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Json<InvoiceImportResult>, ImportRefused> {
    user.require(Permission::InvoicesWrite)
        .map_err(ApiError::from)?;
    let report = invoices::import_csv(&state.db, &user.actor(), &body)
        .await
        .map_err(ApiError::from)?;
    if report.errors.is_empty() {
        Ok(Json(report.into()))
    } else {
        Err(ImportRefused::Rows(report.errors))
    }
}

/// Why an import wrote nothing: the usual API errors, or bad rows, listed one by one.
pub enum ImportRefused {
    Api(ApiError),
    Rows(Vec<RowError>),
}

impl From<ApiError> for ImportRefused {
    fn from(e: ApiError) -> Self {
        ImportRefused::Api(e)
    }
}

impl IntoResponse for ImportRefused {
    fn into_response(self) -> Response {
        match self {
            ImportRefused::Api(e) => e.into_response(),
            ImportRefused::Rows(rows) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(InvoiceImportErrorBody::rows(rows)),
            )
                .into_response(),
        }
    }
}
