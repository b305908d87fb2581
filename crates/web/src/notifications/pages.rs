//! The notification pages: the log, a person's channels, templates.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::ids::PersonId;
use shtab_core::notify::{self, Channel, DeliveryFilter, DeliveryStatus, RawChannel};
use shtab_core::time::format_ms;
use shtab_core::types::Locale as CoreLocale;

use super::texts::{NotifyTexts, texts};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::extract::{PagePath, Saved};
use crate::i18n::{FormErrors, Lang};
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
    reason: &'static str,
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
        .map(|d| Row {
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
            last_error: d.last_error.unwrap_or_default(),
        })
        .collect();
    let channels = notify::channel_status(&state.config)
        .into_iter()
        .map(|(c, reason)| ChannelState {
            name: t.channel_name(c.as_str()),
            configured: reason.is_none(),
            reason: reason.unwrap_or(""),
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

pub struct ChannelField {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    target: String,
    enabled: bool,
    input_type: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications/channels.html")]
pub struct ChannelsPage {
    shell: Shell,
    t: &'static NotifyTexts,
    heading: String,
    action: String,
    fields: Vec<ChannelField>,
    errors: FormErrors,
    saved: bool,
    flash: Option<&'static str>,
    own: bool,
    can_manage: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ChannelsForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    email_enabled: Option<String>,
    #[serde(default)]
    telegram: String,
    #[serde(default)]
    telegram_enabled: Option<String>,
    #[serde(default)]
    webhook: String,
    #[serde(default)]
    webhook_enabled: Option<String>,
}

impl ChannelsForm {
    fn fields(&self) -> [(Channel, &str, bool); 3] {
        [
            (Channel::Email, &self.email, self.email_enabled.is_some()),
            (
                Channel::Telegram,
                &self.telegram,
                self.telegram_enabled.is_some(),
            ),
            (
                Channel::Webhook,
                &self.webhook,
                self.webhook_enabled.is_some(),
            ),
        ]
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ChannelsQuery {
    #[serde(default)]
    sent: String,
}

#[allow(clippy::too_many_arguments)]
async fn channels_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    person: PersonId,
    form: Option<&ChannelsForm>,
    errors: FormErrors,
    saved: bool,
    sent: &str,
) -> Result<ChannelsPage, PageError> {
    let t = texts(lang.0);
    let own = user.user().person_id == person;
    let p = shtab_core::people::get(&state.db, person).await?;
    let stored = notify::channels_of(&state.db, person).await?;
    let fields = Channel::ALL
        .into_iter()
        .map(|c| {
            let (target, enabled) = match form {
                Some(f) => f
                    .fields()
                    .into_iter()
                    .find(|(fc, _, _)| *fc == c)
                    .map(|(_, target, enabled)| (target.to_string(), enabled))
                    .unwrap_or_default(),
                None => stored
                    .iter()
                    .find(|s| s.channel == c)
                    .map(|s| (s.target.clone(), s.enabled))
                    .unwrap_or((String::new(), true)),
            };
            ChannelField {
                name: c.as_str(),
                label: t.channel_name(c.as_str()),
                hint: match c {
                    Channel::Email => t.email_hint,
                    Channel::Telegram => t.telegram_hint,
                    Channel::Webhook => t.webhook_hint,
                },
                target,
                enabled,
                input_type: match c {
                    Channel::Email => "email",
                    Channel::Telegram => "text",
                    Channel::Webhook => "url",
                },
            }
        })
        .collect();
    let (heading, action, active) = if own {
        (
            t.my_channels.to_string(),
            "/notifications/me".to_string(),
            "/notifications",
        )
    } else {
        (
            format!("{}: {}", t.channels_of, p.full_name),
            format!("/notifications/people/{}", person.0),
            "/notifications",
        )
    };
    let flash = match sent {
        "" => None,
        "0" => Some(t.test_no_channels),
        _ => Some(t.test_sent),
    };
    Ok(ChannelsPage {
        shell: Shell::new(state, user, lang, heading.clone(), active),
        t,
        heading,
        action,
        fields,
        errors,
        saved,
        flash,
        own,
        can_manage: user.can(Permission::NotificationsManage),
    })
}

async fn save_channels(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    person: PersonId,
    form: ChannelsForm,
    back: String,
) -> Result<Response, PageError> {
    let raw: Vec<RawChannel> = form
        .fields()
        .into_iter()
        .filter(|(_, target, _)| !target.trim().is_empty())
        .map(|(c, target, enabled)| RawChannel {
            channel: c.as_str().into(),
            target: target.to_string(),
            enabled,
        })
        .collect();
    match notify::set_channels(
        &state.db,
        &user.actor(),
        person,
        &raw,
        user.can(Permission::NotificationsManage),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{back}?saved=1")).into_response()),
        Err(CoreError::Invalid(fields)) => {
            let errors = FormErrors::new(lang.0, &fields);
            let page =
                channels_page(state, user, lang, person, Some(&form), errors, false, "").await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn my_channels(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Saved(saved): Saved,
    Query(q): Query<ChannelsQuery>,
) -> Result<ChannelsPage, PageError> {
    let person = user.user().person_id;
    channels_page(
        &state,
        &user,
        lang,
        person,
        None,
        FormErrors::default(),
        saved,
        &q.sent,
    )
    .await
}

pub async fn save_my_channels(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<ChannelsForm>,
) -> Result<Response, PageError> {
    let person = user.user().person_id;
    save_channels(
        &state,
        &user,
        lang,
        person,
        form,
        "/notifications/me".into(),
    )
    .await
}

pub async fn person_channels(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Saved(saved): Saved,
) -> Result<ChannelsPage, PageError> {
    let person = PersonId(id);
    if user.user().person_id != person {
        user.require(Permission::NotificationsManage)?;
    }
    channels_page(
        &state,
        &user,
        lang,
        person,
        None,
        FormErrors::default(),
        saved,
        "",
    )
    .await
}

pub async fn save_person_channels(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Form(form): Form<ChannelsForm>,
) -> Result<Response, PageError> {
    let person = PersonId(id);
    if user.user().person_id != person {
        user.require(Permission::NotificationsManage)?;
    }
    save_channels(
        &state,
        &user,
        lang,
        person,
        form,
        format!("/notifications/people/{id}"),
    )
    .await
}

pub struct TemplateRow {
    key: String,
    locale: &'static str,
    subject: String,
    customised: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications/templates.html")]
pub struct TemplatesPage {
    shell: Shell,
    t: &'static NotifyTexts,
    rows: Vec<TemplateRow>,
}

pub async fn templates(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<TemplatesPage, PageError> {
    user.require(Permission::NotificationsManage)?;
    let t = texts(lang.0);
    let rows = notify::list_templates(&state.db)
        .await?
        .into_iter()
        .map(|x| TemplateRow {
            key: x.key,
            locale: x.locale.code(),
            subject: x.subject,
            customised: x.customised,
        })
        .collect();
    Ok(TemplatesPage {
        shell: Shell::new(&state, &user, lang, t.templates_title, "/notifications"),
        t,
        rows,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications/template.html")]
pub struct TemplatePage {
    shell: Shell,
    t: &'static NotifyTexts,
    key: String,
    locale: &'static str,
    subject: String,
    body: String,
    preview: Option<(String, String)>,
    errors: FormErrors,
    saved: bool,
}

fn parse_locale(code: &str) -> Result<CoreLocale, PageError> {
    CoreLocale::from_code(code).ok_or(PageError::NotFound)
}

pub async fn edit_template(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath((key, locale)): PagePath<(String, String)>,
    Saved(saved): Saved,
) -> Result<TemplatePage, PageError> {
    user.require(Permission::NotificationsManage)?;
    let t = texts(lang.0);
    let locale = parse_locale(&locale)?;
    let tpl = notify::get_template(&state.db, &key, locale).await?;
    let preview = notify::preview(&key, &tpl.subject, &tpl.body).ok();
    Ok(TemplatePage {
        shell: Shell::new(
            &state,
            &user,
            lang,
            format!("{} · {key}", t.templates_title),
            "/notifications",
        ),
        t,
        key,
        locale: locale.code(),
        subject: tpl.subject,
        body: tpl.body,
        preview,
        errors: FormErrors::default(),
        saved,
    })
}

#[derive(Debug, Deserialize)]
pub struct TemplateForm {
    subject: String,
    body: String,
    #[serde(default)]
    action: String,
}

pub async fn save_template(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath((key, locale_code)): PagePath<(String, String)>,
    Form(form): Form<TemplateForm>,
) -> Result<Response, PageError> {
    user.require(Permission::NotificationsManage)?;
    let t = texts(lang.0);
    let locale = parse_locale(&locale_code)?;
    // Only templates that exist (built in or stored) can be edited from the page.
    notify::get_template(&state.db, &key, locale).await?;
    let result = if form.action == "preview" {
        notify::preview(&key, &form.subject, &form.body).map(Some)
    } else {
        notify::save_template(
            &state.db,
            &user.actor(),
            &key,
            locale,
            &form.subject,
            &form.body,
        )
        .await
        .map(|_| None)
    };
    let (preview, errors, status) = match result {
        Ok(None) => {
            return Ok(Redirect::to(&format!(
                "/notifications/templates/{key}/{}?saved=1",
                locale.code()
            ))
            .into_response());
        }
        Ok(Some(p)) => (Some(p), FormErrors::default(), StatusCode::OK),
        Err(CoreError::Invalid(fields)) => (
            None,
            FormErrors::new(lang.0, &fields),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return Err(e.into()),
    };
    let page = TemplatePage {
        shell: Shell::new(
            &state,
            &user,
            lang,
            format!("{} · {key}", t.templates_title),
            "/notifications",
        ),
        t,
        key,
        locale: locale.code(),
        subject: form.subject,
        body: form.body,
        preview,
        errors,
        saved: false,
    };
    Ok((status, page).into_response())
}
