//! The people directory's pages and JSON API: list with search, a person's page, the form
//! to add or edit, leaving the company, and CSV import. The rules live in
//! `shtab_core::people`; these handlers parse input, check permissions, call it and render.

mod api;
mod deactivate;
mod dto;
mod form;
mod import;
mod list;
mod show;
mod ssh_keys;
mod texts;

use axum::Router;
use axum::routing::{get, post};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/people", get(list::show).post(form::create))
        .route("/people/new", get(form::new))
        .route("/people/import", get(import::show).post(import::upload))
        .route("/people/{id}", get(show::show).post(form::update))
        .route("/people/{id}/edit", get(form::edit))
        .route("/people/{id}/deactivate", post(deactivate::submit))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list_people, api::create_person))
        .routes(routes!(api::get_person, api::update_person))
        .routes(routes!(api::deactivate_person))
        .routes(routes!(api::import_people))
}
