//! A Yandex 360 mailbox: the organisation's user `login` (nickname), so the address is
//! `login@domain`. Through the directory API (`Authorization: OAuth <token>`, scopes
//! `directory:read_users` and `directory:write_users`): users are listed with
//! `GET /directory/v1/org/{orgId}/users?page=&perPage=` to find the nickname, created with
//! `POST /directory/v1/org/{orgId}/users` (`nickname`, `departmentId`, `name{first,last,middle}`,
//! `password`), and enabled or disabled with `PATCH /directory/v1/org/{orgId}/users/{id}`
//! `{"isEnabled": …}`. A user is never deleted: the mail stays.
//!
//! Errors are `{"code": 7, "message": "…", "details": […]}` with a 4xx/5xx status.

use async_trait::async_trait;
use reqwest::{Method, Url};
use serde_json::{Value, json};

use super::http::{self, Answer};
use super::mailcow::{first_password, local_part, mail_domain};
use super::{Applied, Connector, ConnectorError, GrantWork};

const SYSTEM: &str = "Yandex 360";
pub const DEFAULT_API_URL: &str = "https://api360.yandex.net";
/// Users asked for per page while looking for a nickname.
const PER_PAGE: u32 = 1000;
/// More pages than any organisation has: a server that never ends is not followed forever.
const MAX_PAGES: u64 = 1000;
/// "All employees", the department every organisation has.
const ROOT_DEPARTMENT: u64 = 1;

pub struct Yandex360 {
    http: reqwest::Client,
}

impl Yandex360 {
    pub fn new(http: reqwest::Client) -> Self {
        Yandex360 { http }
    }
}

struct Settings {
    org_id: String,
    domain: String,
    api_url: Url,
    department_id: u64,
}

/// The resource form's check, which needs no HTTP client.
pub(super) fn check(settings: &Value) -> Result<(), String> {
    parse_settings(settings).map(|_| ())
}

fn parse_settings(value: &Value) -> Result<Settings, String> {
    let fields = http::Fields::new(
        SYSTEM,
        value,
        &["org_id", "domain", "api_url", "department_id"],
    )?;
    let org_id = fields
        .count("org_id")
        .ok()
        .flatten()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            format!(
                "org_id: expected the organisation's number (shown in the Yandex 360 admin \
                 console), found {}",
                fields
                    .raw("org_id")
                    .map_or("nothing".into(), Value::to_string)
            )
        })?
        .to_string();
    Ok(Settings {
        org_id,
        domain: mail_domain("domain", &fields.required_text("domain")?)?,
        api_url: http::base_url(
            "api_url",
            fields
                .text("api_url")?
                .as_deref()
                .unwrap_or(DEFAULT_API_URL),
        )?,
        department_id: fields.count("department_id")?.unwrap_or(ROOT_DEPARTMENT),
    })
}

/// A user of the organisation, as far as a grant cares.
struct User {
    id: String,
    enabled: bool,
}

struct Api<'a> {
    http: &'a reqwest::Client,
    settings: Settings,
    token: &'a str,
}

impl Api<'_> {
    fn request(&self, method: Method, tail: &[&str]) -> reqwest::RequestBuilder {
        let mut path = vec![
            "directory",
            "v1",
            "org",
            self.settings.org_id.as_str(),
            "users",
        ];
        path.extend_from_slice(tail);
        self.http
            .request(method, http::endpoint(&self.settings.api_url, &path))
            .header(
                reqwest::header::AUTHORIZATION,
                format!("OAuth {}", self.token),
            )
    }

    async fn json(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<Value, ConnectorError> {
        let answer = http::send(SYSTEM, request, self.token).await?;
        if !answer.status.is_success() {
            return Err(http::refused(
                SYSTEM,
                answer.status,
                &api_message(&answer),
                self.token,
            ));
        }
        answer
            .json()
            .ok_or_else(|| http::unreadable(SYSTEM, what, &answer.body, self.token))
    }

    /// The user with `nickname`, found by walking the organisation's user list.
    async fn find(&self, nickname: &str) -> Result<Option<User>, ConnectorError> {
        let mut page = 1u64;
        loop {
            let request = self.request(Method::GET, &[]).query(&[
                ("page", page.to_string()),
                ("perPage", PER_PAGE.to_string()),
            ]);
            let body = self.json(request, "a list of users").await?;
            let Some(users) = body["users"].as_array() else {
                return Err(http::unreadable(
                    SYSTEM,
                    "a list of users",
                    &body.to_string(),
                    self.token,
                ));
            };
            if let Some(user) = users.iter().find(|u| {
                u["nickname"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(nickname))
            }) {
                return Ok(Some(read_user(user)?));
            }
            let pages = body["pages"].as_u64().unwrap_or(page);
            if users.is_empty() || page >= pages || page >= MAX_PAGES {
                return Ok(None);
            }
            page += 1;
        }
    }

    async fn set_enabled(&self, id: &str, enabled: bool) -> Result<(), ConnectorError> {
        let request = self
            .request(Method::PATCH, &[id])
            .json(&json!({ "isEnabled": enabled }));
        self.json(request, "a user").await.map(|_| ())
    }
}

