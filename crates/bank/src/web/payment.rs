//! One payment (`/bank/payments/{id}`): every field, its matching state and reason, its
//! allocations, allocating by hand and taking an allocation back; the same through
//! `/api/v1/bank/payments/{id}`. The rules live in `service::matching`; these handlers
//! parse input, check permissions, call it and render.

mod api;
mod change;
mod dto;
mod show;
mod texts;

use axum::routing::{get, post};
use axum::{Extension, Router};
use shtab_web::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::service::matching::Matcher;

/// `matcher` works over the invoices the binary configured (built-in or the portal's).
pub fn pages(matcher: Matcher) -> Router<AppState> {
    Router::new()
        .route("/bank/payments/{id}", get(show::show))
        .route("/bank/payments/{id}/allocations", post(change::allocate))
        .route(
            "/bank/payments/{id}/allocations/{allocation_id}/delete",
            post(change::remove),
        )
        .route("/bank/payments/{id}/match", post(change::rematch))
        .layer(Extension(matcher))
}

pub fn api(matcher: Matcher) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::get_payment))
        .routes(routes!(api::allocate))
        .routes(routes!(api::unallocate))
        .routes(routes!(api::rematch))
        .layer(Extension(matcher))
}
