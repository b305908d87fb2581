//! `GET /settings/bitrix24`: the portal as the hub sees it (and a local application's
//! connection, with its buttons: see `oauth.rs`); `POST /settings/bitrix24/check` asks the
//! portal now and shows the same page with the answer.

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Query, State};
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::i18n::Lang;
use shtab_web::shell::Shell;

use super::deals::DealsSetup;
use super::deals::view::{self, DealsSection, Shown};
use super::dto::StatusDto;
use super::texts::{Texts, purpose, texts};
use crate::hub::{Configured, Mode};
use crate::store::people::{self as store, Conflict};

pub struct ScopeRow {
    scope: String,
    purpose: &'static str,
    required: bool,
    granted: Option<bool>,
}

#[derive(Template, WebTemplate)]
#[template(path = "bitrix24/settings.html")]
pub struct SettingsPage {
    shell: Shell,
    t: &'static Texts,
    status: StatusDto,
    /// The problem when the settings exist but cannot be used (not: nothing configured).
    unusable: Option<String>,
    checked_at: String,
    owner: String,
    rows: Vec<ScopeRow>,
    departed: Vec<DepartedRow>,
    conflicts: Vec<Conflict>,
    /// "Whose webhook" or "whose tokens".
    owner_label: &'static str,
    scopes_label: &'static str,
    /// A local application's connection, in that mode.
    app: Option<AppView>,
    /// Why the authorisation just attempted was not accepted.
    pub(super) refusal: Option<String>,
    deals: DealsSection,
}

/// A local application's connection, for the page: never its tokens.
pub struct AppView {
    handler_url: String,
    /// Where the portal posts ONAPPINSTALL (the local application's installation path).
    install_url: String,
    /// What to tick for the application on the portal: the hub's needs and the tabs' and
    /// robots' own.
    app_scopes: String,
    /// When the portal installed it, or removed it (from ONAPPINSTALL, ONAPPUNINSTALL).
    installed: Option<String>,
    removed: Option<String>,
    authorised: bool,
    authorised_by: String,
    portal_user: String,
    scopes: String,
    expires: String,
    refreshed: String,
}

pub struct DepartedRow {
    person_id: i64,
    full_name: String,
    portal_user_id: u64,
    since: String,
}

fn local_time(state: &AppState, unix_secs: i64) -> String {
    chrono::DateTime::from_timestamp(unix_secs, 0)
        .map(|at| {
            at.with_timezone(&state.config.time_zone())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

pub(super) async fn render(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    portal: &Configured,
    deals: DealsSection,
) -> Result<SettingsPage, PageError> {
    let t = texts(lang.0);
    let departed = store::departed(&state.db)
        .await?
        .into_iter()
        .map(|d| DepartedRow {
            person_id: d.person_id.0,
            full_name: d.full_name,
            portal_user_id: d.portal_user_id,
            since: local_time(state, d.left_at / 1000),
        })
        .collect();
    let conflicts = store::conflicts(&state.db).await?;
    let status = StatusDto::new(&state.config, portal)
        .with_connection(&state.config, &state.db)
        .await?;
    let check = status.check.as_ref();
    let application = status.mode == Mode::Application;
    let installation = match portal.portal() {
        Some(p) => crate::store::app::get(&state.db, p.client().portal()).await?,
        None => None,
    };
    let app = status.connection.as_ref().map(|c| AppView {
        handler_url: c.handler_url.clone(),
        install_url: format!(
            "{}{}",
            state.config.public_url(),
            crate::app::LIFECYCLE_PATH
        ),
        app_scopes: crate::app::scopes(&state.config).join(", "),
        installed: installation
            .as_ref()
            .filter(|i| i.is_active())
            .map(|i| local_time(state, i.installed_at / 1000)),
        removed: installation
            .as_ref()
            .and_then(|i| i.removed_at)
            .map(|at| local_time(state, at / 1000)),
        authorised: c.authorised,
        authorised_by: match (&c.authorised_by, c.authorised_at) {
            (Some(who), Some(at)) => format!("{who}, {}", local_time(state, at / 1000)),
            _ => String::new(),
        },
        portal_user: c
            .portal_user_id
            .map(|id| format!("ID {id}"))
            .unwrap_or_else(|| t.unknown.to_owned()),
        scopes: c.scopes.join(", "),
        expires: c
            .expires_at
            .map(|at| local_time(state, at / 1000))
            .unwrap_or_default(),
        refreshed: c
            .refreshed_at
            .map(|at| local_time(state, at / 1000))
            .unwrap_or_else(|| t.never.to_owned()),
    });
    Ok(SettingsPage {
        shell: Shell::new(state, user, lang, t.title, "/settings/bitrix24"),
        t,
        unusable: match portal {
            Configured::Unusable(why) => Some(why.clone()),
            _ => None,
        },
        checked_at: check.map(|c| local_time(state, c.at)).unwrap_or_default(),
        owner: check
            .and_then(|c| c.owner.as_ref())
            .map(|o| {
                let admin = if o.admin {
                    format!(", {}", t.admin)
                } else {
                    String::new()
                };
                format!("{} (ID {}{admin})", o.name, o.id)
            })
            .unwrap_or_else(|| t.unknown.to_owned()),
        rows: status
            .scopes
            .iter()
            .map(|s| ScopeRow {
                scope: s.scope.clone(),
                purpose: purpose(lang.0, &s.purpose),
                required: s.required,
                granted: s.granted,
            })
            .collect(),
        status,
        departed,
        conflicts,
        owner_label: if application { t.owner_app } else { t.owner },
        scopes_label: if application { t.scopes_app } else { t.scopes },
        app,
        refusal: None,
        deals,
    })
}

/// `?deals=saved` or `?deals=created` after the deals' forms.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Done {
    deals: String,
}

pub async fn show(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    Extension(setup): Extension<DealsSetup>,
    user: CurrentUser,
    lang: Lang,
    Query(done): Query<Done>,
) -> Result<SettingsPage, PageError> {
    user.require(Permission::SettingsManage)?;
    let shown = Shown {
        done: done.deals,
        ..Shown::default()
    };
    let deals = view::section(&state, &setup, lang.0, shown).await?;
    render(&state, &user, lang, &portal, deals).await
}

pub async fn check(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    Extension(setup): Extension<DealsSetup>,
    user: CurrentUser,
    lang: Lang,
) -> Result<SettingsPage, PageError> {
    user.require(Permission::SettingsManage)?;
    if let Some(p) = portal.portal() {
        p.check().await;
    }
    let deals = view::section(&state, &setup, lang.0, Shown::default()).await?;
    render(&state, &user, lang, &portal, deals).await
}
