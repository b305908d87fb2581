//! Tenders: saved searches on the procurement portal (being built).

pub mod domain;
pub mod sources;
