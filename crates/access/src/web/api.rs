//! `/api/v1/access/…`: resources, grants, servers, VPN devices and offboarding for scripts
//! and other systems. Same rules as the pages; errors are the API's usual error body.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shtab_core::FieldError;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ApiErrors, ErrorBody};
use shtab_web::extract::{ApiJson, ApiJsonOrNone, ApiPath, ApiQuery};

use super::dto::*;
use crate::offboarding;
use crate::store::grants::RawGrant;
use crate::store::resources::RawResource;
use crate::store::servers::RawServer;
use crate::store::{desired, devices, grants, resources, servers};

fn parse_instant(field: &str, s: &str) -> Result<i64, FieldError> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            FieldError::new(
                field,
                "invalid_date",
                "an RFC 3339 instant, such as 2026-12-31T23:59:00+03:00",
            )
        })
}

/// List resources.
#[utoipa::path(get, path = "/access/resources", tag = "access", security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = ResourceList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_resources(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ResourceList>, ApiError> {
    user.require(Permission::AccessRead)?;
    let items = resources::list(&state.db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(ResourceList { items }))
}

/// Add a resource: a chat or mailbox (through a connector), the VPN, or a server or group.
#[utoipa::path(post, path = "/access/resources", tag = "access", request_body = NewResource, security(("bearer" = [])),
    responses(ApiErrors, (status = 201, body = ResourceBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_resource(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(new): ApiJson<NewResource>,
) -> Result<(StatusCode, Json<ResourceBody>), ApiError> {
    user.require(Permission::AccessManage)?;
    let raw = RawResource {
        name: new.name,
        kind: new.kind,
        connector: new.connector,
        settings: if new.settings.is_null() {
            "{}".into()
        } else {
            new.settings.to_string()
        },
        secret: new.secret,
    };
    let r = resources::create(
        &state.db,
        &user.actor(),
        &raw,
        user.can(Permission::SettingsManage),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

/// List grants, newest first.
#[utoipa::path(get, path = "/access/grants", tag = "access", params(GrantParams), security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = GrantList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_grants(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(params): ApiQuery<GrantParams>,
) -> Result<Json<GrantList>, ApiError> {
    user.require(Permission::AccessRead)?;
    let list = match params.person_id {
        Some(p) => grants::for_person(&state.db, p).await?,
        None => grants::list(&state.db).await?,
    };
    Ok(Json(GrantList {
        items: list.into_iter().map(Into::into).collect(),
    }))
}

/// Grant a resource to a person. Chat and mailbox grants are carried out by a queued job;
/// server and VPN grants by the agents, and are `applied` once they report it.
#[utoipa::path(post, path = "/access/grants", tag = "access", request_body = NewGrant, security(("bearer" = [])),
    responses(ApiErrors, (status = 201, body = GrantBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "Invalid fields (a login that is not a unix name, …); nothing was written", body = ErrorBody)))]
pub async fn create_grant(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(new): ApiJson<NewGrant>,
) -> Result<(StatusCode, Json<GrantBody>), ApiError> {
    user.require(Permission::AccessManage)?;
    let expires_at = match new.expires_at.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => Some(parse_instant("expires_at", s).map_err(|e| ApiError::Invalid(vec![e]))?),
        None => None,
    };
    let raw = RawGrant {
        person_id: new.person_id,
        resource_id: new.resource_id,
        login: new.login,
        sudo: new.sudo,
        shell: new.shell,
        groups: new.groups.join(","),
        expires_at,
        reason: new.reason,
    };
    let g = grants::create(
        &state.db,
        &user.actor(),
        &raw,
        &state.config.access.refused_logins(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(g.into())))
}

/// Revoke a grant.
#[utoipa::path(post, path = "/access/grants/{id}/revoke", tag = "access", params(("id" = i64, Path)), security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = GrantBody), (status = 404, body = ErrorBody), (status = 409, description = "Already revoked", body = ErrorBody)))]
pub async fn revoke_grant(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<GrantBody>, ApiError> {
    user.require(Permission::AccessManage)?;
    Ok(Json(
        grants::revoke(&state.db, &user.actor(), id, "revoked")
            .await?
            .into(),
    ))
}

/// Try a failed chat or mailbox grant again now.
#[utoipa::path(post, path = "/access/grants/{id}/retry", tag = "access", params(("id" = i64, Path)), security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = GrantBody), (status = 404, body = ErrorBody), (status = 409, description = "Not a failed connector grant", body = ErrorBody)))]
pub async fn retry_grant(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<GrantBody>, ApiError> {
    user.require(Permission::AccessManage)?;
    Ok(Json(
        grants::retry(&state.db, &user.actor(), id).await?.into(),
    ))
}

/// The first password a connector made for the person (a new mailbox's), once: it is erased
/// as it is handed out, and a second call answers 404.
#[utoipa::path(post, path = "/access/grants/{id}/first-secret", tag = "access", params(("id" = i64, Path)), security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = FirstSecretBody),
        (status = 404, description = "No such grant, or no first password waiting (never made, or already shown)", body = ErrorBody)))]
pub async fn first_secret(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<FirstSecretBody>, ApiError> {
    user.require(Permission::AccessManage)?;
    let secret = grants::take_first_secret(&state.db, &user.actor(), id)
        .await?
        .ok_or(shtab_core::CoreError::NotFound("first password"))?;
    Ok(Json(FirstSecretBody { secret }))
}

async fn server_body(state: &AppState, s: servers::Server) -> Result<ServerBody, ApiError> {
    let numbered = desired::numbered(&state.db, &s).await?;
    Ok(ServerBody::new(s, &numbered))
}

/// List servers with their agents' state.
#[utoipa::path(get, path = "/access/servers", tag = "access", security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = ServerList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_servers(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ServerList>, ApiError> {
    user.require(Permission::AccessRead)?;
    let facts = desired::Facts::load(&state.db).await?;
    let mut items = Vec::new();
    for s in servers::list(&state.db).await? {
        let numbered = desired::number(&state.db, &s, facts.state_of(&s)).await?;
        items.push(ServerBody::new(s, &numbered));
    }
    Ok(Json(ServerList { items }))
}

