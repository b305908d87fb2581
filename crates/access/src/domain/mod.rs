//! Pure rules of access: what a resource and a grant are, how a WireGuard address and key
//! pair are made, and what a server should look like given the grants that reach it.

pub mod grant;
pub mod state;
pub mod wireguard;

pub use grant::{Desired, GrantState, ResourceKind, SshTarget};
