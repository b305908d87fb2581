//! Assembles the application: platform routes, capability routes, and the layers every
//! request passes (request id, tracing, metrics, authentication, error pages).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

use crate::shell::NavEntry;
use crate::state::AppState;

/// A capability's contribution to the application.
pub struct Capability {
    pub nav: Vec<NavEntry>,
    /// Pages (HTML) and webhooks, at the root.
    pub pages: Router<AppState>,
    /// JSON API routes, mounted under `/api/v1` and described in the OpenAPI document.
    pub api: OpenApiRouter<AppState>,
    /// Routes at the root that other programs call (forges' webhooks, the servers'
    /// agents), described in the OpenAPI document too. Their callers are not users: each
    /// route checks its own credential, so they sit outside the shell's authentication.
    pub outside: OpenApiRouter<AppState>,
    /// What it adds to the home page (counts needing attention, first steps) and to the
    /// header's search.
    pub hooks: crate::hooks::Hooks,
}

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; \
                   frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/")
}

/// The whole application for `state`, with the given capabilities enabled.
pub fn build_router(mut state: AppState, capabilities: Vec<Capability>) -> Router {
    let mut nav = crate::shell::platform_nav();
    let mut pages = crate::pages::routes()
        .merge(crate::people::pages())
        .merge(crate::tasks::pages())
        .merge(crate::users::pages())
        .merge(crate::tokens::pages())
        .merge(crate::audit::pages())
        .merge(crate::robots::pages())
        .merge(crate::notifications::pages())
        .route(
            "/search",
            axum::routing::get(crate::hooks::search_page::show),
        );
    let mut hooks = crate::hooks::platform::hooks();
    let mut api = OpenApiRouter::with_openapi(crate::openapi::base_document());
    for platform in [
        crate::people::api(),
        crate::tasks::api(),
        crate::users::api(),
        crate::tokens::api(),
        crate::audit::api(),
        crate::robots::api(),
        crate::notifications::api(),
        OpenApiRouter::new()
            .routes(utoipa_axum::routes!(crate::hooks::api::get_attention))
            .routes(utoipa_axum::routes!(crate::hooks::api::search)),
    ] {
        api = crate::openapi::merge(api, platform);
    }
    let mut outside = OpenApiRouter::new();
    for c in capabilities {
        nav.extend(c.nav);
        pages = pages.merge(c.pages);
        api = crate::openapi::merge(api, c.api);
        outside = crate::openapi::merge(outside, c.outside);
        hooks.extend(c.hooks);
    }
    state.hooks = Arc::new(hooks);
    nav.extend(crate::shell::admin_nav());
    state.nav = Arc::new(nav);

    let (api_router, mut document) = OpenApiRouter::new().nest("/api/v1", api).split_for_parts();
    let (outside_router, outside_document) = outside.split_for_parts();
    crate::openapi::merge_document(&mut document, outside_document);
    crate::openapi::contract::complete(&mut document);
    let document = Arc::new(document);

    Router::new()
        .merge(pages)
        .merge(api_router)
        .merge(crate::openapi::routes(document))
        .merge(crate::ops::routes())
        .merge(crate::assets::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), crate::shell::error_pages))
        .layer(middleware::from_fn_with_state(state.clone(), crate::auth::middleware::authenticate))
        // Once more outside: authentication itself can fail (the database is away), and its
        // error page needs the layout too (without a user, in the default language).
        .layer(middleware::from_fn_with_state(state.clone(), crate::shell::error_pages))
        .merge(outside_router)
        .layer(middleware::from_fn(crate::ops::track_requests))
        // Harder to abuse: no framing, no sniffing, scripts and styles only from this server
        // (htmx is served by the binary itself).
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(DefaultBodyLimit::max(32 * 1024 * 1024))
        .layer(CatchPanicLayer::new())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(60)))
        // Outermost, so the plain-text answers of every layer and extractor inside (the
        // body limit, a 405, a panic, the timeout) reach programs as JSON errors.
        .layer(middleware::from_fn(crate::json_errors::as_json))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if is_api_path(uri.path()) {
        crate::error::ApiError::NotFound("route").into_response()
    } else {
        crate::error::PageError::NotFound.into_response()
    }
}
