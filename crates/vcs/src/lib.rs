//! Code ↔ tasks: a commit whose message names a task is attached to that task with its
//! author, time, message and a link to the forge. Push webhooks do it at once
//! ([`web::hooks`]); the sweep robot ([`robots::sweep`]) walks each repository's mirror for
//! what webhooks missed. Both feed the same linker ([`linker`]), which talks to the tasks
//! through the tracker port.
//!
//! Rooms, as in every capability: `domain` (pure rules: references, payloads, signatures),
//! `store` (SQL), `sources` (git), `robots`, `web`.

pub mod domain;
pub mod sources;
