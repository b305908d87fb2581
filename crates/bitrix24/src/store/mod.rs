//! What the hub remembers about the portal, in its database.

pub mod deals;
pub mod ledger;
pub mod people;

pub use ledger::StoredLedger;
