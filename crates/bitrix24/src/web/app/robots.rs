//! `POST /hooks/bitrix24/robots/{code}`: a robot of a deal's automation rule calls Shtab.
//! Believed only with the installation's application token (compared in constant time) and
//! the installed portal's domain; the call is recorded by its `event_token` and its work
//! queued once ([`crate::app::robots`]): a call the portal posts again queues nothing more.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use shtab_core::jobs;
use shtab_web::AppState;
use shtab_web::error::ErrorBody;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::app::ROBOTS;
use crate::app::robots::RobotCalled;
use crate::hub::Configured;
use crate::store::app;
use crate::web::events::event::Event;
use crate::web::events::{from_portal, read_capped, refuse};

/// What the portal is answered for a robot call.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Bitrix24RobotAnswer)]
pub struct RobotAnswer {
    /// `queued`, or `repeated` for a call heard before (nothing more is queued).
    #[schema(example = "queued")]
    status: &'static str,
}

/// A call of one of Shtab's robots from a deal's automation rule on the Bitrix24 portal (`application/x-www-form-urlencoded`, PHP-style keys: `event_token`, `document_id[2]=DEAL_42`, `properties[…]`, `auth[application_token]`, `auth[domain]`…). Robots: `shtab_vendor_price`, `shtab_tender_refresh`.
#[utoipa::path(
    post,
    path = "/hooks/bitrix24/robots/{code}",
    tag = "webhooks",
    params(("code" = String, Path, description = "The robot's code on the portal")),
    request_body(content = inline(std::collections::HashMap<String, String>),
        content_type = "application/x-www-form-urlencoded",
        description = "The robot call as the portal posts it"),
    responses(
        (status = 200, description = "The work is queued (`queued`), or was for this event token before (`repeated`)", body = RobotAnswer),
        (status = 400, description = "Not a robot call Shtab can read (`invalid_call`: no event_token, not a deal)", body = ErrorBody),
        (status = 401, description = "`auth[application_token]` is missing or not the installation's (`bad_token`); nothing is queued", body = ErrorBody),
        (status = 403, description = "`auth[domain]` is not the installed portal (`other_portal`); nothing is queued", body = ErrorBody),
        (status = 404, description = "No robot of Shtab's has this code (`unknown_robot`)", body = ErrorBody),
        (status = 409, description = "Shtab is not installed on a portal (`not_installed`)", body = ErrorBody),
        (status = 413, description = "The body is larger than a robot call ever is (`payload_too_large`)", body = ErrorBody),
        (status = 503, description = "Shtab cannot queue the work now (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn call(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(body) = read_capped(&headers, body).await else {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "a robot call is at most 64 KiB",
        );
    };
    let not_installed = || {
        refuse(
            StatusCode::CONFLICT,
            "not_installed",
            "Shtab is not installed on a portal",
        )
    };
    let Some(portal) = portal.portal().filter(|p| p.client().app().is_some()) else {
        return not_installed();
    };
    let installed = match app::get(&state.db, portal.client().portal()).await {
        Ok(Some(i)) if i.is_active() => i,
        Ok(_) => return not_installed(),
        Err(e) => return unavailable(e),
    };
    let Ok(event) = Event::parse(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_call",
            "the body is not a form-encoded robot call",
        );
    };
    let given = event.get(Event::TOKEN).unwrap_or_default();
    if given.is_empty()
        || !bool::from(
            given
                .as_bytes()
                .ct_eq(installed.application_token.expose().as_bytes()),
        )
    {
        tracing::warn!("a Bitrix24 robot call without the installation's token was refused");
        return refuse(
            StatusCode::UNAUTHORIZED,
            "bad_token",
            "auth[application_token] is not the installation's",
        );
    }
    if let Err(why) = from_portal(&event, portal) {
        return refuse(StatusCode::FORBIDDEN, "other_portal", why);
    }
    let Some(robot) = ROBOTS.iter().find(|r| r.code == code) else {
        return refuse(
            StatusCode::NOT_FOUND,
            "unknown_robot",
            format!(
                "Shtab has no robot «{}»",
                code.chars().take(40).collect::<String>()
            ),
        );
    };
    let Some(event_token) = event.get("event_token") else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_call",
            "the call has no event_token",
        );
    };
    let deal_id = event
        .get("document_id[2]")
        .and_then(|d| d.strip_prefix("DEAL_"))
        .and_then(|id| id.parse::<u64>().ok())
        .filter(|id| *id > 0);
    let Some(deal_id) = deal_id else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "invalid_call",
            "the call is not about a deal (document_id[2] is not DEAL_<id>)",
        );
    };
    let queued = async {
        let mut tx = state.db.begin().await?;
        let new = app::robot_call_heard(&mut tx, event_token, robot.code, deal_id).await?;
        if new {
            let job = RobotCalled {
                event_token: event_token.to_owned(),
            };
            jobs::enqueue_in(&mut tx, &job, None).await?;
        }
        tx.commit().await?;
        Ok::<bool, shtab_core::CoreError>(new)
    }
    .await;
    match queued {
        Ok(new) => (
            StatusCode::OK,
            Json(RobotAnswer {
                status: if new { "queued" } else { "repeated" },
            }),
        )
            .into_response(),
        Err(e) => unavailable(e),
    }
}

fn unavailable(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "a Bitrix24 robot call could not be queued");
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "Shtab cannot queue the robot's work now",
    )
}
