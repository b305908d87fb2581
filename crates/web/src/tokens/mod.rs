//! API tokens for `Authorization: Bearer`: every user manages their own; user managers see
//! and revoke everyone's. Pages under `/tokens`, the API under `/api/v1/tokens`.

mod access;
mod api;
mod create;
mod dto;
mod list;
mod revoke;
mod texts;

use axum::Router;
use axum::routing::{get, post};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(list::show).post(create::submit))
        .route("/tokens/{id}/revoke", post(revoke::submit))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list, api::create))
        .routes(routes!(api::revoke))
}
