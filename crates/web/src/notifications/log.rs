//! The delivery log: filters, retry of a failed delivery, a test message to oneself.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_core::ids::PersonId;
use shtab_core::notify::{self, Channel, DeliveryFilter, DeliveryStatus};
use shtab_core::time::format_ms;

use super::texts::{NotifyTexts, texts};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::extract::PagePath;
use crate::i18n::Lang;
use crate::shell::Shell;
use crate::state::AppState;

const PAGE_SIZE: i64 = 50;

pub struct Choice {
    value: String,
    label: String,
    selected: bool,
}

pub struct ChannelState {
    name: &'static str,
    configured: bool,
    reason: String,
    /// "sent 12 · pending 1 · dead 2"
    counts: String,
}

pub struct Row {
    id: i64,
    time: String,
    person_id: i64,
    person: String,
    channel: &'static str,
    target: String,
    subject: String,
    status: String,
    status_label: &'static str,
    attempts: i64,
    last_error: String,
    /// The outside service's own words after `last_error`, quoted as it said them.
    answer: Option<String>,
    can_retry: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    before_id: String,
    #[serde(default)]
    retried: String,
    #[serde(default)]
    sent: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications/log.html")]
pub struct LogPage {
    shell: Shell,
    t: &'static NotifyTexts,
    channels: Vec<ChannelState>,
    statuses: Vec<Choice>,
    channel_choices: Vec<Choice>,
    people: Vec<Choice>,
    rows: Vec<Row>,
    older: Option<String>,
    flash: Option<&'static str>,
}

pub async fn log(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Query(q): Query<LogQuery>,
) -> Result<Response, PageError> {
    if !user.can(Permission::NotificationsManage) {
        return Ok(Redirect::to("/notifications/me").into_response());
    }
    let t = texts(lang.0);
    let status = DeliveryStatus::parse(&q.status);
    let channel = Channel::parse(&q.channel);
    let person = q.person.trim().parse::<i64>().ok();
    let filter = DeliveryFilter {
        status,
        channel,
        person_id: person.map(PersonId),
        before_id: q.before_id.parse().ok(),
        limit: PAGE_SIZE,
    };
    let deliveries = notify::list(&state.db, &filter).await?;
    let people = shtab_core::people::choices(&state.db, person.map(PersonId))
        .await?
        .into_iter()
        .map(|(id, name)| Choice {
            value: id.0.to_string(),
            label: name,
            selected: person == Some(id.0),
        })
        .collect();
    let counts = notify::counts(&state.db).await?;
    let tz = state.config.time_zone();
    let older = (deliveries.len() as i64 == PAGE_SIZE)
        .then(|| deliveries.last().map(|d| d.id))
        .flatten()
        .map(|id| {
            serde_urlencoded::to_string([
                ("status", q.status.as_str()),
                ("channel", q.channel.as_str()),
                ("person", q.person.as_str()),
                ("before_id", &id.to_string()),
            ])
            .unwrap_or_default()
        });
    let rows = deliveries
        .into_iter()
        .map(|d| {
            let (last_error, answer) = crate::words::notes::with_answer(
                d.last_error.as_deref().unwrap_or_default(),
                lang.0,
            );
            (d, last_error, answer)
        })
        .map(|(d, last_error, answer)| Row {
            id: d.id,
            time: format_ms(d.created_at, tz),
            person_id: d.person_id,
            person: d.person_name,
            channel: t.channel_name(&d.channel),
            target: d.target,
            subject: d.subject,
            status_label: t.status_name(&d.status),
            can_retry: d.status == "failed" || d.status == "dead",
            status: d.status,
            attempts: d.attempts,
            last_error,
            answer,
        })
        .collect();
    let channels = notify::channel_status(&state.config)
        .into_iter()
        .map(|(c, reason)| ChannelState {
            name: t.channel_name(c.as_str()),
            configured: reason.is_none(),
            reason: crate::words::notes::in_language(reason.unwrap_or(""), lang.0),
            counts: counts
                .iter()
                .filter(|x| x.channel == c.as_str())
                .map(|x| format!("{} {}", t.status_name(&x.status), x.count))
                .collect::<Vec<_>>()
                .join(" · "),
        })
        .collect();
    let statuses = DeliveryStatus::ALL
        .into_iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: t.status_name(s.as_str()).into(),
            selected: status == Some(s),
        })
        .collect();
    let channel_choices = Channel::ALL
        .into_iter()
        .map(|c| Choice {
            value: c.as_str().into(),
            label: t.channel_name(c.as_str()).into(),
            selected: channel == Some(c),
        })
        .collect();
    let flash = if !q.retried.is_empty() {
        Some(t.retried)
    } else if q.sent == "0" {
        Some(t.test_no_channels)
    } else if !q.sent.is_empty() {
        Some(t.test_sent)
    } else {
        None
    };
    Ok(LogPage {
        shell: Shell::new(&state, &user, lang, t.title, "/notifications"),
        t,
        channels,
        statuses,
        channel_choices,
        people,
        rows,
        older,
        flash,
    }
    .into_response())
}

pub async fn retry(
    State(state): State<AppState>,
    user: CurrentUser,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    user.require(Permission::NotificationsManage)?;
    notify::retry(&state.db, &user.actor(), id).await?;
    Ok(Redirect::to("/notifications?retried=1").into_response())
}

pub async fn send_test(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, PageError> {
    let sent = super::api::send_test_to(&state, &user).await?;
    let back = if user.can(Permission::NotificationsManage) {
        "/notifications"
    } else {
        "/notifications/me"
    };
    Ok(Redirect::to(&format!("{back}?sent={}", sent.len())).into_response())
}
