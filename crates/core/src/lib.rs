//! Shtab's core: what every capability shares and nothing that knows about HTTP.
//!
//! Storage ([`db`]), configuration ([`config`]), the people directory ([`people`]), users,
//! roles and credentials ([`auth`]), the audit log ([`audit`]) and the value types parsed at
//! the edge ([`types`]).

pub mod audit;
pub mod auth;
pub mod config;
pub mod csv_text;
pub mod db;
pub mod demo;
pub mod error;
pub mod ids;
pub mod jobs;
pub mod notify;
pub mod people;
pub mod ports;
pub mod robots;
pub mod samples;
pub mod settings;
pub mod tasks;
pub mod time;
pub mod tls;
pub mod types;

pub use error::{CoreError, FieldError};
