//! `/api/v1/tokens`: list, create and revoke API tokens.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shtab_core::auth::tokens;
use shtab_core::ids::ApiTokenId;

use super::access::{listed_owner, may_revoke};
use super::dto::{CreateTokenBody, CreatedTokenDto, TokenDto};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

/// The caller's tokens, newest first; a caller who manages users gets everyone's.
#[utoipa::path(
    get,
    path = "/tokens",
    tag = "tokens",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Tokens, revoked ones included", body = Vec<TokenDto>),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 500, description = "Internal error (logged with the request id)", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<TokenDto>>, ApiError> {
    let found = tokens::list(&state.db, listed_owner(&user)).await?;
    Ok(Json(found.iter().map(TokenDto::from).collect()))
}

/// A new token for the caller, from a browser session only: a token cannot make more
/// tokens (one that leaked must not be able to outlive its revocation). Programs get theirs
/// from the API tokens page or `shtab token create`. The secret is in this answer only.
#[utoipa::path(
    post,
    path = "/tokens",
    tag = "tokens",
    security(("bearer" = [])),
    request_body = CreateTokenBody,
    responses(
        (status = 201, description = "Created", body = CreatedTokenDto),
        (status = 400, description = "The body is not the JSON described", body = ErrorBody),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "The caller is an API token, not a session; or a session sent no CSRF token", body = ErrorBody),
        (status = 422, description = "Field errors (`name`); nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error (logged with the request id)", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<CreateTokenBody>,
) -> Result<(StatusCode, Json<CreatedTokenDto>), ApiError> {
    if user.session().is_none() {
        return Err(ApiError::Refused(
            "an API token cannot create tokens: use a login session (the API tokens page) or `shtab token create`",
        ));
    }
    let (token, secret) =
        tokens::create(&state.db, &user.actor(), user.user().id, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenDto {
            token: TokenDto::from(&token),
            secret,
        }),
    ))
}

/// Revokes a token: it stops working at once. Revoking a revoked token changes nothing.
#[utoipa::path(
    delete,
    path = "/tokens/{id}",
    tag = "tokens",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "Someone else's token, and the caller may not manage users; or a session sent no CSRF token", body = ErrorBody),
        (status = 404, description = "No such token", body = ErrorBody),
        (status = 500, description = "Internal error (logged with the request id)", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let token = tokens::get(&state.db, ApiTokenId(id)).await?;
    if !may_revoke(&user, &token) {
        return Err(ApiError::Forbidden);
    }
    tokens::revoke(&state.db, &user.actor(), ApiTokenId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
