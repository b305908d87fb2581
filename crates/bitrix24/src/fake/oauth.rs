//! The fake OAuth server (`oauth.bitrix.info/oauth/token/`): refreshes rotate both tokens,
//! the old access token then answers `expired_token`, and a used refresh token is dead.

use axum::response::Response;
use serde_json::json;

use super::server::Shared;
use super::state::RecordedRefresh;

pub fn refresh(shared: &Shared, body: &[u8], query: Option<String>) -> Response {
    let mut state = shared.lock().expect("fake state");
    let form_text = String::from_utf8_lossy(body).into_owned();
    state.refreshes.push(RecordedRefresh {
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
    let Some(app) = state.app.as_mut() else {
        return reply(
            401,
            json!({"error": "invalid_client", "error_description": "no application"}),
        );
    };
    if get("grant_type") != "refresh_token" {
        return reply(
            400,
            json!({"error": "invalid_request", "error_description": "grant_type"}),
        );
    }
    if get("client_id") != app.client_id || get("client_secret") != app.client_secret {
        return reply(
            401,
            json!({"error": "invalid_client", "error_description": "Invalid client credentials"}),
        );
    }
    if get("refresh_token") != app.refresh_token {
        return reply(
            400,
            json!({"error": "invalid_grant", "error_description": "Invalid grant"}),
        );
    }
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
            "client_endpoint": "https://portal.example/rest/", "server_endpoint": "https://oauth.bitrix.info/rest/",
            "domain": "oauth.bitrix.info", "member_id": "a223c6", "scope": "crm,im,task,user",
            "status": "L", "user_id": 1
        }),
    )
}

fn reply(status: u16, body: serde_json::Value) -> Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_REQUEST),
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
