//! What the access API reads and writes: the API's contract and its OpenAPI schemas.
//! Secrets are write-only: a resource's secret, an agent token (shown once, at creation or
//! rotation) and a device's private key (in the one configuration returned at creation).

use serde::{Deserialize, Serialize};
use shtab_core::time::rfc3339_ms;
use utoipa::{IntoParams, ToSchema};

use crate::offboarding::Step;
use crate::store::desired::Numbered;
use crate::store::devices::{Device, NewDevice};
use crate::store::grants::Grant;
use crate::store::resources::Resource;
use crate::store::servers::Server;

#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceBody {
    pub id: i64,
    #[schema(example = "Agency chat")]
    pub name: String,
    /// `connector` (a chat or mailbox), `vpn` or `ssh`.
    pub kind: String,
    /// For `connector`: `telegram`, `mattermost`, `mailcow`, `yandex360` or `command`.
    pub connector: String,
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// Whether a secret (API token) is stored; it is never returned.
    pub has_secret: bool,
}

impl From<Resource> for ResourceBody {
    fn from(r: Resource) -> Self {
        ResourceBody {
            id: r.id,
            name: r.name,
            kind: r.kind.as_str().into(),
            connector: r.connector,
            settings: r.settings,
            has_secret: !r.secret.is_empty(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewResource {
    pub name: String,
    /// `connector`, `vpn` or `ssh`.
    pub kind: String,
    #[serde(default)]
    pub connector: String,
    /// ssh: `{"target": "web"}` (a server's name or a group); vpn: `{"endpoint", "server_public_key",
    /// "subnet", "dns", "gateway", "interface"}`; connector: the connector's settings.
    #[schema(value_type = Object)]
    #[serde(default)]
    pub settings: serde_json::Value,
    #[serde(default)]
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceList {
    pub items: Vec<ResourceBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantBody {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub resource_id: i64,
    pub resource_name: String,
    pub resource_kind: String,
    pub login: String,
    pub sudo: bool,
    pub shell: String,
    pub groups: Vec<String>,
    /// RFC 3339; null for no expiry.
    pub expires_at: Option<String>,
    pub reason: String,
    pub granted_by: String,
    pub granted_at: String,
    /// `pending`, `applied`, `failed`, `revoking` or `revoked`.
    #[schema(example = "applied")]
    pub state: String,
    /// Why the last attempt failed.
    pub error: String,
    /// What the connector did (an invite link, "mailbox created").
    pub note: String,
    pub attempts: i64,
    pub last_attempt_at: Option<String>,
    pub revoked_at: Option<String>,
    pub revoked_by: String,
    /// A first password for the person (a new mailbox's) waits to be fetched once from
    /// `…/first-secret`.
    pub has_first_secret: bool,
}

/// A first password, shown this once: it is erased as it is handed out.
#[derive(Debug, Serialize, ToSchema)]
pub struct FirstSecretBody {
    pub secret: String,
}

impl From<Grant> for GrantBody {
    fn from(g: Grant) -> Self {
        GrantBody {
            id: g.id,
            person_id: g.person_id,
            person_name: g.person_name,
            resource_id: g.resource_id,
            resource_name: g.resource_name,
            resource_kind: g.resource_kind.as_str().into(),
            login: g.login,
            sudo: g.sudo,
            shell: g.shell,
            groups: g.groups,
            expires_at: g.expires_at.map(rfc3339_ms),
            reason: g.reason,
            granted_by: g.granted_by,
            granted_at: rfc3339_ms(g.granted_at),
            state: g.state.as_str().into(),
            error: g.error,
            note: g.note,
            attempts: g.attempts,
            last_attempt_at: g.last_attempt_at.map(rfc3339_ms),
            revoked_at: g.revoked_at.map(rfc3339_ms),
            revoked_by: g.revoked_by,
            has_first_secret: g.has_first_secret,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewGrant {
    pub person_id: i64,
    pub resource_id: i64,
    /// Unix login for servers (required there); the mailbox login elsewhere (the work
    /// e-mail's local part when empty).
    #[serde(default)]
    pub login: String,
    #[serde(default)]
    pub sudo: bool,
    /// Default `/bin/bash`.
    #[serde(default)]
    pub shell: String,
    /// Supplementary unix groups.
    #[serde(default)]
    pub groups: Vec<String>,
    /// RFC 3339; the grant is revoked by the expiry robot after it.
    pub expires_at: Option<String>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GrantParams {
    /// Only this person's grants.
    pub person_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantList {
    pub items: Vec<GrantBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServerBody {
    pub id: i64,
    #[schema(example = "web1")]
    pub name: String,
    pub address: String,
    pub groups: Vec<String>,
    /// False once the agent token was revoked.
    pub has_token: bool,
    pub hostname: String,
    pub agent_version: String,
    pub last_seen_at: Option<String>,
    /// The revision the agent last converged to fully (the number it was served; empty:
    /// never).
    pub applied_revision: String,
    /// The revision the hub serves now (the number the agent and the Ansible inventory
    /// see); equal to `applied_revision` when the server is in sync.
    pub desired_revision: String,
    pub in_sync: bool,
    pub drift: Vec<String>,
    pub errors: Vec<String>,
    pub reported_at: Option<String>,
}

impl ServerBody {
    pub fn new(s: Server, desired: &Numbered) -> ServerBody {
        let (drift, errors) = s
            .last_report
            .as_ref()
            .map(|r| (r.drift.clone(), r.errors.clone()))
            .unwrap_or_default();
        let applied_revision = applied_number(&s);
        ServerBody {
            in_sync: !s.applied_revision.is_empty() && s.applied_revision == desired.hash,
            id: s.id,
            name: s.name,
            address: s.address,
            groups: s.groups,
            has_token: s.has_token,
            hostname: s.hostname,
            agent_version: s.agent_version,
            last_seen_at: s.last_seen_at.map(rfc3339_ms),
            applied_revision,
            desired_revision: desired.state.revision.clone(),
            drift,
            errors,
            reported_at: s.reported_at.map(rfc3339_ms),
        }
    }
}

/// The number of the state a server last converged to; empty when it never did.
pub fn applied_number(s: &Server) -> String {
    if s.applied_serial > 0 && !s.applied_revision.is_empty() {
        s.applied_serial.to_string()
    } else {
        String::new()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServerList {
    pub items: Vec<ServerBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewServer {
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// A server with its agent token: the only time the token is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServerWithToken {
    pub server: ServerBody,
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenBody {
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceBody {
    pub id: i64,
    pub grant_id: i64,
    pub person_id: i64,
    pub name: String,
    #[schema(example = "10.8.0.2")]
    pub address: String,
    pub public_key: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl From<Device> for DeviceBody {
    fn from(d: Device) -> Self {
        DeviceBody {
            id: d.id,
            grant_id: d.grant_id,
            person_id: d.person_id,
            name: d.name,
            address: d.address,
            public_key: d.public_key,
            created_at: rfc3339_ms(d.created_at),
            revoked_at: d.revoked_at.map(rfc3339_ms),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewDeviceBody {
    /// An active VPN grant.
    pub grant_id: i64,
    #[schema(example = "Ноутбук")]
    pub name: String,
}

/// A new device with its configuration: the private key in it is not kept anywhere.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedDevice {
    pub device: DeviceBody,
    /// The `wg-quick` configuration, private key included; returned this once.
    pub config: String,
    /// The configuration as a QR code (SVG).
    pub qr_svg: String,
}

impl From<NewDevice> for CreatedDevice {
    fn from(n: NewDevice) -> Self {
        CreatedDevice {
            device: n.device.into(),
            config: n.config,
            qr_svg: n.qr_svg,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceList {
    pub items: Vec<DeviceBody>,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct OffboardBody {
    /// `YYYY-MM-DD`; today when absent.
    pub left_on: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OffboardResult {
    pub steps: Vec<Step>,
}
