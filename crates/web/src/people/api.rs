//! `/api/v1/people`: the directory for scripts and other systems. Same rules as the pages
//! (the core enforces them); answers are JSON, errors the API's usual error body.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::ids::PersonId;
use shtab_core::people::{self, ListFilter, Person, PersonStatus, RawPersonInput, RowError};

use super::deactivate::today;
use super::dto::{
    Deactivation, ImportErrorBody, ImportResult, ListParams, NewPerson, PersonBody, PersonList,
    PersonPatch, StatusFilter,
};
use super::ssh_keys;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiJsonOrNone, ApiPath, ApiQuery};
use crate::state::AppState;

/// The person as the API shows them, with who they are on the portal.
async fn person_body(state: &AppState, person: Person) -> Result<PersonBody, ApiError> {
    let id = person.id;
    let portal = state.portal_profiles.profiles(&[id]).await?.remove(&id);
    let mut body = PersonBody::from(person);
    body.portal = portal.map(Into::into);
    Ok(body)
}

/// List people, filtered and paged.
#[utoipa::path(
    get,
    path = "/people",
    tag = "people",
    params(ListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of people, ordered by name", body = PersonList),
        (status = 400, description = "A query parameter is malformed", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read the directory", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_people(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<PersonList>, ApiError> {
    user.require(Permission::PeopleRead)?;
    let filter = ListFilter {
        q: params.q,
        status: match params.status.unwrap_or_default() {
            StatusFilter::Active => Some(PersonStatus::Active),
            StatusFilter::Left => Some(PersonStatus::Left),
            StatusFilter::All => None,
        },
        offset: crate::paging::offset("offset", params.offset)?,
        limit: crate::paging::limit("limit", params.limit, 50, 500)?,
    };
    Ok(Json(people::list(&state.db, &filter).await?.into()))
}

/// Add a person.
#[utoipa::path(
    post,
    path = "/people",
    tag = "people",
    request_body = NewPerson,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = PersonBody),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not change the directory, or gives SSH keys without `access_manage`", body = ErrorBody),
        (status = 422, description = "Invalid fields (a taken e-mail, a bad SSH key…); nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn create_person(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewPerson>,
) -> Result<(StatusCode, Json<PersonBody>), ApiError> {
    user.require(Permission::PeopleWrite)?;
    let input = RawPersonInput::from(body).parse()?;
    let keys = ssh_keys::check(&user, None, &[], &input)
        .map_err(|_| ApiError::Refused(ssh_keys::REFUSAL))?;
    let person = people::create(&state.db, &user.actor(), &input).await?;
    ssh_keys::after_save(&state, &user, &person, &keys).await;
    Ok((
        StatusCode::CREATED,
        Json(person_body(&state, person).await?),
    ))
}

