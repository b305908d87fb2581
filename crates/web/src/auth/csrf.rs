//! CSRF protection for cookie-authenticated requests that change something: the session's
//! token must come back in the `X-CSRF-Token` header (htmx, scripts) or in the
//! `csrf_token` field of the submitted form (URL-encoded or multipart).

use axum::body::{Body, Bytes};
use axum::http::{Request, header};
use subtle::ConstantTimeEq;

use super::{CSRF_FIELD, CSRF_HEADER};

/// Largest form body we read to find the token; larger posts must send the header.
const MAX_FORM_BYTES: usize = 32 * 1024 * 1024;

/// Checks the token; returns the request (its body restored) when it matches.
pub async fn check(expected: &str, req: Request<Body>) -> Result<Request<Body>, ()> {
    if let Some(sent) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if constant_time_eq(sent, expected) {
            Ok(req)
        } else {
            Err(())
        };
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| ())?;
    let sent = if content_type.starts_with("application/x-www-form-urlencoded") {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|fields| {
                fields
                    .into_iter()
                    .find(|(k, _)| k == CSRF_FIELD)
                    .map(|(_, v)| v)
            })
    } else if content_type.starts_with("multipart/form-data") {
        multipart_field(&content_type, bytes.clone()).await
    } else {
        None
    };
    match sent {
        Some(sent) if constant_time_eq(&sent, expected) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        _ => Err(()),
    }
}

async fn multipart_field(content_type: &str, bytes: Bytes) -> Option<String> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some(CSRF_FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

/// Compares without stopping at the first difference, so timing tells nothing.
pub fn constant_time_eq(a: impl AsRef<[u8]>, b: impl AsRef<[u8]>) -> bool {
    let (a, b) = (a.as_ref(), b.as_ref());
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
