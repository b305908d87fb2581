//! `POST /hooks/bitrix24/app`: the portal installs Shtab (`ONAPPINSTALL`, posted to the
//! application's installation handler) or removes it (`ONAPPUNINSTALL`, bound here on
//! installation).
//!
//! - An installation is believed when it names the configured portal and the portal accepts
//!   the access token it carries as this application's (`app.info` called with it answers
//!   the configured `client_id` as its `CODE`); a portal other than the one
//!   installed before (another `member_id`) is refused. Shtab then stores the tokens, the
//!   `member_id` and the application token, and binds its tabs, events and robots
//!   ([`crate::app::bind`]): installing again converges, nothing is bound twice.
//! - A removal is believed only with the installation's application token: the tokens are
//!   dropped and the installation marked removed.

use axum::Extension;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shtab_core::audit::Actor;
use shtab_core::config::Secret;
use shtab_web::AppState;
use shtab_web::error::ErrorBody;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::client::{Grant, Tokens};
use crate::hub::{Configured, Portal};
use crate::store::{app, oauth};
use crate::web::events::event::Event;
use crate::web::events::{from_portal, read_capped, refuse};

/// `app.info`, as far as the installation reads it.
#[derive(serde::Deserialize)]
struct AppInfo {
    #[serde(rename = "CODE", default)]
    code: String,
}

/// What the portal is answered for an installation or a removal.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Bitrix24AppAnswer)]
pub struct AppAnswer {
    /// `installed` or `removed`.
    #[schema(example = "installed")]
    status: &'static str,
    /// Bindings added on the portal by this installation (0 when all were there).
    placements: usize,
    events: usize,
    robots: usize,
}

/// Shtab installed on or removed from the Bitrix24 portal as a local application (`application/x-www-form-urlencoded`, PHP-style keys: `event=ONAPPINSTALL`, `auth[access_token]`, `auth[refresh_token]`, `auth[member_id]`, `auth[application_token]`, `auth[domain]`…).
#[utoipa::path(
    post,
    path = "/hooks/bitrix24/app",
    tag = "webhooks",
    request_body(content = inline(std::collections::HashMap<String, String>),
        content_type = "application/x-www-form-urlencoded",
        description = "ONAPPINSTALL or ONAPPUNINSTALL as the portal posts it"),
    responses(
        (status = 200, description = "Installed (tokens stored, tabs, events and robots bound) or removed (tokens dropped)", body = AppAnswer),
        (status = 400, description = "Not an installation or removal Shtab can read (`invalid_event`)", body = ErrorBody),
        (status = 401, description = "The portal did not accept the installation's access token, or a removal without the installation's application token (`bad_token`); nothing is stored", body = ErrorBody),
        (status = 403, description = "Another portal than the configured (or installed) one (`other_portal`)", body = ErrorBody),
        (status = 409, description = "No local application is configured in Shtab (`no_portal`), or a removal of an installation Shtab does not have (`not_installed`)", body = ErrorBody),
        (status = 413, description = "The body is larger than an event ever is (`payload_too_large`)", body = ErrorBody),
        (status = 502, description = "Installed, but the portal refused a binding (`bind_failed`): installing again finishes it", body = ErrorBody),
        (status = 503, description = "Shtab cannot store the installation now (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn lifecycle(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(body) = read_capped(&headers, body).await else {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "an event is at most 64 KiB",
        );
    };
    let Some(portal) = portal.portal().filter(|p| p.client().app().is_some()) else {
        return refuse(
            StatusCode::CONFLICT,
            "no_portal",
            "no local application is configured in Shtab (bitrix24.portal_url, client_id, \
             client_secret)",
        );
    };
    let event = match Event::parse(&body) {
        Ok(e) => e,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, "invalid_event", e.to_string()),
    };
    if let Err(why) = from_portal(&event, portal) {
        tracing::warn!(%why, "a Bitrix24 installation event was refused");
        return refuse(StatusCode::FORBIDDEN, "other_portal", why);
    }
    match event.name().as_deref() {
        Ok("ONAPPINSTALL") => install(&state, portal, &event).await,
        Ok("ONAPPUNINSTALL") => uninstall(&state, portal, &event).await,
        Ok(other) => refuse(
            StatusCode::BAD_REQUEST,
            "invalid_event",
            format!("{other} is not an installation or a removal"),
        ),
        Err(e) => refuse(StatusCode::BAD_REQUEST, "invalid_event", e.to_string()),
    }
}

fn unavailable(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "a Bitrix24 installation could not be stored");
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "Shtab cannot store the installation now",
    )
}

