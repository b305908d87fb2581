//! Where each person wants their notifications: one target per channel.

use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor, Changes, Event};
use crate::db::Db;
use crate::error::{CoreError, CoreResult, FieldError, FieldErrors};
use crate::ids::PersonId;
use crate::time::now_ms;
use crate::types::Email;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Telegram,
    Webhook,
    /// A notice in the Bitrix24 app (the portal's messenger, on the phone too); the target is
    /// the person's portal user id.
    Bitrix24,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Email,
        Channel::Telegram,
        Channel::Webhook,
        Channel::Bitrix24,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Telegram => "telegram",
            Channel::Webhook => "webhook",
            Channel::Bitrix24 => "bitrix24",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim().to_ascii_lowercase())
    }

    /// Checks and normalises a target typed for this channel; `field` names it in errors.
    pub fn parse_target(self, field: &str, input: &str) -> Result<String, FieldError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(FieldError::required(field));
        }
        match self {
            Channel::Email => Ok(Email::parse(field, s)?.as_str().to_string()),
            Channel::Telegram => {
                // Private chats have positive ids, groups negative ones; usernames cannot
                // be messaged by a bot until the person writes to it, so only ids are taken.
                let digits = s.strip_prefix('-').unwrap_or(s);
                if digits.is_empty()
                    || digits.len() > 20
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                    || s.parse::<i64>().is_err()
                {
                    return Err(FieldError::new(
                        field,
                        "invalid_chat_id",
                        format!("«{s}» is not a Telegram chat id (a number such as 123456789)"),
                    ));
                }
                Ok(s.to_string())
            }
            Channel::Webhook => {
                let ok = (s.starts_with("https://") || s.starts_with("http://"))
                    && s.len() <= 2000
                    && !s.chars().any(|c| c.is_whitespace() || c.is_control())
                    && s.split_once("://")
                        .is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'));
                if ok {
                    Ok(s.to_string())
                } else {
                    Err(FieldError::new(
                        field,
                        "invalid_url",
                        format!("«{s}» is not an http:// or https:// URL"),
                    ))
                }
            }
            Channel::Bitrix24 => {
                // The number in the profile's address (`/company/personal/user/7/`); stored
                // ids are signed 64-bit, so larger ones are refused here, not by the database.
                match s.parse::<i64>() {
                    Ok(id) if id > 0 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(id.to_string()),
                    _ => Err(FieldError::new(
                        field,
                        "invalid_portal_user",
                        format!(
                            "«{s}» is not a Bitrix24 user id (the number in the profile's address, such as 7)"
                        ),
                    )),
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonChannel {
    pub channel: Channel,
    pub target: String,
    pub enabled: bool,
}

/// A channel as typed into the form or the API, not yet checked.
#[derive(Debug, Clone, Deserialize)]
pub struct RawChannel {
    pub channel: String,
    pub target: String,
    pub enabled: bool,
}

pub async fn channels_of(db: &Db, person: PersonId) -> CoreResult<Vec<PersonChannel>> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT channel, target, enabled FROM person_channels WHERE person_id = $1 ORDER BY channel",
    )
    .bind(person.0)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(c, target, enabled)| {
            Some(PersonChannel {
                channel: Channel::parse(&c)?,
                target,
                enabled: enabled != 0,
            })
        })
        .collect())
}

