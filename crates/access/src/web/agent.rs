//! `/agent/v1/…`: what the agents on the servers call, with the server's token as a bearer
//! token. A wrong or revoked token gets 401 and nothing is recorded. These routes sit
//! outside the web shell's authentication (the token is a server's, not a user's).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shtab_access_protocol::{Register, Registered, Report};
use shtab_web::AppState;
use shtab_web::error::ErrorBody;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::store::desired;
use crate::store::servers::{self, Server};

/// Name of the server-token security scheme in the OpenAPI document.
pub const SERVER_TOKEN: &str = "server_token";

/// The agents' routes, described in the OpenAPI document; the application serves them
/// outside the users' authentication.
pub fn routes() -> OpenApiRouter<AppState> {
    let mut router = OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(state_of))
        .routes(routes!(report));
    router
        .get_openapi_mut()
        .components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            SERVER_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The server's agent token, shown once when the server is added or its token rotated",
                    ))
                    .build(),
            ),
        );
    router
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        Json(serde_json::json!({"error": {"code": "unauthorized", "message": "wrong or revoked server token"}})),
    )
        .into_response()
}

fn failure(e: shtab_core::CoreError) -> Response {
    tracing::error!(error = %e, "agent API failed");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({"error": {"code": "unavailable", "message": "try again later"}})),
    )
        .into_response()
}

async fn server(state: &AppState, headers: &HeaderMap) -> Result<Server, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(unauthorized)?;
    match servers::by_token(&state.db, token).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(unauthorized()),
        Err(e) => Err(failure(e)),
    }
}

/// The agent says hello: its hostname and version, shown on the server's page.
#[utoipa::path(
    post,
    path = "/agent/v1/register",
    tag = "agents",
    security(("server_token" = [])),
    request_body(content = Object, description = "`Register` of crate access-protocol: `{\"hostname\", \"agent_version\"}`"),
    responses(
        (status = 200, description = "The server's name in the hub (`Registered`)", body = Object),
        (status = 400, description = "Not a register message, or a value too long", body = ErrorBody),
        (status = 401, description = "No server token, or a wrong or revoked one; nothing was recorded", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again later", body = ErrorBody),
    )
)]
async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let server = match server(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(hello) = serde_json::from_slice::<Register>(&body) else {
        return bad_request("the body is not a register message");
    };
    if hello.hostname.len() > 255 || hello.agent_version.len() > 64 {
        return bad_request("the hostname or the agent version is too long");
    }
    if let Err(e) =
        servers::record_register(&state.db, server.id, &hello.hostname, &hello.agent_version).await
    {
        return failure(e);
    }
    Json(Registered {
        server: server.name,
    })
    .into_response()
}

/// The server's desired state: accounts, keys, sudo, WireGuard peers, and its revision.
#[utoipa::path(
    get,
    path = "/agent/v1/state",
    tag = "agents",
    security(("server_token" = [])),
    params(("If-None-Match" = Option<String>, Header, description = "The `ETag` of the state the agent has")),
    responses(
        (status = 200, description = "`DesiredState` of crate access-protocol, with its revision as the `ETag`", body = Object),
        (status = 304, description = "The state has not changed since the `ETag` given"),
        (status = 401, description = "No server token, or a wrong or revoked one; nothing was recorded", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again later", body = ErrorBody),
    )
)]
async fn state_of(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let server = match server(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(e) = servers::record_seen(&state.db, server.id).await {
        return failure(e);
    }
    let desired = match desired::numbered(&state.db, &server).await {
        Ok(numbered) => numbered.state,
        Err(e) => return failure(e),
    };
    let etag = format!("\"{}\"", desired.revision);
    let etag_value = HeaderValue::from_str(&etag).expect("a number is a valid header");
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    if unchanged {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response();
    }
    ([(header::ETAG, etag_value)], Json(desired)).into_response()
}

/// What the agent applied, the drift it found and its errors, for a revision.
#[utoipa::path(
    post,
    path = "/agent/v1/report",
    tag = "agents",
    security(("server_token" = [])),
    request_body(content = Object, description = "`Report` of crate access-protocol: revision, applied changes, drift, errors"),
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, description = "Not a report, or one over the limits (items, line length)", body = ErrorBody),
        (status = 401, description = "No server token, or a wrong or revoked one; nothing was recorded", body = ErrorBody),
        (status = 503, description = "The database is unavailable; try again later", body = ErrorBody),
    )
)]
async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let server = match server(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(report) = serde_json::from_slice::<Report>(&body) else {
        return bad_request("the body is not a report");
    };
    if let Err(why) = within_limits(&report) {
        return bad_request(why);
    }
    if let Err(e) = servers::record_report(&state.db, server.id, &report).await {
        return failure(e);
    }
    if let Err(e) = desired::sync_agent_grants(&state.db).await {
        return failure(e);
    }
    StatusCode::NO_CONTENT.into_response()
}

/// A report is stored as sent and shown on the server's page: an agent (or whoever holds
/// its token) must not be able to fill the database with it.
fn within_limits(report: &Report) -> Result<(), &'static str> {
    const MAX_ITEMS: usize = 10_000;
    const MAX_TEXT: usize = 4096;
    let texts = report
        .applied
        .iter()
        .flat_map(|c| [&c.target, &c.action, &c.detail])
        .chain(report.drift.iter())
        .chain(report.errors.iter());
    if report.revision.len() > 128 {
        Err("the revision is too long")
    } else if report.applied.len() + report.drift.len() + report.errors.len() > MAX_ITEMS {
        Err("the report lists too many items")
    } else if texts.into_iter().any(|t| t.len() > MAX_TEXT) {
        Err("a line of the report is too long")
    } else {
        Ok(())
    }
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({"error": {"code": "bad_request", "message": message}})),
    )
        .into_response()
}
