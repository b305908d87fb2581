//! A Mailcow mailbox `login@domain` through Mailcow's API (header `X-API-Key`): looked up
//! with `GET /api/v1/get/mailbox/{address}`, created with `POST /api/v1/add/mailbox` and a
//! generated password (handed to the granter once), re-activated or disabled with
//! `POST /api/v1/edit/mailbox` `{"items":[address],"attr":{"active":"1"|"0"}}`. A mailbox is
//! never deleted: the mail stays for whoever takes over.
//!
//! Mailcow reports failures with HTTP 200 and `[{"type":"danger","msg":[…]}]`, so every
//! answer's entries are read, not just its status.

use async_trait::async_trait;
use reqwest::Url;
use serde::Deserialize;
use serde_json::{Value, json};

use super::http::{self, Answer};
use super::{Applied, Connector, ConnectorError, GrantWork};

const SYSTEM: &str = "Mailcow";

pub struct Mailcow {
    http: reqwest::Client,
}

impl Mailcow {
    pub fn new(http: reqwest::Client) -> Self {
        Mailcow { http }
    }
}

struct Settings {
    url: Url,
    domain: String,
    /// Without it the domain's default quota applies.
    quota_mb: Option<u64>,
}

/// The resource form's check, which needs no HTTP client.
pub(super) fn check(settings: &Value) -> Result<(), String> {
    parse_settings(settings).map(|_| ())
}

fn parse_settings(value: &Value) -> Result<Settings, String> {
    let fields = http::Fields::new(SYSTEM, value, &["url", "domain", "quota_mb"])?;
    Ok(Settings {
        url: http::base_url("url", &fields.required_text("url")?)?,
        domain: mail_domain("domain", &fields.required_text("domain")?)?,
        quota_mb: fields.count("quota_mb")?,
    })
}

/// A mail domain: letters, digits, hyphens, at least one dot (lower-cased).
pub(super) fn mail_domain(field: &str, value: &str) -> Result<String, String> {
    let domain = value.trim().to_ascii_lowercase();
    let labels_ok = domain.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if domain.contains('.') && labels_ok && domain.len() <= 253 {
        Ok(domain)
    } else {
        Err(format!(
            "{field}: «{value}» is not a mail domain such as agency.ru"
        ))
    }
}

/// The person's login as a mailbox local part: latin letters, digits, `.`, `_`, `-`.
pub(super) fn local_part(login: &str) -> Result<String, ConnectorError> {
    let part = login.trim().to_ascii_lowercase();
    let ok = !part.is_empty()
        && part.len() <= 64
        && !part.starts_with('.')
        && !part.ends_with('.')
        && !part.contains("..")
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(part)
    } else {
        Err(ConnectorError::Permanent(format!(
            "the login «{login}» cannot be a mailbox name (latin letters, digits, . _ - only)"
        )))
    }
}

/// A first password that passes the usual complexity policies (lower and upper case, a
/// digit, a symbol) without weakening the generator: candidates lacking one are dropped.
pub(super) fn first_password() -> String {
    loop {
        let p = shtab_core::auth::generate_password();
        if p.chars().any(|c| c.is_ascii_lowercase())
            && p.chars().any(|c| c.is_ascii_uppercase())
            && p.chars().any(|c| c.is_ascii_digit())
            && p.chars().any(|c| c == '-' || c == '_')
        {
            return p;
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct Kept {
    mailbox: Option<String>,
}

struct Api<'a> {
    http: &'a reqwest::Client,
    settings: Settings,
    key: &'a str,
}

impl Api<'_> {
    fn url(&self, segments: &[&str]) -> Url {
        let mut path = vec!["api", "v1"];
        path.extend_from_slice(segments);
        http::endpoint(&self.settings.url, &path)
    }

    /// `Some(active)` for an existing mailbox, `None` when Mailcow has none.
    async fn mailbox(&self, address: &str) -> Result<Option<bool>, ConnectorError> {
        let request = self
            .http
            .get(self.url(&["get", "mailbox", address]))
            .header("X-API-Key", self.key);
        let answer = http::send(SYSTEM, request, self.key).await?;
        let body = self.checked(&answer, "a mailbox")?;
        // An unknown mailbox is `{}` (or `[]`); a known one has its `username`.
        if body.get("username").is_none() {
            return Ok(None);
        }
        let active = ["active_int", "active"]
            .iter()
            .find_map(|k| match &body[*k] {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                Value::Bool(b) => Some(i64::from(*b)),
                _ => None,
            });
        Ok(Some(active.unwrap_or(1) == 1))
    }

    /// A write (`add` or `edit`), its answer's every entry checked.
    async fn write(&self, action: &str, body: Value, what: &str) -> Result<(), ConnectorError> {
        let request = self
            .http
            .post(self.url(&[action, "mailbox"]))
            .header("X-API-Key", self.key)
            .json(&body);
        let answer = http::send(SYSTEM, request, self.key).await?;
        let body = self.checked(&answer, "a list of results")?;
        let entries = match &body {
            Value::Array(items) => items.clone(),
            Value::Object(_) => vec![body.clone()],
            _ => Vec::new(),
        };
        if entries.is_empty() {
            return Err(http::unreadable(
                SYSTEM,
                "a list of results",
                &answer.body,
                self.key,
            ));
        }
        let failures: Vec<String> = entries
            .iter()
            .filter(|e| e["type"].as_str() != Some("success"))
            .map(|e| {
                format!(
                    "{} {}",
                    e["type"].as_str().unwrap_or("?"),
                    message(&e["msg"])
                )
            })
            .collect();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(ConnectorError::Permanent(format!(
                "Mailcow refused to {what}{}",
                http::shown_detail(&failures.join("; "), self.key)
            )))
        }
    }

    /// The JSON of a 2xx answer; any other status as an error with Mailcow's `msg`.
    fn checked(&self, answer: &Answer, what: &str) -> Result<Value, ConnectorError> {
        let body = answer.json();
        if !answer.status.is_success() {
            let detail = match &body {
                Some(Value::Object(o)) if o.contains_key("msg") => message(&o["msg"]),
                Some(Value::Array(items)) if !items.is_empty() => message(&items[0]["msg"]),
                _ => answer.body.clone(),
            };
            return Err(http::refused(SYSTEM, answer.status, &detail, self.key));
        }
        body.ok_or_else(|| http::unreadable(SYSTEM, what, &answer.body, self.key))
    }

    async fn set_active(&self, address: &str, active: bool) -> Result<(), ConnectorError> {
        let flag = if active { "1" } else { "0" };
        let what = if active {
            format!("re-activate {address}")
        } else {
            format!("disable {address}")
        };
        self.write(
            "edit",
            json!({ "items": [address], "attr": { "active": flag } }),
            &what,
        )
        .await
    }
}

