//! `POST /users/{id}/password`: a new generated password, shown once; the user's sessions
//! end and their API tokens are revoked. Also the page that shows a password once, after a user is created.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use shtab_core::auth::users::{self, User};
use shtab_core::auth::{Permission, generate_password};
use shtab_core::ids::UserId;

use super::texts::{UsersTexts, texts};
use super::view::UserView;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::extract::PagePath;
use crate::i18n::Lang;
use crate::shell::Shell;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "users/password.html")]
pub struct PasswordPage {
    shell: Shell,
    t: &'static UsersTexts,
    heading: &'static str,
    user: UserView,
    password: Option<String>,
}

impl PasswordPage {
    /// The page for `target`, with `password` when it must be shown (it was generated).
    /// Never cached: the password must not outlive this one view.
    pub fn response(
        state: &AppState,
        user: &CurrentUser,
        lang: Lang,
        heading: &'static str,
        target: &User,
        password: Option<String>,
    ) -> Response {
        let t = texts(lang.0);
        let page = PasswordPage {
            shell: Shell::new(state, user, lang, heading, "/users"),
            t,
            heading,
            user: UserView::new(state, t, target),
            password,
        };
        ([(header::CACHE_CONTROL, "no-store")], page).into_response()
    }
}

pub async fn reset(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    user.require(Permission::UsersManage)?;
    let target = users::get(&state.db, UserId(id)).await?;
    let password = generate_password();
    // An admin resetting their own password stays logged in here; every other session ends.
    let keep = user
        .session()
        .filter(|_| target.id == user.user().id)
        .map(|s| s.token_hash.as_str());
    // A reset means the old password may be known to someone else: their tokens go too.
    let ends = users::PasswordEnds {
        keep_session: keep,
        revoke_tokens: true,
    };
    users::set_password(&state.db, &user.actor(), target.id, &password, ends).await?;
    let t = texts(lang.0);
    Ok(PasswordPage::response(
        &state,
        &user,
        lang,
        t.reset_title,
        &target,
        Some(password),
    ))
}
