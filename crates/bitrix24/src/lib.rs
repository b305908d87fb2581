//! Bitrix24 as a system of record for Shtab.
//!
//! - [`client`]: the REST client: transport, auth, limits, batch, paging, decoding, errors.
//!   It knows nothing of Shtab's domain.
//! - `fake` (feature `fake`): an in-process fake portal for tests, answering the shapes of
//!   `shared/reference/bitrix24-rest.md`, traps included, and recording every request.
//!
//! - [`adapters`]: `shtab_core::ports` over the portal: the tracker, the messenger (the
//!   notifications' `bitrix24` channel) and people's portal profiles.
//!
//! - [`hub`]: the hub's one client, built from the configuration, and what its last check found.
//! - [`robots`]: `bitrix24.users`, the portal's employees as people; [`store`]: what it
//!   remembers.
//! - [`web`]: the settings page, the status API and the portal's events (`/hooks/bitrix24`),
//!   whose work [`jobs`] does.

pub mod adapters;
pub mod app;
pub mod client;
#[cfg(feature = "fake")]
pub mod fake;
pub mod hub;
pub mod jobs;
pub mod robots;
pub mod store;
pub mod web;

pub use client::{Bitrix24Error, Client, ClientConfig};

/// The crate's schema, applied after the platform's (numbered 5101 on, apart from the ledger's).
pub const MIGRATIONS: &[shtab_core::db::migrations::Step] = &[
    (
        5101,
        "5101_bitrix24_people",
        include_str!("../migrations/sqlite/5101_bitrix24_people.sql"),
        include_str!("../migrations/postgres/5101_bitrix24_people.sql"),
    ),
    (
        5102,
        "5102_bitrix24_ledger",
        include_str!("../migrations/sqlite/5102_bitrix24_ledger.sql"),
        include_str!("../migrations/postgres/5102_bitrix24_ledger.sql"),
    ),
    (
        5103,
        "5103_bitrix24_people_departments_channel",
        include_str!("../migrations/sqlite/5103_bitrix24_people_departments_channel.sql"),
        include_str!("../migrations/postgres/5103_bitrix24_people_departments_channel.sql"),
    ),
    (
        5104,
        "5104_bitrix24_tasks",
        include_str!("../migrations/sqlite/5104_bitrix24_tasks.sql"),
        include_str!("../migrations/postgres/5104_bitrix24_tasks.sql"),
    ),
    (
        5105,
        "5105_bitrix24_oauth",
        include_str!("../migrations/sqlite/5105_bitrix24_oauth.sql"),
        include_str!("../migrations/postgres/5105_bitrix24_oauth.sql"),
    ),
    (
        5106,
        "5106_bitrix24_deals",
        include_str!("../migrations/sqlite/5106_bitrix24_deals.sql"),
        include_str!("../migrations/postgres/5106_bitrix24_deals.sql"),
    ),
    (
        5107,
        "5107_bitrix24_invoices",
        include_str!("../migrations/sqlite/5107_bitrix24_invoices.sql"),
        include_str!("../migrations/postgres/5107_bitrix24_invoices.sql"),
    ),
    (
        5108,
        "5108_bitrix24_app",
        include_str!("../migrations/sqlite/5108_bitrix24_app.sql"),
        include_str!("../migrations/postgres/5108_bitrix24_app.sql"),
    ),
];
