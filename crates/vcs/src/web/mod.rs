//! The capability's pages and JSON API: repositories (list, settings, the webhook to set
//! up on the forge, recent deliveries and sweeps), "Sweep now", and the commit authors
//! nobody is matched to. Webhooks themselves are in [`hooks`]. Handlers parse input,
//! check permissions, call the store and render.

mod api;
mod authors;
mod authors_api;
mod delete;
mod dto;
mod form;
mod home;
pub mod hooks;
mod list;
mod mapping;
mod secret;
mod show;
mod sweep;
mod texts;
mod view;

use axum::Router;
use axum::routing::{get, post};
use shtab_core::auth::Permission;
use shtab_web::shell::NavEntry;
use shtab_web::{AppState, Capability};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use sweep::SWEEP_ROBOT;

/// What the binary plugs into the application when code ↔ tasks is enabled.
pub fn capability() -> Capability {
    Capability {
        nav: vec![NavEntry {
            href: "/repositories",
            label_ru: "Репозитории",
            label_en: "Repositories",
            permission: Some(Permission::RepositoriesRead),
        }],
        pages: pages(),
        api: api(),
        outside: hooks::routes(),
        hooks: shtab_web::hooks::Hooks {
            attention: vec![home::attention],
            search: vec![home::search],
            first_steps: vec![home::first_steps],
        },
    }
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/repositories", get(list::show).post(form::create))
        .route("/repositories/new", get(form::new))
        .route("/repositories/sweep", post(sweep::request))
        .route("/repositories/{id}", get(show::show).post(form::update))
        .route("/repositories/{id}/edit", get(form::edit))
        .route("/repositories/{id}/delete", post(delete::submit))
        .route("/repositories/{id}/secret", post(secret::rotate))
        .route("/commit-authors", get(authors::show).post(authors::map))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list_repositories, api::create_repository))
        .routes(routes!(
            api::get_repository,
            api::update_repository,
            api::delete_repository
        ))
        .routes(routes!(api::rotate_webhook_secret))
        .routes(routes!(api::list_deliveries))
        .routes(routes!(
            authors_api::list_unmatched_authors,
            authors_api::map_commit_author
        ))
}
