//! Users, roles and credentials: passwords, browser sessions, API tokens, login throttling.

mod password;
mod roles;
mod secrets;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use password::{
    PASSWORD_MIN_CHARS, check_password, generate_password, hash_password, hash_password_off_thread,
    verify_password,
};
pub use roles::{Permission, Role};
pub use secrets::{random_token, sha256_hex};
