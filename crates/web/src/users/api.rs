//! `/api/v1/me` and `/api/v1/users`: the caller, and managing who may log in.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shtab_core::FieldError;
use shtab_core::auth::users::{self, UserChanges};
use shtab_core::auth::{Permission, generate_password};
use shtab_core::error::FieldErrors;
use shtab_core::ids::{PersonId, UserId};
use shtab_core::types::Locale;

use super::dto::{CreateUserBody, CreatedUserDto, MeDto, PatchUserBody, UserDto};
use super::roles;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::i18n::Lang;
use crate::state::AppState;

/// Who the caller is and what they may do.
#[utoipa::path(
    get,
    path = "/me",
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeDto),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 500, description = "Internal error (logged with the request id)", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn me(user: CurrentUser, lang: Lang) -> Json<MeDto> {
    Json(MeDto::new(user.user(), lang.0.code()))
}

/// Everyone who may log in, by name.
#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "All users", body = Vec<UserDto>),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "The caller may not manage users", body = ErrorBody),
        (status = 500, description = "Internal error (logged with the request id)", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<UserDto>>, ApiError> {
    user.require(Permission::UsersManage)?;
    let all = users::list(&state.db).await?;
    Ok(Json(all.iter().map(UserDto::from).collect()))
}

/// Lets a person log in. Without a password one is generated and returned once.
#[utoipa::path(
    post,
    path = "/users",
    tag = "users",
    security(("bearer" = [])),
    request_body = CreateUserBody,
    responses(
        (status = 201, description = "Created", body = CreatedUserDto),
        (status = 400, description = "The body is not the JSON described", body = ErrorBody),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "The caller may not manage users, or a session sent no CSRF token", body = ErrorBody),
        (status = 422, description = "Field errors (`person_id`, `roles`, `password`); nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error (logged with the request id)", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<CreateUserBody>,
) -> Result<(StatusCode, Json<CreatedUserDto>), ApiError> {
    user.require(Permission::UsersManage)?;
    let chosen = roles::parse(body.roles.iter().map(String::as_str))
        .map_err(|e| ApiError::Invalid(vec![e]))?;
    let generated = body.password.is_none().then(generate_password);
    let password = body.password.as_deref().or(generated.as_deref());
    let created = users::create(
        &state.db,
        &user.actor(),
        PersonId(body.person_id),
        &chosen,
        password,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUserDto {
            user: UserDto::from(&created),
            generated_password: generated,
        }),
    ))
}

/// One user.
#[utoipa::path(
    get,
    path = "/users/{id}",
    tag = "users",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The user", body = UserDto),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "The caller may not manage users", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 500, description = "Internal error (logged with the request id)", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<UserDto>, ApiError> {
    user.require(Permission::UsersManage)?;
    let found = users::get(&state.db, UserId(id)).await?;
    Ok(Json(UserDto::from(&found)))
}

/// Changes roles, enables or disables, sets the language: all of it, or nothing.
#[utoipa::path(
    patch,
    path = "/users/{id}",
    tag = "users",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The user's id")),
    request_body = PatchUserBody,
    responses(
        (status = 200, description = "The user as changed", body = UserDto),
        (status = 400, description = "The id is not a number or the body is not the JSON described", body = ErrorBody),
        (status = 401, description = "No valid token or session", body = ErrorBody),
        (status = 403, description = "The caller may not manage users, or a session sent no CSRF token", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "The last enabled admin cannot be disabled; nothing was written", body = ErrorBody),
        (status = 422, description = "Field errors (`roles`, `locale`), among them removing the last admin's admin role; nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error (logged with the request id)", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PatchUserBody>,
) -> Result<Json<UserDto>, ApiError> {
    user.require(Permission::UsersManage)?;
    let mut errors = FieldErrors::default();
    let roles = body
        .roles
        .as_ref()
        .and_then(|names| errors.take(roles::parse(names.iter().map(String::as_str))));
    let locale = body.locale.as_deref().and_then(|code| {
        errors.take(Locale::from_code(code).ok_or_else(|| {
            FieldError::new(
                "locale",
                "invalid_locale",
                format!("{code:?}: expected ru or en"),
            )
        }))
    });
    errors.into_result()?;
    let changes = UserChanges {
        roles,
        disabled: body.disabled,
        locale,
    };
    let changed = users::update(&state.db, &user.actor(), UserId(id), &changes).await?;
    Ok(Json(UserDto::from(&changed)))
}
