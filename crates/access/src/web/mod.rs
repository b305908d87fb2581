//! The capability's pages, JSON API, the agents' API (`/agent/v1/`, see [`agent`]) and the
//! Ansible inventory. Handlers parse input, check permissions, call the store and render.

pub mod agent;
mod api;
mod dto;
mod home;
mod inventory;
mod pages;
mod texts;

use axum::Router;
use axum::routing::{get, post};
use shtab_core::auth::Permission;
use shtab_web::shell::NavEntry;
use shtab_web::{AppState, Capability};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What the binary plugs into the application when access is enabled. The agents' routes
/// are outside the users' API ([`agent::routes`]): they authenticate with server tokens.
pub fn capability() -> Capability {
    Capability {
        nav: vec![NavEntry {
            href: "/access",
            label_ru: "Доступы",
            label_en: "Access",
            permission: Some(Permission::AccessRead),
        }],
        pages: pages(),
        api: api(),
        outside: agent::routes(),
        hooks: shtab_web::hooks::Hooks {
            attention: vec![home::attention],
            search: Vec::new(),
            first_steps: vec![home::first_steps],
        },
    }
}

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/access", get(pages::overview))
        .route("/access/resources", post(pages::create_resource))
        .route("/access/grants", get(pages::grant_list))
        .route("/access/people/{id}", get(pages::person).post(pages::grant))
        .route(
            "/access/people/{id}/offboard",
            get(pages::offboard_confirm).post(pages::offboard),
        )
        .route("/access/people/{id}/devices", post(pages::add_device))
        .route("/access/grants/{id}/revoke", post(pages::revoke))
        .route("/access/grants/{id}/retry", post(pages::retry))
        .route(
            "/access/grants/{id}/first-secret",
            post(pages::first_secret),
        )
        .route("/access/devices/{id}/revoke", post(pages::revoke_device))
        .route(
            "/access/servers",
            get(pages::servers).post(pages::create_server),
        )
        .route(
            "/access/servers/{id}",
            get(pages::server).post(pages::update_server),
        )
        .route("/access/servers/{id}/token", post(pages::server_token))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list_resources, api::create_resource))
        .routes(routes!(api::list_grants, api::create_grant))
        .routes(routes!(api::revoke_grant))
        .routes(routes!(api::retry_grant))
        .routes(routes!(api::first_secret))
        .routes(routes!(api::list_servers, api::create_server))
        .routes(routes!(api::get_server, api::update_server))
        .routes(routes!(api::rotate_token, api::revoke_token))
        .routes(routes!(api::list_devices))
        .routes(routes!(api::create_device))
        .routes(routes!(api::revoke_device))
        .routes(routes!(api::offboard))
        .routes(routes!(inventory::inventory))
}
