//! `GET /invoices/{id}`: an invoice, the payments allocated to it (each linking to its
//! payment), and `POST /invoices/{id}/cancel`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::ports::InvoiceState;
use shtab_core::time::format_ms;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::{PagePath, Saved};
use shtab_web::i18n::Lang;
use shtab_web::shell::Shell;

use super::list::today;
use super::texts::{InvoicesTexts, state_class, texts};
use crate::invoices::{self, Invoice, InvoiceAllocation, InvoiceId};

pub struct InvoiceView {
    id: i64,
    number: String,
    date: String,
    payer_name: String,
    payer_inn: String,
    amount: String,
    paid: String,
    remaining: String,
    due: Option<String>,
    overdue: bool,
    state: &'static str,
    state_class: &'static str,
    cancelled: bool,
    responsible: Option<(i64, String)>,
    created: String,
}

impl InvoiceView {
    fn new(t: &InvoicesTexts, state: &AppState, i: Invoice) -> InvoiceView {
        InvoiceView {
            id: i.id.0,
            date: t.date(i.issued_on),
            amount: i.amount.to_string(),
            paid: i.paid.to_string(),
            remaining: i.remaining().to_string(),
            due: i.due_on.map(|d| t.date(d)),
            overdue: i.is_overdue(today(state)),
            state: t.state(i.state),
            state_class: state_class(i.state),
            cancelled: i.state == InvoiceState::Cancelled,
            responsible: i
                .responsible_id
                .zip(i.responsible_name)
                .map(|(id, n)| (id.0, n)),
            created: format_ms(i.created_at, state.config.time_zone()),
            number: i.number,
            payer_name: i.payer_name,
            payer_inn: i.payer_inn,
        }
    }
}

pub struct AllocationView {
    payment_id: i64,
    date: String,
    payer_name: String,
    amount: String,
    origin: &'static str,
}

impl AllocationView {
    fn new(t: &InvoicesTexts, a: InvoiceAllocation) -> AllocationView {
        AllocationView {
            payment_id: a.payment_id,
            date: t.iso_date(&a.op_date),
            payer_name: a.payer_name,
            amount: a.amount.to_string(),
            origin: if a.origin == "manual" {
                t.origin_manual
            } else {
                t.origin_auto
            },
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "bank/invoices_show.html")]
pub struct ShowPage {
    shell: Shell,
    t: &'static InvoicesTexts,
    invoice: InvoiceView,
    allocations: Vec<AllocationView>,
    saved: bool,
    can_write: bool,
    /// Why cancelling was refused, when it just was.
    refused: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<InvoiceId>,
    Saved(saved): Saved,
) -> Result<ShowPage, PageError> {
    page(&state, &user, lang, id, saved, None).await
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: InvoiceId,
    saved: bool,
    refused: Option<String>,
) -> Result<ShowPage, PageError> {
    user.require(Permission::InvoicesRead)?;
    let t = texts(lang.0);
    let invoice = invoices::get(&state.db, id).await?;
    let allocations = invoices::allocations(&state.db, id).await?;
    Ok(ShowPage {
        shell: Shell::new(
            state,
            user,
            lang,
            format!("{} № {}", t.invoice, invoice.number),
            "/invoices",
        ),
        t,
        saved,
        can_write: user.can(Permission::InvoicesWrite),
        refused,
        allocations: allocations
            .into_iter()
            .map(|a| AllocationView::new(t, a))
            .collect(),
        invoice: InvoiceView::new(t, state, invoice),
    })
}

/// To the invoice's page, now cancelled; the page again (409) saying why when payments
/// are allocated to it.
pub async fn cancel(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<InvoiceId>,
) -> Result<Response, PageError> {
    user.require(Permission::InvoicesWrite)?;
    match invoices::cancel(&state.db, &user.actor(), id).await {
        Ok(_) => Ok(Redirect::to(&format!("/invoices/{id}?saved=1")).into_response()),
        Err(CoreError::Conflict(_)) => {
            let t = texts(lang.0);
            let page = page(
                &state,
                &user,
                lang,
                id,
                false,
                Some(t.cancel_refused.to_string()),
            )
            .await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
