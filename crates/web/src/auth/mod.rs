//! Who is asking: a browser session (cookie) or an API token (`Authorization: Bearer`).
//!
//! [`middleware::authenticate`] resolves the principal and the language once per request and
//! enforces CSRF; handlers take a [`CurrentUser`] and ask it for a [`Permission`].

mod csrf;
mod current_user;
pub mod middleware;

pub use csrf::constant_time_eq as csrf_matches;
pub use current_user::{CurrentUser, Denied, MaybeUser, Principal, Via};
pub use shtab_core::auth::Permission;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "shtab_session";
/// Language chosen before logging in.
pub const LANG_COOKIE: &str = "shtab_lang";
/// The header htmx and scripts send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field plain forms send it in.
pub const CSRF_FIELD: &str = "csrf_token";
