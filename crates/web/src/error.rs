//! The web layer's errors and the one place they become HTTP answers.
//!
//! API handlers return [`ApiError`], which answers JSON:
//! `{"error": {"code": "...", "message": "...", "fields": [{"field", "code", "message"}]}}`.
//! Page handlers return [`PageError`], which the layout turns into a translated error page.
//! Internal errors are logged with the request id and shown only as "internal error".

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use shtab_core::{CoreError, FieldError};
use utoipa::ToSchema;

/// The error answers every authenticated API operation may give, described once: an
/// operation names `ApiErrors` first in its `responses(…)` and then only what it says
/// differently (a tuple given after it replaces the same status).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its description is used.
pub enum ApiErrors {
    #[response(status = 400, description = "A malformed id or body")]
    BadRequest(ErrorBody),
    #[response(status = 401, description = "No token, or a wrong or revoked one")]
    Unauthorized(ErrorBody),
    #[response(status = 403, description = "The caller may not do this")]
    Forbidden(ErrorBody),
    #[response(status = 404, description = "No such object")]
    NotFound(ErrorBody),
    #[response(status = 409, description = "Conflicts with the current state")]
    Conflict(ErrorBody),
    #[response(status = 422, description = "Invalid fields; nothing was written")]
    Invalid(ErrorBody),
    #[response(
        status = 500,
        description = "Internal error, logged with the request id"
    )]
    Internal(ErrorBody),
    #[response(status = 503, description = "The database is unavailable")]
    Unavailable(ErrorBody),
}

/// The body of every API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `invalid`, `unauthorized`, `forbidden`, `not_found`,
    /// `conflict`, `csrf`, `rate_limited`, `unavailable`, `internal`, `bad_request`,
    /// `payload_too_large`, `unsupported_media_type`, `method_not_allowed`.
    pub code: String,
    pub message: String,
    /// For `invalid`: the fields that were wrong.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldErrorBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("authentication required")]
    Unauthorized,
    #[error("not allowed")]
    Forbidden,
    /// Not allowed, and why (the caller can do something about it).
    #[error("{0}")]
    Refused(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    /// The body is larger than the hub accepts.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The body is not in a format the operation reads (JSON where JSON is expected).
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("missing or wrong CSRF token: send the session's token in the X-CSRF-Token header")]
    Csrf,
    #[error("too many attempts")]
    RateLimited { retry_after_secs: i64 },
    #[error("the database is unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal(String),
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        if e.is_unavailable() {
            tracing::error!(error = %e, "database unavailable");
            return ApiError::Unavailable;
        }
        match e {
            CoreError::Invalid(fields) => ApiError::Invalid(fields),
            CoreError::NotFound(what) => ApiError::NotFound(what),
            CoreError::Forbidden => ApiError::Forbidden,
            CoreError::Conflict(m) => ApiError::Conflict(m),
            CoreError::Db(e) => ApiError::Internal(e.to_string()),
            CoreError::Internal(m) | CoreError::Transient { message: m, .. } => {
                ApiError::Internal(m)
            }
        }
    }
}

impl ApiError {
    /// An extractor's refusal (axum's status and explanation) as the API's error: a body
    /// over the limit stays 413 and a wrong content type 415, whichever extractor read it;
    /// anything else the request got wrong is a 400.
    pub fn rejected(status: StatusCode, message: String) -> ApiError {
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(message),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(message),
            s if s.is_server_error() => ApiError::Internal(message),
            _ => ApiError::BadRequest(message),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::Refused(_) | ApiError::Csrf => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Invalid(_) => "invalid",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden | ApiError::Refused(_) => "forbidden",
            ApiError::Csrf => "csrf",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "internal error");
        }
        let status = self.status();
        let fields = match &self {
            ApiError::Invalid(fields) => fields
                .iter()
                .map(|f| FieldErrorBody {
                    field: f.field.clone(),
                    code: f.code.to_string(),
                    message: f.message.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_string(),
                message: self.to_string(),
                fields,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::RateLimited { retry_after_secs } = self
            && let Ok(v) = retry_after_secs.max(1).to_string().parse()
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// A page that cannot be shown. Rendered by [`crate::shell::error_pages`] in the request's
/// language, inside the layout.
#[derive(Debug)]
pub enum PageError {
    /// Not logged in: go to the login page and come back.
    LoginRequired {
        next: String,
    },
    Forbidden,
    NotFound,
    BadRequest(String),
    Unavailable,
    Internal(String),
}

/// Marks a response as an error page still to be rendered in the layout.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub detail: Option<String>,
}

impl From<CoreError> for PageError {
    fn from(e: CoreError) -> Self {
        if e.is_unavailable() {
            tracing::error!(error = %e, "database unavailable");
            return PageError::Unavailable;
        }
        match e {
            CoreError::NotFound(_) => PageError::NotFound,
            CoreError::Forbidden => PageError::Forbidden,
            CoreError::Invalid(fields) => PageError::BadRequest(
                fields
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            CoreError::Conflict(m) => PageError::BadRequest(m),
            CoreError::Db(e) => PageError::Internal(e.to_string()),
            CoreError::Internal(m) | CoreError::Transient { message: m, .. } => {
                PageError::Internal(m)
            }
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Internal(format!("template: {e}"))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, detail) = match self {
            PageError::LoginRequired { next } => {
                let query =
                    serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
                let target = format!("/login?{query}");
                return Redirect::to(&target).into_response();
            }
            PageError::Forbidden => (StatusCode::FORBIDDEN, None),
            PageError::NotFound => (StatusCode::NOT_FOUND, None),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, Some(m)),
            PageError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, None),
            PageError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, None)
            }
        };
        let mut response = status.into_response();
        response
            .extensions_mut()
            .insert(ErrorPage { status, detail });
        response
    }
}
