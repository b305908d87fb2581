//! Extractors whose rejections answer like the rest of the application, not with axum's
//! plain text: an API client that sends broken JSON, a bad query or a non-numeric id gets
//! `{"error": {"code": "bad_request", "message": …}}` with serde's explanation, a body over
//! the limit 413 and a body that is not `application/json` 415 (same format); a page with
//! a malformed id is "not found" in the layout.

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, PageError};

/// A JSON body: an object, as every body of this API is (serde would otherwise read a
/// struct from an array too). A number with a zero fraction (`7.0`, `1e3`) is an integer,
/// as JSON Schema — and so the document — says.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(mut value) = Json::<Value>::from_request(req, state)
            .await
            .map_err(|rejection| ApiError::rejected(rejection.status(), rejection.body_text()))?;
        if !value.is_object() {
            return Err(ApiError::BadRequest(
                "the body must be a JSON object".into(),
            ));
        }
        integers_as_integers(&mut value);
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                ApiError::BadRequest(if path == "." {
                    format!("the JSON body does not fit: {inner}")
                } else {
                    format!("the JSON body does not fit: {path}: {inner}")
                })
            })
    }
}

/// An optional JSON body: none at all (or `null`) is `None`; anything else is read as
/// [`ApiJson`] reads it. Describe it with `request_body(content = Option<T>)`.
pub struct ApiJsonOrNone<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJsonOrNone<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::rejected(e.status(), e.body_text()))?;
        let text = bytes.trim_ascii();
        if text.is_empty() || text == b"null" {
            return Ok(ApiJsonOrNone(None));
        }
        let mut req = Request::new(axum::body::Body::from(bytes));
        *req.headers_mut() = headers;
        ApiJson::from_request(req, state)
            .await
            .map(|ApiJson(value)| ApiJsonOrNone(Some(value)))
    }
}

/// Rewrites every float without a fraction that fits an `i64` as that integer.
fn integers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f >= i64::MIN as f64
                && f < i64::MAX as f64
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integers_as_integers),
        _ => {}
    }
}

/// Query parameters of an API call. As in a body, a number with a zero fraction (`33.0`,
/// `3.3e1`) given for an integer parameter is that integer, as JSON Schema says.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("");
        // Nearly every query reads as sent; only one that does not is decoded and rewritten.
        let mut error = match read_query(raw) {
            Ok(value) => return Ok(ApiQuery(value)),
            Err(e) => e,
        };
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect();
        // Each round rewrites the parameter serde stopped at, or gives up; a parameter is
        // rewritten at most once, since the integer it becomes has no fraction.
        loop {
            let name = error.path().to_string();
            let integral = pairs
                .iter_mut()
                .find(|(key, _)| *key == name)
                .and_then(|(_, value)| whole_number(value).map(|n| (value, n)));
            let Some((value, n)) = integral else {
                return Err(ApiError::BadRequest(format!(
                    "Failed to deserialize query string: {name}: {}",
                    error.into_inner()
                )));
            };
            *value = n.to_string();
            let query = serde_urlencoded::to_string(&pairs)
                .map_err(|e| ApiError::BadRequest(format!("the query string: {e}")))?;
            error = match read_query(&query) {
                Ok(value) => return Ok(ApiQuery(value)),
                Err(e) => e,
            };
        }
    }
}

/// `T` from a query string, or serde's error naming the parameter it stopped at.
fn read_query<T: DeserializeOwned>(
    query: &str,
) -> Result<T, serde_path_to_error::Error<serde_urlencoded::de::Error>> {
    serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(form_urlencoded::parse(
        query.as_bytes(),
    )))
}

/// `33.0`, `3.3e1` as 33; none for text that is already a plain integer or not a whole
/// number that fits.
fn whole_number(text: &str) -> Option<i64> {
    if text.parse::<i64>().is_ok() {
        return None;
    }
    let f: f64 = text.trim().parse().ok()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0).then_some(f as i64)
}

/// Path parameters of an API call.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|rejection| ApiError::rejected(rejection.status(), rejection.body_text()))
    }
}

/// Path parameters of a page: one that does not parse names no page.
pub struct PagePath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PagePath<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| PagePath(value))
            .map_err(|_| PageError::NotFound)
    }
}

/// Whether the page was reached by the redirect after a successful save (`?saved=1`), so
/// it can say "Saved".
pub struct Saved(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for Saved {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let saved = parts.uri.query().is_some_and(|q| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .is_ok_and(|pairs| pairs.iter().any(|(k, _)| k == "saved"))
        });
        Ok(Saved(saved))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Params {
        q: Option<String>,
        limit: Option<i64>,
        assignee_id: Option<i64>,
    }

    async fn read(query: &str) -> Result<Params, ApiError> {
        let (mut parts, ()) = axum::http::Request::builder()
            .uri(format!("/api/v1/tasks?{query}"))
            .body(())
            .unwrap()
            .into_parts();
        ApiQuery::<Params>::from_request_parts(&mut parts, &())
            .await
            .map(|ApiQuery(p)| p)
    }

    #[tokio::test]
    async fn whole_numbers_read_as_integers_and_text_stays_as_written() {
        let plain = read("q=%D0%B8%D0%B2%D0%B0%D0%BD&limit=2").await.unwrap();
        assert_eq!(plain.q.as_deref(), Some("иван"));
        let written = read("q=1.0&assignee_id=33.0&limit=2e0").await.unwrap();
        assert_eq!(
            written,
            Params {
                q: Some("1.0".into()),
                limit: Some(2),
                assignee_id: Some(33),
            }
        );
        let Err(ApiError::BadRequest(refused)) = read("q=x&assignee_id=33.5").await else {
            panic!("a fraction is not an integer");
        };
        assert!(refused.contains("assignee_id"), "{refused}");
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Body {
        person_id: i64,
    }

    async fn read_body(json: &str) -> Result<Body, ApiError> {
        let req = axum::http::Request::builder()
            .header("content-type", "application/json")
            .body(axum::body::Body::from(json.to_owned()))
            .unwrap();
        ApiJson::<Body>::from_request(req, &())
            .await
            .map(|ApiJson(b)| b)
    }

    #[tokio::test]
    async fn a_whole_number_with_a_zero_fraction_reads_exactly_in_a_body() {
        // 2^51 - 1 written as a float: read one step off, it would be refused as a fraction.
        let body = read_body(r#"{"person_id": 2251799813685247.0}"#)
            .await
            .unwrap();
        assert_eq!(body.person_id, 2_251_799_813_685_247);
        let body = read_body(r#"{"person_id": 9.007199254740991e15}"#)
            .await
            .unwrap();
        assert_eq!(body.person_id, 9_007_199_254_740_991);
        let Err(ApiError::BadRequest(refused)) = read_body(r#"{"person_id": 7.5}"#).await else {
            panic!("a fraction is not an integer");
        };
        assert!(refused.contains("person_id"), "{refused}");
    }
}
