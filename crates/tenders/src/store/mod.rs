//! The tenders' SQL: saved searches and their runs, tenders with their versions and the
//! searches that found them. One set of statements for SQLite and PostgreSQL.

pub mod searches;
pub mod tenders;
