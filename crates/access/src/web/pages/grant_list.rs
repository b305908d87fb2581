//! `GET /access/grants?state=failed`: grants in one state across everyone (the home page
//! links here for the failed ones), each with its person and the last error.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::i18n::{Lang, pick};
use shtab_web::shell::Shell;

use super::when;
use crate::domain::grant::GrantState;
use crate::web::home::grants_in;

#[derive(Debug)]
pub struct GrantListTexts {
    pub title_failed: &'static str,
    pub title_other: &'static str,
    pub empty: &'static str,
    pub person: &'static str,
    pub resource: &'static str,
    pub login: &'static str,
    pub error: &'static str,
    pub last_attempt: &'static str,
    pub never: &'static str,
}

static RU: GrantListTexts = GrantListTexts {
    title_failed: "Доступы с ошибкой",
    title_other: "Доступы",
    empty: "Таких доступов нет.",
    person: "Человек",
    resource: "Ресурс",
    login: "Логин",
    error: "Ошибка",
    last_attempt: "Последняя попытка",
    never: "не было",
};
static EN: GrantListTexts = GrantListTexts {
    title_failed: "Failed grants",
    title_other: "Grants",
    empty: "No such grants.",
    person: "Person",
    resource: "Resource",
    login: "Login",
    error: "Error",
    last_attempt: "Last attempt",
    never: "never",
};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GrantListQuery {
    state: String,
}

pub struct GrantRow {
    id: i64,
    person_id: i64,
    person: String,
    resource: String,
    login: String,
    error: String,
    last_attempt: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "access/grants.html")]
pub struct GrantListPage {
    shell: Shell,
    t: &'static GrantListTexts,
    title: &'static str,
    rows: Vec<GrantRow>,
}

pub async fn grant_list(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Query(q): Query<GrantListQuery>,
) -> Result<GrantListPage, PageError> {
    user.require(Permission::AccessRead)?;
    let t = pick(lang.0, &RU, &EN);
    let wanted = GrantState::ALL
        .into_iter()
        .find(|s| s.as_str() == q.state.trim())
        .unwrap_or(GrantState::Failed);
    let rows = grants_in(&state, wanted)
        .await?
        .into_iter()
        .map(|g| GrantRow {
            id: g.id,
            person_id: g.person_id,
            person: g.person_name,
            resource: g.resource_name,
            login: g.login,
            error: g.error,
            last_attempt: when(&state, g.last_attempt_at, t.never),
        })
        .collect();
    let title = if wanted == GrantState::Failed {
        t.title_failed
    } else {
        t.title_other
    };
    Ok(GrantListPage {
        shell: Shell::new(&state, &user, lang, title, "/access"),
        t,
        title,
        rows,
    })
}
