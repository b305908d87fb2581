//! The hub's one portal: a [`Client`] built from the `bitrix24` configuration, cloned to
//! everything in the process that talks to the portal (pages, robots, adapters), so they share
//! one request bucket, and what the last check of the portal found.
//!
//! Two ways in: an incoming webhook (`webhook_url`), or a local application (`portal_url`,
//! `client_id`, `client_secret`) whose tokens an administrator obtains on the settings page
//! and the hub keeps in its database ([`DbTokenStore`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use shtab_core::config::{Bitrix24Config, Config, SystemOfRecord};
use shtab_core::db::Db;
use utoipa::ToSchema;

use crate::client::status::Profile;
use crate::client::{
    AppCredentials, Bitrix24Error, Client, ClientConfig, Credentials, PortalOrigin, RateLimit,
};
use crate::store::DbTokenStore;

/// What the settings page says when the portal is not configured.
pub const HOW_TO_CONFIGURE: &str = "Bitrix24 is not configured: on the portal create an incoming \
     webhook (Developer resources → Other → Incoming webhook) with the scopes task, user, \
     department, im and crm, and put its address in bitrix24.webhook_url (or \
     SHTAB_BITRIX24_WEBHOOK_URL_FILE); or create a local application and set \
     bitrix24.portal_url, client_id and client_secret";

/// How the hub reaches the portal, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Nothing is configured.
    None,
    /// An incoming webhook (`bitrix24.webhook_url`).
    Webhook,
    /// A local application (`bitrix24.portal_url`, `client_id`, `client_secret`).
    Application,
}

impl Mode {
    pub fn of(config: &Bitrix24Config) -> Mode {
        if !config.webhook_url.is_empty() {
            Mode::Webhook
        } else if application_given(config) {
            Mode::Application
        } else {
            Mode::None
        }
    }
}

/// True when any of a local application's settings is given.
fn application_given(config: &Bitrix24Config) -> bool {
    !config.portal_url.trim().is_empty()
        || !config.client_id.trim().is_empty()
        || !config.client_secret.is_empty()
}

