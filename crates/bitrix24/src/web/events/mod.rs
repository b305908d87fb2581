//! `POST /hooks/bitrix24`: the portal's outgoing events. An event is believed only when its
//! `auth[application_token]` equals `bitrix24.application_token` (compared in constant time)
//! and its `auth[domain]` is the configured portal's; anything else is refused and nothing is
//! stored. A believed event is dispatched by name ([`handlers::HANDLERS`]): its handler queues
//! jobs and the portal gets its answer at once — it does not resend, and it throttles a slow
//! handler. Events Shtab does not act on are answered, counted and left alone.

pub mod event;
pub mod handlers;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use shtab_web::AppState;
use shtab_web::error::ErrorBody;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use self::event::Event;
use self::handlers::{Context, Reaction};
use crate::hub::Configured;

/// An event is a few hundred bytes; anything near this is not the portal.
pub const MAX_BODY: usize = 64 * 1024;

/// Events heard, by name (`other` for names Shtab does not act on) and outcome (`queued`,
/// `ignored`, `refused`, `invalid`, `too_large`, `failed`).
pub const EVENTS: &str = "bitrix24_events_total";

pub fn routes(portal: Configured) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(receive))
        .layer(Extension(portal))
}

/// What the portal is answered for an event Shtab believed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Bitrix24EventAnswer)]
pub struct EventAnswer {
    /// `queued` or `ignored`.
    #[schema(example = "queued")]
    status: &'static str,
    message: String,
}

fn count(event: &'static str, outcome: &'static str) {
    metrics::counter!(EVENTS, "event" => event, "outcome" => outcome).increment(1);
}

pub(crate) fn refuse(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "error": { "code": code, "message": message.into() } });
    (status, Json(body)).into_response()
}

/// An outgoing event of the Bitrix24 portal (`application/x-www-form-urlencoded`, PHP-style keys: `event`, `data[FIELDS_AFTER][ID]`, `auth[application_token]`, `auth[domain]`…). Acted on: `ONTASKADD`, `ONTASKUPDATE`, `ONTASKDELETE`, `ONCRMDEALADD`, `ONCRMDEALUPDATE`.
#[utoipa::path(
    post,
    path = "/hooks/bitrix24",
    tag = "webhooks",
    request_body(content = inline(std::collections::HashMap<String, String>),
        content_type = "application/x-www-form-urlencoded",
        description = "The event as the portal posts it: form fields with PHP-style keys"),
    responses(
        (status = 200, description = "Believed: its jobs are queued (`queued`), or Shtab does not act on it (`ignored`)", body = EventAnswer),
        (status = 400, description = "Believed, but not an event Shtab can read (`invalid_event`: no name, no object id)", body = ErrorBody),
        (status = 401, description = "`auth[application_token]` is missing, wrong, or no `bitrix24.application_token` is configured (`bad_token`); nothing is stored", body = ErrorBody),
        (status = 403, description = "`auth[domain]` is not the configured portal (`other_portal`); nothing is stored", body = ErrorBody),
        (status = 409, description = "No usable portal is configured in Shtab (`no_portal`)", body = ErrorBody),
        (status = 413, description = "The body is larger than an event ever is (`payload_too_large`)", body = ErrorBody),
        (status = 503, description = "Shtab cannot queue the event's work now (`unavailable`)", body = ErrorBody),
    )
)]
async fn receive(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match believe(&state, &portal, &headers, body).await {
        Ok(event) => act(&state, &event).await,
        Err(refused) => refused,
    }
}

/// The event, when it is one of the configured portal's, carrying its token; else the refusal.
async fn believe(
    state: &AppState,
    portal: &Configured,
    headers: &HeaderMap,
    body: Body,
) -> Result<Event, Response> {
    let refused = |status, code, why: String| {
        count(
            "other",
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                "too_large"
            } else {
                "refused"
            },
        );
        refuse(status, code, why)
    };
    let Some(body) = read_capped(headers, body).await else {
        return Err(refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("an event is at most {} KiB", MAX_BODY / 1024),
        ));
    };
    // Before the token: a hub with no portal has nothing to receive events for, and says so
    // rather than blaming a token it could not have been given.
    let Some(portal) = portal.portal() else {
        return Err(refused(
            StatusCode::CONFLICT,
            "no_portal",
            "no usable portal is configured in Shtab (bitrix24.webhook_url)".to_owned(),
        ));
    };
    let event = Event::parse(&body).map_err(|e| {
        count("other", "invalid");
        refuse(StatusCode::BAD_REQUEST, "invalid_event", e.to_string())
    })?;
    // The token of the installation (a local application's events are signed with it), or
    // the one configured for an outgoing webhook.
    let installed = crate::store::app::get(&state.db, portal.client().portal())
        .await
        .ok()
        .flatten()
        .filter(crate::store::app::Installed::is_active);
    let by_installation = installed
        .as_ref()
        .is_some_and(|i| authentic(&event, i.application_token.expose()).is_ok());
    if !by_installation
        && let Err(why) = authentic(&event, state.config.bitrix24.application_token.expose())
    {
        tracing::warn!(%why, "a Bitrix24 event was refused");
        return Err(refused(
            StatusCode::UNAUTHORIZED,
            "bad_token",
            why.to_owned(),
        ));
    }
    if let Err(why) = from_portal(&event, portal) {
        tracing::warn!(%why, "a Bitrix24 event was refused");
        return Err(refused(StatusCode::FORBIDDEN, "other_portal", why));
    }
    Ok(event)
}

