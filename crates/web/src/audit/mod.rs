//! The audit log's page and API: who changed what, when, filtered by actor, object and
//! date. Both need [`Permission::AuditRead`]; the log itself is written by the core
//! (`shtab_core::audit`), in the same transaction as each change.
//!
//! [`Permission::AuditRead`]: shtab_core::auth::Permission::AuditRead

mod api;
mod changes;
mod dto;
pub(crate) mod page;
mod period;
pub(crate) mod texts;

use axum::Router;
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn pages() -> Router<AppState> {
    Router::new().route("/audit", get(page::show))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api::list))
}
