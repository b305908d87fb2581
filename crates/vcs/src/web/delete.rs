//! `POST /repositories/{id}/delete`: removes a repository once the confirmation box is
//! ticked (pages carry no scripts, so a browser dialog cannot ask instead).

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::PagePath;
use shtab_web::i18n::Lang;

use crate::store::{RepositoryId, repositories};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    confirm: String,
}

pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, PageError> {
    user.require(Permission::RepositoriesManage)?;
    let id = RepositoryId(id);
    if form.confirm.is_empty() {
        let page = super::show::page(&state, &user, lang, id).await?;
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page.with_confirm_missing(),
        )
            .into_response());
    }
    repositories::delete(&state.db, &user.actor(), id).await?;
    Ok(Redirect::to("/repositories?deleted=1").into_response())
}
