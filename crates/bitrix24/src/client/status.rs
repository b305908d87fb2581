//! What the settings page asks a portal: whose credentials these are and which scopes they
//! were given.

use serde::Deserialize;

use super::decode::{PortalId, de_flag, de_text};
use super::{Bitrix24Error, Client};

/// The user the webhook or application acts as (`profile`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Profile {
    #[serde(rename = "ID")]
    pub id: PortalId,
    #[serde(rename = "NAME", default, deserialize_with = "de_text")]
    pub name: String,
    #[serde(rename = "LAST_NAME", default, deserialize_with = "de_text")]
    pub last_name: String,
    #[serde(rename = "ADMIN", default, deserialize_with = "de_flag")]
    pub admin: bool,
}

impl Client {
    /// Whose credentials these are.
    pub async fn profile(&self) -> Result<Profile, Bitrix24Error> {
        self.call("profile", &()).await?.decode()
    }

    /// The scopes granted (`task`, `user`, `im`, `crm`…).
    pub async fn scopes(&self) -> Result<Vec<String>, Bitrix24Error> {
        self.call("scope", &()).await?.decode()
    }
}
