//! The agent protocol: what the hub serves a server under `/agent/v1/` and what the agent
//! reports back. Shared by the hub (`shtab-access`) and `shtab-agent`, so both sides agree
//! on the shapes and on what a valid unix name and SSH key are.
//!
//! Every request carries `Authorization: Bearer <server token>`; a wrong or revoked token
//! gets 401 and the agent changes nothing.
//!
//! - `POST /agent/v1/register` with [`Register`] → [`Registered`]
//! - `GET /agent/v1/state` → [`DesiredState`], with `ETag: "<revision>"`; sent
//!   `If-None-Match: "<revision>"` it answers 304 when nothing changed
//! - `POST /agent/v1/report` with [`Report`] → 204

mod names;

pub use names::{
    MIN_UID, NameError, UnixName, validate_group, validate_key, validate_shell, validate_uid,
};

use serde::{Deserialize, Serialize};

/// Where the agent API lives on the hub.
pub const API_PREFIX: &str = "/agent/v1";

/// What one server should look like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredState {
    /// The server's name in the hub.
    pub server: String,
    /// Changes whenever anything below changes; the agent reports which one it applied.
    pub revision: String,
    pub accounts: Vec<Account>,
    /// Present when this server is the VPN gateway: its peer list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wireguard: Option<WireguardGateway>,
}

/// A unix account the hub manages on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Unix login (validated with [`UnixName`] on both sides).
    pub login: String,
    /// Stable across servers and revisions: the hub allocates it once per login.
    pub uid: u32,
    /// The person's name, for the GECOS field.
    pub full_name: String,
    pub shell: String,
    /// Supplementary groups (they must exist on the server; missing ones are drift).
    #[serde(default)]
    pub groups: Vec<String>,
    pub sudo: bool,
    /// OpenSSH `authorized_keys` lines (type, base64, optional comment).
    #[serde(default)]
    pub keys: Vec<String>,
    pub state: AccountState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    /// The account exists, is unlocked and holds exactly `keys`.
    Present,
    /// Access was taken away: the account is locked, its managed keys are gone and sudo is
    /// removed. Home directories are kept (the agency may need the files).
    Locked,
}

/// The gateway side of the VPN: the agent applies exactly these peers to `interface`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireguardGateway {
    pub interface: String,
    pub peers: Vec<WireguardPeer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireguardPeer {
    /// Base64 of the device's 32-byte public key.
    pub public_key: String,
    /// The device's address(es) in CIDR form (`10.8.0.5/32`).
    pub allowed_ips: Vec<String>,
    /// Whose device, for the operator reading `wg show`.
    pub comment: String,
}

/// The agent introduces itself once (and again after an upgrade).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Register {
    pub hostname: String,
    pub agent_version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registered {
    /// The server's name in the hub.
    pub server: String,
}

/// What one agent run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The [`DesiredState::revision`] the run converged to.
    pub revision: String,
    /// What the run changed (empty when the server already matched).
    pub applied: Vec<Change>,
    /// Differences the run found but may not fix (an unmanaged key, a missing group).
    #[serde(default)]
    pub drift: Vec<String>,
    /// Steps that failed; the rest of the run went on.
    #[serde(default)]
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The account (or WireGuard interface) changed.
    pub target: String,
    /// `create`, `update`, `keys`, `lock`, `unlock`, `sudo`, `peers`…
    pub action: String,
    #[serde(default)]
    pub detail: String,
}
