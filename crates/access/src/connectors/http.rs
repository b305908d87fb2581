//! What the HTTP connectors share: sending one request with a time limit, sorting a failed
//! answer into "try again later" or "a person must fix something", building addresses from
//! a configured base without letting hub data change the path, and keeping the secret out
//! of every message.

use std::time::Duration;

use reqwest::{RequestBuilder, StatusCode, Url};
use serde_json::Value;

use super::ConnectorError;

/// One call to an outside API; the provisioning job retries later rather than waiting long.
pub(super) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How much of a system's own error text goes into a grant's message.
const MAX_DETAIL_CHARS: usize = 300;

/// An answer of any status, its body read as text.
pub(super) struct Answer {
    pub status: StatusCode,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// Sends `request`; no answer at all (refused connection, DNS, TLS, timeout) is retryable.
pub(super) async fn send(
    system: &str,
    request: RequestBuilder,
    secret: &str,
) -> Result<Answer, ConnectorError> {
    let response = request
        .timeout(REQUEST_TIMEOUT)
        .send()
        .await
        .map_err(|e| no_answer(system, e, secret))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| no_answer(system, e, secret))?;
    Ok(Answer { status, body })
}

fn no_answer(system: &str, error: reqwest::Error, secret: &str) -> ConnectorError {
    // The URL may carry the secret (Telegram puts the bot token in the path).
    let error = error.without_url();
    if error.is_timeout() {
        return ConnectorError::Retryable(format!(
            "{system} did not answer within {} s",
            REQUEST_TIMEOUT.as_secs()
        ));
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    ConnectorError::Retryable(format!("cannot reach {system}: {}", redact(&text, secret)))
}

/// A non-success answer as an error. A refused token or missing right will not pass by
/// itself; a busy or broken system may.
pub(super) fn refused(
    system: &str,
    status: StatusCode,
    detail: &str,
    secret: &str,
) -> ConnectorError {
    let code = status.as_u16();
    let detail = shown_detail(detail, secret);
    match code {
        401 | 403 => ConnectorError::Permanent(format!(
            "{system} refused the credentials (HTTP {code}{detail}): check the resource's \
             secret and the rights it was given"
        )),
        408 | 429 | 500..=599 => ConnectorError::Retryable(format!(
            "{system} answered HTTP {code}{detail}; will try again"
        )),
        _ => ConnectorError::Permanent(format!(
            "{system} refused the request (HTTP {code}{detail})"
        )),
    }
}

/// An answer that is not the documented shape: the address probably points elsewhere.
pub(super) fn unreadable(system: &str, what: &str, body: &str, secret: &str) -> ConnectorError {
    ConnectorError::Permanent(format!(
        "{system} answered something that is not {what}{}; check the resource's address",
        shown_detail(body, secret)
    ))
}

/// `": <text>"`, shortened and without the secret, or nothing when there is no text.
pub(super) fn shown_detail(text: &str, secret: &str) -> String {
    let text = redact(text.trim(), secret);
    if text.is_empty() {
        return String::new();
    }
    let mut short: String = text.chars().take(MAX_DETAIL_CHARS).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    format!(": {short}")
}

/// `text` with every occurrence of `secret` replaced, for messages that quote a system or a
/// program that might echo it.
pub(super) fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, "***")
    }
}

/// `base` with `segments` appended, each percent-encoded as one segment: a login such as
/// `../x` stays a name, never a path.
pub(super) fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.path_segments_mut()
        .expect("base URLs are http(s), checked with the settings")
        .pop_if_empty()
        .extend(segments);
    url
}

/// A configured base address: http(s), a host, no query or fragment.
pub(super) fn base_url(field: &str, value: &str) -> Result<Url, String> {
    let url = Url::parse(value.trim())
        .map_err(|e| format!("{field}: «{value}» is not an address ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "{field}: «{value}» must be an http:// or https:// address with a host"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{field}: «{value}» must not have a query or a fragment"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{field}: put credentials in the secret, not in the address"
        ));
    }
    Ok(url)
}

/// A resource's settings object, read field by field so every message names its field.
pub(super) struct Fields<'a> {
    map: &'a serde_json::Map<String, serde_json::Value>,
}

impl<'a> Fields<'a> {
    /// The settings of `system`, refusing keys other than `known` (a typo would otherwise
    /// be silently ignored).
    pub fn new(system: &str, value: &'a Value, known: &[&str]) -> Result<Self, String> {
        let Value::Object(map) = value else {
            return Err(format!("{system} settings must be a JSON object"));
        };
        if let Some(unknown) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(format!(
                "{unknown}: not a {system} setting (expected {})",
                known.join(", ")
            ));
        }
        Ok(Fields { map })
    }

    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn text(&self, key: &str) -> Result<Option<String>, String> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(other) => Err(format!("{key}: expected text, found {other}")),
        }
    }

    pub fn required_text(&self, key: &str) -> Result<String, String> {
        self.text(key)?.ok_or_else(|| format!("{key}: required"))
    }

    /// A whole number ≥ 0, given as a number or as digits.
    pub fn count(&self, key: &str) -> Result<Option<u64>, String> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.is_u64() => Ok(n.as_u64()),
            Some(Value::String(s)) if s.trim().parse::<u64>().is_ok() => Ok(s.trim().parse().ok()),
            Some(other) => Err(format!(
                "{key}: expected a whole number of 0 or more, found {other}"
            )),
        }
    }

    pub fn text_list(&self, key: &str) -> Result<Vec<String>, String> {
        match self.raw(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(format!("{key}[{i}]: expected text, found {other}")),
                })
                .collect(),
            Some(other) => Err(format!("{key}: expected a list of text, found {other}")),
        }
    }
}

/// Settings that were accepted when saved but are wrong now are a person's to fix.
pub(super) fn bad_settings(message: String) -> ConnectorError {
    ConnectorError::Permanent(message)
}
