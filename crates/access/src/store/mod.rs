//! The capability's SQL: resources, grants (and the unix ids of their logins), servers and
//! their agents' reports, VPN devices, and each server's desired state built from them.

pub mod desired;
pub mod devices;
pub mod grants;
pub mod resources;
pub mod servers;

use shtab_core::db::{AnyRow, Row};

pub(crate) fn text(row: &AnyRow, col: &str) -> String {
    row.try_get::<String, _>(col).unwrap_or_default()
}

pub(crate) fn int(row: &AnyRow, col: &str) -> i64 {
    row.try_get::<i64, _>(col).unwrap_or_default()
}

pub(crate) fn opt_int(row: &AnyRow, col: &str) -> Option<i64> {
    row.try_get::<Option<i64>, _>(col).ok().flatten()
}
