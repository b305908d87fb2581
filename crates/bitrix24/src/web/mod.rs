//! The portal's settings pages (`/settings/bitrix24`, with a local application's
//! authorisation under `/settings/bitrix24/oauth/`, and `/settings/bitrix24/invoices`) and its
//! API (`/api/v1/bitrix24/status`, `/api/v1/bitrix24/check`, `/api/v1/bitrix24/settings`), for
//! admins; the portal's events (`/hooks/bitrix24`, see [`events`]).

mod api;
pub mod app;
pub mod deals;
mod dto;
pub mod events;
mod invoices_page;
mod invoices_texts;
mod oauth;
mod page;
mod settings_api;
mod texts;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::{Extension, Router};
use shtab_core::auth::Permission;
use shtab_web::Capability;
use shtab_web::shell::NavEntry;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::adapters::PortalDeals;
use crate::hub::Configured;

pub use deals::DealsSetup;
pub use dto::{CALLBACK_PATH, StatusDto};

/// What the binary plugs in: the portal as configured (possibly not at all, then the page
/// says how to configure it), its deals when there is a portal, and what the portal's tabs
/// show of the tenders and the bank.
pub fn capability(
    portal: Configured,
    deals: Option<Arc<PortalDeals>>,
    cards: crate::app::cards::Cards,
) -> Capability {
    let setup = DealsSetup(deals);
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
            .route("/settings/bitrix24/deals", post(deals::save))
            .route("/settings/bitrix24/deals/check", post(deals::check))
            .route("/settings/bitrix24/deals/create", post(deals::create))
            .route(
                "/settings/bitrix24/deals/fields",
                post(deals::create_fields),
            )
            .route(
                "/settings/bitrix24/invoices",
                get(invoices_page::show).post(invoices_page::save),
            )
            .layer(Extension(portal.clone()))
            .layer(Extension(setup.clone())),
        api: OpenApiRouter::new()
            .routes(routes!(api::status))
            .routes(routes!(api::check))
            .routes(routes!(
                settings_api::get_settings,
                settings_api::put_settings
            ))
            .layer(Extension(portal.clone()))
            .layer(Extension(setup)),
        outside: events::routes(portal.clone()).merge(app::routes(portal, cards)),
        hooks: Default::default(),
    }
}