/// Dispatches a believed event by name and queues what its handler asks for.
async fn act(state: &AppState, event: &Event) -> Response {
    let name = match event.name() {
        Ok(n) => n,
        Err(e) => {
            count("other", "invalid");
            return refuse(StatusCode::BAD_REQUEST, "invalid_event", e.to_string());
        }
    };
    let Some((listed, handler)) = handlers::find(&name) else {
        count("other", "ignored");
        return answer("ignored", format!("Shtab does not act on {name}"));
    };
    let cx = Context {
        config: &state.config,
    };
    match handler(event, &cx) {
        Err(e) => {
            count(listed, "invalid");
            refuse(StatusCode::BAD_REQUEST, "invalid_event", e.to_string())
        }
        Ok(Reaction::Ignore(why)) => {
            count(listed, "ignored");
            answer("ignored", why.to_owned())
        }
        Ok(Reaction::Queue(jobs)) => match queue(state, &jobs).await {
            Ok(()) => {
                count(listed, "queued");
                answer("queued", format!("{listed}: {} jobs queued", jobs.len()))
            }
            Err(e) => {
                tracing::error!(error = %e, event = listed, "a Bitrix24 event's jobs could not be queued");
                count(listed, "failed");
                refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Shtab cannot queue the event's work now; the sweep will catch up",
                )
            }
        },
    }
}

fn answer(status: &'static str, message: String) -> Response {
    (StatusCode::OK, Json(EventAnswer { status, message })).into_response()
}

/// The body, unless it is larger than [`MAX_BODY`] (a declared length over it is refused
/// before a byte is read).
pub(crate) async fn read_capped(headers: &HeaderMap, body: Body) -> Option<axum::body::Bytes> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return None;
    }
    axum::body::to_bytes(body, MAX_BODY).await.ok()
}

/// The event carries the application token Shtab was given. Why not, when not: the token
/// itself is never said.
fn authentic(event: &Event, expected: &str) -> Result<(), &'static str> {
    let expected = expected.trim();
    if expected.is_empty() {
        return Err("no bitrix24.application_token is configured, so no event can be believed");
    }
    let Some(given) = event.get(Event::TOKEN) else {
        return Err("the event has no auth[application_token]");
    };
    if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err("auth[application_token] is not bitrix24.application_token")
    }
}

/// The event is about the configured portal (or where it said it moved), not another one.
pub(crate) fn from_portal(event: &Event, portal: &crate::hub::Portal) -> Result<(), String> {
    let client = portal.client();
    let ours = client.portal().domain();
    let Some(domain) = event.get(Event::DOMAIN) else {
        return Err("the event has no auth[domain]".into());
    };
    let moved = client.moved_to().map(|m| m.domain());
    if domain.eq_ignore_ascii_case(&ours) || moved.is_some_and(|m| domain.eq_ignore_ascii_case(&m))
    {
        Ok(())
    } else {
        Err(format!(
            "the event comes from portal {domain}, not from {ours}, the one Shtab works with"
        ))
    }
}

/// The jobs, all or none.
async fn queue(
    state: &AppState,
    jobs: &[Box<dyn handlers::Enqueue>],
) -> shtab_core::error::CoreResult<()> {
    let mut tx = state.db.begin().await?;
    for job in jobs {
        job.enqueue_in(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(body: &str) -> Event {
        Event::parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn only_the_configured_token_is_believed() {
        let with = event("event=ONTASKADD&auth[application_token]=s3cret");
        assert!(authentic(&with, "s3cret").is_ok());
        assert!(
            authentic(&with, " s3cret\n").is_ok(),
            "a token file's newline"
        );
        for (e, expected) in [
            (&with, ""),
            (&with, "s3cret2"),
            (&with, "s3cre"),
            (&event("event=ONTASKADD"), "s3cret"),
            (&event("event=ONTASKADD&auth[application_token]="), "s3cret"),
            (&event("event=ONTASKADD&application_token=s3cret"), "s3cret"),
        ] {
            let why = authentic(e, expected).unwrap_err();
            assert!(!why.contains("s3cret"), "{why}");
        }
    }
}
