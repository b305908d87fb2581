//! A Telegram group through the Bot API: a grant is a one-person invite link
//! (`createChatInviteLink`, `member_limit` 1); revoking revokes the link
//! (`revokeChatInviteLink`) and, when the person's Telegram user id is known, removes them
//! (`banChatMember`, then `unbanChatMember` with `only_if_banned` so they may be invited
//! again later). The bot must be an administrator of the chat with the right to invite and
//! to ban.
//!
//! Every method is `POST {api_url}/bot<token>/<method>` with a JSON body; the answer is
//! `{"ok":true,"result":…}` or, with the HTTP status equal to `error_code`,
//! `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`.

use async_trait::async_trait;
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::{Value, json};

use super::http::{self, Answer};
use super::{Applied, Connector, ConnectorError, GrantWork};

const SYSTEM: &str = "Telegram";
pub const DEFAULT_API_URL: &str = "https://api.telegram.org";
/// Telegram's limit on an invite link's name.
const LINK_NAME_MAX_CHARS: usize = 32;

pub struct Telegram {
    http: reqwest::Client,
}

impl Telegram {
    pub fn new(http: reqwest::Client) -> Self {
        Telegram { http }
    }
}

struct Settings {
    /// A number (`-1001234567890`) or a public username (`"@agency_team"`), as the API takes it.
    chat_id: Value,
    api_url: Url,
}

/// The resource form's check, which needs no HTTP client.
pub(super) fn check(settings: &Value) -> Result<(), String> {
    parse_settings(settings).map(|_| ())
}

fn parse_settings(value: &Value) -> Result<Settings, String> {
    let fields = http::Fields::new(SYSTEM, value, &["chat_id", "api_url"])?;
    let raw_chat = fields.raw("chat_id").ok_or("chat_id: required")?;
    let chat_id = match raw_chat {
        Value::Number(n) if n.is_i64() => raw_chat.clone(),
        Value::String(s) if s.trim().parse::<i64>().is_ok() => {
            json!(s.trim().parse::<i64>().unwrap_or_default())
        }
        Value::String(s) if is_username(s.trim()) => json!(s.trim()),
        other => {
            return Err(format!(
                "chat_id: expected the chat's numeric id (such as -1001234567890) or its public \
                 @username, found {other}"
            ));
        }
    };
    let api_url = http::base_url(
        "api_url",
        fields
            .text("api_url")?
            .as_deref()
            .unwrap_or(DEFAULT_API_URL),
    )?;
    Ok(Settings { chat_id, api_url })
}

