//! The bank's pages and JSON API: accounts and imports, payments (list, filters, saved
//! filters, export, one payment with its allocations), invoices, the dashboard.

mod accounts;
mod attention;
mod balance_day;
mod dashboard;
mod invoices;
mod payment;
mod payments;
mod search;

use shtab_core::auth::Permission;
use shtab_web::Capability;
use shtab_web::shell::NavEntry;

use crate::service::matching::Matcher;

/// The bank's pages and API; `matcher` works over the invoices the binary configured, so a
/// person allocates to (and takes back from) the same invoices the robot matches.
pub fn capability(matcher: Matcher) -> Capability {
    Capability {
        nav: vec![
            NavEntry {
                href: "/bank",
                label_ru: "Банк",
                label_en: "Bank",
                permission: Some(Permission::BankRead),
            },
            NavEntry {
                href: "/invoices",
                label_ru: "Счета",
                label_en: "Invoices",
                permission: Some(Permission::InvoicesRead),
            },
        ],
        pages: dashboard::pages()
            .merge(accounts::pages())
            .merge(payments::pages())
            .merge(payment::pages(matcher.clone()))
            .merge(invoices::pages()),
        api: dashboard::api()
            .merge(accounts::api())
            .merge(payments::api())
            .merge(payment::api(matcher))
            .merge(invoices::api()),
        outside: utoipa_axum::router::OpenApiRouter::new(),
        hooks: shtab_web::hooks::Hooks {
            attention: vec![attention::attention],
            search: vec![search::search],
            first_steps: vec![attention::first_steps],
        },
    }
}
