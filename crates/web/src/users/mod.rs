//! Users: who may log in, with which roles. Pages under `/users` and the API under
//! `/api/v1/me` and `/api/v1/users`; all but `/me` need [`Permission::UsersManage`].
//!
//! [`Permission::UsersManage`]: shtab_core::auth::Permission::UsersManage

mod api;
mod dto;
mod list;
mod new;
mod password;
mod roles;
mod show;
mod texts;
mod view;

use axum::Router;
use axum::routing::{get, post};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/users", get(list::show))
        .route("/users/new", get(new::form).post(new::submit))
        .route("/users/{id}", get(show::show))
        .route("/users/{id}/roles", post(show::save_roles))
        .route("/users/{id}/status", post(show::set_status))
        .route("/users/{id}/password", post(password::reset))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::me))
        .routes(routes!(api::list, api::create))
        .routes(routes!(api::get, api::patch))
}
