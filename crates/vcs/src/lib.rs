//! Code ↔ tasks: a commit whose message names a task is attached to that task with its
//! author, time, message and a link to the forge. Push webhooks do it at once
//! ([`web::hooks`]); the sweep robot ([`robots::sweep`]) walks each repository's mirror for
//! what webhooks missed. Both feed the same linker ([`linker`]), which talks to the tasks
//! through the tracker port.
//!
//! Rooms, as in every capability: `domain` (pure rules: references, payloads, signatures),
//! `store` (SQL), `sources` (git), `robots`, `web`.

pub mod domain;
pub mod jobs;
pub mod linker;
pub mod robots;
pub mod sources;
pub mod store;
pub mod web;

/// The capability's schema, applied after the platform's.
pub const MIGRATIONS: &[shtab_core::db::migrations::Step] = &[
    (
        1001,
        "1001_vcs",
        include_str!("../migrations/sqlite/1001_vcs.sql"),
        include_str!("../migrations/postgres/1001_vcs.sql"),
    ),
    (
        1002,
        "1002_vcs_change_ledger",
        include_str!("../migrations/sqlite/1002_vcs_change_ledger.sql"),
        include_str!("../migrations/postgres/1002_vcs_change_ledger.sql"),
    ),
    (
        1003,
        "1003_refused_deliveries",
        include_str!("../migrations/sqlite/1003_refused_deliveries.sql"),
        include_str!("../migrations/postgres/1003_refused_deliveries.sql"),
    ),
];
