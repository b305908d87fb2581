//! What the hub remembers about the portal, in its database.

pub mod invoice_settings;
pub mod invoices;
pub mod ledger;
pub mod people;

pub use ledger::StoredLedger;
