//! The hub's integration tests: one binary, one module per area. Each test starts its own
//! hub on a free port with its own database (SQLite, or PostgreSQL when
//! `SHTAB_TEST_DATABASE_URL` is set).

mod audit;
mod auth;
mod browser;
mod cli;
mod ops;
mod people;
mod schema;
mod smoke;
mod testkit;
mod ui;
