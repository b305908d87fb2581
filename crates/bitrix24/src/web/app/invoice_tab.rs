//! `POST /bitrix24/tabs/invoice`: the smart invoice card's tab «Оплаты»
//! (`CRM_SMART_INVOICE_DETAIL_TAB`): the bank payments Shtab allocated to the invoice with
//! their statement lines, what is left to pay, and where to allocate one by hand. For a
//! viewer with `bank.read` in Shtab who can see the invoice on the portal (its total is the
//! portal's, read with their token).

use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_core::types::Kopecks;
use shtab_web::AppState;

use super::texts::{TabTexts, texts};
use super::viewer::{self, Placement, Refusal, Viewer};
use crate::app::cards::Cards;
use crate::hub::Configured;
use crate::store::invoices::{self, State as RowState};

pub struct Line {
    pub date: String,
    pub payer: String,
    pub purpose: String,
}

pub struct PaymentLine {
    pub amount: Kopecks,
    pub line: Option<Line>,
    pub reversing: bool,
    pub url: String,
}

#[derive(Template)]
#[template(path = "bitrix24/tab_invoice.html")]
struct InvoiceTab {
    t: &'static TabTexts,
    total: Kopecks,
    paid: Kopecks,
    remaining: Kopecks,
    payments: Vec<PaymentLine>,
    allocate_url: String,
}

#[derive(Deserialize)]
struct Item {
    item: Fields,
}

#[derive(Deserialize)]
struct Fields {
    #[serde(deserialize_with = "crate::client::money::de_kopecks")]
    opportunity: Kopecks,
}

/// The smart invoice card's tab «Оплаты» (`CRM_SMART_INVOICE_DETAIL_TAB`), as the Bitrix24 portal opens it: a form POST into an iframe (`AUTH_ID`, `member_id`, `PLACEMENT`, `PLACEMENT_OPTIONS` `{"ID": …}`; `LANG` in the query). An HTML page framed only by the portal.
#[utoipa::path(
    post,
    path = "/bitrix24/tabs/invoice",
    tag = "webhooks",
    request_body(content = inline(std::collections::HashMap<String, String>),
        content_type = "application/x-www-form-urlencoded",
        description = "The placement's form as the portal posts it"),
    responses(
        (status = 200, description = "The tab", content_type = "text/html", body = String),
        (status = 400, description = "Not a placement's form Shtab can read (no `AUTH_ID`, no card id, over 64 KiB)", content_type = "text/html", body = String),
        (status = 401, description = "The portal did not confirm the `AUTH_ID` (forged, expired)", content_type = "text/html", body = String),
        (status = 403, description = "Another portal's `member_id`; a viewer without a Shtab account or without `bank.read`; a card the portal hides from them", content_type = "text/html", body = String),
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
        Permission::BankRead,
        async |placement, viewer| render(&state, &cards, placement, viewer).await,
    )
    .await
}

async fn render(
    state: &AppState,
    cards: &Cards,
    placement: &Placement,
    viewer: &Viewer,
) -> Result<String, Refusal> {
    let invoice_id = placement
        .option_id(&["ID", "id"])
        .ok_or(Refusal::BadRequest)?;
    let item: Item = viewer
        .sees(
            "crm.item.get",
            &serde_json::json!({"entityTypeId": 31, "id": invoice_id}),
        )
        .await?
        .decode()
        .map_err(|_| Refusal::PortalFailed)?;
    let rows = invoices::of_invoices(&state.db, &[invoice_id])
        .await
        .map_err(|_| Refusal::PortalFailed)?
        .remove(&invoice_id)
        .unwrap_or_default();
    let hub = state
        .config
        .server
        .public_url
        .trim_end_matches('/')
        .to_owned();
    let mut paid = Kopecks(0);
    let mut payments = Vec::new();
    for row in rows
        .into_iter()
        .filter(|r| r.state.counts() || r.state == RowState::Reversing)
    {
        if row.state.counts() {
            paid = paid.checked_add(row.amount).unwrap_or(paid);
        }
        let detail = cards
            .payments
            .payment(&row.payment_id)
            .await
            .map_err(|_| Refusal::PortalFailed)?;
        payments.push(PaymentLine {
            amount: row.amount,
            line: detail.map(|d| Line {
                date: d.date,
                payer: if d.payer_inn.is_empty() {
                    d.payer_name
                } else {
                    format!("{} (ИНН {})", d.payer_name, d.payer_inn)
                },
                purpose: d.purpose,
            }),
            reversing: row.state == RowState::Reversing,
            url: format!("{hub}/bank/payments/{}", row.payment_id),
        });
    }
    let total = item.item.opportunity;
    let page = InvoiceTab {
        t: texts(placement.locale),
        total,
        paid,
        remaining: total.checked_sub(paid).unwrap_or(total),
        payments,
        allocate_url: format!("{hub}/bank/payments"),
    };
    page.render().map_err(|e| {
        tracing::error!(error = %e, "the invoice tab could not be rendered");
        Refusal::PortalFailed
    })
}
