//! The portal's settings page (`/settings/bitrix24`, with a local application's authorisation
//! under `/settings/bitrix24/oauth/`) and its API (`/api/v1/bitrix24/status`,
//! `/api/v1/bitrix24/check`), for admins; the portal's events (`/hooks/bitrix24`, see
//! [`events`]).

mod api;
mod dto;
pub mod events;
mod oauth;
mod page;
mod texts;

use axum::routing::{get, post};
use axum::{Extension, Router};
use shtab_core::auth::Permission;
use shtab_web::Capability;
use shtab_web::shell::NavEntry;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::hub::Configured;

pub use dto::{CALLBACK_PATH, StatusDto};

/// What the binary plugs in: the portal as configured (possibly not at all, then the page
/// says how to configure it).
pub fn capability(portal: Configured) -> Capability {
    Capability {
        nav: vec![NavEntry {
            href: "/settings/bitrix24",
            label_ru: "Битрикс24",
            label_en: "Bitrix24",
            permission: Some(Permission::SettingsManage),
        }],
        pages: Router::new()
            .route("/settings/bitrix24", get(page::show))
            .route("/settings/bitrix24/check", post(page::check))
            .route("/settings/bitrix24/oauth/start", post(oauth::start))
            .route(CALLBACK_PATH, get(oauth::callback))
            .route(
                "/settings/bitrix24/oauth/disconnect",
                post(oauth::disconnect),
            )
            .layer(Extension(portal.clone())),
        api: OpenApiRouter::new()
            .routes(routes!(api::status))
            .routes(routes!(api::check))
            .layer(Extension(portal.clone())),
        outside: events::routes(portal),
    }
}
