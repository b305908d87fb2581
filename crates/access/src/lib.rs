//! Access: one place to let a person in and out — chat, mailbox, VPN and SSH accounts on
//! servers, taken back by revocation, expiry or offboarding.
//!
//! Rooms, as in every capability: `domain` (grants, resources, WireGuard addressing and
//! keys, the desired state of a server), `store` (SQL), `connectors` (Telegram, Mattermost,
//! Mailcow, Yandex 360, a command; one file each), `robots` (provisioning, expiry), `web`
//! (pages, JSON API, the agents' API under `/agent/v1/` and the Ansible inventory).

pub mod connectors;
pub mod domain;
pub mod jobs;
pub mod offboarding;
pub mod robots;
pub mod ssh_reach;
pub mod store;
pub mod web;

/// The capability's schema, applied after the platform's.
pub const MIGRATIONS: &[shtab_core::db::migrations::Step] = &[
    (
        4001,
        "4001_access",
        include_str!("../migrations/sqlite/4001_access.sql"),
        include_str!("../migrations/postgres/4001_access.sql"),
    ),
    (
        4002,
        "4002_access_applied_serial",
        include_str!("../migrations/sqlite/4002_access_applied_serial.sql"),
        include_str!("../migrations/postgres/4002_access_applied_serial.sql"),
    ),
];
