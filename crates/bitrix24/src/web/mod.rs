//! The portal's settings page (`/settings/bitrix24`, `/settings/bitrix24/invoices`) and its API
//! (`/api/v1/bitrix24/status`, `/api/v1/bitrix24/check`, `/api/v1/bitrix24/settings/invoices`),
//! for admins.

mod api;
mod dto;
pub mod invoices_api;
mod invoices_page;
mod invoices_texts;
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

pub use dto::StatusDto;

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
            .route(
                "/settings/bitrix24/invoices",
                get(invoices_page::show).post(invoices_page::save),
            )
            .layer(Extension(portal.clone())),
        api: OpenApiRouter::new()
            .routes(routes!(api::status))
            .routes(routes!(api::check))
            .routes(routes!(
                invoices_api::get_settings,
                invoices_api::put_settings
            ))
            .layer(Extension(portal)),
        outside: OpenApiRouter::new(),
    }
}
