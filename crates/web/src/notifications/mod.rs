//! Notifications' pages and JSON API: the delivery log (with retry), message templates (with
//! preview), each person's channels, channel status and a test message. The rules live in
//! `shtab_core::notify`; these handlers parse, check permissions, call it and render.

mod api;
mod channels;
mod dto;
mod log;
mod templates;
mod texts;

use axum::Router;
use axum::routing::{get, post};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use shtab_core::auth::Permission;
use shtab_core::ids::PersonId;

use crate::auth::{CurrentUser, Denied};
use crate::state::AppState;

/// Everyone manages their own channels; those who manage notifications, anyone's. One rule
/// for the pages and the API.
fn may_edit_channels(user: &CurrentUser, person: PersonId) -> Result<(), Denied> {
    if user.user().person_id == person {
        Ok(())
    } else {
        user.require(Permission::NotificationsManage)
    }
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(log::log))
        .route("/notifications/test", post(log::send_test))
        .route("/notifications/deliveries/{id}/retry", post(log::retry))
        .route(
            "/notifications/me",
            get(channels::my_channels).post(channels::save_my_channels),
        )
        .route(
            "/notifications/people/{id}",
            get(channels::person_channels).post(channels::save_person_channels),
        )
        .route("/notifications/templates", get(templates::templates))
        .route(
            "/notifications/templates/{key}/{locale}",
            get(templates::edit_template).post(templates::save_template),
        )
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list_deliveries))
        .routes(routes!(api::get_template, api::put_template))
        .routes(routes!(api::get_channels, api::put_channels))
        .routes(routes!(api::send_test))
}
