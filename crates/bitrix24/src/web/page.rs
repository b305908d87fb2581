//! `GET /settings/bitrix24`: the portal as the hub sees it; `POST /settings/bitrix24/check`
//! asks the portal now and shows the same page with the answer.

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::State;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::i18n::Lang;
use shtab_web::shell::Shell;

use super::dto::StatusDto;
use super::texts::{Texts, purpose, texts};
use crate::hub::Configured;

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
}

fn render(state: &AppState, user: &CurrentUser, lang: Lang, portal: &Configured) -> SettingsPage {
    let t = texts(lang.0);
    let status = StatusDto::new(&state.config, portal);
    let check = status.check.as_ref();
    SettingsPage {
        shell: Shell::new(state, user, lang, t.title, "/settings/bitrix24"),
        t,
        unusable: match portal {
            Configured::Unusable(why) => Some(why.clone()),
            _ => None,
        },
        checked_at: check
            .and_then(|c| chrono::DateTime::from_timestamp(c.at, 0))
            .map(|at| {
                at.with_timezone(&state.config.time_zone())
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default(),
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
    }
}

pub async fn show(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    user: CurrentUser,
    lang: Lang,
) -> Result<SettingsPage, PageError> {
    user.require(Permission::SettingsManage)?;
    Ok(render(&state, &user, lang, &portal))
}

pub async fn check(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    user: CurrentUser,
    lang: Lang,
) -> Result<SettingsPage, PageError> {
    user.require(Permission::SettingsManage)?;
    if let Some(p) = portal.portal() {
        p.check().await;
    }
    Ok(render(&state, &user, lang, &portal))
}
