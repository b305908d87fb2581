//! Personal settings (language, password) and, for admins, the organisation's.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::{Permission, throttle, users};
use shtab_core::settings;

use crate::auth::{CurrentUser, LANG_COOKIE, MaybeUser};
use crate::error::PageError;
use crate::extract::Saved;
use crate::i18n::{FormErrors, Lang, Locale, pick};
use crate::shell::Shell;
use crate::state::AppState;

#[derive(Debug)]
pub struct SettingsTexts {
    pub title: &'static str,
    pub language: &'static str,
    pub russian: &'static str,
    pub english: &'static str,
    pub password: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub password_hint: &'static str,
    pub organisation: &'static str,
    pub organisation_name: &'static str,
    pub saved: &'static str,
}

static RU: SettingsTexts = SettingsTexts {
    title: "Настройки",
    language: "Язык интерфейса",
    russian: "Русский",
    english: "English",
    password: "Смена пароля",
    current_password: "Текущий пароль",
    new_password: "Новый пароль",
    password_hint: "Не менее 10 символов. Другие ваши сеансы будут завершены, API-токены продолжат работать.",
    organisation: "Организация",
    organisation_name: "Название организации",
    saved: "Сохранено.",
};

static EN: SettingsTexts = SettingsTexts {
    title: "Settings",
    language: "Interface language",
    russian: "Русский",
    english: "English",
    password: "Change password",
    current_password: "Current password",
    new_password: "New password",
    password_hint: "At least 10 characters. Your other sessions will be ended; API tokens keep working.",
    organisation: "Organisation",
    organisation_name: "Organisation name",
    saved: "Saved.",
};

#[derive(Template, WebTemplate)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    shell: Shell,
    t: &'static SettingsTexts,
    is_admin: bool,
    organisation_name: String,
    saved: bool,
    errors: FormErrors,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    saved: bool,
    errors: FormErrors,
) -> Result<SettingsPage, PageError> {
    let t = pick(lang.0, &RU, &EN);
    Ok(SettingsPage {
        shell: Shell::new(state, user, lang, t.title, "/settings"),
        t,
        is_admin: user.can(Permission::SettingsManage),
        organisation_name: settings::get(&state.db, settings::ORGANISATION_NAME)
            .await?
            .unwrap_or_default(),
        saved,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Saved(saved): Saved,
) -> Result<SettingsPage, PageError> {
    page(&state, &user, lang, saved, FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    organisation_name: Option<String>,
}

pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<SettingsForm>,
) -> Result<Response, PageError> {
    let mut lang = lang;
    if let Some(locale) = form.locale.as_deref().and_then(Locale::from_code) {
        set_locale(&state, &user, locale).await?;
        lang = Lang(locale);
    }
    let result = async {
        if let Some(password) = form.password.as_deref().filter(|p| !p.is_empty()) {
            change_password(&state, &user, &form.current_password, password).await?;
        }
        if let Some(name) = &form.organisation_name {
            user.require(Permission::SettingsManage)
                .map_err(|_| CoreError::Forbidden)?;
            settings::set_organisation_name(&state.db, &user.actor(), name).await?;
        }
        Ok::<(), CoreError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to("/settings?saved=1").into_response()),
        Err(CoreError::Invalid(fields)) => {
            let errors = FormErrors::new(lang.0, &fields);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&state, &user, lang, false, errors).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Guessing the current password from an open session is throttled like logging in.
async fn change_password(
    state: &AppState,
    user: &CurrentUser,
    current: &str,
    new: &str,
) -> Result<(), CoreError> {
    let auth = &state.config.auth;
    let key = format!("password:{}", user.user().id);
    let window_ms = i64::from(auth.login_window_minutes) * 60_000;
    if throttle::count_attempt(&state.db, &key, auth.login_max_failures, window_ms)
        .await?
        .is_some()
    {
        return Err(CoreError::field(
            "current_password",
            "too_many_attempts",
            "too many wrong attempts; try again in a few minutes",
        ));
    }
    let keep = user.session().map(|s| s.token_hash.clone());
    users::change_own_password(
        &state.db,
        &user.actor(),
        user.user().id,
        current,
        new,
        keep.as_deref(),
    )
    .await?;
    throttle::clear(&state.db, &key).await
}

#[derive(Deserialize)]
pub struct LangForm {
    lang: String,
    #[serde(default)]
    next: Option<String>,
}

/// The language switch: remembered for the user when logged in, in a cookie otherwise.
pub async fn switch_language(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    jar: CookieJar,
    Form(form): Form<LangForm>,
) -> Result<Response, PageError> {
    let locale = Locale::from_code(&form.lang)
        .ok_or_else(|| PageError::BadRequest(format!("unknown language {}", form.lang)))?;
    if let Some(user) = &user {
        set_locale(&state, user, locale).await?;
    }
    let cookie = Cookie::build((LANG_COOKIE, locale.code()))
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .path("/")
        .permanent();
    let next = crate::redirect::local_path(form.next.as_deref());
    Ok((jar.add(cookie), Redirect::to(&next)).into_response())
}

/// The person's own choice of language, audit-logged like every other change.
async fn set_locale(state: &AppState, user: &CurrentUser, locale: Locale) -> Result<(), CoreError> {
    if user.user().locale == Some(locale) {
        return Ok(());
    }
    let changes = users::UserChanges {
        locale: Some(locale),
        ..Default::default()
    };
    users::update(&state.db, &user.actor(), user.user().id, &changes).await?;
    Ok(())
}
