//! `GET /users/{id}`: one user's roles and access, with the forms that change them
//! (`POST /users/{id}/roles`, `POST /users/{id}/status`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::users::{self, User, UserChanges};
use shtab_core::auth::{Permission, Role};
use shtab_core::ids::UserId;

use super::roles::{self, RoleOption};
use super::texts::{UsersTexts, texts};
use super::view::UserView;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::extract::{PagePath, Saved};
use crate::i18n::{FormErrors, Lang};
use crate::shell::Shell;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "users/show.html")]
pub struct UserPage {
    shell: Shell,
    t: &'static UsersTexts,
    user: UserView,
    roles: Vec<RoleOption>,
    saved: bool,
    errors: FormErrors,
    /// Why the last change was refused, when it was no field's fault.
    refusal: Option<&'static str>,
}

struct Outcome<'a> {
    roles: &'a [Role],
    saved: bool,
    errors: FormErrors,
    refusal: Option<&'static str>,
}

fn render(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    target: &User,
    outcome: Outcome<'_>,
) -> UserPage {
    let t = texts(lang.0);
    UserPage {
        shell: Shell::new(state, user, lang, target.full_name.clone(), "/users"),
        t,
        user: UserView::new(state, t, target),
        roles: roles::options(t, outcome.roles),
        saved: outcome.saved,
        errors: outcome.errors,
        refusal: outcome.refusal,
    }
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Saved(saved): Saved,
) -> Result<UserPage, PageError> {
    user.require(Permission::UsersManage)?;
    let target = users::get(&state.db, UserId(id)).await?;
    let outcome = Outcome {
        roles: &target.roles,
        saved,
        errors: FormErrors::default(),
        refusal: None,
    };
    Ok(render(&state, &user, lang, &target, outcome))
}

/// Role checkboxes repeat their name, which only a list of pairs holds.
pub async fn save_roles(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    user.require(Permission::UsersManage)?;
    let target = users::get(&state.db, UserId(id)).await?;
    let posted: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "roles")
        .map(|(_, v)| v.as_str())
        .collect();
    let result = match roles::parse(posted) {
        Ok(chosen) => {
            let changes = UserChanges {
                roles: Some(chosen.clone()),
                ..Default::default()
            };
            users::update(&state.db, &user.actor(), target.id, &changes)
                .await
                .map_err(|e| (e, chosen))
        }
        Err(e) => Err((CoreError::Invalid(vec![e]), Vec::new())),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/users/{id}?saved=1")).into_response()),
        Err((CoreError::Invalid(fields), chosen)) => {
            let outcome = Outcome {
                roles: &chosen,
                saved: false,
                errors: FormErrors::new(lang.0, &fields),
                refusal: None,
            };
            let page = render(&state, &user, lang, &target, outcome);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err((e, _)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    /// `1` disables, `0` enables.
    #[serde(default)]
    disabled: Option<String>,
}

pub async fn set_status(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Form(form): Form<StatusForm>,
) -> Result<Response, PageError> {
    user.require(Permission::UsersManage)?;
    let disabled = match form.disabled.as_deref() {
        Some("1") => true,
        Some("0") => false,
        _ => return Err(PageError::BadRequest("disabled: expected 1 or 0".into())),
    };
    let target = users::get(&state.db, UserId(id)).await?;
    let changes = UserChanges {
        disabled: Some(disabled),
        ..Default::default()
    };
    match users::update(&state.db, &user.actor(), target.id, &changes).await {
        Ok(_) => Ok(Redirect::to(&format!("/users/{id}?saved=1")).into_response()),
        // The only conflict here: disabling the last admin.
        Err(CoreError::Conflict(_)) => {
            let outcome = Outcome {
                roles: &target.roles,
                saved: false,
                errors: FormErrors::default(),
                refusal: Some(texts(lang.0).last_admin),
            };
            let page = render(&state, &user, lang, &target, outcome);
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
