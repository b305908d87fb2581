//! The capability's SQL: repositories, deliveries, commits and their references, the heads
//! the sweep saw, the change ledger, and author aliases. One statement set for SQLite and
//! PostgreSQL.

pub mod authors;
pub mod commits;
pub mod deliveries;
pub mod heads;
pub mod ledger;
pub mod naming;
pub mod repositories;

pub use naming::StoredTaskCommits;
pub use repositories::{Repository, RepositoryId};
