//! The OpenAPI document of `/api/v1`, generated from the handlers themselves (each route is
//! registered together with its description, so one cannot exist without the other), and
//! a browsable page of it.

use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder};

use crate::state::AppState;

/// Name of the bearer-token security scheme that handlers refer to.
pub const BEARER: &str = "bearer";

pub fn base_document() -> OpenApi {
    let mut doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Shtab API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Every call needs `Authorization: Bearer <token>` (create a token on the API tokens page or \
                     with `shtab token create`). Errors answer `{\"error\": {\"code\", \"message\", \"fields\"}}`.",
                ))
                .build(),
        )
        .build();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    doc
}

pub fn routes(document: Arc<OpenApi>) -> Router<AppState> {
    let json = document.clone();
    Router::new().route(
        "/api/openapi.json",
        get(move || async move { Json(json.as_ref().clone()) }),
    )
}
