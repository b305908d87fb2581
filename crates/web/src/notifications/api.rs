//! `/api/v1/notifications/*` and `/api/v1/people/{id}/channels`.

use axum::Json;
use axum::extract::State;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::ids::PersonId;
use shtab_core::notify::{self, Channel, DeliveryFilter, DeliveryStatus, RawChannel};
use shtab_core::ports::Message;
use shtab_core::types::Locale;

use super::dto::{
    ChannelBody, ChannelList, DeliveryList, DeliveryParams, TemplateBody, TemplateInput, TestResult,
};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

/// The delivery log, newest first.
#[utoipa::path(
    get,
    path = "/notifications/deliveries",
    tag = "notifications",
    params(DeliveryParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of deliveries", body = DeliveryList),
        (status = 400, description = "A query parameter is malformed", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not manage notifications", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(params): ApiQuery<DeliveryParams>,
) -> Result<Json<DeliveryList>, ApiError> {
    user.require(Permission::NotificationsManage)?;
    // Exactly the values the document lists: the parameters are for programs.
    let status = match params.status.as_deref() {
        None => None,
        Some(s) => Some(
            DeliveryStatus::ALL
                .into_iter()
                .find(|x| x.as_str() == s)
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "status: unknown value {s:?} (pending, sent, failed, dead)"
                    ))
                })?,
        ),
    };
    let channel = match params.channel.as_deref() {
        None => None,
        Some(s) => Some(
            Channel::ALL
                .into_iter()
                .find(|c| c.as_str() == s)
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "channel: unknown value {s:?} (email, telegram, webhook, bitrix24)"
                    ))
                })?,
        ),
    };
    let limit = crate::paging::limit("limit", params.limit, 50, 500)?;
    let filter = DeliveryFilter {
        status,
        channel,
        person_id: params.person_id.map(PersonId),
        before_id: params.before_id,
        limit,
    };
    let rows = notify::list(&state.db, &filter).await?;
    let next_before_id = if rows.len() as i64 == limit {
        rows.last().map(|d| d.id)
    } else {
        None
    };
    Ok(Json(DeliveryList {
        deliveries: rows.into_iter().map(Into::into).collect(),
        next_before_id,
    }))
}

fn locale_of(code: &str) -> Result<Locale, ApiError> {
    Locale::from_code(code).ok_or(ApiError::NotFound("template"))
}

/// A message template in one language (the admin's version, or the built-in one).
#[utoipa::path(
    get,
    path = "/notifications/templates/{key}/{locale}",
    tag = "notifications",
    params(
        ("key" = String, Path, description = "The template's key, e.g. `notify.test`"),
        ("locale" = String, Path, description = "`ru` or `en`"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The template", body = TemplateBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not manage notifications", body = ErrorBody),
        (status = 404, description = "No such template or language", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn get_template(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((key, locale)): ApiPath<(String, String)>,
) -> Result<Json<TemplateBody>, ApiError> {
    user.require(Permission::NotificationsManage)?;
    let locale = locale_of(&locale)?;
    Ok(Json(
        notify::get_template(&state.db, &key, locale).await?.into(),
    ))
}

/// Change a template's text. Only the keys Shtab sends exist. The text is rendered with
/// the key's example data first: one that does not compile or does not render (an
/// unknown filter) is refused with a field error naming the line.
#[utoipa::path(
    put,
    path = "/notifications/templates/{key}/{locale}",
    tag = "notifications",
    params(
        ("key" = String, Path, description = "The template's key, e.g. `notify.test`"),
        ("locale" = String, Path, description = "`ru` or `en`"),
    ),
    request_body = TemplateInput,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The template as saved", body = TemplateBody),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "The caller may not manage notifications", body = ErrorBody),
        (status = 404, description = "No such template key or language", body = ErrorBody),
        (status = 422, description = "The subject or body does not compile or does not render with the key's example data (field errors naming the line); nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn put_template(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((key, locale)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> Result<Json<TemplateBody>, ApiError> {
    user.require(Permission::NotificationsManage)?;
    let locale = locale_of(&locale)?;
    let saved = notify::save_template(
        &state.db,
        &user.actor(),
        &key,
        locale,
        &input.subject,
        &input.body,
    )
    .await?;
    Ok(Json(saved.into()))
}

/// A person's notification channels.
#[utoipa::path(
    get,
    path = "/people/{id}/channels",
    tag = "notifications",
    params(("id" = i64, Path, description = "The person's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The person's channels", body = ChannelList),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "Someone else's channels, and the caller may not manage notifications", body = ErrorBody),
        (status = 404, description = "No such person", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn get_channels(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ChannelList>, ApiError> {
    let person = PersonId(id);
    super::may_edit_channels(&user, person)?;
    shtab_core::people::get(&state.db, person).await?;
    let channels = notify::channels_of(&state.db, person).await?;
    Ok(Json(ChannelList {
        channels: channels.into_iter().map(Into::into).collect(),
    }))
}

/// Replace a person's channels (a channel left out is removed). Targets are checked: an
/// e-mail address, a numeric Telegram chat id, an http(s) URL.
#[utoipa::path(
    put,
    path = "/people/{id}/channels",
    tag = "notifications",
    params(("id" = i64, Path, description = "The person's id")),
    request_body = ChannelList,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The channels as saved", body = ChannelList),
        (status = 400, description = "The id is not a number, or the body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 403, description = "Someone else's channels, and the caller may not manage notifications", body = ErrorBody),
        (status = 404, description = "No such person", body = ErrorBody),
        (status = 422, description = "A target is invalid (the field is the channel's name); nothing was written", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn put_channels(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(list): ApiJson<ChannelList>,
) -> Result<Json<ChannelList>, ApiError> {
    let person = PersonId(id);
    super::may_edit_channels(&user, person)?;
    let raw: Vec<RawChannel> = list
        .channels
        .into_iter()
        .map(|c| RawChannel {
            channel: c.channel,
            target: c.target,
            enabled: c.enabled,
        })
        .collect();
    let saved = notify::set_channels(
        &state.db,
        &user.actor(),
        person,
        &raw,
        user.can(Permission::NotificationsManage),
    )
    .await?;
    Ok(Json(ChannelList {
        channels: saved.into_iter().map(ChannelBody::from).collect(),
    }))
}

/// Send a test message to the caller on each of their enabled channels.
#[utoipa::path(
    post,
    path = "/notifications/test",
    tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Queued; the delivery log shows how each one went", body = TestResult),
        (status = 401, description = "No token, or a wrong or revoked one", body = ErrorBody),
        (status = 500, description = "Internal error, logged with the request id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn send_test(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<TestResult>, ApiError> {
    let deliveries = send_test_to(&state, &user).await?;
    Ok(Json(TestResult { deliveries }))
}

pub(super) async fn send_test_to(
    state: &AppState,
    user: &CurrentUser,
) -> Result<Vec<i64>, CoreError> {
    let message = Message {
        template: "notify.test".into(),
        context: serde_json::json!({}),
        link: Some("/notifications/me".into()),
    };
    notify::send(&state.db, &state.config, user.user().person_id, &message).await
}
