//! `GET /users`: everyone who may log in, with roles, state and last login.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use shtab_core::auth::{Permission, users};

use super::texts::{UsersTexts, texts};
use super::view::UserView;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::i18n::Lang;
use crate::shell::Shell;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "users/list.html")]
pub struct UsersPage {
    shell: Shell,
    t: &'static UsersTexts,
    users: Vec<UserView>,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<UsersPage, PageError> {
    user.require(Permission::UsersManage)?;
    let t = texts(lang.0);
    let users = users::list(&state.db)
        .await?
        .iter()
        .map(|u| UserView::new(&state, t, u))
        .collect();
    Ok(UsersPage {
        shell: Shell::new(&state, &user, lang, t.title, "/users"),
        t,
        users,
    })
}
