//! The portal's authorisation page (`/oauth/authorize/`) and the OAuth server
//! (`oauth.bitrix.info/oauth/token/`), as `bitrix24-rest.md` §1 and the docs'
//! `settings/oauth/index.md` describe them.
//!
//! - The authorisation page sends the administrator back to the application's handler with
//!   `code`, `state`, `domain`, `member_id`, `scope` and `server_domain`.
//! - The OAuth server is one for every portal, as the real one is: a code issued by any fake
//!   of this process can be exchanged at any fake's token address, and the answer names the
//!   portal that issued it (`client_endpoint`, `member_id`). A code works once, for 30 s.
//! - A refresh rotates both tokens; the old access token then answers `expired_token`, and a
//!   used refresh token is dead.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::server::Shared;
use super::state::{RecordedRefresh, State};

/// How long a code lives (the docs: 30 seconds).
const CODE_LIFETIME: Duration = Duration::from_secs(30);

/// A code the authorisation page handed out, and the portal it is for.
struct IssuedCode {
    portal: Shared,
    client_id: String,
    at: Instant,
}

/// The codes of every fake portal in the process: the OAuth server is shared by all portals.
fn issued() -> &'static Mutex<HashMap<String, IssuedCode>> {
    static CODES: OnceLock<Mutex<HashMap<String, IssuedCode>>> = OnceLock::new();
    CODES.get_or_init(Default::default)
}

/// `GET /oauth/authorize/?client_id=…&state=…`: the administrator is logged in and agrees at
/// once; an application the portal does not have is an error page, as on the portal.
pub fn authorize(shared: &Shared, query: Option<&str>) -> Response {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let mut state = shared.lock().expect("fake state");
    state.authorizations.push(query.unwrap_or("").to_owned());
    let client_id = get("client_id").unwrap_or_default();
    let Some(app) = state.app.as_ref().filter(|a| a.client_id == client_id) else {
        return page(400, "Приложение не найдено");
    };
    let Some(handler) = app.handler_url.clone() else {
        return page(400, "У приложения не указан адрес обработчика");
    };
    let n = state.id();
    let code = format!("code-{}-{n}", state.member_id);
    issued().lock().expect("fake codes").insert(
        code.clone(),
        IssuedCode {
            portal: shared.clone(),
            client_id,
            at: Instant::now(),
        },
    );
    let mut target = match reqwest::Url::parse(&handler) {
        Ok(u) => u,
        Err(_) => return page(400, "Неверный адрес обработчика"),
    };
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &get("state").unwrap_or_default())
        .append_pair("domain", &state.domain())
        .append_pair("member_id", &state.member_id)
        .append_pair("scope", &state.scopes.join(","))
        .append_pair("server_domain", "oauth.bitrix.info");
    (
        axum::http::StatusCode::FOUND,
        [(axum::http::header::LOCATION, target.to_string())],
    )
        .into_response()
}

/// `POST /oauth/token/`: `authorization_code` or `refresh_token`, from a form body.
pub fn token(shared: &Shared, body: &[u8], query: Option<String>) -> Response {
    let form_text = String::from_utf8_lossy(body).into_owned();
    shared
        .lock()
        .expect("fake state")
        .token_requests
        .push(RecordedRefresh {
            form: form_text.clone(),
            query,
        });
    let form: Vec<(String, String)> = serde_urlencoded::from_str(&form_text).unwrap_or_default();
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    match get("grant_type").as_str() {
        "refresh_token" => {
            let mut state = shared.lock().expect("fake state");
            refresh(&mut state, &get)
        }
        "authorization_code" => {
            let code = get("code");
            let Some(issued) = issued().lock().expect("fake codes").remove(&code) else {
                return invalid_grant();
            };
            if issued.at.elapsed() > CODE_LIFETIME || issued.client_id != get("client_id") {
                return invalid_grant();
            }
            // The issuing portal's state: this fake's own, or another's (its lock is not
            // held here, so either is fine).
            let mut state = issued.portal.lock().expect("fake state");
            first_pair(&mut state, &get)
        }
        _ => reply(
            400,
            json!({"error": "invalid_request", "error_description": "grant_type"}),
        ),
    }
}

fn first_pair(state: &mut State, get: &dyn Fn(&str) -> String) -> Response {
    if !client_matches(state, get) {
        return invalid_client();
    }
    rotate(state)
}

fn refresh(state: &mut State, get: &dyn Fn(&str) -> String) -> Response {
    if !client_matches(state, get) {
        return invalid_client();
    }
    let current = state.app.as_ref().map(|a| a.refresh_token.clone());
    if current.as_deref() != Some(get("refresh_token").as_str()) {
        return invalid_grant();
    }
    rotate(state)
}

fn client_matches(state: &State, get: &dyn Fn(&str) -> String) -> bool {
    state.app.as_ref().is_some_and(|app| {
        get("client_id") == app.client_id && get("client_secret") == app.client_secret
    })
}

fn invalid_client() -> Response {
    reply(
        401,
        json!({"error": "invalid_client", "error_description": "Invalid client credentials"}),
    )
}

/// Issues the next pair; the previous access token now answers `expired_token`.
fn rotate(state: &mut State) -> Response {
    let scope = state.scopes.join(",");
    let endpoint = format!("{}/rest/", state.origin);
    let member_id = state.member_id.clone();
    let Some(app) = state.app.as_mut() else {
        return invalid_grant();
    };
    app.serial += 1;
    let old = std::mem::replace(&mut app.access_token, format!("access-{}", app.serial));
    app.expired.insert(old);
    app.refresh_token = format!("refresh-{}", app.serial);
    let now = chrono::Utc::now().timestamp();
    reply(
        200,
        json!({
            "access_token": app.access_token, "refresh_token": app.refresh_token,
            "expires": now + 3600, "expires_in": 3600,
            "client_endpoint": endpoint, "server_endpoint": "https://oauth.bitrix.info/rest/",
            "domain": "oauth.bitrix.info", "member_id": member_id, "scope": scope,
            "status": "L", "user_id": app.user_id
        }),
    )
}

fn invalid_grant() -> Response {
    reply(
        400,
        json!({"error": "invalid_grant", "error_description": "Invalid grant"}),
    )
}

fn reply(status: u16, body: serde_json::Value) -> Response {
    (
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_REQUEST),
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn page(status: u16, text: &str) -> Response {
    (
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_REQUEST),
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!("<html><body><p>{text}</p></body></html>"),
    )
        .into_response()
}
