//! `GET/POST /users/new`: let a person from the directory log in, with roles and a password
//! (chosen, or generated and shown once).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shtab_core::auth::users::{self, Candidate};
use shtab_core::auth::{Permission, Role, generate_password};
use shtab_core::ids::PersonId;
use shtab_core::{CoreError, FieldError};

use super::password::PasswordPage;
use super::roles::{self, RoleOption};
use super::texts::{UsersTexts, texts};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::i18n::{FormErrors, Lang};
use crate::shell::Shell;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "users/new.html")]
pub struct NewUserPage {
    shell: Shell,
    t: &'static UsersTexts,
    candidates: Vec<Candidate>,
    person_id: i64,
    roles: Vec<RoleOption>,
    errors: FormErrors,
    other_errors: Vec<String>,
}

/// What the form held, to show it again after a refusal.
struct Draft {
    person_id: Option<i64>,
    roles: Vec<Role>,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    draft: Draft,
    errors: FormErrors,
) -> Result<NewUserPage, PageError> {
    let t = texts(lang.0);
    Ok(NewUserPage {
        shell: Shell::new(state, user, lang, t.new_title, "/users"),
        t,
        candidates: users::candidates(&state.db).await?,
        person_id: draft.person_id.unwrap_or(0),
        roles: roles::options(t, &draft.roles),
        other_errors: errors.other_than(&["person_id", "roles", "password"]),
        errors,
    })
}

#[derive(Deserialize)]
pub struct NewQuery {
    /// Preselects a person (the people pages link here).
    #[serde(default)]
    person: Option<String>,
}

pub async fn form(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Query(q): Query<NewQuery>,
) -> Result<NewUserPage, PageError> {
    user.require(Permission::UsersManage)?;
    let draft = Draft {
        person_id: q.person.and_then(|p| p.parse().ok()),
        roles: Vec::new(),
    };
    render(&state, &user, lang, draft, FormErrors::default()).await
}

/// The form as posted. Role checkboxes repeat their name, which only a list of pairs holds.
pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    user.require(Permission::UsersManage)?;
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    };
    let mut problems = Vec::new();
    let person_id = match value("person_id").map(|v| v.trim().parse::<i64>()) {
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            problems.push(FieldError::new("person_id", "not_found", "no such person"));
            None
        }
        None => {
            problems.push(FieldError::required("person_id"));
            None
        }
    };
    let chosen = roles::parse(
        fields
            .iter()
            .filter(|(k, _)| k == "roles")
            .map(|(_, v)| v.as_str()),
    )
    .unwrap_or_else(|e| {
        problems.push(e);
        Vec::new()
    });
    let draft = Draft {
        person_id,
        roles: chosen.clone(),
    };
    let refuse = async |fields: &[FieldError], draft: Draft| -> Result<Response, PageError> {
        let errors = FormErrors::new(lang.0, fields);
        let page = render(&state, &user, lang, draft, errors).await?;
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let Some(person_id) = person_id.filter(|_| problems.is_empty()) else {
        return refuse(&problems, draft).await;
    };

    // An empty password field asks for a generated one, which only this answer shows.
    let typed = value("password");
    let password = typed.map_or_else(generate_password, str::to_string);
    match users::create(
        &state.db,
        &user.actor(),
        PersonId(person_id),
        &chosen,
        Some(&password),
    )
    .await
    {
        Ok(created) => {
            let t = texts(lang.0);
            let shown = typed.is_none().then_some(password);
            Ok(PasswordPage::response(
                &state,
                &user,
                lang,
                t.created_title,
                &created,
                shown,
            ))
        }
        Err(CoreError::Invalid(fields)) => refuse(&fields, draft).await,
        Err(e) => Err(e.into()),
    }
}
