//! `GET /bank/payments/{id}`: every field of a payment, its matching state and reason, the
//! invoices it pays (each removable by hand), and the form to allocate it to one of the
//! payer's open invoices.

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Query, State};
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_core::error::CoreResult;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::PagePath;
use shtab_web::i18n::{FormErrors, Lang};
use shtab_web::shell::Shell;

use super::texts::{PaymentTexts, state_class, texts};
use crate::domain::{Direction, Kopecks};
use crate::service::matching::Matcher;
use crate::store::accounts;
use crate::store::allocations::{self, Origin};
use crate::store::payments::{self, Payment, StoredParty};

pub struct PartyView {
    name: String,
    inn: String,
    kpp: String,
    account: String,
    bank: String,
    bic: String,
}

impl From<StoredParty> for PartyView {
    fn from(p: StoredParty) -> Self {
        PartyView {
            name: p.name,
            inn: p.inn,
            kpp: p.kpp,
            account: p.account,
            bank: p.bank,
            bic: p.bic,
        }
    }
}

pub struct PaymentView {
    id: i64,
    date: String,
    doc_number: String,
    doc_date: Option<String>,
    direction: &'static str,
    amount: String,
    account_id: i64,
    account: String,
    source: &'static str,
    purpose: String,
    state: &'static str,
    state_class: &'static str,
    note: String,
    allocated: String,
    unallocated: String,
    incoming: bool,
}

pub struct AllocationView {
    id: i64,
    /// The invoice's number, or its id when the port no longer knows it.
    invoice: String,
    /// A link to the invoice's page (built-in invoices have one).
    href: Option<String>,
    amount: String,
    origin: &'static str,
}

pub struct InvoiceOption {
    id: String,
    label: String,
    selected: bool,
}

/// The allocation form as shown: prefilled, or what was submitted when it was refused.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AllocateForm {
    pub invoice_id: String,
    pub amount: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "bank/payment_show.html")]
pub struct ShowPage {
    shell: Shell,
    t: &'static PaymentTexts,
    payment: PaymentView,
    /// The payer's and the payee's requisites, each with its heading.
    parties: Vec<(&'static str, PartyView)>,
    allocations: Vec<AllocationView>,
    can_manage: bool,
    /// The matcher may decide on the payment again.
    can_rematch: bool,
    /// The payment has money left to allocate.
    open: bool,
    invoices: Vec<InvoiceOption>,
    form: AllocateForm,
    errors: FormErrors,
    other_errors: Vec<String>,
    done: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    /// What was just done (`allocated`, `removed`, `matched`), for the flash.
    done: String,
}

pub async fn show(
    State(state): State<AppState>,
    Extension(matcher): Extension<Matcher>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Query(query): Query<ShowQuery>,
) -> Result<ShowPage, PageError> {
    let t = texts(lang.0);
    let done = match query.done.as_str() {
        "allocated" => Some(t.done_allocated),
        "removed" => Some(t.done_removed),
        "matched" => Some(t.done_matched),
        _ => None,
    };
    page(
        &state,
        &matcher,
        &user,
        lang,
        id,
        None,
        FormErrors::default(),
        done,
    )
    .await
}

async fn account_label(state: &AppState, payment: &Payment) -> CoreResult<String> {
    let a = accounts::get(&state.db, payment.account_id).await?;
    Ok(if a.title.trim().is_empty() {
        a.number.to_string()
    } else {
        format!("{} ({})", a.title, a.number)
    })
}

/// The page, also shown again (with `errors`) when the allocation form is refused; `form`
/// is then what was submitted.
#[allow(clippy::too_many_arguments)]
pub async fn page(
    state: &AppState,
    matcher: &Matcher,
    user: &CurrentUser,
    lang: Lang,
    id: i64,
    form: Option<AllocateForm>,
    errors: FormErrors,
    done: Option<&'static str>,
) -> Result<ShowPage, PageError> {
    user.require(Permission::BankRead)?;
    let t = texts(lang.0);
    let payment = payments::get(&state.db, id).await?;
    let can_manage = user.can(Permission::BankManage);
    let incoming = payment.direction == Direction::Incoming;
    let left = Kopecks(payment.amount.0 - payment.allocated.0);
    let open = incoming && left.0 > 0;

    let mut rows = Vec::new();
    for a in allocations::of_payment(&state.db, id).await? {
        let number = matcher.invoice_number(&a.invoice_id).await?;
        rows.push(AllocationView {
            id: a.id,
            href: matcher.invoice_link(&a.invoice_id),
            invoice: number.unwrap_or(a.invoice_id),
            amount: t.money(a.amount),
            origin: match a.origin {
                Origin::Auto => t.origin_auto,
                Origin::Manual => t.origin_manual,
            },
        });
    }

    let choices = if can_manage && open {
        matcher.open_invoices_for(&payment).await?
    } else {
        Vec::new()
    };
    let form = form.unwrap_or_else(|| AllocateForm {
        invoice_id: choices
            .first()
            .map(|(i, _)| i.id.clone())
            .unwrap_or_default(),
        // The smaller of what is left of the payment and of the first invoice offered.
        amount: t.amount_input(
            choices
                .first()
                .map_or(left, |(_, remaining)| (*remaining).min(left)),
        ),
    });
    let invoices = choices
        .into_iter()
        .map(|(i, remaining)| InvoiceOption {
            selected: i.id == form.invoice_id,
            label: format!("№ {} · {} {} ₽", i.number, t.left, t.money(remaining)),
            id: i.id,
        })
        .collect();

    let account = account_label(state, &payment).await?;
    let other_errors = errors.other_than(&["invoice_id", "amount"]);
    Ok(ShowPage {
        shell: Shell::new(
            state,
            user,
            lang,
            format!("{} {} ₽", t.title, t.money(payment.amount)),
            "/bank",
        ),
        t,
        can_rematch: can_manage && crate::service::matching::eligible(&payment),
        can_manage,
        open,
        invoices,
        form,
        errors,
        other_errors,
        done,
        allocations: rows,
        parties: vec![
            (t.payer, payment.payer.clone().into()),
            (t.payee, payment.payee.clone().into()),
        ],
        payment: PaymentView {
            id: payment.id,
            date: t.day(&payment.op_date),
            doc_number: payment.doc_number,
            doc_date: payment.doc_date.as_deref().map(|d| t.day(d)),
            direction: t.direction(payment.direction),
            amount: t.money(payment.amount),
            account_id: payment.account_id.0,
            account,
            source: if payment.source == "tbank" {
                "T-Bank API"
            } else {
                "1CClientBankExchange"
            },
            purpose: payment.purpose,
            state: t.state(&payment.match_state),
            state_class: state_class(&payment.match_state),
            note: payment.match_note,
            allocated: t.money(payment.allocated),
            unallocated: t.money(left),
            incoming,
        },
    })
}
