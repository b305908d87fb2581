//! `POST /tokens`: a new token for the caller; its secret is shown on the answer, once.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::tokens;

use super::list::page;
use super::texts::{TokensTexts, texts};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::i18n::{FormErrors, Lang};
use crate::shell::Shell;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "tokens/created.html")]
pub struct CreatedPage {
    shell: Shell,
    t: &'static TokensTexts,
    name: String,
    secret: String,
    me_url: String,
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
}

pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<CreateForm>,
) -> Result<Response, PageError> {
    match tokens::create(&state.db, &user.actor(), user.user().id, &form.name).await {
        Ok((token, secret)) => {
            let t = texts(lang.0);
            let page = CreatedPage {
                shell: Shell::new(&state, &user, lang, t.created_title, "/tokens"),
                t,
                name: token.name,
                secret,
                me_url: state.link("/api/v1/me"),
            };
            // The secret exists nowhere else: no cache may keep a copy of this page.
            Ok(([(header::CACHE_CONTROL, "no-store")], page).into_response())
        }
        Err(CoreError::Invalid(fields)) => {
            let errors = FormErrors::new(lang.0, &fields);
            let page = page(&state, &user, lang, form.name, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
