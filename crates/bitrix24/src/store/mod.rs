//! What the hub remembers about the portal, in its database.

pub mod ledger;
pub mod oauth;
pub mod oauth_states;
pub mod people;

pub use ledger::StoredLedger;
pub use oauth::DbTokenStore;