/// One person, with e-mails, forge logins, SSH keys and who they are on the Bitrix24 portal.
#[utoipa::path(
    get,
    path = "/people/{id}",
    tag = "people",
    params(("id" = i64, Path, description = "The person's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The person", body = PersonBody),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not read the directory", body = ErrorBody),
        (status = 404, description = "No such person", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn get_person(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PersonBody>, ApiError> {
    user.require(Permission::PeopleRead)?;
    let person = people::get(&state.db, PersonId(id)).await?;
    Ok(Json(person_body(&state, person).await?))
}

/// Change some of a person's fields; the others keep their value. SSH keys are access:
/// changing them needs `access_manage`, or is people changing their own keys from their own
/// session; added keys of someone with SSH grants are announced to the access managers.
#[utoipa::path(
    patch,
    path = "/people/{id}",
    tag = "people",
    params(("id" = i64, Path, description = "The person's id")),
    request_body = PersonPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The person as saved", body = PersonBody),
        (status = 400, description = "The id is not a number, or the body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not change the directory, or changes SSH keys without `access_manage` (people may change their own from their own session)", body = ErrorBody),
        (status = 404, description = "No such person", body = ErrorBody),
        (status = 422, description = "Invalid fields; nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn update_person(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<PersonPatch>,
) -> Result<Json<PersonBody>, ApiError> {
    user.require(Permission::PeopleWrite)?;
    let id = PersonId(id);
    let current = people::get(&state.db, id).await?;
    let input = patch.apply(current.to_raw()).parse()?;
    let keys = ssh_keys::check(&user, Some(id), &current.ssh_keys, &input)
        .map_err(|_| ApiError::Refused(ssh_keys::REFUSAL))?;
    let person = people::update(&state.db, &user.actor(), id, &input).await?;
    ssh_keys::after_save(&state, &user, &person, &keys).await;
    Ok(Json(person_body(&state, person).await?))
}

/// Mark a person as having left. Their login stops working at once: sessions end and
/// API tokens are revoked.
#[utoipa::path(
    post,
    path = "/people/{id}/deactivate",
    tag = "people",
    params(("id" = i64, Path, description = "The person's id")),
    request_body(
        content = Option<Deactivation>,
        description = "Optional; without `left_on` (or without a body) the person left today, in the hub's time zone"
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The person, now with status `left`", body = PersonBody),
        (status = 400, description = "The id is not a number, or the body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not change the directory", body = ErrorBody),
        (status = 404, description = "No such person", body = ErrorBody),
        (status = 409, description = "The person has already left", body = ErrorBody),
        (status = 422, description = "`left_on` is not a date", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn deactivate_person(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJsonOrNone(body): ApiJsonOrNone<Deactivation>,
) -> Result<Json<PersonBody>, ApiError> {
    user.require(Permission::PeopleWrite)?;
    let body = body.unwrap_or_default();
    let left_on = match body.left_on.as_deref().map(str::trim) {
        None | Some("") => today(&state),
        Some(s) => people::parse_date("left_on", s).map_err(CoreError::from)?,
    };
    let person = people::deactivate(&state.db, &user.actor(), PersonId(id), left_on).await?;
    Ok(Json(person_body(&state, person).await?))
}

/// Add people from a CSV file (UTF-8 or Windows-1251, `,` or `;`, a header row). All or
/// nothing: with any bad row nothing is written and every bad row is listed.
#[utoipa::path(
    post,
    path = "/people/import",
    tag = "people",
    request_body(
        content = String,
        content_type = "text/csv",
        description = "Columns by header: full_name (ФИО), emails (почта), phone, telegram, position, \
                       manager_email (руководитель), github, gitlab, gitea, started_on, ssh_keys (one per line; needs `access_manage`)"
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Imported", body = ImportResult),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not change the directory", body = ErrorBody),
        (status = 422, description = "The file cannot be read, or rows have errors (listed in `rows`); nothing was written", body = ImportErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn import_people(
    State(state): State<AppState>,
    user: CurrentUser,
    body: Bytes,
) -> Result<Json<ImportResult>, ImportRefused> {
    user.require(Permission::PeopleWrite)
        .map_err(ApiError::from)?;
    let report = people::import_csv(&state.db, &user.actor(), &body, ssh_keys::in_import(&user))
        .await
        .map_err(ApiError::from)?;
    if report.errors.is_empty() {
        Ok(Json(report.into()))
    } else {
        Err(ImportRefused::Rows(report.errors))
    }
}

/// Why an import wrote nothing: the usual API errors, or bad rows, listed one by one.
pub enum ImportRefused {
    Api(ApiError),
    Rows(Vec<RowError>),
}

impl From<ApiError> for ImportRefused {
    fn from(e: ApiError) -> Self {
        ImportRefused::Api(e)
    }
}

impl IntoResponse for ImportRefused {
    fn into_response(self) -> Response {
        match self {
            ImportRefused::Api(e) => e.into_response(),
            ImportRefused::Rows(rows) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(ImportErrorBody::rows(rows)),
            )
                .into_response(),
        }
    }
}
