//! The hub's one portal: a [`Client`] built from the `bitrix24` configuration, cloned to
//! everything in the process that talks to the portal (pages, robots, adapters), so they share
//! one request bucket, and what the last check of the portal found.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use shtab_core::config::{Bitrix24Config, Config, SystemOfRecord};

use crate::client::status::Profile;
use crate::client::{Bitrix24Error, Client, ClientConfig, RateLimit};

/// What the settings page says when the portal is not configured.
pub const HOW_TO_CONFIGURE: &str = "Bitrix24 is not configured: on the portal create an incoming \
     webhook (Developer resources → Other → Incoming webhook) with the scopes task, user, im and \
     crm, and put its address in bitrix24.webhook_url (or SHTAB_BITRIX24_WEBHOOK_URL_FILE)";

/// A local application (`portal_url`, `client_id`, `client_secret`) cannot be used by the hub
/// yet: its authorisation from the settings page is still to come.
pub const APP_MODE_NOT_YET: &str = "a local application (bitrix24.portal_url, client_id, \
     client_secret) is not yet supported by the hub: use an incoming webhook \
     (bitrix24.webhook_url) for now";

/// A portal's client is shared per webhook address and rate settings.
type PortalKey = (String, u32, u32);

/// The hub's portal, when one is configured. Cheap to clone; clones share everything.
#[derive(Clone, Debug)]
pub struct Portal {
    client: Client,
    checked: Arc<Mutex<Option<Checked>>>,
}

/// What the last check found.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Unix seconds.
    pub at: i64,
    /// Whose webhook it is (`profile`), when the portal said.
    pub owner: Option<Profile>,
    /// The scopes granted (`scope`), when the portal said.
    pub scopes: Option<Vec<String>>,
    /// The first refusal of the check.
    pub error: Option<Bitrix24Error>,
}

/// One scope a system of Shtab needs from the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub scope: &'static str,
    /// What needs it (`tasks`, `people`, `notifications`, `deals`).
    pub purpose: &'static str,
    /// False for what is not enabled (or not built) yet: shown, not required.
    pub required: bool,
}

/// What the portal is configured as: nothing, a usable portal, or settings that cannot be used.
#[derive(Debug, Clone)]
pub enum Configured {
    No,
    Yes(Portal),
    Unusable(String),
}

impl Configured {
    pub fn portal(&self) -> Option<&Portal> {
        match self {
            Configured::Yes(p) => Some(p),
            _ => None,
        }
    }
}

impl Portal {
    /// The process's portal for `config`: built once per portal and credential, then cloned,
    /// so the web application, the worker and every robot share one client (one bucket).
    pub fn shared(config: &Bitrix24Config) -> Configured {
        static PORTALS: OnceLock<Mutex<HashMap<PortalKey, Portal>>> = OnceLock::new();
        if config.webhook_url.is_empty() {
            if !config.portal_url.is_empty() || !config.client_id.is_empty() {
                return Configured::Unusable(APP_MODE_NOT_YET.to_owned());
            }
            return Configured::No;
        }
        let key = (
            config.webhook_url.expose().trim().to_owned(),
            config.rate,
            config.burst,
        );
        let mut portals = PORTALS
            .get_or_init(Default::default)
            .lock()
            .expect("portals lock");
        if let Some(p) = portals.get(&key) {
            return Configured::Yes(p.clone());
        }
        match Portal::new(config) {
            Ok(p) => {
                portals.insert(key, p.clone());
                Configured::Yes(p)
            }
            Err(e) => Configured::Unusable(e.to_string()),
        }
    }

    /// A new client for `config`'s webhook (most callers want [`Portal::shared`]).
    pub fn new(config: &Bitrix24Config) -> Result<Portal, Bitrix24Error> {
        let client_config = ClientConfig {
            limit: RateLimit {
                rate: f64::from(config.rate),
                burst: f64::from(config.burst),
            },
            ..ClientConfig::default()
        };
        let client = Client::webhook(config.webhook_url.expose(), client_config)?;
        Ok(Portal::from_client(client))
    }

    pub fn from_client(client: Client) -> Portal {
        Portal {
            client,
            checked: Arc::new(Mutex::new(None)),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Asks the portal now whose webhook this is and which scopes it has.
    pub async fn check(&self) -> Checked {
        let mut checked = Checked {
            at: chrono::Utc::now().timestamp(),
            owner: None,
            scopes: None,
            error: None,
        };
        match self.client.profile().await {
            Ok(p) => checked.owner = Some(p),
            Err(e) => checked.error = Some(e),
        }
        // A wrong code fails both alike; one answer is enough to tell.
        if checked.error.is_none() {
            match self.client.scopes().await {
                Ok(s) => checked.scopes = Some(s),
                Err(e) => checked.error = Some(e),
            }
        }
        *self.checked.lock().expect("checked lock") = Some(checked.clone());
        checked
    }

    /// The last check, if any ran in this process.
    pub fn last_check(&self) -> Option<Checked> {
        self.checked.lock().expect("checked lock").clone()
    }
}

/// The scopes each system of Shtab needs, for this configuration.
pub fn needs(config: &Config) -> Vec<Need> {
    vec![
        Need {
            scope: "user",
            purpose: "people",
            required: true,
        },
        Need {
            scope: "task",
            purpose: "tasks",
            required: config.systems.tasks == SystemOfRecord::Bitrix24,
        },
        Need {
            scope: "im",
            purpose: "notifications",
            required: false,
        },
        Need {
            scope: "crm",
            purpose: "deals",
            required: false,
        },
        Need {
            scope: "crm",
            purpose: "invoices",
            required: config.systems.invoices == SystemOfRecord::Bitrix24,
        },
    ]
}

/// The required scopes missing from `granted`.
pub fn missing(needs: &[Need], granted: &[String]) -> Vec<&'static str> {
    needs
        .iter()
        .filter(|n| n.required && !granted.iter().any(|g| g == n.scope))
        .map(|n| n.scope)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shtab_core::config::Secret;

    #[test]
    fn the_task_scope_is_required_only_when_tasks_live_on_the_portal() {
        let mut config = Config::default();
        let granted = vec!["user".to_owned()];
        assert!(missing(&needs(&config), &granted).is_empty());
        config.systems.tasks = SystemOfRecord::Bitrix24;
        assert_eq!(missing(&needs(&config), &granted), vec!["task"]);
        config.systems.invoices = SystemOfRecord::Bitrix24;
        assert_eq!(missing(&needs(&config), &granted), vec!["task", "crm"]);
    }

    #[test]
    fn one_client_per_webhook_and_the_application_mode_is_named_as_not_yet() {
        let mut c = Bitrix24Config::default();
        assert!(matches!(Portal::shared(&c), Configured::No));
        c.webhook_url = Secret::new("https://a.bitrix24.ru/rest/3/abc123/");
        let (Configured::Yes(one), Configured::Yes(two)) = (Portal::shared(&c), Portal::shared(&c))
        else {
            panic!("a webhook makes a portal")
        };
        assert!(Arc::ptr_eq(&one.checked, &two.checked));
        c.webhook_url = Secret::new("http://a.bitrix24.ru/rest/3/abc123/");
        assert!(matches!(Portal::shared(&c), Configured::Unusable(e) if e.contains("https")));
        let app = Bitrix24Config {
            portal_url: "https://a.bitrix24.ru".into(),
            client_id: "local.1".into(),
            ..Bitrix24Config::default()
        };
        assert!(matches!(Portal::shared(&app), Configured::Unusable(e) if e.contains("not yet")));
    }
}
