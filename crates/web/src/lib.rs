//! Shtab's web shell: the axum application every capability plugs its pages and API into.
//!
//! It owns the layout, authentication (sessions and API tokens), CSRF protection, the
//! interface languages, static assets, errors, operations endpoints (`/healthz`,
//! `/metrics`), the OpenAPI document, and the platform's own pages and API: people, users,
//! tokens, audit log, settings.

pub mod app;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod client_ip;
pub mod error;
pub mod extract;
pub mod hooks;
pub mod i18n;
pub mod json_errors;
pub mod notifications;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod paging;
pub mod people;
pub mod redirect;
pub mod robots;
pub mod shell;
pub mod state;
pub mod tasks;
pub mod tokens;
pub mod users;
pub mod words;

pub use app::{Capability, build_router};
pub use state::{AppState, OutsideTasks};
