//! The built-in invoices' pages and JSON API: the list with search, state and overdue
//! filters and totals, the form to add or change an invoice, an invoice's page with the
//! payments allocated to it, cancelling, and CSV import. The rules live in
//! `crate::invoices`; these handlers parse input, check permissions, call it and render.

mod api;
mod dto;
mod form;
mod import;
mod list;
mod show;
mod texts;

use axum::Router;
use axum::routing::{get, post};
use shtab_web::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/invoices", get(list::show).post(form::create))
        .route("/invoices/new", get(form::new))
        .route("/invoices/import", get(import::show).post(import::upload))
        .route("/invoices/{id}", get(show::show))
        .route("/invoices/{id}/edit", get(form::edit).post(form::update))
        .route("/invoices/{id}/cancel", post(show::cancel))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list_invoices, api::create_invoice))
        .routes(routes!(api::get_invoice, api::update_invoice))
        .routes(routes!(api::cancel_invoice))
        .routes(routes!(api::import_invoices))
}
