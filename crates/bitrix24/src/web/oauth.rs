//! A local application's authorisation from the settings page, for admins in a browser
//! session (API tokens never reach pages):
//!
//! - `POST /settings/bitrix24/oauth/start` sends the administrator to the portal's
//!   `/oauth/authorize/` with a `state` bound to their session;
//! - `GET /settings/bitrix24/oauth/callback` is where the portal sends them back: the state is
//!   used up, the code exchanged at the OAuth server, the answer checked to be for the
//!   configured portal, and only then are the tokens stored;
//! - `POST /settings/bitrix24/oauth/disconnect` drops the tokens.
//!
//! A refusal stores nothing and shows the page with the reason.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_core::auth::sessions::Session;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::i18n::Lang;

use super::deals::DealsSetup;
use super::page::render;
use super::texts::{Texts, texts};
use crate::client::{AppCredentials, Bitrix24Error, Grant};
use crate::hub::{Configured, Portal};
use crate::store::oauth as connections;
use crate::store::oauth_states::{self, Started};

/// The settings page, where every step returns.
const SETTINGS: &str = "/settings/bitrix24";

/// The portal, when it is reached as a local application.
fn application(portal: &Configured) -> Option<(&Portal, &AppCredentials)> {
    let p = portal.portal()?;
    Some((p, p.client().app()?))
}

/// The session of a browser caller (pages refuse API tokens before this).
fn session(user: &CurrentUser) -> Result<&Session, PageError> {
    user.session().ok_or(PageError::Forbidden)
}

pub async fn start(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    Extension(setup): Extension<DealsSetup>,
    user: CurrentUser,
    lang: Lang,
) -> Result<Response, PageError> {
    user.require(Permission::SettingsManage)?;
    let session = session(&user)?;
    let Some((p, app)) = application(&portal) else {
        return refused(&state, &user, lang, (&portal, &setup), |t| {
            t.refused_not_application.to_owned()
        })
        .await;
    };
    let started = Started {
        user_id: user.user().id,
        portal: app.portal.to_string(),
        client_id: app.client_id.clone(),
    };
    let state_token = oauth_states::begin(&state.db, &session.token_hash, &started).await?;
    let target = p
        .client()
        .authorize_url(&state_token)
        .map_err(|e| PageError::Internal(e.to_string()))?;
    tracing::info!(user = user.user().id.0, portal = %app.portal, "sending an administrator to authorise the Bitrix24 application");
    Ok(Redirect::to(target.as_str()).into_response())
}

/// What the portal hands back (`settings/oauth/index.md`): all optional, so a mangled address
/// is refused with a reason rather than a bare 400.
#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    member_id: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// Why an authorisation was not accepted.
enum Refusal {
    NotApplication,
    UnknownState,
    SettingsChanged,
    PortalSaid(String),
    NoCode,
    OtherPortal(String),
    MemberChanged,
    Exchange(Bitrix24Error),
}

impl Refusal {
    fn text(&self, t: &Texts) -> String {
        match self {
            Refusal::NotApplication => t.refused_not_application.to_owned(),
            Refusal::UnknownState => t.refused_unknown_state.to_owned(),
            Refusal::SettingsChanged => t.refused_settings_changed.to_owned(),
            Refusal::PortalSaid(what) => format!("{}: {what}", t.refused_no_code),
            Refusal::NoCode => format!("{}.", t.refused_no_code),
            Refusal::OtherPortal(which) => format!("{} ({which}).", t.refused_other_portal),
            Refusal::MemberChanged => format!("{}.", t.refused_member_changed),
            Refusal::Exchange(e) => format!("{}: {e}", t.refused_exchange),
        }
    }
}

