//! Who the client is to the portal: an incoming webhook (its code in the address), or a local
//! application with OAuth tokens. Tokens live behind [`TokenStore`] so the hub can keep them
//! in its database. The refresh token rotates on every refresh, so two refreshes of one pair
//! would leave one caller with a dead token: a store shared by several hubs hands out a lease
//! per refresh ([`TokenStore::claim_refresh`]), and the client re-reads the store before and
//! after waiting for one (see `refresh.rs`).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use shtab_core::config::Secret;

use super::portal::{PortalOrigin, WebhookUrl};

/// Bitrix24's OAuth server, where every portal's codes and refresh tokens are exchanged.
pub const OAUTH_TOKEN_URL: &str = "https://oauth.bitrix.info/oauth/token/";

/// A local application's access and refresh tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: Secret,
    pub refresh_token: Secret,
    /// Unix seconds when the access token stops working (it lives an hour).
    pub expires_at: i64,
    /// The scopes granted, as the OAuth server lists them (`crm,im,task,user`).
    pub scope: String,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish()
    }
}

/// The right to refresh one pair, held by one caller until it finishes or the lease ends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lease(pub String);

/// What [`TokenStore::claim_refresh`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshClaim {
    /// This caller refreshes; the others wait.
    Granted(Lease),
    /// Another caller (another hub) is refreshing this pair now: wait and read again.
    Busy,
    /// The stored pair is no longer the one read: read again.
    Changed,
}

/// Where a local application's tokens are kept: the hub's database, or memory in tests.
///
/// The refresh methods have defaults for a store only one process uses (the client's own
/// lock then serialises refreshes); a store several hubs share overrides them.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// The current pair, or none before an administrator authorised the application.
    async fn load(&self) -> Result<Option<Tokens>, String>;

    /// Replaces the pair (after a refresh: the old refresh token no longer works).
    async fn save(&self, tokens: &Tokens) -> Result<(), String>;

    /// Claims the refresh of `read` (the pair this caller read) for `lease_for`: granted only
    /// when `read`'s refresh token is still the stored one and nobody else holds a live lease.
    async fn claim_refresh(
        &self,
        read: &Tokens,
        lease_for: Duration,
    ) -> Result<RefreshClaim, String> {
        let _ = (read, lease_for);
        Ok(RefreshClaim::Granted(Lease::default()))
    }

    /// Stores `fresh` in place of `read`, only if `read`'s refresh token is still the stored
    /// one, and ends the lease; false when the pair had already been replaced.
    async fn finish_refresh(
        &self,
        lease: &Lease,
        read: &Tokens,
        fresh: &Tokens,
    ) -> Result<bool, String> {
        let _ = (lease, read);
        self.save(fresh).await.map(|()| true)
    }

    /// Gives the lease back after a refresh that failed, so another caller may try.
    async fn abandon_refresh(&self, lease: &Lease) -> Result<(), String> {
        let _ = lease;
        Ok(())
    }
}

/// Tokens in memory: tests, and a hub that will be re-authorised after a restart.
#[derive(Default)]
pub struct MemoryTokenStore(Mutex<Option<Tokens>>);

impl MemoryTokenStore {
    pub fn new(tokens: Option<Tokens>) -> MemoryTokenStore {
        MemoryTokenStore(Mutex::new(tokens))
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn load(&self) -> Result<Option<Tokens>, String> {
        Ok(self.0.lock().expect("token store lock").clone())
    }

    async fn save(&self, tokens: &Tokens) -> Result<(), String> {
        *self.0.lock().expect("token store lock") = Some(tokens.clone());
        Ok(())
    }
}

/// A local application: the portal, the application's id and secret, and its tokens.
#[derive(Clone)]
pub struct AppCredentials {
    pub portal: PortalOrigin,
    pub client_id: String,
    pub client_secret: Secret,
    /// [`OAUTH_TOKEN_URL`], or a fake in tests.
    pub oauth_url: String,
    pub store: Arc<dyn TokenStore>,
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("portal", &self.portal)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub enum Credentials {
    Webhook(WebhookUrl),
    App(AppCredentials),
}

impl Credentials {
    pub fn origin(&self) -> &PortalOrigin {
        match self {
            Credentials::Webhook(w) => &w.origin,
            Credentials::App(a) => &a.portal,
        }
    }
}
