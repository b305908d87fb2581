//! Notifications' pages and JSON API: the delivery log (with retry), message templates (with
//! preview), each person's channels, channel status and a test message. The rules live in
//! `shtab_core::notify`; these handlers parse, check permissions, call it and render.

mod api;
mod dto;
mod pages;
mod texts;

use axum::Router;
use axum::routing::{get, post};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(pages::log))
        .route("/notifications/test", post(pages::send_test))
        .route("/notifications/deliveries/{id}/retry", post(pages::retry))
        .route(
            "/notifications/me",
            get(pages::my_channels).post(pages::save_my_channels),
        )
        .route(
            "/notifications/people/{id}",
            get(pages::person_channels).post(pages::save_person_channels),
        )
        .route("/notifications/templates", get(pages::templates))
        .route(
            "/notifications/templates/{key}/{locale}",
            get(pages::edit_template).post(pages::save_template),
        )
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list_deliveries))
        .routes(routes!(api::get_template, api::put_template))
        .routes(routes!(api::get_channels, api::put_channels))
        .routes(routes!(api::send_test))
}
