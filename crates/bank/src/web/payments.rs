//! The payments list (`/bank/payments`): filters, sorting, keyset paging, CSV export of the
//! filtered set, and saved filters; and the same through `/api/v1/bank/payments` and
//! `/api/v1/bank/filters`. The rules live in `store::payment_list` and
//! `store::saved_filters`; these handlers parse input, check permissions and render.

mod api;
mod dto;
mod export;
mod filters;
mod list;
mod texts;
// The dashboard writes amounts the same way.
pub(super) mod view;

use axum::Router;
use axum::routing::{get, post};
use shtab_web::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/bank/payments", get(list::show))
        .route("/bank/payments.csv", get(export::csv))
        .route("/bank/filters", post(filters::create))
        .route("/bank/filters/{id}/delete", post(filters::delete))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list_payments))
        .routes(routes!(api::list_filters, api::create_filter))
        .routes(routes!(api::delete_filter))
}
