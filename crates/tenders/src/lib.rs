//! Tenders: saved searches on the procurement portal (EIS), its feeds and notices parsed
//! into domain types.

pub mod domain;
pub mod sources;
