//! The agent's side of the `/agent/v1/` protocol (see `shtab_access_protocol`): a small
//! blocking HTTPS client, bearer token on every request.

use std::time::Duration;

use shtab_access_protocol::{API_PREFIX, DesiredState, Register, Registered, Report};
use ureq::http::StatusCode;

/// Answers bigger than this are not a server's state; reading stops there.
const MAX_BODY: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error(
        "the hub refused this server's token (401): it is wrong or was revoked; nothing was changed. Register again with a new token"
    )]
    Unauthorized,
    #[error("the hub cannot be reached at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the hub answered {status} to {url}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("the hub's answer to {url} is not what the protocol says: {reason}")]
    Malformed { url: String, reason: String },
}

pub enum Fetched {
    /// The state did not change since `If-None-Match`.
    NotModified,
    State {
        state: DesiredState,
        etag: Option<String>,
    },
}

pub struct Hub {
    base: String,
    token: String,
    http: ureq::Agent,
}

impl Hub {
    /// `timeout` bounds each whole request (connect, send, read).
    pub fn new(base: &str, token: &str, timeout: Duration) -> Hub {
        let http = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            // A redirect would carry the token somewhere the operator did not configure.
            .max_redirects(0)
            .user_agent(concat!("shtab-agent/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Hub {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            http,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{API_PREFIX}{path}", self.base)
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }

    pub fn register(&self, register: &Register) -> Result<Registered, HubError> {
        let url = self.url("/register");
        let body = serde_json::to_vec(register).expect("a Register serialises");
        let response = self
            .http
            .post(&url)
            .header("Authorization", self.bearer())
            .header("Content-Type", "application/json")
            .send(&body[..])
            .map_err(|e| unreachable(&url, e))?;
        let (status, body) = read(&url, response)?;
        expect_ok(&url, status, &body)?;
        serde_json::from_slice(&body).map_err(|e| HubError::Malformed {
            url,
            reason: e.to_string(),
        })
    }

    /// `GET /state`, conditional on the remembered ETag.
    pub fn state(&self, etag: Option<&str>) -> Result<Fetched, HubError> {
        let url = self.url("/state");
        let mut request = self
            .http
            .get(&url)
            .header("Authorization", self.bearer())
            .header("Accept", "application/json");
        if let Some(etag) = etag {
            request = request.header("If-None-Match", etag);
        }
        let response = request.call().map_err(|e| unreachable(&url, e))?;
        if response.status() == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        let etag = response
            .headers()
            .get("ETag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (status, body) = read(&url, response)?;
        expect_ok(&url, status, &body)?;
        let state = serde_json::from_slice(&body).map_err(|e| HubError::Malformed {
            url,
            reason: e.to_string(),
        })?;
        Ok(Fetched::State { state, etag })
    }

    pub fn report(&self, report: &Report) -> Result<(), HubError> {
        let url = self.url("/report");
        let body = serde_json::to_vec(report).expect("a Report serialises");
        let response = self
            .http
            .post(&url)
            .header("Authorization", self.bearer())
            .header("Content-Type", "application/json")
            .send(&body[..])
            .map_err(|e| unreachable(&url, e))?;
        let (status, body) = read(&url, response)?;
        expect_ok(&url, status, &body)
    }
}

fn unreachable(url: &str, error: ureq::Error) -> HubError {
    HubError::Unreachable {
        url: url.to_owned(),
        reason: error.to_string(),
    }
}

fn read(
    url: &str,
    mut response: ureq::http::Response<ureq::Body>,
) -> Result<(StatusCode, Vec<u8>), HubError> {
    let status = response.status();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(|e| unreachable(url, e))?;
    Ok((status, body))
}

fn expect_ok(url: &str, status: StatusCode, body: &[u8]) -> Result<(), HubError> {
    if status == StatusCode::UNAUTHORIZED {
        return Err(HubError::Unauthorized);
    }
    if !status.is_success() {
        let text = String::from_utf8_lossy(body);
        return Err(HubError::Status {
            url: url.to_owned(),
            status: status.as_u16(),
            body: text.chars().take(300).collect(),
        });
    }
    Ok(())
}
