//! `POST /repositories/{id}/secret`: replaces the webhook secret, for when the old one
//! leaked or someone who knew it left. The forge must be given the new one.

use axum::extract::State;
use axum::response::Redirect;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::PagePath;

use crate::store::{RepositoryId, repositories};

pub async fn rotate(
    State(state): State<AppState>,
    user: CurrentUser,
    PagePath(id): PagePath<i64>,
) -> Result<Redirect, PageError> {
    user.require(Permission::RepositoriesManage)?;
    let r = repositories::rotate_webhook_secret(&state.db, &user.actor(), RepositoryId(id)).await?;
    Ok(Redirect::to(&format!(
        "/repositories/{}?rotated=1#webhook",
        r.id
    )))
}
