//! Programs get JSON errors, whatever produced the error. Handlers answer with [`ApiError`]
//! already; this layer catches the answers nobody's handler wrote — an extractor's plain-text
//! refusal (a `Bytes` or multipart body over the limit, a bad query), a 405 for a method the
//! route lacks, the timeout's 503, a caught panic — on the paths programs call (`/api/`,
//! `/agent/`, `/hooks/`), and gives them the `{"error": {code, message}}` body with the same
//! status and headers. New routes get it without doing anything.

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorBody, ErrorDetail};

/// Paths whose callers are programs, which read errors as JSON.
pub fn is_program_path(path: &str) -> bool {
    crate::app::is_api_path(path) || path.starts_with("/agent/") || path.starts_with("/hooks/")
}

/// The longest plain-text refusal kept as the message; axum's are a sentence.
const MAX_MESSAGE: usize = 1024;

pub async fn as_json(req: Request<Body>, next: Next) -> Response {
    let program = is_program_path(req.uri().path());
    let response = next.run(req).await;
    let status = response.status();
    if !program || !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_MESSAGE * 4)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let rebuilt = json_error(status, text);
    // Keep what the refusal said besides its body (`Allow` on a 405, `Retry-After`…).
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let (_, body) = rebuilt.into_parts();
    Response::from_parts(parts, body)
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// The API's error for `status`, with axum's explanation as the message where it is a
/// client's mistake; server-side failures say no more than the handlers' own do.
fn json_error(status: StatusCode, text: String) -> Response {
    let mut message = text;
    if message.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
    }
    let known = match status {
        StatusCode::NOT_FOUND => Some(ApiError::NotFound("route")),
        StatusCode::SERVICE_UNAVAILABLE => Some(ApiError::Unavailable),
        s if s.is_server_error() => Some(ApiError::Internal(format!("{s}: {message}"))),
        StatusCode::BAD_REQUEST
        | StatusCode::PAYLOAD_TOO_LARGE
        | StatusCode::UNSUPPORTED_MEDIA_TYPE => Some(ApiError::rejected(
            status,
            if message.is_empty() {
                status.canonical_reason().unwrap_or("bad request").into()
            } else {
                message.clone()
            },
        )),
        _ => None,
    };
    if let Some(e) = known {
        let mut response = e.into_response();
        // The refusal's own status stands (a 504 stays a 504, not the 500 `Internal` has).
        *response.status_mut() = status;
        return response;
    }
    let reason = status.canonical_reason().unwrap_or("error");
    let body = ErrorBody {
        error: ErrorDetail {
            code: reason.to_lowercase().replace([' ', '-'], "_"),
            message: if message.is_empty() {
                reason.to_lowercase()
            } else {
                message
            },
            fields: Vec::new(),
        },
    };
    (status, axum::Json(body)).into_response()
}
