//! `/agent/v1/…`: what the agents on the servers call, with the server's token as a bearer
//! token. A wrong or revoked token gets 401 and nothing is recorded. These routes sit
//! outside the web shell's authentication (the token is a server's, not a user's).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use shtab_access_protocol::{API_PREFIX, Register, Registered, Report};
use shtab_web::AppState;

use crate::store::desired;
use crate::store::servers::{self, Server};

/// The agents' routes, with the state applied: merged into the application after its
/// authentication layer.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route(&format!("{API_PREFIX}/register"), post(register))
        .route(&format!("{API_PREFIX}/state"), get(state_of))
        .route(&format!("{API_PREFIX}/report"), post(report))
        .with_state(state)
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
