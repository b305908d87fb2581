//! `GET /api/v1/bank/dashboard?period=day|week|month`: the dashboard's figures.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use shtab_core::FieldError;
use shtab_core::auth::Permission;
use shtab_core::time::rfc3339_ms;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ErrorBody};
use shtab_web::extract::ApiQuery;
use utoipa::{IntoParams, ToSchema};

use crate::store::dashboard::{self, Figure, Period};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct BankDashboardParams {
    /// `day` (the last 30 days, default), `week` (the last 12 weeks, from Monday) or
    /// `month` (the last 12 months).
    pub period: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankAccountBalance {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub bank_name: String,
    pub currency: String,
    /// Kopecks, as the last statement reported; absent before the first.
    pub balance: Option<i64>,
    /// RFC 3339: when that statement was taken.
    pub balance_at: Option<String>,
}

/// Money in and out in one day, week or month, in kopecks.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankFlowBucket {
    /// The bucket's first day, `YYYY-MM-DD`.
    pub start: String,
    pub incoming: i64,
    pub outgoing: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankTopPayer {
    pub name: String,
    pub inn: String,
    /// Kopecks received in the period.
    pub total: i64,
    pub payments: i64,
}

/// A count and the kopecks in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankFigure {
    pub count: i64,
    pub amount: i64,
}

impl From<Figure> for BankFigure {
    fn from(f: Figure) -> Self {
        BankFigure {
            count: f.count,
            amount: f.amount,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankDashboard {
    /// The day the figures end on, in the hub's time zone.
    pub today: String,
    pub period: String,
    pub accounts: Vec<BankAccountBalance>,
    /// Oldest first; the last one holds today.
    pub buckets: Vec<BankFlowBucket>,
    /// Up to 10, by money received over the buckets' whole range.
    pub top_payers: Vec<BankTopPayer>,
    /// Incoming payments waiting for an invoice or needing attention; `amount` is what is
    /// not allocated yet.
    pub unmatched: BankFigure,
    /// Open and partially paid invoices; `amount` is what they still ask for.
    pub receivables: BankFigure,
    /// The part of `receivables` past the due date.
    pub overdue: BankFigure,
}

/// The bank at a glance.
#[utoipa::path(
    get,
    path = "/bank/dashboard",
    tag = "bank",
    params(BankDashboardParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The figures", body = BankDashboard),
        (status = 400, description = "The query string is malformed", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read the bank", body = ErrorBody),
        (status = 422, description = "`period` is not day, week or month", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn dashboard(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(params): ApiQuery<BankDashboardParams>,
) -> Result<Json<BankDashboard>, ApiError> {
    user.require(Permission::BankRead)?;
    let period = match params.period.as_deref().map(str::trim) {
        None | Some("") => Period::default(),
        Some(p) => Period::parse(p).ok_or_else(|| {
            ApiError::Invalid(vec![FieldError::new(
                "period",
                "invalid_period",
                format!("«{p}» is not one of day, week, month"),
            )])
        })?,
    };
    let d = dashboard::load(&state.db, period, super::today(&state)).await?;
    Ok(Json(BankDashboard {
        today: d.today.to_string(),
        period: d.period.to_owned(),
        accounts: d
            .accounts
            .into_iter()
            .map(|a| BankAccountBalance {
                id: a.id,
                number: a.number,
                title: a.title,
                bank_name: a.bank_name,
                currency: a.currency,
                balance: a.balance,
                balance_at: a.balance_at.map(rfc3339_ms),
            })
            .collect(),
        buckets: d
            .buckets
            .into_iter()
            .map(|b| BankFlowBucket {
                start: b.start.to_string(),
                incoming: b.incoming,
                outgoing: b.outgoing,
            })
            .collect(),
        top_payers: d
            .top_payers
            .into_iter()
            .map(|p| BankTopPayer {
                name: p.name,
                inn: p.inn,
                total: p.total,
                payments: p.payments,
            })
            .collect(),
        unmatched: d.unmatched.into(),
        receivables: d.receivables.into(),
        overdue: d.overdue.into(),
    }))
}
