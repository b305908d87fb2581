//! The OpenAPI document of `/api/v1`, generated from the handlers themselves (each route is
//! registered together with its description, so one cannot exist without the other), and
//! the browsable page of it at `/api/docs`.

pub mod contract;
mod docs;
pub mod schemas;
mod texts;

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;

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

/// `a` with `b`'s routes and descriptions. utoipa keeps the first of two schemas with the
/// same name and drops the other silently, so two types of one name (two `DeliveryList`s)
/// would leave an operation described by the wrong shape: that is refused at once, naming
/// the schema (give one of them `#[schema(as = …)]`).
pub fn merge(
    mut a: OpenApiRouter<AppState>,
    mut b: OpenApiRouter<AppState>,
) -> OpenApiRouter<AppState> {
    let other = std::mem::take(b.get_openapi_mut());
    merge_document(a.get_openapi_mut(), other);
    a.merge(b)
}

/// [`merge`] for documents.
pub fn merge_document(into: &mut OpenApi, other: OpenApi) {
    if let (Some(ours), Some(theirs)) = (&into.components, &other.components) {
        for (name, schema) in &theirs.schemas {
            if let Some(existing) = ours.schemas.get(name) {
                let same = serde_json::to_value(existing).ok() == serde_json::to_value(schema).ok();
                assert!(
                    same,
                    "two different types are described as the OpenAPI schema {name:?}: rename one with #[schema(as = …)]"
                );
            }
        }
    }
    into.merge(other);
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
