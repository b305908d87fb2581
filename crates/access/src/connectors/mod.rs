//! The outside systems a grant is carried out in, one file each. Every connector is
//! idempotent: granting what is already granted, or revoking what is already gone, succeeds
//! and changes nothing, so the provisioning job can simply be retried.
//!
//! SSH and the VPN gateway have no connector: the agent on the server converges to the
//! desired state the hub serves (see `crate::web::agent_api`).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

mod command;
mod http;
mod mailcow;
mod mattermost;
mod registry;
mod telegram;
#[cfg(test)]
mod tests;
mod yandex360;

pub use command::Command;
pub use mailcow::Mailcow;
pub use mattermost::Mattermost;
pub use registry::{KINDS, KindInfo, check_settings, describe, for_kind};
pub use telegram::Telegram;
pub use yandex360::Yandex360;

/// Who the grant is for, as the connectors need them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PersonInfo {
    pub id: i64,
    pub full_name: String,
    /// The person's work e-mail (first e-mail), if any.
    pub email: Option<String>,
    /// Their unix login / mailbox local part (`ivan.petrov` → `ivan.petrov@agency.ru`).
    pub login: String,
    /// The person's chat identities when known (`telegram_user_id`, `mattermost_user_id`).
    #[serde(default)]
    pub chat_ids: serde_json::Map<String, serde_json::Value>,
}

/// The resource: its kind picks the connector, `settings` configure it (not secret, shown
/// on its page), `secret` is the API token or password (write-only in the interface, never
/// logged).
#[derive(Clone, Serialize, Deserialize)]
pub struct ResourceInfo {
    pub id: i64,
    pub name: String,
    /// `telegram`, `mattermost`, `mailcow`, `yandex360`, `command`.
    pub connector: String,
    pub settings: serde_json::Value,
    #[serde(skip_serializing)]
    pub secret: String,
}

impl std::fmt::Debug for ResourceInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceInfo")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("connector", &self.connector)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// One grant to carry out or take back.
#[derive(Debug, Clone)]
pub struct GrantWork {
    pub grant_id: i64,
    pub person: PersonInfo,
    pub resource: ResourceInfo,
    /// What the previous successful run of this grant returned as [`Applied::state`]
    /// (an invite link, a mailbox id), `Null` the first time.
    pub previous: serde_json::Value,
}

/// What a connector did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// Kept with the grant and passed back as [`GrantWork::previous`] next time.
    pub state: serde_json::Value,
    /// For the person's access page: "invite link https://t.me/+…", "mailbox created".
    pub note: String,
    /// Something to hand to the person once (a mailbox's first password), shown once to
    /// whoever granted it, never stored in clear.
    pub secret_for_person: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectorError {
    /// The system was unreachable or answered 5xx/429: try again later.
    #[error("{0}")]
    Retryable(String),
    /// The request was refused for a reason trying again will not fix (bad token, bad
    /// settings): shown on the grant as failed until someone changes something.
    #[error("{0}")]
    Permanent(String),
}

#[async_trait]
pub trait Connector: Send + Sync {
    /// Checks a resource's settings when it is saved: field errors name what is wrong.
    fn check_settings(&self, settings: &serde_json::Value) -> Result<(), String>;
    async fn grant(&self, work: &GrantWork) -> Result<Applied, ConnectorError>;
    async fn revoke(&self, work: &GrantWork) -> Result<Applied, ConnectorError>;
}
