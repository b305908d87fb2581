//! What the payment API reads and writes. These types are the API's contract (and its
//! OpenAPI schemas); schema names start with `BankPayment` so they never collide with
//! another area's in the one document.

use serde::{Deserialize, Serialize};
use shtab_core::time::rfc3339_ms;
use utoipa::ToSchema;

use crate::domain::Direction;
use crate::service::matching::{MatchResult, outcome_key};
use crate::store::allocations::{Allocation, Origin};
use crate::store::payments::{Payment, StoredParty};

/// One side of a payment, as the bank wrote it (empty texts where it wrote nothing).
#[derive(Debug, Serialize, ToSchema)]
pub struct BankPaymentParty {
    #[schema(example = "ООО «Ромашка»")]
    pub name: String,
    #[schema(example = "7707083893")]
    pub inn: String,
    pub kpp: String,
    pub account: String,
    pub bank: String,
    pub bic: String,
}

impl From<StoredParty> for BankPaymentParty {
    fn from(p: StoredParty) -> Self {
        BankPaymentParty {
            name: p.name,
            inn: p.inn,
            kpp: p.kpp,
            account: p.account,
            bank: p.bank,
            bic: p.bic,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BankPaymentOrigin {
    /// The matcher.
    Auto,
    /// A person.
    Manual,
}

/// Part of the payment allocated to an invoice. Money is in kopecks.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankPaymentAllocation {
    #[schema(example = 5)]
    pub id: i64,
    /// The invoice's id in the invoices port (for built-in invoices, `/api/v1/invoices/{id}`).
    #[schema(example = "17")]
    pub invoice_id: String,
    pub amount: i64,
    pub origin: BankPaymentOrigin,
    /// RFC 3339.
    pub created_at: String,
}

impl From<Allocation> for BankPaymentAllocation {
    fn from(a: Allocation) -> Self {
        BankPaymentAllocation {
            id: a.id,
            invoice_id: a.invoice_id,
            amount: a.amount.0,
            origin: match a.origin {
                Origin::Auto => BankPaymentOrigin::Auto,
                Origin::Manual => BankPaymentOrigin::Manual,
            },
            created_at: rfc3339_ms(a.created_at),
        }
    }
}

/// A payment with its allocations. Money is in kopecks.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankPaymentBody {
    #[schema(example = 42)]
    pub id: i64,
    pub account_id: i64,
    /// `1c` or `tbank`.
    pub source: String,
    /// `incoming`, `outgoing`, `internal` or `unknown`.
    #[schema(example = "incoming")]
    pub direction: String,
    #[schema(example = 1_250_000)]
    pub amount: i64,
    pub doc_number: String,
    /// ISO date.
    pub doc_date: Option<String>,
    /// ISO date: the day the money moved on our account.
    #[schema(example = "2026-02-02")]
    pub op_date: String,
    pub payer: BankPaymentParty,
    pub payee: BankPaymentParty,
    pub purpose: String,
    /// Kopecks allocated to invoices.
    pub allocated: i64,
    /// `waiting` (for an invoice), `matched`, `partial` (pays part of an invoice),
    /// `attention` (a person must look) for incoming payments; `none` for the others.
    #[schema(example = "matched")]
    pub match_state: String,
    /// Why the payment stands as it does, in the hub's language.
    pub match_note: String,
    pub allocations: Vec<BankPaymentAllocation>,
    /// The payment's page, relative to the hub.
    #[schema(example = "/bank/payments/42")]
    pub url: String,
}

fn direction(d: Direction) -> &'static str {
    crate::store::payments::direction_str(d)
}

impl BankPaymentBody {
    pub fn new(p: Payment, allocations: Vec<Allocation>) -> Self {
        BankPaymentBody {
            url: format!("/bank/payments/{}", p.id),
            id: p.id,
            account_id: p.account_id.0,
            source: p.source,
            direction: direction(p.direction).to_owned(),
            amount: p.amount.0,
            doc_number: p.doc_number,
            doc_date: p.doc_date,
            op_date: p.op_date,
            payer: p.payer.into(),
            payee: p.payee.into(),
            purpose: p.purpose,
            allocated: p.allocated.0,
            match_state: p.match_state,
            match_note: p.match_note,
            allocations: allocations.into_iter().map(Into::into).collect(),
        }
    }
}

/// An allocation to make by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankNewAllocation {
    /// The invoice's id in the invoices port.
    #[schema(example = "17")]
    pub invoice_id: String,
    /// Kopecks; no more than is left of the payment and of the invoice.
    #[schema(example = 500_000)]
    pub amount: i64,
}

/// What a matcher run did.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankMatchRun {
    /// The decision: `full`, `several`, `partial`, or why nothing was allocated
    /// (`no_payer_inn`, `no_candidates`, `numbers_not_found`, `ambiguous_number`,
    /// `overpayment`, `underpays_several`, `several_equal`, `no_fit`, `nothing_left`);
    /// absent when the payment is settled or not incoming, and so was left alone.
    pub outcome: Option<String>,
    /// Allocations, state or note were written.
    pub changed: bool,
    /// Kopecks allocated by this run.
    pub allocated: i64,
    /// Notifications queued.
    pub notified: usize,
    /// The payment after the run.
    pub payment: BankPaymentBody,
}

impl BankMatchRun {
    pub fn new(r: &MatchResult, payment: BankPaymentBody) -> Self {
        BankMatchRun {
            outcome: r.outcome.as_ref().map(|o| outcome_key(o).to_owned()),
            changed: r.changed,
            allocated: r.allocated,
            notified: r.notified.len(),
            payment,
        }
    }
}
