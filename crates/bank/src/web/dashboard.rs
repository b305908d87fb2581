//! The bank's dashboard (`/bank`): balances, money in and out per day, week or month as a
//! chart drawn on the server (SVG, no script), the biggest payers, unmatched payments,
//! receivables and overdue invoices; and the same figures at `/api/v1/bank/dashboard`.

mod api;
mod chart;
mod page;
mod texts;

use axum::Router;
use axum::routing::get;
use chrono::NaiveDate;
use shtab_web::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn pages() -> Router<AppState> {
    Router::new().route("/bank", get(page::show))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api::dashboard))
}

/// Today where the agency is: a payment on the 1st belongs to the 1st in Moscow even when
/// it is still the 31st in UTC.
fn today(state: &AppState) -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&state.config.time_zone())
        .date_naive()
}
