//! The tenders' pages and JSON API: the inbox and tenders (`tenders`), saved searches
//! (`searches`), the pipeline board and deals (`crm`).

pub mod crm;
mod home;
pub mod searches;
pub mod tenders;

use shtab_core::auth::Permission;
use shtab_web::Capability;
use shtab_web::shell::NavEntry;

pub fn capability() -> Capability {
    Capability {
        nav: vec![
            NavEntry {
                href: "/tenders",
                label_ru: "Тендеры",
                label_en: "Tenders",
                permission: Some(Permission::TendersRead),
            },
            NavEntry {
                href: "/deals",
                label_ru: "Сделки",
                label_en: "Deals",
                permission: Some(Permission::TendersRead),
            },
        ],
        pages: axum::Router::new()
            .merge(crm::pages())
            .merge(tenders::pages())
            .merge(searches::pages()),
        api: utoipa_axum::router::OpenApiRouter::new()
            .merge(crm::api())
            .merge(tenders::api())
            .merge(searches::api()),
        outside: utoipa_axum::router::OpenApiRouter::new(),
        hooks: shtab_web::hooks::Hooks {
            attention: vec![home::attention],
            search: vec![home::search],
            first_steps: vec![home::first_steps],
        },
    }
}