fn read_user(user: &Value) -> Result<User, ConnectorError> {
    // Ids are 64-bit numbers; sent as strings, but a number is read too.
    let id = match &user["id"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => {
            return Err(ConnectorError::Permanent(
                "Yandex 360 answered a user without an id".into(),
            ));
        }
    };
    Ok(User {
        id,
        enabled: user["isEnabled"].as_bool().unwrap_or(true),
    })
}

/// Yandex's own `message` from an error body, else the body.
fn api_message(answer: &Answer) -> String {
    match answer.json() {
        Some(body) if body["message"].is_string() => {
            body["message"].as_str().unwrap_or_default().to_owned()
        }
        _ => answer.body.clone(),
    }
}

/// "Иван Петров" → first "Иван", last "Петров"; words between are the middle name. One word
/// is both, as the API wants a first and a last name.
fn name_parts(full_name: &str) -> Value {
    let words: Vec<&str> = full_name.split_whitespace().collect();
    let (first, middle, last) = match words.as_slice() {
        [] => ("", String::new(), ""),
        [one] => (*one, String::new(), *one),
        [first, middle @ .., last] => (*first, middle.join(" "), *last),
    };
    json!({ "first": first, "last": last, "middle": middle })
}

impl Yandex360 {
    fn api<'a>(&'a self, work: &'a GrantWork) -> Result<Api<'a>, ConnectorError> {
        let settings = parse_settings(&work.resource.settings).map_err(http::bad_settings)?;
        let token = work.resource.secret.trim();
        if token.is_empty() || token.contains(char::is_whitespace) {
            return Err(ConnectorError::Permanent(
                "Yandex 360: the resource's secret must be an OAuth token".into(),
            ));
        }
        Ok(Api {
            http: &self.http,
            settings,
            token,
        })
    }
}

#[async_trait]
impl Connector for Yandex360 {
    fn check_settings(&self, settings: &Value) -> Result<(), String> {
        check(settings)
    }

    async fn grant(&self, work: &GrantWork) -> Result<Applied, ConnectorError> {
        let api = self.api(work)?;
        let nickname = local_part(&work.person.login)?;
        let address = format!("{nickname}@{}", api.settings.domain);
        let (id, note, secret) = match api.find(&nickname).await? {
            Some(user) if user.enabled => (user.id, format!("mailbox {address} is active"), None),
            Some(user) => {
                api.set_enabled(&user.id, true).await?;
                let note = format!("mailbox {address} re-enabled (its password is unchanged)");
                (user.id, note, None)
            }
            None => {
                let password = first_password();
                let request = api.request(Method::POST, &[]).json(&json!({
                    "nickname": nickname,
                    "departmentId": api.settings.department_id,
                    "name": name_parts(&work.person.full_name),
                    "password": password,
                    // The first password is seen by whoever granted it.
                    "passwordChangeRequired": true,
                }));
                let created = api.json(request, "a user").await.map_err(|e| match e {
                    ConnectorError::Permanent(m) => {
                        ConnectorError::Permanent(m.replace(&password, "***"))
                    }
                    other => other,
                })?;
                let user = read_user(&created)?;
                (
                    user.id,
                    format!("mailbox {address} created"),
                    Some(password),
                )
            }
        };
        Ok(Applied {
            state: json!({ "user_id": id, "nickname": nickname, "email": address, "enabled": true }),
            note,
            secret_for_person: secret,
        })
    }

    async fn revoke(&self, work: &GrantWork) -> Result<Applied, ConnectorError> {
        let api = self.api(work)?;
        let nickname = match work.previous["nickname"].as_str() {
            Some(n) => n.to_owned(),
            None => local_part(&work.person.login)?,
        };
        let address = format!("{nickname}@{}", api.settings.domain);
        let (id, note) = match api.find(&nickname).await? {
            None => (
                None,
                format!("no Yandex 360 user {address}; nothing to disable"),
            ),
            Some(user) if !user.enabled => (
                Some(user.id),
                format!("mailbox {address} is disabled; its mail is kept"),
            ),
            Some(user) => {
                api.set_enabled(&user.id, false).await?;
                (
                    Some(user.id),
                    format!("mailbox {address} disabled; its mail is kept"),
                )
            }
        };
        Ok(Applied {
            state: json!({ "user_id": id, "nickname": nickname, "email": address, "enabled": false }),
            note,
            secret_for_person: None,
        })
    }
}
