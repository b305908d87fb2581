//! What the payments and saved-filters API reads and writes: the API's contract and its
//! OpenAPI schemas. Schema names start with `Bank` so they never collide with another
//! area's in the one document.

use serde::{Deserialize, Serialize};
use shtab_core::time::rfc3339_ms;
use utoipa::{IntoParams, ToSchema};

use crate::store::payment_list::{PaymentRow, RawFilter, Totals};
use crate::store::saved_filters::SavedFilter;

/// The filter, paging and order. Every value is text and checked as a whole: a bad one is
/// a 422 naming its parameter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct BankPaymentListParams {
    /// A part of the counterparty's name or INN, case-insensitive; exactly 10 or 12 digits
    /// is the payer's INN.
    pub payer: Option<String>,
    /// First day, `YYYY-MM-DD` or `DD.MM.YYYY`.
    pub from: Option<String>,
    /// Last day, inclusive.
    pub to: Option<String>,
    /// Smallest amount in roubles: `1234.56`, `1 234,56`.
    pub amount_min: Option<String>,
    /// Largest amount in roubles.
    pub amount_max: Option<String>,
    /// `incoming`, `outgoing`, `internal` or `unknown`.
    pub direction: Option<String>,
    /// A bank account's id.
    pub account: Option<String>,
    /// `waiting`, `matched`, `partial`, `attention`, `none`, or `unmatched` (waiting or
    /// attention).
    pub state: Option<String>,
    /// `date` (newest first, default), `date_asc`, `amount` (largest first), `amount_asc`,
    /// `payer` (A to Z), `payer_desc`.
    pub sort: Option<String>,
    /// Where the page starts: the previous page's `next`.
    pub after: Option<String>,
    /// 1 to 500, default 50.
    pub limit: Option<String>,
}

impl BankPaymentListParams {
    pub fn filter(&self) -> RawFilter {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        RawFilter {
            payer: s(&self.payer),
            from: s(&self.from),
            to: s(&self.to),
            amount_min: s(&self.amount_min),
            amount_max: s(&self.amount_max),
            direction: s(&self.direction),
            account: s(&self.account),
            state: s(&self.state),
            sort: s(&self.sort),
        }
    }
}

/// A payment as the list shows it; amounts in kopecks.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankPaymentSummary {
    pub id: i64,
    pub account_id: i64,
    #[schema(example = "40702810900000012345")]
    pub account_number: String,
    /// `1c` or `tbank`.
    pub source: String,
    /// `incoming`, `outgoing`, `internal`, `unknown`.
    pub direction: String,
    /// Kopecks.
    #[schema(example = 1234567)]
    pub amount: i64,
    /// Kopecks of it allocated to invoices.
    pub allocated: i64,
    pub doc_number: String,
    /// `YYYY-MM-DD`.
    pub doc_date: Option<String>,
    /// The day the money moved, `YYYY-MM-DD`.
    #[schema(example = "2026-02-05")]
    pub op_date: String,
    pub payer_name: String,
    pub payer_inn: String,
    pub payee_name: String,
    pub payee_inn: String,
    pub purpose: String,
    /// `waiting`, `matched`, `partial`, `attention`, or `none` for what is not incoming.
    pub match_state: String,
    /// The payment's page, relative to the hub.
    #[schema(example = "/bank/payments/42")]
    pub url: String,
}

impl From<PaymentRow> for BankPaymentSummary {
    fn from(p: PaymentRow) -> Self {
        BankPaymentSummary {
            url: format!("/bank/payments/{}", p.id),
            id: p.id,
            account_id: p.account_id,
            account_number: p.account_number,
            source: p.source,
            direction: p.direction,
            amount: p.amount,
            allocated: p.allocated,
            doc_number: p.doc_number,
            doc_date: p.doc_date,
            op_date: p.op_date,
            payer_name: p.payer_name,
            payer_inn: p.payer_inn,
            payee_name: p.payee_name,
            payee_inn: p.payee_inn,
            purpose: p.purpose,
            match_state: p.match_state,
        }
    }
}

/// How many match. Counting stops at 10 000 (`capped`); the sums are given only when the
/// count is exact.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankPaymentTotals {
    pub count: i64,
    pub capped: bool,
    /// Kopecks received, over every page.
    pub incoming: Option<i64>,
    /// Kopecks paid out, over every page.
    pub outgoing: Option<i64>,
}

impl From<Totals> for BankPaymentTotals {
    fn from(t: Totals) -> Self {
        BankPaymentTotals {
            count: t.count,
            capped: t.capped,
            incoming: t.incoming,
            outgoing: t.outgoing,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankPaymentList {
    pub items: Vec<BankPaymentSummary>,
    pub totals: BankPaymentTotals,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// A saved filter.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankSavedFilter {
    pub id: i64,
    #[schema(example = "Ромашка за февраль")]
    pub name: String,
    /// The filter as a query string for `/api/v1/bank/payments` and `/bank/payments`.
    #[schema(example = "payer=7707083893&from=2026-02-01")]
    pub query: String,
    /// Everyone who reads the bank sees it.
    pub shared: bool,
    /// The caller's own (only those can be deleted).
    pub mine: bool,
    pub owner: String,
    /// The payments page with this filter, relative to the hub.
    pub url: String,
    /// RFC 3339.
    pub created_at: String,
}

impl BankSavedFilter {
    pub fn new(f: SavedFilter, me: i64) -> BankSavedFilter {
        BankSavedFilter {
            url: if f.query.is_empty() {
                "/bank/payments".into()
            } else {
                format!("/bank/payments?{}", f.query)
            },
            mine: f.user_id == me,
            id: f.id,
            name: f.name,
            query: f.query,
            shared: f.shared,
            owner: f.owner_name,
            created_at: rfc3339_ms(f.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankSavedFilterList {
    /// The caller's own first, then those others shared; each by name.
    pub items: Vec<BankSavedFilter>,
}

/// A filter to save.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BankNewSavedFilter {
    #[schema(required = true, example = "Ромашка за февраль")]
    pub name: String,
    /// The filter as a query string with the parameters of `GET /bank/payments` (without
    /// `after` and `limit`); stored in its canonical form.
    #[schema(example = "payer=7707083893&from=01.02.2026")]
    pub query: String,
    pub shared: bool,
}
