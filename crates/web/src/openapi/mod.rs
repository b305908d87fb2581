//! The OpenAPI document of `/api/v1`, generated from the handlers themselves (each route is
//! registered together with its description, so one cannot exist without the other), and
//! the browsable page of it at `/api/docs`.

mod docs;
mod texts;

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder};
use utoipa::{PartialSchema, ToSchema};

use crate::auth::MaybeUser;
use crate::error::ErrorBody;
use crate::i18n::Lang;
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
    // Every API error answers with this body. Registered here rather than only through the
    // handlers that name it, its references resolve whichever operations are mounted.
    let mut schemas = vec![(ErrorBody::name().into_owned(), ErrorBody::schema())];
    ErrorBody::schemas(&mut schemas);
    components.schemas.extend(schemas);
    doc
}

/// `/api/openapi.json` and `/api/docs`, both drawn from the finished document.
pub fn routes(document: Arc<OpenApi>) -> Router<AppState> {
    let reference = Arc::new(docs::Reference::new(&document));
    Router::new()
        .route(
            "/api/openapi.json",
            get(move || async move { Json(document.as_ref().clone()) }),
        )
        .route(
            "/api/docs",
            get(
                move |State(state): State<AppState>, user: MaybeUser, lang: Lang| async move {
                    docs::show(state, user, lang, reference).await
                },
            ),
        )
}
