//! Bitrix24 as a system of record for Shtab.
//!
//! - [`client`]: the REST client: transport, auth, limits, batch, paging, decoding, errors.
//!   It knows nothing of Shtab's domain.
//! - `fake` (feature `fake`): an in-process fake portal for tests, answering the shapes of
//!   `shared/reference/bitrix24-rest.md`, traps included, and recording every request.
//!
//! - [`adapters`]: `shtab_core::ports` over the portal (the tracker so far).
//!
//! - [`hub`]: the hub's one client, built from the configuration, and what its last check found.
//! - [`web`]: the settings page and the status API.

pub mod adapters;
pub mod client;
#[cfg(feature = "fake")]
pub mod fake;
pub mod hub;
pub mod web;

pub use client::{Bitrix24Error, Client, ClientConfig};