pub async fn callback(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    Extension(setup): Extension<DealsSetup>,
    user: CurrentUser,
    lang: Lang,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, PageError> {
    user.require(Permission::SettingsManage)?;
    let session = session(&user)?;
    match authorise(&state, &portal, &user, session, &query).await? {
        Ok(()) => Ok(Redirect::to(SETTINGS).into_response()),
        Err(refusal) => {
            // Debug-quoted: the reason may repeat what the request said (its `domain`).
            let reason = refusal.text(texts(shtab_web::i18n::Locale::En));
            tracing::warn!(user = user.user().id.0, reason = ?reason, "a Bitrix24 authorisation was refused; nothing stored");
            refused(&state, &user, lang, (&portal, &setup), |t| refusal.text(t)).await
        }
    }
}

/// The callback's checks, in the order that spends nothing on a forged request: the state
/// first (used up whatever follows), the portal's own word next, then the OAuth server's.
async fn authorise(
    state: &AppState,
    portal: &Configured,
    user: &CurrentUser,
    session: &Session,
    query: &CallbackQuery,
) -> Result<Result<(), Refusal>, PageError> {
    let Some((p, app)) = application(portal) else {
        return Ok(Err(Refusal::NotApplication));
    };
    let given_state = query.state.as_deref().unwrap_or("");
    if given_state.is_empty() {
        return Ok(Err(Refusal::UnknownState));
    }
    let Some(started) = oauth_states::take(&state.db, given_state, &session.token_hash).await?
    else {
        return Ok(Err(Refusal::UnknownState));
    };
    if started.portal != app.portal.to_string() || started.client_id != app.client_id {
        return Ok(Err(Refusal::SettingsChanged));
    }
    if let Some(error) = query.error.as_deref().filter(|e| !e.is_empty()) {
        let said = match query.error_description.as_deref() {
            Some(d) if !d.is_empty() => format!("{error}: {d}"),
            _ => error.to_owned(),
        };
        return Ok(Err(Refusal::PortalSaid(said)));
    }
    let code = query.code.as_deref().unwrap_or("").trim();
    if code.is_empty() {
        return Ok(Err(Refusal::NoCode));
    }
    if let Some(domain) = query.domain.as_deref()
        && !domain.trim().eq_ignore_ascii_case(&app.portal.domain())
    {
        return Ok(Err(Refusal::OtherPortal(domain.trim().to_owned())));
    }
    let grant = match p.client().exchange_code(code).await {
        Ok(grant) => grant,
        Err(e) => return Ok(Err(Refusal::Exchange(e))),
    };
    if let Err(refusal) = check_grant(state, app, query, &grant).await? {
        return Ok(Err(refusal));
    }
    connections::connect(
        &state.db,
        &user.actor(),
        &app.portal,
        &app.client_id,
        &grant,
    )
    .await?;
    tracing::info!(user = user.user().id.0, portal = %app.portal, member_id = %grant.member_id, "the Bitrix24 application was authorised");
    // Whose tokens these are and what they may do, for the page the administrator lands on.
    p.check().await;
    Ok(Ok(()))
}

/// The OAuth server's answer must name the configured portal, and the same portal as before
/// when one was connected (a portal keeps its `member_id` whatever its address).
async fn check_grant(
    state: &AppState,
    app: &AppCredentials,
    query: &CallbackQuery,
    grant: &Grant,
) -> Result<Result<(), Refusal>, PageError> {
    match &grant.portal {
        Some(said) if said == &app.portal => {}
        Some(said) => return Ok(Err(Refusal::OtherPortal(said.to_string()))),
        None => return Ok(Err(Refusal::OtherPortal("?".into()))),
    }
    if grant.member_id.is_empty() {
        return Ok(Err(Refusal::OtherPortal("member_id ?".into())));
    }
    if let Some(given) = query.member_id.as_deref()
        && given != grant.member_id
    {
        return Ok(Err(Refusal::OtherPortal(format!("member_id {given}"))));
    }
    if let Some(before) = connections::connection(&state.db, &app.portal).await?
        && before.member_id != grant.member_id
    {
        return Ok(Err(Refusal::MemberChanged));
    }
    Ok(Ok(()))
}

pub async fn disconnect(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    Extension(setup): Extension<DealsSetup>,
    user: CurrentUser,
    lang: Lang,
) -> Result<Response, PageError> {
    user.require(Permission::SettingsManage)?;
    let Some((p, app)) = application(&portal) else {
        return refused(&state, &user, lang, (&portal, &setup), |t| {
            t.refused_not_application.to_owned()
        })
        .await;
    };
    if connections::disconnect(&state.db, &user.actor(), &app.portal).await? {
        tracing::info!(user = user.user().id.0, portal = %app.portal, "the Bitrix24 application's tokens were dropped");
    }
    // What the last check found was said with the tokens just dropped.
    p.forget_check();
    Ok(Redirect::to(SETTINGS).into_response())
}

/// The settings page with why the authorisation was not accepted.
async fn refused(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    (portal, setup): (&Configured, &DealsSetup),
    reason: impl FnOnce(&Texts) -> String,
) -> Result<Response, PageError> {
    let t = texts(lang.0);
    let deals = super::deals::view::section(state, setup, lang.0, Default::default()).await?;
    let mut page = render(state, user, lang, portal, deals).await?;
    page.refusal = Some(reason(t));
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}
