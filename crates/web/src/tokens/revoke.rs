//! `POST /tokens/{id}/revoke`: the token stops working at once. Own tokens, or anyone's
//! for user managers.

use axum::extract::State;
use axum::response::Redirect;
use shtab_core::auth::tokens;
use shtab_core::ids::ApiTokenId;

use super::access::may_revoke;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::extract::PagePath;
use crate::state::AppState;

pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    PagePath(id): PagePath<i64>,
) -> Result<Redirect, PageError> {
    let token = tokens::get(&state.db, ApiTokenId(id)).await?;
    if !may_revoke(&user, &token) {
        return Err(PageError::Forbidden);
    }
    tokens::revoke(&state.db, &user.actor(), ApiTokenId(id)).await?;
    Ok(Redirect::to("/tokens"))
}
