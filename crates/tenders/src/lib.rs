//! Tenders: saved searches on the procurement portal (EIS), tenders stored once per
//! registration number, and the built-in CRM pipeline they go into.
//!
//! Rooms, as in every capability: `domain` (pure types: registration numbers, notices,
//! searches), `sources` (the portal's RSS feed, notice XML, archives, the document service),
//! `store` (SQL of tenders and searches), `service` (ingesting what a search found),
//! `crm` (the built-in CRM behind `core::ports::Crm`: pipelines, stages with their rules and
//! entry actions, deals), `robots`, `web`.

pub mod crm;
pub mod domain;
pub mod robots;
pub mod service;
pub mod sources;
pub mod store;
pub mod web;

/// The capability's schema, applied after the platform's.
pub const MIGRATIONS: &[shtab_core::db::migrations::Step] = &[
    (
        3001,
        "3001_tenders",
        include_str!("../migrations/sqlite/3001_tenders.sql"),
        include_str!("../migrations/postgres/3001_tenders.sql"),
    ),
    (
        3002,
        "3002_crm",
        include_str!("../migrations/sqlite/3002_crm.sql"),
        include_str!("../migrations/postgres/3002_crm.sql"),
    ),
];
