//! The fake's HTTP side: routing by path as the portal does (`/rest/{user}/{code}/{method}`
//! for a webhook, `/rest/{method}` with `auth` in the body for an application,
//! `/oauth/authorize/` and `/oauth/token/` for a local application's authorisation and
//! refreshes), then, in order: the rename redirect, auth, the leaky
//! bucket, queued faults, and the method.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::methods::{Outcome, Refusal, Success, dispatch, refuse};
use super::state::{Fault, Recorded, State, WEBHOOK_CODE, WEBHOOK_USER};
use crate::client::params::Ordered;

pub type Shared = Arc<Mutex<State>>;

fn unix_now() -> f64 {
    crate::client::unix_now()
}

/// The `time` object every answer carries.
fn time_json(state: &State, method: &str) -> Value {
    let now = unix_now();
    let (operating, reset_in) = state
        .operating
        .iter()
        .find(|(m, _, _)| m == method)
        .map_or((0.0, 600.0), |(_, o, r)| (*o, *r));
    json!({"start": now, "finish": now + 0.01, "duration": 0.01, "processing": 0.0,
           "date_start": "2026-05-14T10:26:32+03:00", "date_finish": "2026-05-14T10:26:32+03:00",
           "operating_reset_at": (now + reset_in).floor(), "operating": operating})
}

fn json_response(status: u16, body: &Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

pub async fn handle(
    AxumState(shared): AxumState<Shared>,
    method: Method,
    uri: Uri,
    _headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let query = uri.query().map(str::to_owned);
    if method == Method::GET && (path == "/oauth/authorize/" || path == "/oauth/authorize") {
        return super::oauth::authorize(&shared, query.as_deref());
    }
    if method == Method::GET
        && let Some(html) = super::app::page(&shared.lock().expect("fake state"), &path)
    {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response();
    }
    if method != Method::POST {
        return json_response(
            405,
            &json!({"error": "INVALID_REQUEST", "error_description": "POST only"}),
        );
    }
    if path == "/oauth/token/" || path == "/oauth/token" {
        let delay = shared.lock().expect("fake state").token_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        return super::oauth::token(&shared, &body, query);
    }
    let Some(rest) = path.strip_prefix("/rest/") else {
        return (
            StatusCode::NOT_FOUND,
            "<html><body>404 Not Found</body></html>",
        )
            .into_response();
    };
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let (webhook, method_part) = match segments.as_slice() {
        [user, code, m] => (Some((user.to_string(), code.to_string())), m.to_string()),
        [m] => (None, m.to_string()),
        _ => {
            return json_response(
                404,
                &json!({"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}),
            );
        }
    };
    let rest_method = method_part.trim_end_matches(".json").to_owned();
    let params: Ordered = if body.is_empty() {
        Ordered::Object(Vec::new())
    } else {
        match serde_json::from_slice(&body) {
            Ok(p) => p,
            Err(_) => {
                return json_response(
                    400,
                    &json!({"error": "INVALID_REQUEST", "error_description": "the body is not JSON"}),
                );
            }
        }
    };
    let mut state = shared.lock().expect("fake state");
    state.requests.push(Recorded {
        method: rest_method.clone(),
        params: params.clone(),
        query,
        in_batch: None,
    });
    if state.down {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><head><title>503 Service Unavailable</title></head><body>nginx</body></html>",
        )
            .into_response();
    }
    if let Some(new_origin) = &state.renamed_to {
        return (
            StatusCode::FOUND,
            [(header::LOCATION, format!("{new_origin}{path}"))],
            "",
        )
            .into_response();
    }
    // Who is calling.
    let params = match webhook {
        Some((user, code)) => {
            if user != WEBHOOK_USER.to_string() || code != WEBHOOK_CODE {
                return json_response(
                    401,
                    &json!({"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"}),
                );
            }
            state.app_side.caller = None;
            state.app_side.foreign_caller = None;
            params
        }
        None => {
            let token = params.get("auth").map(Ordered::to_value);
            let given = token.as_ref().and_then(Value::as_str).unwrap_or("");
            // A user's own token (a placement's AUTH_ID) calls as that user; another
            // application's token as that application.
            let mut foreign = None;
            let viewer = match super::app::viewer_token(&state, given) {
                Some(super::app::ViewerToken::Expired) => {
                    return json_response(
                        401,
                        &json!({"error": "expired_token", "error_description": "The access token provided has expired."}),
                    );
                }
                Some(super::app::ViewerToken::Live(user)) => Some(user),
                Some(super::app::ViewerToken::Foreign(code)) => {
                    foreign = Some(code);
                    None
                }
                None => None,
            };
            let Some(app) = state.app.as_ref() else {
                return json_response(
                    401,
                    &json!({"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"}),
                );
            };
            if viewer.is_none() && foreign.is_none() {
                if app.expired.contains(given) {
                    return json_response(
                        401,
                        &json!({"error": "expired_token", "error_description": "The access token provided has expired."}),
                    );
                }
                if given != app.access_token {
                    return json_response(
                        401,
                        &json!({"error": "invalid_token", "error_description": "The access token provided is invalid."}),
                    );
                }
            }
            state.app_side.caller = viewer;
            state.app_side.foreign_caller = foreign;
            // The method sees its parameters without `auth`.
            match params {
                Ordered::Object(entries) => {
                    Ordered::Object(entries.into_iter().filter(|(k, _)| k != "auth").collect())
                }
                other => other,
            }
        }
    };
    if let Some(bucket) = state.bucket.as_mut()
        && !bucket.admit(Instant::now())
    {
        state.limited += 1;
        return json_response(
            503,
            &json!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}),
        );
    }
    if let Some(fault) = state.take_fault(&rest_method) {
        return fault_response(&state, &rest_method, fault);
    }
    let outcome = if rest_method == "batch" {
        super::batch::run(&mut state, &params)
    } else {
        dispatch(&mut state, &rest_method, &params)
    };
    answer(&state, &rest_method, outcome)
}

fn answer(state: &State, method: &str, outcome: Outcome) -> Response {
    match outcome {
        Ok(Success {
            result,
            total,
            next,
        }) => {
            let mut body = json!({"result": result, "time": time_json(state, method)});
            if let Some(total) = total {
                body["total"] = json!(total);
            }
            if let Some(next) = next {
                body["next"] = json!(next);
            }
            json_response(200, &body)
        }
        Err(Refusal { status, body }) => json_response(status, &body),
    }
}

fn fault_response(state: &State, method: &str, fault: Fault) -> Response {
    match fault {
        Fault::QueryLimit => json_response(
            503,
            &json!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}),
        ),
        Fault::OperationTimeLimit { reset_in } => {
            let mut time = time_json(state, method);
            time["operating_reset_at"] = json!((unix_now() + reset_in.as_secs_f64()).ceil());
            time["operating"] = json!(481.2);
            json_response(
                429,
                &json!({"error": "OPERATION_TIME_LIMIT", "error_description": "Method is blocked due to operation time limit.", "time": time}),
            )
        }
        Fault::Html(status) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            [(header::CONTENT_TYPE, "text/html")],
            "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        )
            .into_response(),
        Fault::Error {
            status,
            code,
            description,
        } => {
            let Refusal { status, body } = refuse(status, code, &description);
            json_response(status, &body)
        }
    }
}