async fn install(state: &AppState, portal: &Portal, event: &Event) -> Response {
    let field = |k: &'static str| event.get(k).ok_or(k);
    let read = (|| {
        Ok::<_, &'static str>((
            field("auth[access_token]")?,
            field("auth[refresh_token]")?,
            field("auth[member_id]")?,
            field("auth[application_token]")?,
        ))
    })();
    let (access, refresh, member_id, application_token) = match read {
        Ok(r) => r,
        Err(missing) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "invalid_event",
                format!("the installation has no {missing}"),
            );
        }
    };
    let client = portal.client();
    let origin = client.portal().clone();
    match app::get(&state.db, &origin).await {
        Ok(Some(before))
            if before.is_active()
                && !bool::from(before.member_id.as_bytes().ct_eq(member_id.as_bytes())) =>
        {
            return refuse(
                StatusCode::FORBIDDEN,
                "other_portal",
                "Shtab is installed on another portal (member_id) at this address: remove it \
                 there first",
            );
        }
        Ok(_) => {}
        Err(e) => return unavailable(e),
    }
    let access = Secret::new(access);
    let client_id = client
        .app()
        .map(|a| a.client_id.clone())
        .unwrap_or_default();
    // The token must be this application's (app.info's CODE is a local application's
    // client_id): a token of another application on the same portal is not ours to keep.
    let info = client
        .call_as("app.info", &serde_json::json!({}), &access)
        .await
        .and_then(|a| a.decode::<AppInfo>());
    match info {
        Ok(info) if info.code.trim() == client_id => {}
        Ok(_) => {
            tracing::warn!("an installation's access token belongs to another application");
            return refuse(
                StatusCode::UNAUTHORIZED,
                "bad_token",
                "the installation's auth[access_token] belongs to another application",
            );
        }
        Err(e) => {
            tracing::warn!(error = %e, "the portal did not accept an installation's access token");
            return refuse(
                StatusCode::UNAUTHORIZED,
                "bad_token",
                "the portal does not accept the installation's auth[access_token]",
            );
        }
    }
    let expires_in: i64 = event
        .get("auth[expires_in]")
        .and_then(|v| v.parse().ok())
        .unwrap_or(3600);
    let grant = Grant {
        tokens: Tokens {
            access_token: access,
            refresh_token: Secret::new(refresh),
            expires_at: chrono::Utc::now().timestamp() + expires_in,
            scope: event.get("auth[scope]").unwrap_or_default().to_owned(),
        },
        member_id: member_id.to_owned(),
        portal: Some(origin.clone()),
        portal_user_id: event.get("auth[user_id]").and_then(|u| u.parse().ok()),
    };
    let client_id = client
        .app()
        .map(|a| a.client_id.clone())
        .unwrap_or_default();
    let actor = Actor::system("bitrix24 installation");
    if let Err(e) = oauth::connect(&state.db, &actor, &origin, &client_id, &grant).await {
        return unavailable(e);
    }
    if let Err(e) = app::installed(&state.db, &origin, member_id, application_token).await {
        return unavailable(e);
    }
    portal.forget_check();
    match crate::app::bind::converge(client, &state.config.server.public_url).await {
        Ok(bound) => (
            StatusCode::OK,
            Json(AppAnswer {
                status: "installed",
                placements: bound.placements,
                events: bound.events,
                robots: bound.robots,
            }),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "Shtab was installed on the portal but a binding failed");
            refuse(
                StatusCode::BAD_GATEWAY,
                "bind_failed",
                format!("installed, but the portal refused a binding: {e}; install again"),
            )
        }
    }
}

async fn uninstall(state: &AppState, portal: &Portal, event: &Event) -> Response {
    let origin = portal.client().portal().clone();
    let installed = match app::get(&state.db, &origin).await {
        Ok(Some(i)) if i.is_active() => i,
        Ok(_) => {
            return refuse(
                StatusCode::CONFLICT,
                "not_installed",
                "Shtab is not installed on this portal",
            );
        }
        Err(e) => return unavailable(e),
    };
    let given = event.get(Event::TOKEN).unwrap_or_default();
    if given.is_empty()
        || !bool::from(
            given
                .as_bytes()
                .ct_eq(installed.application_token.expose().as_bytes()),
        )
    {
        tracing::warn!(
            "a Bitrix24 removal without the installation's application token was refused"
        );
        return refuse(
            StatusCode::UNAUTHORIZED,
            "bad_token",
            "auth[application_token] is not the installation's",
        );
    }
    let actor = Actor::system("bitrix24 removal");
    if let Err(e) = oauth::disconnect(&state.db, &actor, &origin).await {
        return unavailable(e);
    }
    if let Err(e) = app::removed(&state.db, &origin).await {
        return unavailable(e);
    }
    portal.forget_check();
    (
        StatusCode::OK,
        Json(AppAnswer {
            status: "removed",
            placements: 0,
            events: 0,
            robots: 0,
        }),
    )
        .into_response()
}
