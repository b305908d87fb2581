//! `/api/v1/repositories`: repositories for scripts and other systems. Same rules as the
//! pages; answers are JSON, errors the API's usual error body. The clone credential is
//! never returned; the webhook secret only to callers who manage repositories.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ErrorBody};
use shtab_web::extract::{ApiJson, ApiPath, ApiQuery};

use super::dto::{
    DeliveryList, DeliveryParams, NewRepository, RepositoryBody, RepositoryList, RepositoryPatch,
    WebhookSecretBody,
};
use super::view::webhook_url;
use crate::domain::repository::RawRepositoryInput;
use crate::store::deliveries;
use crate::store::{Repository, RepositoryId, repositories};

fn body(state: &AppState, user: &CurrentUser, r: Repository) -> RepositoryBody {
    let url = webhook_url(state, r.forge);
    RepositoryBody::new(r, url, user.can(Permission::RepositoriesManage))
}

/// List repositories.
#[utoipa::path(
    get,
    path = "/repositories",
    tag = "repositories",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every repository, ordered by name", body = RepositoryList),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not see repositories", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_repositories(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<RepositoryList>, ApiError> {
    user.require(Permission::RepositoriesRead)?;
    let items = repositories::list(&state.db)
        .await?
        .into_iter()
        .map(|r| body(&state, &user, r))
        .collect();
    Ok(Json(RepositoryList { items }))
}

/// Add a repository. It gets a fresh webhook secret, returned in the answer.
#[utoipa::path(
    post,
    path = "/repositories",
    tag = "repositories",
    request_body = NewRepository,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = RepositoryBody),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not manage repositories", body = ErrorBody),
        (status = 422, description = "Invalid fields (a bad clone URL or pattern, a taken name or web address…); nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn create_repository(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(new): ApiJson<NewRepository>,
) -> Result<(StatusCode, Json<RepositoryBody>), ApiError> {
    user.require(Permission::RepositoriesManage)?;
    let input = RawRepositoryInput::from(new).parse()?;
    let created = repositories::create(&state.db, &user.actor(), &input).await?;
    Ok((StatusCode::CREATED, Json(body(&state, &user, created))))
}

/// One repository.
#[utoipa::path(
    get,
    path = "/repositories/{id}",
    tag = "repositories",
    params(("id" = i64, Path, description = "The repository's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The repository", body = RepositoryBody),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not see repositories", body = ErrorBody),
        (status = 404, description = "No such repository", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn get_repository(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<RepositoryBody>, ApiError> {
    user.require(Permission::RepositoriesRead)?;
    let r = repositories::get(&state.db, RepositoryId(id)).await?;
    Ok(Json(body(&state, &user, r)))
}

/// Change some of a repository's settings; the others keep their value.
///
/// The stored clone credential is sent only to the clone URL's scheme, host and port: a
/// `clone_url` that changes any of them drops the stored credential (`has_credential`
/// becomes false, and the audit log says why) unless a new `credential_secret` comes in
/// the same request.
#[utoipa::path(
    patch,
    path = "/repositories/{id}",
    tag = "repositories",
    params(("id" = i64, Path, description = "The repository's id")),
    request_body = RepositoryPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The repository as saved", body = RepositoryBody),
        (status = 400, description = "The id is not a number, or the body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not manage repositories", body = ErrorBody),
        (status = 404, description = "No such repository", body = ErrorBody),
        (status = 409, description = "The repository was changed meanwhile; nothing was written", body = ErrorBody),
        (status = 422, description = "Invalid fields (a clone URL with a user name or token in it: `credential_in_url`); nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn update_repository(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<RepositoryPatch>,
) -> Result<Json<RepositoryBody>, ApiError> {
    user.require(Permission::RepositoriesManage)?;
    let id = RepositoryId(id);
    let current = repositories::get(&state.db, id).await?;
    let input = patch.apply(&current).parse()?;
    let saved = repositories::update(&state.db, &user.actor(), id, &input).await?;
    Ok(Json(body(&state, &user, saved)))
}

/// Delete a repository with its webhook log and stored commits. Links already made on
/// tasks stay.
#[utoipa::path(
    delete,
    path = "/repositories/{id}",
    tag = "repositories",
    params(("id" = i64, Path, description = "The repository's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not manage repositories", body = ErrorBody),
        (status = 404, description = "No such repository", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn delete_repository(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    user.require(Permission::RepositoriesManage)?;
    repositories::delete(&state.db, &user.actor(), RepositoryId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the webhook secret. The old one stops working at once; paste the new one
/// into the forge.
#[utoipa::path(
    post,
    path = "/repositories/{id}/webhook-secret",
    tag = "repositories",
    params(("id" = i64, Path, description = "The repository's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new secret", body = WebhookSecretBody),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not manage repositories", body = ErrorBody),
        (status = 404, description = "No such repository", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn rotate_webhook_secret(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<WebhookSecretBody>, ApiError> {
    user.require(Permission::RepositoriesManage)?;
    let r = repositories::rotate_webhook_secret(&state.db, &user.actor(), RepositoryId(id)).await?;
    Ok(Json(WebhookSecretBody {
        webhook_secret: r.webhook_secret,
    }))
}

/// The repository's latest webhook calls, accepted or not, with what became of each.
#[utoipa::path(
    get,
    path = "/repositories/{id}/deliveries",
    tag = "repositories",
    params(("id" = i64, Path, description = "The repository's id"), DeliveryParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Newest first", body = DeliveryList),
        (status = 400, description = "The id or a query parameter is malformed", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not see repositories", body = ErrorBody),
        (status = 404, description = "No such repository", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<DeliveryParams>,
) -> Result<Json<DeliveryList>, ApiError> {
    user.require(Permission::RepositoriesRead)?;
    let limit = shtab_web::paging::limit("limit", params.limit, 50, 200)?;
    let id = RepositoryId(id);
    // An unknown repository is a 404, not an empty list.
    repositories::get(&state.db, id).await?;
    let items = deliveries::recent(&state.db, id, limit)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(DeliveryList { items }))
}