fn is_username(s: &str) -> bool {
    s.strip_prefix('@').is_some_and(|name| {
        name.len() >= 4 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// What a grant keeps between runs (`Applied::state`).
#[derive(Debug, Default, Deserialize)]
struct Kept {
    invite_link: Option<String>,
    chat_id: Option<Value>,
    #[serde(default)]
    revoked: bool,
}

fn kept(previous: &Value) -> Kept {
    serde_json::from_value(previous.clone()).unwrap_or_default()
}

/// A failed Bot API call as Telegram described it.
struct ApiFailure {
    status: StatusCode,
    description: String,
    retry_after: Option<u64>,
}

impl ApiFailure {
    fn into_error(self, token: &str) -> ConnectorError {
        let mut detail = self.description;
        if let Some(seconds) = self.retry_after {
            detail.push_str(&format!(" (retry after {seconds} s)"));
        }
        match self.status.as_u16() {
            // A token of the right shape that Telegram does not know answers 404 "Not Found".
            404 => ConnectorError::Permanent(format!(
                "Telegram does not know this bot token or method (HTTP 404{}): check the \
                 resource's secret and api_url",
                http::shown_detail(&detail, token)
            )),
            _ => http::refused(SYSTEM, self.status, &detail, token),
        }
    }

    fn says(&self, words: &[&str]) -> bool {
        let d = self.description.to_ascii_lowercase();
        words.iter().any(|w| d.contains(&w.to_ascii_lowercase()))
    }
}

/// A transport failure (outer) or Telegram's own refusal (inner), which callers inspect.
type Call = Result<Result<Value, ApiFailure>, ConnectorError>;

struct Bot<'a> {
    http: &'a reqwest::Client,
    settings: Settings,
    token: &'a str,
}

impl Bot<'_> {
    async fn call(&self, method: &str, mut body: Value) -> Call {
        body["chat_id"] = self.settings.chat_id.clone();
        let url = http::endpoint(
            &self.settings.api_url,
            &[&format!("bot{}", self.token), method],
        );
        let answer = http::send(SYSTEM, self.http.post(url).json(&body), self.token).await?;
        read_answer(method, answer, self.token)
    }

    /// The person's membership status (`member`, `left`, `kicked`, …); a user Telegram has
    /// never seen in the chat counts as `left`.
    async fn status(&self, user_id: i64) -> Result<String, ConnectorError> {
        match self
            .call("getChatMember", json!({ "user_id": user_id }))
            .await?
        {
            Ok(member) => {
                let status = member["status"].as_str().unwrap_or("").to_owned();
                // A restricted user may or may not still be in the chat.
                if status == "restricted" && member["is_member"] == json!(false) {
                    return Ok("left".into());
                }
                Ok(status)
            }
            Err(f)
                if f.says(&[
                    "user not found",
                    "participant_id_invalid",
                    "member not found",
                ]) =>
            {
                Ok("left".into())
            }
            Err(f) => Err(f.into_error(self.token)),
        }
    }
}

fn read_answer(method: &str, answer: Answer, token: &str) -> Call {
    let Some(body) = answer.json() else {
        if answer.status.is_success() {
            return Err(http::unreadable(
                SYSTEM,
                "a Bot API answer",
                &answer.body,
                token,
            ));
        }
        return Err(http::refused(SYSTEM, answer.status, &answer.body, token));
    };
    if body["ok"] == json!(true) && answer.status.is_success() {
        return Ok(Ok(body["result"].clone()));
    }
    let description = body["description"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{method} failed"));
    // Telegram sends the error's HTTP status too; `error_code` wins if they differ.
    let status = body["error_code"]
        .as_u64()
        .and_then(|c| u16::try_from(c).ok())
        .and_then(|c| StatusCode::from_u16(c).ok())
        .filter(|s| !s.is_success())
        .unwrap_or(if answer.status.is_success() {
            StatusCode::BAD_REQUEST
        } else {
            answer.status
        });
    Ok(Err(ApiFailure {
        status,
        description,
        retry_after: body["parameters"]["retry_after"].as_u64(),
    }))
}

/// `telegram_user_id` from the person's chat identities, as a number or numeric text.
fn telegram_user_id(work: &GrantWork) -> Option<i64> {
    match work.person.chat_ids.get("telegram_user_id")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn link_name(full_name: &str) -> String {
    full_name.trim().chars().take(LINK_NAME_MAX_CHARS).collect()
}

impl Telegram {
    fn bot<'a>(&'a self, work: &'a GrantWork) -> Result<Bot<'a>, ConnectorError> {
        let settings = parse_settings(&work.resource.settings).map_err(http::bad_settings)?;
        let token = work.resource.secret.trim();
        if token.is_empty() || token.contains('/') || token.contains(char::is_whitespace) {
            return Err(ConnectorError::Permanent(
                "Telegram: the resource's secret must be the bot token from @BotFather \
                 (123456:ABC…)"
                    .into(),
            ));
        }
        Ok(Bot {
            http: &self.http,
            settings,
            token,
        })
    }
}

#[async_trait]
impl Connector for Telegram {
    fn check_settings(&self, settings: &Value) -> Result<(), String> {
        check(settings)
    }

    async fn grant(&self, work: &GrantWork) -> Result<Applied, ConnectorError> {
        let bot = self.bot(work)?;
        let before = kept(&work.previous);
        let user_id = telegram_user_id(work);
        if let Some(user_id) = user_id {
            let status = bot.status(user_id).await?;
            if matches!(
                status.as_str(),
                "member" | "administrator" | "creator" | "restricted"
            ) {
                let mut state = match &work.previous {
                    Value::Object(_) => work.previous.clone(),
                    _ => json!({}),
                };
                state["chat_id"] = bot.settings.chat_id.clone();
                state["telegram_user_id"] = json!(user_id);
                return Ok(Applied {
                    state,
                    note: "already a member of the Telegram chat".into(),
                    secret_for_person: None,
                });
            }
        }
        // The link handed out last time is still theirs unless it was revoked or the chat
        // changed: a second run hands out the same link.
        if let Some(link) = &before.invite_link
            && !before.revoked
            && before.chat_id.as_ref() == Some(&bot.settings.chat_id)
        {
            return Ok(Applied {
                state: work.previous.clone(),
                note: format!("invite link {link}"),
                secret_for_person: None,
            });
        }
        let name = link_name(&work.person.full_name);
        let mut request = json!({ "member_limit": 1, "creates_join_request": false });
        if !name.is_empty() {
            request["name"] = json!(name);
        }
        let created = bot
            .call("createChatInviteLink", request)
            .await?
            .map_err(|f| f.into_error(bot.token))?;
        let Some(link) = created["invite_link"].as_str() else {
            return Err(http::unreadable(
                SYSTEM,
                "an invite link",
                &created.to_string(),
                bot.token,
            ));
        };
        let mut state = json!({
            "invite_link": link,
            "chat_id": bot.settings.chat_id,
            "name": name,
            "member_limit": 1,
        });
        if let Some(user_id) = user_id {
            state["telegram_user_id"] = json!(user_id);
        }
        Ok(Applied {
            note: format!("invite link {link}"),
            state,
            secret_for_person: None,
        })
    }

    async fn revoke(&self, work: &GrantWork) -> Result<Applied, ConnectorError> {
        let bot = self.bot(work)?;
        let before = kept(&work.previous);
        let mut steps = Vec::new();
        if let Some(link) = &before.invite_link
            && !before.revoked
        {
            match bot
                .call("revokeChatInviteLink", json!({ "invite_link": link }))
                .await?
            {
                Ok(_) => steps.push("invite link revoked".to_owned()),
                // Expired or already revoked by hand: gone either way.
                Err(f)
                    if f.says(&["invite_hash_expired", "invite_hash_invalid", "not found"])
                        && f.status == StatusCode::BAD_REQUEST =>
                {
                    steps.push("invite link was already gone".to_owned())
                }
                Err(f) => return Err(f.into_error(bot.token)),
            }
        }
        match telegram_user_id(work) {
            Some(user_id) => match bot.status(user_id).await?.as_str() {
                "left" => steps.push("not in the chat".into()),
                "creator" => {
                    return Err(ConnectorError::Permanent(
                        "Telegram: the person owns the chat, and a bot cannot remove its owner"
                            .into(),
                    ));
                }
                status => {
                    // "kicked": banned on an earlier run that stopped before the unban.
                    if status != "kicked" {
                        bot.call(
                            "banChatMember",
                            json!({ "user_id": user_id, "revoke_messages": false }),
                        )
                        .await?
                        .map_err(|f| f.into_error(bot.token))?;
                    }
                    bot.call(
                        "unbanChatMember",
                        json!({ "user_id": user_id, "only_if_banned": true }),
                    )
                    .await?
                    .map_err(|f| f.into_error(bot.token))?;
                    steps.push("removed from the chat".into());
                }
            },
            None if before.invite_link.is_some() => steps.push(
                "their Telegram user id is unknown, so if they already joined they are still in \
                 the chat: remove them there by hand"
                    .into(),
            ),
            None => {}
        }
        if steps.is_empty() {
            steps.push("nothing was handed out".into());
        }
        let mut state = json!({ "revoked": true, "chat_id": bot.settings.chat_id });
        if let Some(link) = &before.invite_link {
            state["invite_link"] = json!(link);
        }
        Ok(Applied {
            state,
            note: steps.join("; "),
            secret_for_person: None,
        })
    }
}
