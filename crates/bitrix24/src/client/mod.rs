//! A Bitrix24 REST client that knows nothing of Shtab's domain: the transport ([`call`]),
//! who we are to the portal ([`auth`], [`oauth`], `refresh`), the rate limits ([`limiter`], [`operating`]),
//! `batch`, paging by id, reading the portal's loose JSON ([`decode`], [`money`]) and errors
//! a person can act on ([`errors`]).
//!
//! One [`Client`] per portal, cloned to every job of a hub: the clones share one bucket, so
//! together they stay under the portal's limit.

pub mod answer;
pub mod auth;
pub mod batch;
mod call;
pub mod decode;
pub mod errors;
pub mod limiter;
mod lists;
pub mod metrics;
pub mod money;
pub mod oauth;
pub mod operating;
pub mod paging;
pub mod params;
pub mod portal;
mod refresh;
pub mod status;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use answer::Answer;
pub use auth::{
    AppCredentials, Credentials, Lease, MemoryTokenStore, RefreshClaim, TokenStore, Tokens,
};
pub use batch::{Batch, BatchAnswer};
pub use errors::{ApiError, Bitrix24Error};
pub use limiter::{Budget, RateLimit};
pub use oauth::Grant;
pub use paging::{IdPage, IdPager};
pub use portal::{PortalOrigin, WebhookUrl};

use limiter::LeakyBucket;
use operating::OperatingTracker;

/// How the client paces and retries. The defaults suit a cloud portal on a standard plan.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `bitrix24.rate` and `bitrix24.burst`: 2 and 50, or 5 and 250 on Enterprise.
    pub limit: RateLimit,
    /// One request; the portal itself stops a request at 60 s.
    pub timeout: Duration,
    /// Tries of one call when the portal is limiting or failing (the first included).
    pub attempts: u32,
    /// Added to each backoff step after a 503 or a failure.
    pub backoff_base: Duration,
    /// The longest one call sleeps for a method's resource time (429); past it the call
    /// fails as transient and the job queue tries later.
    pub max_wait: Duration,
    /// A method's resource time per ten minutes before the portal blocks it.
    pub operating_limit: f64,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            limit: RateLimit::default(),
            timeout: Duration::from_secs(65),
            attempts: 4,
            backoff_base: Duration::from_secs(1),
            max_wait: Duration::from_secs(120),
            operating_limit: operating::DEFAULT_OPERATING_LIMIT,
        }
    }
}

#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    credentials: Credentials,
    config: ClientConfig,
    bucket: Mutex<LeakyBucket>,
    operating: Mutex<OperatingTracker>,
    /// Where a renamed portal said it went (302); calls go there until the address is fixed.
    moved_to: Mutex<Option<PortalOrigin>>,
    /// One token refresh at a time for this portal.
    refresh_lock: tokio::sync::Mutex<()>,
    last_error: Mutex<Option<Bitrix24Error>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("credentials", &self.inner.credentials)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for one portal. The process's TLS provider is installed here if it was not.
    pub fn new(credentials: Credentials, config: ClientConfig) -> Result<Client, Bitrix24Error> {
        shtab_core::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10).min(config.timeout))
            .timeout(config.timeout)
            .user_agent(concat!("shtab/", env!("CARGO_PKG_VERSION")))
            // A followed 302 turns the POST into a GET without its body: a list call would run
            // unfiltered. Redirects are handled in `call`, once, keeping the body.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Bitrix24Error::Config(format!("cannot set up an HTTP client: {e}")))?;
        let now = Instant::now();
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                bucket: Mutex::new(LeakyBucket::new(config.limit, now)),
                operating: Mutex::new(OperatingTracker::new(config.operating_limit)),
                credentials,
                config,
                moved_to: Mutex::new(None),
                refresh_lock: tokio::sync::Mutex::new(()),
                last_error: Mutex::new(None),
            }),
        })
    }

    /// A client for an incoming webhook's address (`bitrix24.webhook_url`).
    pub fn webhook(url: &str, config: ClientConfig) -> Result<Client, Bitrix24Error> {
        Client::new(Credentials::Webhook(WebhookUrl::parse(url)?), config)
    }

    /// The portal as configured.
    pub fn portal(&self) -> &PortalOrigin {
        self.inner.credentials.origin()
    }

    /// The webhook's user, when the client is a webhook.
    pub fn webhook_user(&self) -> Option<u64> {
        match &self.inner.credentials {
            Credentials::Webhook(w) => Some(w.user_id),
            Credentials::App(_) => None,
        }
    }

    /// Where the portal moved, when it answered a 302: the configured address should be
    /// changed to this.
    pub fn moved_to(&self) -> Option<PortalOrigin> {
        self.inner.moved_to.lock().expect("moved_to lock").clone()
    }

    /// The request budget in use.
    pub fn budget(&self) -> Budget {
        self.inner
            .bucket
            .lock()
            .expect("bucket lock")
            .budget(Instant::now())
    }

    /// Resource time used per method in the current ten minutes: (method, seconds, limit).
    pub fn operating_usage(&self) -> Vec<(String, f64, f64)> {
        self.inner
            .operating
            .lock()
            .expect("operating lock")
            .usage(unix_now())
    }

    /// The last call's error, until a call succeeds.
    pub fn last_error(&self) -> Option<Bitrix24Error> {
        self.inner
            .last_error
            .lock()
            .expect("last_error lock")
            .clone()
    }
}

pub(crate) fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
