//! The schema's history. Each step is written once per backend, side by side, so the two
//! cannot drift apart in which steps exist; a test migrates both and compares the result.
//!
//! The platform's steps are numbered from 1; each capability brings its own list in its own
//! crate, numbered in a range of its own (`vcs` 1001…, `bank` 2001…, `tenders` 3001…,
//! `access` 4001…), and the binary hands them all to [`super::Db::migrate`].

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::Backend;

/// (version, description, SQLite DDL, PostgreSQL DDL)
pub type Step = (i64, &'static str, &'static str, &'static str);

macro_rules! step {
    ($version:literal, $name:literal) => {
        (
            $version,
            $name,
            include_str!(concat!("../../migrations/sqlite/", $name, ".sql")),
            include_str!(concat!("../../migrations/postgres/", $name, ".sql")),
        )
    };
}

/// The platform's own steps.
pub const PLATFORM: &[Step] = &[
    step!(1, "0001_people"),
    step!(2, "0002_auth"),
    step!(3, "0003_audit"),
    step!(4, "0004_jobs"),
    step!(5, "0005_robots"),
    step!(6, "0006_notify"),
    step!(7, "0007_tasks"),
    step!(8, "0008_robot_runs_one_active"),
    step!(9, "0009_demo_objects"),
    step!(10, "0010_people_search"),
    step!(11, "0011_jobs_claim_order"),
];

/// Every step of `sets` (the platform's and the capabilities'), in version order.
///
/// # Panics
/// When two steps share a version: a programming error that must not reach a database.
pub fn migrator(backend: Backend, sets: &[&'static [Step]]) -> Migrator {
    let mut steps: Vec<&Step> = sets.iter().flat_map(|set| set.iter()).collect();
    steps.sort_by_key(|s| s.0);
    if let Some(pair) = steps.windows(2).find(|w| w[0].0 == w[1].0) {
        panic!(
            "migrations {} and {} share version {}",
            pair[0].1, pair[1].1, pair[0].0
        );
    }
    let migrations: Vec<Migration> = steps
        .into_iter()
        .map(|(version, name, sqlite, postgres)| {
            let sql = match backend {
                Backend::Sqlite => *sqlite,
                Backend::Postgres => *postgres,
            };
            Migration::new(
                *version,
                Cow::Borrowed(*name),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}
