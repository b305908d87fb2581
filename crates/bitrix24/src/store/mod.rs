//! What the hub remembers about the portal, in its database: who is who, what it did there,
//! and what it last read of the portal's tasks.

pub mod app;
pub mod copies;
pub mod deals;
pub mod invoice_settings;
pub mod invoices;
pub mod ledger;
pub mod oauth;
pub mod oauth_states;
pub mod people;

pub use copies::StoredCopies;
pub use ledger::StoredLedger;
pub use oauth::DbTokenStore;
