//! The hub: command line and wiring. Everything it runs lives in the other crates; this one
//! reads the configuration, opens the database, picks the enabled capabilities and serves.

pub mod cli;
pub mod demo;
pub mod invoices;
pub mod portal_app;
pub mod server;
