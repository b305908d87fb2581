//! `POST /bitrix24/tabs/deal`: the deal card's tab «Тендер» (`CRM_DEAL_DETAIL_TAB`): the
//! tender behind the deal (its facts, notice and documents on the procurement portal, the
//! deadline's countdown, the searches that found it, its history). For a viewer with
//! `tenders.read` in Shtab who can see the deal on the portal.

use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use shtab_core::auth::Permission;
use shtab_core::time::{format_ms, now_ms};
use shtab_web::AppState;

use super::texts::{TabTexts, texts};
use super::viewer::{self, Placement, Refusal, Viewer};
use crate::app::cards::{Cards, TenderCard};
use crate::hub::Configured;

#[derive(Template)]
#[template(path = "bitrix24/tab_deal.html")]
struct DealTab {
    t: &'static TabTexts,
    card: Option<TenderCard>,
    max_price: Option<String>,
    deadline: Option<String>,
    countdown: String,
    history: Vec<(String, String)>,
}

/// The deal card's tab «Тендер» (`CRM_DEAL_DETAIL_TAB`), as the Bitrix24 portal opens it: a form POST into an iframe (`AUTH_ID`, `member_id`, `PLACEMENT`, `PLACEMENT_OPTIONS` `{"ID": …}`; `LANG` in the query). An HTML page framed only by the portal.
#[utoipa::path(
    post,
    path = "/bitrix24/tabs/deal",
    tag = "webhooks",
    request_body(content = inline(std::collections::HashMap<String, String>),
        content_type = "application/x-www-form-urlencoded",
        description = "The placement's form as the portal posts it"),
    responses(
        (status = 200, description = "The tab", content_type = "text/html", body = String),
        (status = 400, description = "Not a placement's form Shtab can read (no `AUTH_ID`, no card id, over 64 KiB)", content_type = "text/html", body = String),
        (status = 401, description = "The portal did not confirm the `AUTH_ID` (forged, expired)", content_type = "text/html", body = String),
        (status = 403, description = "Another portal's `member_id`; a viewer without a Shtab account or without `tenders.read`; a card the portal hides from them", content_type = "text/html", body = String),
        (status = 409, description = "Shtab is not installed on a portal (or the tab's system does not live there)", content_type = "text/html", body = String),
        (status = 502, description = "The portal could not be asked", content_type = "text/html", body = String),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    Extension(cards): Extension<Cards>,
    uri: Uri,
    body: Bytes,
) -> Response {
    viewer::serve(
        &state,
        &portal,
        (uri.query(), &body),
        Permission::TendersRead,
        async |placement, viewer| render(&state, &cards, placement, viewer).await,
    )
    .await
}

/// «осталось 3 дн. 4 ч», or that the deadline passed.
fn countdown(t: &TabTexts, deadline: i64, now: i64) -> String {
    let left = deadline - now;
    if left <= 0 {
        return t.passed.to_owned();
    }
    let hours = left / 3_600_000;
    format!(
        "{} {} {} {} {}",
        t.left,
        hours / 24,
        t.days,
        hours % 24,
        t.hours
    )
}

async fn render(
    state: &AppState,
    cards: &Cards,
    placement: &Placement,
    viewer: &Viewer,
) -> Result<String, Refusal> {
    let deal_id = placement
        .option_id(&["ID", "id"])
        .ok_or(Refusal::BadRequest)?;
    viewer
        .sees("crm.deal.get", &serde_json::json!({"id": deal_id}))
        .await?;
    let card = cards
        .tenders
        .tender_of_deal(deal_id)
        .await
        .map_err(|_| Refusal::PortalFailed)?;
    let t = texts(placement.locale);
    let tz = state.config.time_zone();
    let page = DealTab {
        t,
        max_price: card.as_ref().and_then(|c| {
            c.max_price
                .map(|p| format!("{p} {}", c.currency.clone().unwrap_or_else(|| "RUB".into())))
        }),
        deadline: card
            .as_ref()
            .and_then(|c| c.deadline)
            .map(|d| format_ms(d, tz)),
        countdown: card
            .as_ref()
            .and_then(|c| c.deadline)
            .map(|d| countdown(t, d, now_ms()))
            .unwrap_or_default(),
        history: card
            .as_ref()
            .map(|c| {
                c.history
                    .iter()
                    .map(|(at, what)| (format_ms(*at, tz), what.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        card,
    };
    page.render().map_err(|e| {
        tracing::error!(error = %e, "the deal tab could not be rendered");
        Refusal::PortalFailed
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shtab_web::i18n::Locale;

    #[test]
    fn the_countdown_says_days_and_hours_left_or_that_the_deadline_passed() {
        let ru = texts(Locale::Ru);
        let hour = 3_600_000;
        assert_eq!(countdown(ru, 50 * hour + 1, 0), "осталось 2 дн. 2 ч");
        assert_eq!(countdown(ru, 0, 5), "срок прошёл");
        assert_eq!(countdown(texts(Locale::En), 3 * hour, 0), "left 0 d 3 h");
    }
}
