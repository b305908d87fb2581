//! The capability's SQL, one file per table or query family. One statement set for SQLite
//! and PostgreSQL.

pub mod accounts;
pub mod allocations;
pub mod dashboard;
pub mod imports;
pub mod payment_list;
pub mod payments;
pub mod saved_filters;
