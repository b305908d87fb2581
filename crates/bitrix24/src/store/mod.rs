//! What the hub remembers about the portal, in its database.

pub mod people;
pub mod ledger;

pub use ledger::StoredLedger;
