//! The robots' pages and JSON API: every robot with its schedule, last and next run and a
//! "Run now" button; a robot's page with its schedule form and history; a run's page that
//! follows a running run live (htmx polls a fragment every second until it ends).

mod api;
mod dto;
mod pages;
mod texts;
mod view;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Extension, Router};
use shtab_core::robots::RobotSet;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/robots", get(pages::list))
        .route("/robots/{name}", get(pages::show).post(pages::save))
        .route("/robots/{name}/run", post(pages::run_now))
        .route("/robots/runs/{id}", get(pages::run))
        .route("/robots/runs/{id}/live", get(pages::run_live))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list_robots))
        .routes(routes!(api::get_robot, api::update_robot))
        .routes(routes!(api::run_robot))
        .routes(routes!(api::list_runs))
        .routes(routes!(api::get_run))
}

/// The robots this binary knows (for their titles), set by the binary as an extension;
/// without it, the platform's own.
pub struct Robots(pub RobotSet);

impl<S: Send + Sync> FromRequestParts<S> for Robots {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Robots(
            parts
                .extensions
                .get::<RobotSet>()
                .cloned()
                .unwrap_or_else(RobotSet::platform),
        ))
    }
}

/// Makes `robots` the set the pages and API describe.
pub fn with_robots(router: axum::Router, robots: RobotSet) -> axum::Router {
    router.layer(Extension(robots))
}
