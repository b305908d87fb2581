//! A person's channels: edited by themselves (`/notifications/me`) or by an admin.

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
use shtab_core::notify::{self, Channel, RawChannel};

use super::texts::{NotifyTexts, texts};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::extract::{PagePath, Saved};
use crate::i18n::{FormErrors, Lang};
use crate::shell::Shell;
use crate::state::AppState;

pub struct ChannelField {
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    target: String,
    enabled: bool,
    input_type: &'static str,
    /// For a number typed on a phone.
    inputmode: &'static str,
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
    #[serde(default)]
    bitrix24: String,
    #[serde(default)]
    bitrix24_enabled: Option<String>,
}

impl ChannelsForm {
    fn fields(&self) -> [(Channel, &str, bool); 4] {
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
            (
                Channel::Bitrix24,
                &self.bitrix24,
                self.bitrix24_enabled.is_some(),
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
                    Channel::Bitrix24 => t.bitrix24_hint,
                },
                target,
                enabled,
                input_type: match c {
                    Channel::Email => "email",
                    Channel::Telegram => "text",
                    Channel::Webhook => "url",
                    Channel::Bitrix24 => "text",
                },
                inputmode: match c {
                    Channel::Telegram | Channel::Bitrix24 => "numeric",
                    _ => "",
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
    super::may_edit_channels(&user, person)?;
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
    super::may_edit_channels(&user, person)?;
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
