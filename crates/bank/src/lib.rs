//! Bank: statements in, payments matched to invoices, managers told, filters and a
//! dashboard.
//!
//! Rooms, as in every capability: `domain` (money, requisites, the payment shape, reading
//! invoice numbers, the matching rules), `sources` (1CClientBankExchange files, the T-Bank
//! API), `store` (SQL), `service` (importing and matching), `invoices` (the built-in
//! invoices behind the invoices port), `robots`, `web`.

pub mod domain;
pub mod invoices;
pub mod jobs;
pub mod robots;
pub mod service;
pub mod sources;
pub mod store;
pub mod web;

/// The capability's schema, applied after the platform's.
pub const MIGRATIONS: &[shtab_core::db::migrations::Step] = &[
    (
        2001,
        "2001_bank",
        include_str!("../migrations/sqlite/2001_bank.sql"),
        include_str!("../migrations/postgres/2001_bank.sql"),
    ),
    (
        2002,
        "2002_bank_counterparties",
        include_str!("../migrations/sqlite/2002_bank_counterparties.sql"),
        include_str!("../migrations/postgres/2002_bank_counterparties.sql"),
    ),
];
