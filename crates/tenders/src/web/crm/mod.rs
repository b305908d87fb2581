//! The CRM's pages and JSON API: the pipeline board (`/deals`), a deal's page, the
//! pipeline's settings, and `/api/v1/deals`. The rules live in `crate::crm`; these handlers
//! parse input, check permissions, call it and render.

mod api;
mod board;
pub(crate) mod focus;
pub(crate) use board::BOARD_LIMIT;
mod change;
mod elsewhere;
mod settings;
mod show;
mod texts;

use axum::Router;
use axum::routing::{get, post};
use shtab_web::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::crm::BuiltinCrm;

/// The CRM over the request's database and configuration (cheap: two handles). It holds the
/// pipelines' definitions whichever system keeps the deals.
fn crm(state: &AppState) -> BuiltinCrm {
    BuiltinCrm::new(state.db.clone(), state.config.clone())
}

/// The deals the pages act on: Shtab's own, or those kept elsewhere.
fn deals(state: &AppState) -> elsewhere::Deals {
    elsewhere::Deals::of(state)
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/deals", get(board::show))
        .route("/deals/board.js", get(board::script))
        .route(
            "/deals/settings",
            get(settings::show).post(settings::submit),
        )
        .route("/deals/{id}", get(show::show).post(change::save_fields))
        .route("/deals/{id}/move", post(change::move_deal))
        .route("/deals/{id}/responsible", post(change::assign))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list_deals))
        .routes(routes!(api::get_deal, api::patch_deal))
        .routes(routes!(api::move_deal))
        .routes(routes!(api::deal_history))
}