/// Replaces the person's channels with `input` (a channel left out is removed). Every target
/// is checked first; with any error nothing is written. The field of an error is the
/// channel's name (`telegram`).
///
/// The hub itself calls a webhook address, so one pointed at an internal service would let
/// anyone make the server reach it: only callers with `may_set_webhook` (those who manage
/// notifications) may add or change a webhook address; others may keep or remove theirs.
pub async fn set_channels(
    db: &Db,
    actor: &Actor,
    person: PersonId,
    input: &[RawChannel],
    may_set_webhook: bool,
) -> CoreResult<Vec<PersonChannel>> {
    let mut errors = FieldErrors::default();
    let mut parsed: Vec<PersonChannel> = Vec::new();
    for raw in input {
        let Some(channel) = Channel::parse(&raw.channel) else {
            errors.push(FieldError::new(
                "channel",
                "invalid_channel",
                format!(
                    "unknown channel «{}» (email, telegram, webhook or bitrix24)",
                    raw.channel
                ),
            ));
            continue;
        };
        if parsed.iter().any(|p| p.channel == channel) {
            errors.push(FieldError::new(
                channel.as_str(),
                "duplicate_channel",
                "given twice",
            ));
            continue;
        }
        if let Some(target) = errors.take(channel.parse_target(channel.as_str(), &raw.target)) {
            parsed.push(PersonChannel {
                channel,
                target,
                enabled: raw.enabled,
            });
        }
    }
    errors.into_result()?;
    parsed.sort_by_key(|p| p.channel);

    let name: Option<String> = sqlx::query_scalar("SELECT full_name FROM people WHERE id = $1")
        .bind(person.0)
        .fetch_optional(db.pool())
        .await?;
    let name = name.ok_or(CoreError::NotFound("person"))?;
    let before = channels_of(db, person).await?;
    let webhook_of = |list: &[PersonChannel]| {
        list.iter()
            .find(|p| p.channel == Channel::Webhook)
            .map(|p| p.target.clone())
    };
    if !may_set_webhook
        && let Some(new) = webhook_of(&parsed)
        && webhook_of(&before).as_ref() != Some(&new)
    {
        return Err(CoreError::Invalid(vec![FieldError::new(
            "webhook",
            "webhook_admin_only",
            "only an administrator may set a webhook address",
        )]));
    }
    if before == parsed {
        return Ok(parsed);
    }
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM person_channels WHERE person_id = $1")
        .bind(person.0)
        .execute(&mut *tx)
        .await?;
    let now = now_ms();
    for p in &parsed {
        sqlx::query(
            "INSERT INTO person_channels (person_id, channel, target, enabled, updated_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(person.0)
        .bind(p.channel.as_str())
        .bind(&p.target)
        .bind(i64::from(p.enabled))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let mut changes = Changes::new();
    for channel in Channel::ALL {
        let describe = |list: &[PersonChannel]| {
            list.iter().find(|p| p.channel == channel).map(|p| {
                if p.enabled {
                    p.target.clone()
                } else {
                    format!("{} (off)", p.target)
                }
            })
        };
        changes.diff(channel.as_str(), &describe(&before), &describe(&parsed));
    }
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "notify.channels.update",
            object_kind: "person",
            object_id: person.0.to_string(),
            object_label: name,
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(parsed)
}

/// Gives `person` the channel `channel` with `target`, enabled, unless they already have that
/// channel (on or off: their choice stands). True when it was added (audit-logged). For
/// defaults a robot offers, such as the Bitrix24 channel of people synced from the portal.
pub async fn add_channel_if_absent(
    db: &Db,
    actor: &Actor,
    person: PersonId,
    channel: Channel,
    target: &str,
) -> CoreResult<bool> {
    let target = channel
        .parse_target(channel.as_str(), target)
        .map_err(|e| CoreError::Invalid(vec![e]))?;
    let name: Option<String> = sqlx::query_scalar("SELECT full_name FROM people WHERE id = $1")
        .bind(person.0)
        .fetch_optional(db.pool())
        .await?;
    let name = name.ok_or(CoreError::NotFound("person"))?;
    let mut tx = db.begin().await?;
    let added = sqlx::query(
        "INSERT INTO person_channels (person_id, channel, target, enabled, updated_at) \
         VALUES ($1, $2, $3, 1, $4) ON CONFLICT (person_id, channel) DO NOTHING",
    )
    .bind(person.0)
    .bind(channel.as_str())
    .bind(&target)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    if !added {
        return Ok(false);
    }
    let mut changes = Changes::new();
    changes.diff(channel.as_str(), &None::<String>, &Some(target));
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "notify.channels.update",
            object_kind: "person",
            object_id: person.0.to_string(),
            object_label: name,
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_checked_per_channel() {
        assert_eq!(
            Channel::Email
                .parse_target("email", " Ivan@Agency.RU ")
                .unwrap(),
            "ivan@agency.ru"
        );
        assert_eq!(
            Channel::Telegram
                .parse_target("telegram", "123456789")
                .unwrap(),
            "123456789"
        );
        assert_eq!(
            Channel::Telegram
                .parse_target("telegram", "-1001234")
                .unwrap(),
            "-1001234"
        );
        for bad in ["@ivan", "12a", "-", "99999999999999999999999"] {
            assert_eq!(
                Channel::Telegram
                    .parse_target("telegram", bad)
                    .unwrap_err()
                    .code,
                "invalid_chat_id",
                "{bad}"
            );
        }
        assert!(
            Channel::Webhook
                .parse_target("webhook", "https://x.ru/h")
                .is_ok()
        );
        for bad in ["ftp://x.ru", "https://", "http:///x", "https://a b"] {
            assert_eq!(
                Channel::Webhook
                    .parse_target("webhook", bad)
                    .unwrap_err()
                    .code,
                "invalid_url",
                "{bad}"
            );
        }
        assert_eq!(
            Channel::Email.parse_target("email", "").unwrap_err().code,
            "required"
        );
        assert_eq!(
            Channel::Bitrix24.parse_target("bitrix24", " 007 ").unwrap(),
            "7"
        );
        for bad in ["0", "-7", "+7", "7a", "user7", "99999999999999999999"] {
            assert_eq!(
                Channel::Bitrix24
                    .parse_target("bitrix24", bad)
                    .unwrap_err()
                    .code,
                "invalid_portal_user",
                "{bad}"
            );
        }
    }
}
