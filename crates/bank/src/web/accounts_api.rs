//! `/api/v1/bank/accounts` and `/api/v1/bank/imports`: our bank accounts and statement
//! imports, for scripts and other systems. Same rules as the pages. The T-Bank token can
//! be set or removed here but is never returned.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shtab_core::auth::Permission;
use shtab_core::time::rfc3339_ms;
use shtab_core::types::Locale;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ErrorBody};
use shtab_web::extract::{ApiJson, ApiPath, ApiQuery};
use utoipa::{IntoParams, ToSchema};

use crate::service::import::{AccountImport, ImportReport, import_statement_file};
use crate::store::accounts::{self, AccountId, BankAccount, RawAccountChange, RawAccountInput};
use crate::store::imports::{self, Import};

/// A bank account. The T-Bank token is write-only: `has_tbank_token` says whether one is
/// set.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountBody {
    pub id: i64,
    /// 20 digits.
    pub number: String,
    pub bic: String,
    pub bank_name: String,
    /// ISO 4217 letters.
    pub currency: String,
    pub title: String,
    pub has_tbank_token: bool,
    /// The robot pulls T-Bank statements from this day on (YYYY-MM-DD).
    pub tbank_from: Option<String>,
    /// Kopecks, as the latest statement reported.
    pub balance: Option<i64>,
    /// When the balance holds (RFC 3339): the end of the statement's last day.
    pub balance_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<BankAccount> for AccountBody {
    fn from(a: BankAccount) -> Self {
        AccountBody {
            id: a.id.0,
            number: a.number.to_string(),
            bic: a.bic.to_string(),
            bank_name: a.bank_name,
            currency: a.currency,
            title: a.title,
            has_tbank_token: a.has_tbank_token,
            tbank_from: a.tbank_from.map(|d| d.to_string()),
            balance: a.balance.map(|b| b.as_i64()),
            balance_at: a.balance_at.map(rfc3339_ms),
            created_at: rfc3339_ms(a.created_at),
            updated_at: rfc3339_ms(a.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    pub items: Vec<AccountBody>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewAccount {
    /// 20 digits.
    pub number: String,
    /// 9 digits.
    pub bic: String,
    pub bank_name: String,
    /// Default RUB.
    pub currency: String,
    pub title: String,
    /// T-Bank Business API token; empty or absent: no API source.
    pub tbank_token: String,
    /// YYYY-MM-DD.
    pub tbank_from: String,
}

/// Fields left out keep their value. The number cannot change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AccountPatch {
    pub bic: Option<String>,
    pub bank_name: Option<String>,
    pub currency: Option<String>,
    pub title: Option<String>,
    /// A new token; `""` removes the one set.
    pub tbank_token: Option<String>,
    /// YYYY-MM-DD; `""` clears it.
    pub tbank_from: Option<String>,
}

/// What an import did, in total and per account.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportBody {
    /// The statement's first account.
    pub account_id: i64,
    pub account_number: String,
    pub import_id: i64,
    pub new: u64,
    pub known: u64,
    /// "3 new, 10 already known".
    pub message: String,
    pub accounts: Vec<AccountImportBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountImportBody {
    pub account_id: i64,
    pub account_number: String,
    pub import_id: i64,
    pub new: u64,
    pub known: u64,
    /// The closing balance recorded from the statement (kopecks), if any.
    pub balance: Option<i64>,
}

impl From<AccountImport> for AccountImportBody {
    fn from(a: AccountImport) -> Self {
        AccountImportBody {
            account_id: a.account.0,
            account_number: a.account_number,
            import_id: a.import_id,
            new: a.new,
            known: a.known,
            balance: a.balance.map(|b| b.as_i64()),
        }
    }
}

impl From<ImportReport> for ImportReportBody {
    fn from(r: ImportReport) -> Self {
        ImportReportBody {
            message: r.summary(Locale::En),
            account_id: r.account.0,
            account_number: r.account_number,
            import_id: r.import_id,
            new: r.new,
            known: r.known,
            accounts: r.accounts.into_iter().map(Into::into).collect(),
        }
    }
}

/// One import (one account of one file or API pull).
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportBody {
    pub id: i64,
    pub account_id: i64,
    pub account_number: String,
    /// `1c` or `tbank`.
    pub source: String,
    /// Empty for an API pull.
    pub file_name: String,
    pub new: i64,
    pub known: i64,
    /// Who imported it.
    pub actor: String,
    pub created_at: String,
}

impl From<Import> for ImportBody {
    fn from(i: Import) -> Self {
        ImportBody {
            id: i.id,
            account_id: i.account_id.0,
            account_number: i.account_number,
            source: i.source,
            file_name: i.file_name,
            new: i.new_count,
            known: i.known_count,
            actor: i.actor,
            created_at: rfc3339_ms(i.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportList {
    pub items: Vec<ImportBody>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportListParams {
    /// Only this account's imports.
    pub account_id: Option<i64>,
    /// At most this many, newest first; 50 by default.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// The file's name, kept with the import for people to recognise it.
    pub file_name: Option<String>,
}

/// List our bank accounts, by number.
#[utoipa::path(
    get,
    path = "/bank/accounts",
    tag = "bank",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The accounts, by number", body = AccountList),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not see bank accounts", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_accounts(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<AccountList>, ApiError> {
    user.require(Permission::BankRead)?;
    let items = accounts::list(&state.db).await?;
    Ok(Json(AccountList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Add a bank account.
#[utoipa::path(
    post,
    path = "/bank/accounts",
    tag = "bank",
    request_body = NewAccount,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = AccountBody,
         headers(("Location" = String, description = "The new account in the API: `/api/v1/bank/accounts/{id}`"))),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not manage bank accounts", body = ErrorBody),
        (status = 422, description = "Invalid fields (a malformed account number or BIC, a taken number, a currency that disagrees with the number); nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn create_account(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewAccount>,
) -> Result<Response, ApiError> {
    user.require(Permission::BankManage)?;
    let input = RawAccountInput {
        number: body.number,
        bic: body.bic,
        bank_name: body.bank_name,
        currency: body.currency,
        title: body.title,
        tbank_token: body.tbank_token,
        tbank_from: body.tbank_from,
    }
    .parse()?;
    let account = accounts::create(&state.db, &user.actor(), &input).await?;
    let location = HeaderValue::from_str(&format!("/api/v1/bank/accounts/{}", account.id))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let body: AccountBody = account.into();
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response())
}

/// One bank account.
#[utoipa::path(
    get,
    path = "/bank/accounts/{id}",
    tag = "bank",
    params(("id" = i64, Path, description = "The account's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = AccountBody),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not see bank accounts", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn get_account(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AccountBody>, ApiError> {
    user.require(Permission::BankRead)?;
    Ok(Json(accounts::get(&state.db, AccountId(id)).await?.into()))
}

/// Change a bank account: BIC, bank, currency, title, T-Bank token and start date.
#[utoipa::path(
    patch,
    path = "/bank/accounts/{id}",
    tag = "bank",
    params(("id" = i64, Path, description = "The account's id")),
    request_body = AccountPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account as saved", body = AccountBody),
        (status = 400, description = "The id is not a number, or the body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not manage bank accounts", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 422, description = "Invalid fields; nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn update_account(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<AccountPatch>,
) -> Result<Json<AccountBody>, ApiError> {
    user.require(Permission::BankManage)?;
    let change = RawAccountChange {
        bic: patch.bic,
        bank_name: patch.bank_name,
        currency: patch.currency,
        title: patch.title,
        tbank_token: patch.tbank_token,
        tbank_from: patch.tbank_from,
    }
    .parse()?;
    let account = accounts::update(&state.db, &user.actor(), AccountId(id), &change).await?;
    Ok(Json(account.into()))
}

/// Recent statement imports, newest first.
#[utoipa::path(
    get,
    path = "/bank/imports",
    tag = "bank",
    params(ImportListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Imports, newest first", body = ImportList),
        (status = 400, description = "A query parameter is malformed", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not see bank accounts", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_imports(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(params): ApiQuery<ImportListParams>,
) -> Result<Json<ImportList>, ApiError> {
    user.require(Permission::BankRead)?;
    let items = imports::recent(
        &state.db,
        params.account_id.map(AccountId),
        shtab_web::paging::limit("limit", params.limit, 50, 500)?,
    )
    .await?;
    Ok(Json(ImportList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Import a statement: the file itself as the body (1CClientBankExchange in windows-1251,
/// cp866 or UTF-8, or T-Bank statement JSON). Each payment is stored once; all or nothing.
#[utoipa::path(
    post,
    path = "/bank/imports",
    tag = "bank",
    params(ImportParams),
    request_body(
        content = String,
        content_type = "application/octet-stream",
        description = "The statement file's bytes, as the bank produced them"
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Imported: how many payments are new and how many were already known", body = ImportReportBody),
        (status = 400, description = "A query parameter is malformed", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not import statements", body = ErrorBody),
        (status = 422, description = "The file cannot be read (the error names the line and key) or is for an account Shtab does not know (named); nothing was stored", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn import_statement(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(params): ApiQuery<ImportParams>,
    body: Bytes,
) -> Result<Json<ImportReportBody>, ApiError> {
    user.require(Permission::BankManage)?;
    let name = params.file_name.unwrap_or_default();
    let report = import_statement_file(&state.db, &user.actor(), &name, &body).await?;
    Ok(Json(report.into()))
}
