//! Who the client is to the portal: an incoming webhook (its code in the address), or a local
//! application with OAuth tokens. Tokens live behind [`TokenStore`] so the hub can keep them
//! in its database; the refresh token rotates on every refresh, so refreshing twice at once
//! would lose one pair: a refresh re-reads the store first, and only one runs per portal.

use std::fmt;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::Deserialize;
use shtab_core::config::Secret;

use super::errors::Bitrix24Error;
use super::portal::{PortalOrigin, WebhookUrl};

/// Bitrix24's OAuth server, where every portal's tokens are refreshed.
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

/// Where a local application's tokens are kept: the hub's database, or memory in tests.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// The current pair, or none before an administrator authorised the application.
    async fn load(&self) -> Result<Option<Tokens>, String>;
    /// Replaces the pair (after a refresh: the old refresh token no longer works).
    async fn save(&self, tokens: &Tokens) -> Result<(), String>;
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

/// The OAuth server's answer to a refresh.
#[derive(Deserialize)]
struct RefreshAnswer {
    access_token: String,
    refresh_token: String,
    #[serde(default)]
    expires: Option<i64>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    scope: Option<String>,
}

/// Exchanges the refresh token for a new pair. The secrets go in a form body, never in the
/// address (the docs show a GET with them in the query, which ends up in proxies' logs).
pub(crate) async fn refresh(
    http: &reqwest::Client,
    app: &AppCredentials,
    current: &Tokens,
) -> Result<Tokens, Bitrix24Error> {
    let portal = app.portal.to_string();
    let refused = |detail: String| Bitrix24Error::AppNotAuthorised {
        portal: portal.clone(),
        detail,
    };
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", app.client_id.as_str()),
        ("client_secret", app.client_secret.expose()),
        ("refresh_token", current.refresh_token.expose()),
    ];
    let answer = http
        .post(&app.oauth_url)
        .form(&form)
        .send()
        .await
        .map_err(|e| Bitrix24Error::Network {
            portal: "oauth.bitrix.info".into(),
            message: e.without_url().to_string(),
        })?;
    let status = answer.status();
    let body = answer.text().await.unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
    if let Some(e) = super::errors::ApiError::from_value(&json) {
        // invalid_grant: the refresh token is dead (180 days, or revoked); invalid_client:
        // the application's id or secret is wrong. Either needs a person.
        if status.is_server_error() {
            return Err(Bitrix24Error::Unavailable {
                method: "oauth refresh".into(),
                status: status.as_u16(),
                detail: format!("{}: {}", e.code, e.description),
            });
        }
        return Err(refused(format!(
            "refresh refused: {} {}",
            e.code, e.description
        )));
    }
    if !status.is_success() {
        return Err(Bitrix24Error::Unavailable {
            method: "oauth refresh".into(),
            status: status.as_u16(),
            detail: "the OAuth server did not answer with tokens".into(),
        });
    }
    let fresh: RefreshAnswer = serde_json::from_value(json).map_err(|e| Bitrix24Error::Decode {
        method: "oauth refresh".into(),
        message: e.to_string(),
    })?;
    let now = chrono::Utc::now().timestamp();
    Ok(Tokens {
        access_token: Secret::new(fresh.access_token),
        refresh_token: Secret::new(fresh.refresh_token),
        expires_at: fresh
            .expires
            .unwrap_or_else(|| now + fresh.expires_in.unwrap_or(3600)),
        scope: fresh.scope.unwrap_or_else(|| current.scope.clone()),
    })
}