/// A portal's client is shared per credentials (and database, for an application's tokens)
/// and rate settings.
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
    /// so the web application, the worker and every robot share one client (one bucket). A
    /// local application keeps its tokens in `db`.
    pub fn shared(config: &Config, db: &Db) -> Configured {
        static PORTALS: OnceLock<Mutex<HashMap<PortalKey, Portal>>> = OnceLock::new();
        let b = &config.bitrix24;
        let credentials = match Mode::of(b) {
            Mode::None => return Configured::No,
            Mode::Webhook if application_given(b) => {
                return Configured::Unusable(BOTH_MODES.to_owned());
            }
            Mode::Webhook => format!("webhook {}", b.webhook_url.expose().trim()),
            // The secret is part of the key so a changed one makes a new client; the
            // database, because the tokens live there.
            Mode::Application => format!(
                "app {} {} {} {} {}",
                b.portal_url.trim(),
                b.client_id.trim(),
                b.client_secret.expose(),
                b.oauth_url.trim(),
                config.database_url()
            ),
        };
        let key = (credentials, b.rate, b.burst);
        let mut portals = PORTALS
            .get_or_init(Default::default)
            .lock()
            .expect("portals lock");
        if let Some(p) = portals.get(&key) {
            return Configured::Yes(p.clone());
        }
        match Portal::new(b, db) {
            Ok(p) => {
                portals.insert(key, p.clone());
                Configured::Yes(p)
            }
            Err(e) => Configured::Unusable(e.to_string()),
        }
    }

    /// A new client for `config` (most callers want [`Portal::shared`]).
    pub fn new(config: &Bitrix24Config, db: &Db) -> Result<Portal, Bitrix24Error> {
        let client_config = ClientConfig {
            limit: RateLimit {
                rate: f64::from(config.rate),
                burst: f64::from(config.burst),
            },
            ..ClientConfig::default()
        };
        let client = match Mode::of(config) {
            Mode::Application => {
                let app = application(config, db)?;
                Client::new(Credentials::App(app), client_config)?
            }
            _ => Client::webhook(config.webhook_url.expose(), client_config)?,
        };
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

    pub fn mode(&self) -> Mode {
        match self.client.app() {
            Some(_) => Mode::Application,
            None => Mode::Webhook,
        }
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

    /// Forgets the last check (it was about credentials that are gone).
    pub fn forget_check(&self) {
        *self.checked.lock().expect("checked lock") = None;
    }

    /// The last check, if any ran in this process.
    pub fn last_check(&self) -> Option<Checked> {
        self.checked.lock().expect("checked lock").clone()
    }
}

/// Both ways in are configured: the hub would not know whose rights it acts with.
pub const BOTH_MODES: &str = "both an incoming webhook (bitrix24.webhook_url) and a local \
     application (bitrix24.portal_url, client_id, client_secret) are configured: keep one";

/// A local application's credentials from `config`, its tokens in `db`.
fn application(config: &Bitrix24Config, db: &Db) -> Result<AppCredentials, Bitrix24Error> {
    let missing: Vec<&str> = [
        ("bitrix24.portal_url", config.portal_url.trim().is_empty()),
        ("bitrix24.client_id", config.client_id.trim().is_empty()),
        ("bitrix24.client_secret", config.client_secret.is_empty()),
    ]
    .into_iter()
    .filter_map(|(key, empty)| empty.then_some(key))
    .collect();
    if !missing.is_empty() {
        return Err(Bitrix24Error::Config(format!(
            "a local application needs bitrix24.portal_url, client_id and client_secret; \
             missing: {}",
            missing.join(", ")
        )));
    }
    let portal = PortalOrigin::parse(&config.portal_url)?;
    // The OAuth server gets the application's secret: https only, as the portal.
    PortalOrigin::parse(&config.oauth_url)
        .map_err(|e| Bitrix24Error::Config(format!("bitrix24.oauth_url: {e}")))?;
    let client_id = config.client_id.trim().to_owned();
    Ok(AppCredentials {
        store: Arc::new(DbTokenStore::new(db.clone(), &portal, &client_id)),
        portal,
        client_id,
        client_secret: config.client_secret.clone(),
        oauth_url: config.oauth_url.trim().to_owned(),
    })
}

/// The scopes each system of Shtab needs, for this configuration.
pub fn needs(config: &Config) -> Vec<Need> {
    vec![
        Need {
            scope: "user",
            purpose: "people",
            required: true,
        },
        // Only for the department names on the person page: without it the users robot syncs
        // people all the same.
        Need {
            scope: "department",
            purpose: "people",
            required: false,
        },
        Need {
            scope: "task",
            purpose: "tasks",
            required: config.systems.tasks == SystemOfRecord::Bitrix24,
        },
        // The `bitrix24` channel, which people synced from the portal get by default.
        Need {
            scope: "im",
            purpose: "notifications",
            required: true,
        },
        Need {
            scope: "crm",
            purpose: "deals",
            required: config.systems.deals == SystemOfRecord::Bitrix24,
        },
        Need {
            scope: "crm",
            purpose: "invoices",
            required: config.systems.invoices == SystemOfRecord::Bitrix24,
        },
    ]
}

/// The required scopes missing from `granted`, each once (deals and invoices both need `crm`).
pub fn missing(needs: &[Need], granted: &[String]) -> Vec<&'static str> {
    let mut missing: Vec<&'static str> = Vec::new();
    for n in needs {
        if n.required && !granted.iter().any(|g| g == n.scope) && !missing.contains(&n.scope) {
            missing.push(n.scope);
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use shtab_core::config::Secret;

    #[test]
    fn the_task_and_crm_scopes_are_required_only_when_tasks_deals_or_invoices_live_on_the_portal() {
        let mut config = Config::default();
        let granted = vec!["user".to_owned(), "im".to_owned()];
        assert!(missing(&needs(&config), &granted).is_empty());
        config.systems.tasks = SystemOfRecord::Bitrix24;
        assert_eq!(missing(&needs(&config), &granted), vec!["task"]);
        config.systems.invoices = SystemOfRecord::Bitrix24;
        assert_eq!(missing(&needs(&config), &granted), vec!["task", "crm"]);
        config.systems.deals = SystemOfRecord::Bitrix24;
        assert_eq!(missing(&needs(&config), &granted), vec!["task", "crm"]);
    }

    async fn database(dir: &tempfile::TempDir) -> (Config, Db) {
        let config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        let db = shtab_core::db::connect(&config).await.unwrap();
        (config, db)
    }

    #[tokio::test]
    async fn one_client_per_webhook_and_bad_settings_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, db) = database(&dir).await;
        assert!(matches!(Portal::shared(&c, &db), Configured::No));
        c.bitrix24.webhook_url = Secret::new("https://a.bitrix24.ru/rest/3/abc123/");
        let (Configured::Yes(one), Configured::Yes(two)) =
            (Portal::shared(&c, &db), Portal::shared(&c, &db))
        else {
            panic!("a webhook makes a portal")
        };
        assert!(Arc::ptr_eq(&one.checked, &two.checked));
        assert_eq!(one.mode(), Mode::Webhook);
        c.bitrix24.webhook_url = Secret::new("http://a.bitrix24.ru/rest/3/abc123/");
        assert!(matches!(Portal::shared(&c, &db), Configured::Unusable(e) if e.contains("https")));

        c.bitrix24.webhook_url = Secret::default();
        c.bitrix24.portal_url = "https://a.bitrix24.ru".into();
        c.bitrix24.client_id = "local.1".into();
        assert_eq!(Mode::of(&c.bitrix24), Mode::Application);
        assert!(matches!(Portal::shared(&c, &db), Configured::Unusable(e)
                if e.ends_with("missing: bitrix24.client_secret")),);
        c.bitrix24.client_secret = Secret::new("s3cret-app");
        let Configured::Yes(app) = Portal::shared(&c, &db) else {
            panic!("an application makes a portal")
        };
        assert_eq!(app.mode(), Mode::Application);
        assert!(!format!("{app:?}").contains("s3cret-app"));

        c.bitrix24.oauth_url = "http://oauth.example/oauth/token/".into();
        assert!(
            matches!(Portal::shared(&c, &db), Configured::Unusable(e) if e.contains("bitrix24.oauth_url"))
        );
        c.bitrix24.webhook_url = Secret::new("https://a.bitrix24.ru/rest/3/abc123/");
        assert!(
            matches!(Portal::shared(&c, &db), Configured::Unusable(e) if e.contains("keep one"))
        );
    }
}