/// Mailcow's `msg`: a string, or a list such as `["object_exists", "u@d"]`.
fn message(msg: &Value) -> String {
    match msg {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .map(|p| match p {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Mailcow {
    fn api<'a>(&'a self, work: &'a GrantWork) -> Result<Api<'a>, ConnectorError> {
        let settings = parse_settings(&work.resource.settings).map_err(http::bad_settings)?;
        let key = work.resource.secret.trim();
        if key.is_empty() {
            return Err(ConnectorError::Permanent(
                "Mailcow: the resource's secret (an API key) is empty".into(),
            ));
        }
        Ok(Api {
            http: &self.http,
            settings,
            key,
        })
    }
}

fn address(work: &GrantWork, domain: &str) -> Result<String, ConnectorError> {
    let kept: Kept = serde_json::from_value(work.previous.clone()).unwrap_or_default();
    match kept.mailbox {
        Some(mailbox) => Ok(mailbox),
        None => Ok(format!("{}@{domain}", local_part(&work.person.login)?)),
    }
}

#[async_trait]
impl Connector for Mailcow {
    fn check_settings(&self, settings: &Value) -> Result<(), String> {
        check(settings)
    }

    async fn grant(&self, work: &GrantWork) -> Result<Applied, ConnectorError> {
        let api = self.api(work)?;
        let local = local_part(&work.person.login)?;
        let address = format!("{local}@{}", api.settings.domain);
        let state = json!({ "mailbox": address, "active": true });
        match api.mailbox(&address).await? {
            Some(true) => Ok(Applied {
                state,
                note: format!("mailbox {address} is active"),
                secret_for_person: None,
            }),
            Some(false) => {
                api.set_active(&address, true).await?;
                Ok(Applied {
                    state,
                    note: format!("mailbox {address} re-activated (its password is unchanged)"),
                    secret_for_person: None,
                })
            }
            None => {
                let password = first_password();
                let mut body = json!({
                    "local_part": local,
                    "domain": api.settings.domain,
                    "name": work.person.full_name.trim(),
                    "password": password,
                    "password2": password,
                    "active": "1",
                    // The first password is seen by whoever granted it.
                    "force_pw_update": "1",
                });
                if let Some(quota) = api.settings.quota_mb {
                    body["quota"] = json!(quota.to_string());
                }
                api.write("add", body, &format!("create {address}"))
                    .await
                    .map_err(|e| match e {
                        ConnectorError::Permanent(m) => {
                            ConnectorError::Permanent(m.replace(&password, "***"))
                        }
                        other => other,
                    })?;
                Ok(Applied {
                    state,
                    note: format!("mailbox {address} created"),
                    secret_for_person: Some(password),
                })
            }
        }
    }

    async fn revoke(&self, work: &GrantWork) -> Result<Applied, ConnectorError> {
        let api = self.api(work)?;
        let address = address(work, &api.settings.domain)?;
        let state = json!({ "mailbox": address, "active": false });
        let note = match api.mailbox(&address).await? {
            None => format!("no mailbox {address}; nothing to disable"),
            Some(false) => format!("mailbox {address} is disabled; its mail is kept"),
            Some(true) => {
                api.set_active(&address, false).await?;
                format!("mailbox {address} disabled; its mail is kept")
            }
        };
        Ok(Applied {
            state,
            note,
            secret_for_person: None,
        })
    }
}
