//! A Mattermost team and some of its channels through API v4: the person's user is found
//! by e-mail (`GET /api/v4/users/email/{email}`), added to the team
//! (`POST /api/v4/teams/{team_id}/members`) and to each channel
//! (`POST /api/v4/channels/{channel_id}/members`); revoking removes them from the team
//! (`DELETE /api/v4/teams/{team_id}/members/{user_id}`), which takes them out of its
//! channels too. The user is never deactivated: that would also cut them off other teams,
//! and SSO users are reset to the IdP's state on the next sync anyway.
//!
//! Adding a member who is already one answers 201 again, so a grant can simply be repeated.
//! Errors are `{"id":"…","message":"…","detailed_error":"…","request_id":"…","status_code":404}`.

use async_trait::async_trait;
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::{Value, json};

use super::http::{self, Answer};
use super::{Applied, Connector, ConnectorError, GrantWork};

const SYSTEM: &str = "Mattermost";

pub struct Mattermost {
    http: reqwest::Client,
}

impl Mattermost {
    pub fn new(http: reqwest::Client) -> Self {
        Mattermost { http }
    }
}

struct Settings {
    url: Url,
    team_id: String,
    channel_ids: Vec<String>,
}

/// The resource form's check, which needs no HTTP client.
pub(super) fn check(settings: &Value) -> Result<(), String> {
    parse_settings(settings).map(|_| ())
}

fn parse_settings(value: &Value) -> Result<Settings, String> {
    let fields = http::Fields::new(SYSTEM, value, &["url", "team_id", "channel_ids"])?;
    let url = http::base_url("url", &fields.required_text("url")?)?;
    let team_id = mattermost_id("team_id", &fields.required_text("team_id")?)?;
    let channel_ids = fields
        .text_list("channel_ids")?
        .iter()
        .enumerate()
        .map(|(i, id)| mattermost_id(&format!("channel_ids[{i}]"), id))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Settings {
        url,
        team_id,
        channel_ids,
    })
}

/// Mattermost ids are 26 lowercase letters and digits; a team's *name* pasted instead is
/// the usual mistake.
fn mattermost_id(field: &str, value: &str) -> Result<String, String> {
    let id = value.trim();
    if id.len() == 26
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        Ok(id.to_owned())
    } else {
        Err(format!(
            "{field}: expected a Mattermost id (26 lowercase letters and digits, shown in \
             System Console or the API), found «{value}»"
        ))
    }
}

/// What a grant keeps between runs.
#[derive(Debug, Default, Deserialize)]
struct Kept {
    user_id: Option<String>,
}

struct Api<'a> {
    http: &'a reqwest::Client,
    settings: Settings,
    token: &'a str,
}

/// The user the grant is about.
struct User {
    id: String,
    username: String,
    deactivated: bool,
}

impl Api<'_> {
    fn request(&self, method: reqwest::Method, segments: &[&str]) -> reqwest::RequestBuilder {
        let mut path = vec!["api", "v4"];
        path.extend_from_slice(segments);
        self.http
            .request(method, http::endpoint(&self.settings.url, &path))
            .bearer_auth(self.token)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, ConnectorError> {
        http::send(SYSTEM, request, self.token).await
    }

    fn failed(&self, answer: &Answer) -> ConnectorError {
        http::refused(SYSTEM, answer.status, &api_message(answer), self.token)
    }

    /// The user with `email`, or `None` when Mattermost has none.
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, ConnectorError> {
        let answer = self
            .send(self.request(reqwest::Method::GET, &["users", "email", email]))
            .await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !answer.status.is_success() {
            return Err(self.failed(&answer));
        }
        let user = answer
            .json()
            .ok_or_else(|| http::unreadable(SYSTEM, "a user", &answer.body, self.token))?;
        let Some(id) = user["id"].as_str() else {
            return Err(http::unreadable(SYSTEM, "a user", &answer.body, self.token));
        };
        Ok(Some(User {
            id: id.to_owned(),
            username: user["username"].as_str().unwrap_or(id).to_owned(),
            deactivated: user["delete_at"].as_i64().unwrap_or(0) != 0,
        }))
    }

    async fn add(&self, segments: &[&str], body: Value) -> Result<(), ConnectorError> {
        let answer = self
            .send(self.request(reqwest::Method::POST, segments).json(&body))
            .await?;
        if answer.status.is_success() {
            Ok(())
        } else {
            Err(self.failed(&answer))
        }
    }
}

