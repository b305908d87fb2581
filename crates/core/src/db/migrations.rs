//! The schema's history. Each step is written once per backend, side by side, so the two
//! cannot drift apart in which steps exist; a test migrates both and compares the result.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::Backend;

/// (version, description, SQLite DDL, PostgreSQL DDL)
type Step = (i64, &'static str, &'static str, &'static str);

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

const STEPS: &[Step] = &[
    step!(1, "0001_people"),
    step!(2, "0002_auth"),
    step!(3, "0003_audit"),
    step!(4, "0004_jobs"),
    step!(5, "0005_robots"),
    step!(6, "0006_notify"),
];

pub fn migrator(backend: Backend) -> Migrator {
    let migrations: Vec<Migration> = STEPS
        .iter()
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
