//! Bitrix24's OAuth server (`oauth.bitrix.info/oauth/token/`) and the portal's authorisation
//! page: where an administrator is sent to authorise the application, the exchange of the
//! code the portal hands back for the first pair of tokens, and the refresh of a pair.
//!
//! Secrets (the application's secret, codes, refresh tokens) go in a form body, never in an
//! address: the docs show GETs with them in the query, which ends up in proxies' logs.

use reqwest::Url;
use serde::Deserialize;
use shtab_core::config::Secret;

use super::auth::{AppCredentials, Credentials, Tokens};
use super::decode::de_opt_id;
use super::errors::{ApiError, Bitrix24Error};
use super::portal::PortalOrigin;
use super::{Client, unix_now};

/// What the OAuth server hands over for a code: the tokens, and whose they are.
#[derive(Debug, Clone)]
pub struct Grant {
    pub tokens: Tokens,
    /// The portal's own id (`member_id`), the same whatever its address.
    pub member_id: String,
    /// The portal the tokens are for, read from `client_endpoint` (`https://portal/rest/`).
    pub portal: Option<PortalOrigin>,
    /// The portal user who authorised the application (`user_id`), when the server said.
    pub portal_user_id: Option<u64>,
}

/// The portal's page where an administrator authorises the application; the portal sends
/// them back to the application's handler with a code and `state`.
pub fn authorize_url(portal: &PortalOrigin, client_id: &str, state: &str) -> Url {
    let mut url = portal.join("/oauth/authorize/");
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("state", state);
    url
}

/// The server's answer to either exchange.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    refresh_token: String,
    #[serde(default)]
    expires: Option<i64>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    member_id: Option<String>,
    #[serde(default)]
    client_endpoint: Option<String>,
    #[serde(default, deserialize_with = "de_opt_id")]
    user_id: Option<super::decode::PortalId>,
}

impl TokenAnswer {
    fn tokens(&self, scope_before: &str) -> Tokens {
        let now = unix_now() as i64;
        Tokens {
            access_token: Secret::new(self.access_token.clone()),
            refresh_token: Secret::new(self.refresh_token.clone()),
            expires_at: self
                .expires
                .unwrap_or_else(|| now + self.expires_in.unwrap_or(3600)),
            scope: self
                .scope
                .clone()
                .unwrap_or_else(|| scope_before.to_owned()),
        }
    }
}

/// Exchanges the refresh token for a new pair.
pub(crate) async fn refresh(
    http: &reqwest::Client,
    app: &AppCredentials,
    current: &Tokens,
) -> Result<Tokens, Bitrix24Error> {
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", app.client_id.as_str()),
        ("client_secret", app.client_secret.expose()),
        ("refresh_token", current.refresh_token.expose()),
    ];
    let answer = token_request(http, app, &form, "refresh").await?;
    Ok(answer.tokens(&current.scope))
}

/// Exchanges the code the portal handed back (it lives 30 seconds) for the first pair.
async fn exchange_code(
    http: &reqwest::Client,
    app: &AppCredentials,
    code: &str,
) -> Result<Grant, Bitrix24Error> {
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", app.client_id.as_str()),
        ("client_secret", app.client_secret.expose()),
        ("code", code),
    ];
    let answer = token_request(http, app, &form, "code").await?;
    let portal = answer
        .client_endpoint
        .as_deref()
        .and_then(|e| Url::parse(e).ok())
        .and_then(|u| PortalOrigin::from_url(&u).ok());
    Ok(Grant {
        tokens: answer.tokens(""),
        member_id: answer.member_id.clone().unwrap_or_default(),
        portal,
        portal_user_id: answer.user_id.map(|id| id.0),
    })
}

async fn token_request(
    http: &reqwest::Client,
    app: &AppCredentials,
    form: &[(&str, &str)],
    what: &str,
) -> Result<TokenAnswer, Bitrix24Error> {
    let operation = format!("oauth {what}");
    let answer = http
        .post(&app.oauth_url)
        .form(form)
        .send()
        .await
        .map_err(|e| Bitrix24Error::Network {
            portal: oauth_host(&app.oauth_url),
            message: e.without_url().to_string(),
        })?;
    let status = answer.status();
    let body = answer.text().await.unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
    if let Some(e) = ApiError::from_value(&json) {
        if status.is_server_error() {
            return Err(Bitrix24Error::Unavailable {
                method: operation,
                status: status.as_u16(),
                detail: format!("{}: {}", e.code, e.description),
            });
        }
        // invalid_grant: the refresh token is dead (180 days, or revoked), or the code expired
        // or was used; invalid_client: the application's id or secret is wrong. Either needs
        // a person.
        return Err(Bitrix24Error::AppNotAuthorised {
            portal: app.portal.to_string(),
            detail: format!("{what} refused: {} {}", e.code, e.description),
        });
    }
    if !status.is_success() {
        return Err(Bitrix24Error::Unavailable {
            method: operation,
            status: status.as_u16(),
            detail: "the OAuth server did not answer with tokens".into(),
        });
    }
    serde_json::from_value(json).map_err(|e| Bitrix24Error::Decode {
        method: operation,
        message: e.to_string(),
    })
}

/// The OAuth server's host, for messages (its address carries no secret, but keep it short).
fn oauth_host(url: &str) -> String {
    Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "the OAuth server".into())
}

impl Client {
    /// The local application's credentials, when the client is one.
    pub fn app(&self) -> Option<&AppCredentials> {
        match &self.inner.credentials {
            Credentials::App(app) => Some(app),
            Credentials::Webhook(_) => None,
        }
    }

    /// The address to send an administrator to, to authorise the application with `state`.
    pub fn authorize_url(&self, state: &str) -> Result<Url, Bitrix24Error> {
        let app = self.app().ok_or_else(not_an_application)?;
        Ok(authorize_url(&app.portal, &app.client_id, state))
    }

    /// Exchanges the code the portal handed back for the first pair of tokens; storing them
    /// (after checking whose they are) is the caller's business.
    pub async fn exchange_code(&self, code: &str) -> Result<Grant, Bitrix24Error> {
        let app = self.app().ok_or_else(not_an_application)?;
        exchange_code(&self.inner.http, app, code).await
    }
}

fn not_an_application() -> Bitrix24Error {
    Bitrix24Error::Config(
        "the portal is reached through an incoming webhook, not a local application".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorisation_address_carries_the_client_id_and_state_only() {
        let portal = PortalOrigin::parse("https://agency.bitrix24.ru/some/path").unwrap();
        let url = authorize_url(&portal, "local.6667fc9.7041", "st&ate=1");
        assert_eq!(
            url.as_str(),
            "https://agency.bitrix24.ru/oauth/authorize/?client_id=local.6667fc9.7041&state=st%26ate%3D1"
        );
    }

    #[test]
    fn an_answer_without_expires_lives_its_expires_in() {
        let answer: TokenAnswer = serde_json::from_value(serde_json::json!({
            "access_token": "a", "refresh_token": "r", "expires_in": 3600,
            "member_id": "m1", "user_id": "7", "client_endpoint": "https://p.bitrix24.ru/rest/"
        }))
        .unwrap();
        let before = unix_now() as i64;
        let tokens = answer.tokens("task");
        assert!(tokens.expires_at >= before + 3600 && tokens.expires_at <= before + 3601);
        assert_eq!(
            tokens.scope, "task",
            "the scope stays when the answer omits it"
        );
        assert_eq!(answer.user_id.map(|u| u.0), Some(7));
    }
}