/// Add a server. The answer carries its agent token, which is not kept and not shown again.
#[utoipa::path(post, path = "/access/servers", tag = "access", request_body = NewServer, security(("bearer" = [])),
    responses(ApiErrors, (status = 201, body = ServerWithToken), (status = 422, body = ErrorBody)))]
pub async fn create_server(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(new): ApiJson<NewServer>,
) -> Result<(StatusCode, Json<ServerWithToken>), ApiError> {
    user.require(Permission::AccessManage)?;
    let raw = RawServer {
        name: new.name,
        address: new.address,
        groups: new.groups.join(","),
    };
    let (s, token) = servers::create(&state.db, &user.actor(), &raw).await?;
    let server = server_body(&state, s).await?;
    Ok((StatusCode::CREATED, Json(ServerWithToken { server, token })))
}

/// One server: last seen, applied and desired revision, drift.
#[utoipa::path(get, path = "/access/servers/{id}", tag = "access", params(("id" = i64, Path)), security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = ServerBody), (status = 404, body = ErrorBody)))]
pub async fn get_server(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ServerBody>, ApiError> {
    user.require(Permission::AccessRead)?;
    let s = servers::get(&state.db, id).await?;
    Ok(Json(server_body(&state, s).await?))
}

/// Change a server's name, address or groups.
#[utoipa::path(patch, path = "/access/servers/{id}", tag = "access", params(("id" = i64, Path)),
    request_body = NewServer, security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = ServerBody)))]
pub async fn update_server(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<NewServer>,
) -> Result<Json<ServerBody>, ApiError> {
    user.require(Permission::AccessManage)?;
    let raw = RawServer {
        name: new.name,
        address: new.address,
        groups: new.groups.join(","),
    };
    let s = servers::update(&state.db, &user.actor(), id, &raw).await?;
    desired::sync_agent_grants(&state.db).await?;
    Ok(Json(server_body(&state, s).await?))
}

/// A new agent token for the server; the old one stops working at once.
#[utoipa::path(post, path = "/access/servers/{id}/token", tag = "access", params(("id" = i64, Path)), security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = TokenBody), (status = 404, body = ErrorBody)))]
pub async fn rotate_token(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TokenBody>, ApiError> {
    user.require(Permission::AccessManage)?;
    let token = servers::set_token(&state.db, &user.actor(), id, true)
        .await?
        .unwrap_or_default();
    Ok(Json(TokenBody { token }))
}

/// Revoke the server's agent token: its agent gets 401 until a new token is made.
#[utoipa::path(delete, path = "/access/servers/{id}/token", tag = "access", params(("id" = i64, Path)), security(("bearer" = [])),
    responses(ApiErrors, (status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    user.require(Permission::AccessManage)?;
    servers::set_token(&state.db, &user.actor(), id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A person's VPN devices.
#[utoipa::path(get, path = "/access/people/{id}/devices", tag = "access", params(("id" = i64, Path)), security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = DeviceList)))]
pub async fn list_devices(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DeviceList>, ApiError> {
    user.require(Permission::AccessRead)?;
    let items = devices::for_person(&state.db, id)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(DeviceList { items }))
}

/// Add a VPN device: an address from the subnet, fresh keys, and the client configuration,
/// returned this once (the private key is not kept).
#[utoipa::path(post, path = "/access/devices", tag = "access", request_body = NewDeviceBody, security(("bearer" = [])),
    responses(ApiErrors, (status = 201, body = CreatedDevice), (status = 422, description = "No free address, not a VPN grant…", body = ErrorBody)))]
pub async fn create_device(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(new): ApiJson<NewDeviceBody>,
) -> Result<(StatusCode, Json<CreatedDevice>), ApiError> {
    user.require(Permission::AccessManage)?;
    let created = devices::create(&state.db, &user.actor(), new.grant_id, &new.name).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Revoke a VPN device: the gateway drops its peer at its agent's next run.
#[utoipa::path(post, path = "/access/devices/{id}/revoke", tag = "access", params(("id" = i64, Path)), security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = DeviceBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_device(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DeviceBody>, ApiError> {
    user.require(Permission::AccessManage)?;
    Ok(Json(
        devices::revoke(&state.db, &user.actor(), id).await?.into(),
    ))
}

/// Offboard a person: revoke every grant and mark them left; each step with its outcome.
#[utoipa::path(post, path = "/access/people/{id}/offboard", tag = "access", params(("id" = i64, Path)),
    request_body(content = Option<OffboardBody>, description = "Optional; without `left_on` (or without a body) the person left today"), security(("bearer" = [])),
    responses(ApiErrors, (status = 200, body = OffboardResult), (status = 404, body = ErrorBody)))]
pub async fn offboard(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJsonOrNone(body): ApiJsonOrNone<OffboardBody>,
) -> Result<Json<OffboardResult>, ApiError> {
    user.require(Permission::AccessManage)?;
    // No body means "left today".
    let body = body.unwrap_or_default();
    let left_on = match body.left_on.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => shtab_core::people::parse_date("left_on", s.trim())
            .map_err(|e| ApiError::Invalid(vec![e]))?,
        None => chrono::Utc::now()
            .with_timezone(&state.config.time_zone())
            .date_naive(),
    };
    let steps = offboarding::offboard(&state.db, &user.actor(), id, left_on).await?;
    Ok(Json(OffboardResult { steps }))
}
