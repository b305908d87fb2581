//! `/api/v1/commit-authors`: commit authors nobody is matched to, and "this is …" for
//! scripts. Same rules as the page.

use axum::Json;
use axum::extract::State;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ErrorBody};
use shtab_web::extract::ApiJson;

use super::dto::{AuthorMapping, AuthorMappingBody, UnmatchedAuthorList};
use super::mapping::map_author;
use crate::store::authors;

/// Commit authors whose e-mail matched nobody, most recent committer first.
#[utoipa::path(
    get,
    path = "/commit-authors",
    tag = "repositories",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Unmatched authors", body = UnmatchedAuthorList),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not see repositories", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_unmatched_authors(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<UnmatchedAuthorList>, ApiError> {
    user.require(Permission::RepositoriesRead)?;
    let items = authors::unmatched(&state.db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(UnmatchedAuthorList { items }))
}

/// "This is …": the e-mail becomes the person's alias; every stored commit under it is
/// attributed to them now, and the tracker is told in the background.
#[utoipa::path(
    post,
    path = "/commit-authors",
    tag = "repositories",
    request_body = AuthorMapping,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Mapped", body = AuthorMappingBody),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not manage repositories", body = ErrorBody),
        (status = 422, description = "`email` is not an e-mail, or `person_id` names nobody; nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn map_commit_author(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(mapping): ApiJson<AuthorMapping>,
) -> Result<Json<AuthorMappingBody>, ApiError> {
    user.require(Permission::RepositoriesManage)?;
    let mapped = map_author(&state.db, &user.actor(), &mapping.email, mapping.person_id).await?;
    Ok(Json(mapped.into()))
}