/// Mattermost's own `message` (and `detailed_error`) from an error body, else the body.
fn api_message(answer: &Answer) -> String {
    match answer.json() {
        Some(body) if body["message"].is_string() => {
            let mut text = body["message"].as_str().unwrap_or_default().to_owned();
            if let Some(more) = body["detailed_error"].as_str().filter(|d| !d.is_empty()) {
                text.push_str(&format!(" ({more})"));
            }
            text
        }
        _ => answer.body.clone(),
    }
}

fn mattermost_user_id(work: &GrantWork) -> Option<String> {
    let kept: Kept = serde_json::from_value(work.previous.clone()).unwrap_or_default();
    kept.user_id.or_else(|| {
        work.person
            .chat_ids
            .get("mattermost_user_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
    })
}

impl Mattermost {
    fn api<'a>(&'a self, work: &'a GrantWork) -> Result<Api<'a>, ConnectorError> {
        let settings = parse_settings(&work.resource.settings).map_err(http::bad_settings)?;
        let token = work.resource.secret.trim();
        if token.is_empty() {
            return Err(ConnectorError::Permanent(
                "Mattermost: the resource's secret (an access token) is empty".into(),
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
impl Connector for Mattermost {
    fn check_settings(&self, settings: &Value) -> Result<(), String> {
        check(settings)
    }

    async fn grant(&self, work: &GrantWork) -> Result<Applied, ConnectorError> {
        let api = self.api(work)?;
        let Some(email) = work.person.email.as_deref() else {
            return Err(ConnectorError::Permanent(format!(
                "{} has no e-mail to find their Mattermost user by",
                work.person.full_name
            )));
        };
        let Some(user) = api.user_by_email(email).await? else {
            return Err(ConnectorError::Permanent(format!(
                "no Mattermost user with e-mail {email}: they must sign up or be invited to \
                 Mattermost first"
            )));
        };
        if user.deactivated {
            return Err(ConnectorError::Permanent(format!(
                "the Mattermost user with e-mail {email} (@{}) is deactivated: activate them in \
                 Mattermost first",
                user.username
            )));
        }
        let team = api.settings.team_id.as_str();
        api.add(
            &["teams", team, "members"],
            json!({ "team_id": team, "user_id": user.id }),
        )
        .await?;
        for channel in &api.settings.channel_ids {
            api.add(
                &["channels", channel, "members"],
                json!({ "user_id": user.id }),
            )
            .await?;
        }
        Ok(Applied {
            state: json!({
                "user_id": user.id,
                "username": user.username,
                "team_id": team,
                "channel_ids": api.settings.channel_ids,
            }),
            note: format!(
                "@{} is in the Mattermost team and {} channel(s)",
                user.username,
                api.settings.channel_ids.len()
            ),
            secret_for_person: None,
        })
    }

    async fn revoke(&self, work: &GrantWork) -> Result<Applied, ConnectorError> {
        let api = self.api(work)?;
        let user_id = match mattermost_user_id(work) {
            Some(id) => id,
            None => {
                let found = match work.person.email.as_deref() {
                    Some(email) => api.user_by_email(email).await?,
                    None => None,
                };
                // Deactivated users stay team members, so they are still removed.
                let Some(user) = found else {
                    return Ok(Applied {
                        state: json!({ "removed": true }),
                        note: "no Mattermost user for this person; nothing to remove".into(),
                        secret_for_person: None,
                    });
                };
                user.id
            }
        };
        let team = api.settings.team_id.clone();
        let member = api
            .send(api.request(reqwest::Method::GET, &["teams", &team, "members", &user_id]))
            .await?;
        let gone = member.status == StatusCode::NOT_FOUND
            || (member.status.is_success()
                && member
                    .json()
                    .is_some_and(|m| m["delete_at"].as_i64().unwrap_or(0) != 0));
        if !gone {
            if !member.status.is_success() {
                return Err(api.failed(&member));
            }
            let answer = api
                .send(api.request(
                    reqwest::Method::DELETE,
                    &["teams", &team, "members", &user_id],
                ))
                .await?;
            if !answer.status.is_success() && answer.status != StatusCode::NOT_FOUND {
                return Err(api.failed(&answer));
            }
        }
        Ok(Applied {
            state: json!({ "user_id": user_id, "team_id": team, "removed": true }),
            note: if gone {
                "not in the Mattermost team".into()
            } else {
                "removed from the Mattermost team and its channels".into()
            },
            secret_for_person: None,
        })
    }
}
