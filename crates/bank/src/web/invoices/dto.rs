//! What the invoices API reads and writes. These types are the API's contract (and its
//! OpenAPI schemas); the store's types stay free to change behind them. Schema names start
//! with `Invoice` so they never collide with another area's in the one document.

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};
use shtab_core::FieldError;
use shtab_core::ports::InvoiceState;
use shtab_core::time::rfc3339_ms;
use shtab_web::error::ErrorDetail;
use utoipa::{IntoParams, ToSchema};

use crate::domain::Kopecks;
use crate::invoices::{
    ImportReport, Invoice, InvoiceAllocation, ListPage, RawInvoiceChange, RawInvoiceInput, RowError,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStateName {
    Open,
    PartiallyPaid,
    Paid,
    Cancelled,
}

impl From<InvoiceState> for InvoiceStateName {
    fn from(s: InvoiceState) -> Self {
        match s {
            InvoiceState::Open => InvoiceStateName::Open,
            InvoiceState::PartiallyPaid => InvoiceStateName::PartiallyPaid,
            InvoiceState::Paid => InvoiceStateName::Paid,
            InvoiceState::Cancelled => InvoiceStateName::Cancelled,
        }
    }
}

/// A person, named.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoicePerson {
    pub id: i64,
    pub full_name: String,
}

/// An invoice. Money is in kopecks.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceBody {
    #[schema(example = 17)]
    pub id: i64,
    #[schema(example = "СЧ-42")]
    pub number: String,
    /// ISO date.
    #[schema(example = "2026-02-01")]
    pub issued_on: String,
    #[schema(example = "ООО «Ромашка»")]
    pub payer_name: String,
    #[schema(example = "7707083893")]
    pub payer_inn: String,
    #[schema(example = 12_345_600)]
    pub amount_kopecks: i64,
    pub paid_kopecks: i64,
    /// What is still to be paid; 0 for a paid or cancelled invoice.
    pub remaining_kopecks: i64,
    /// ISO date.
    pub due_on: Option<String>,
    /// Unpaid after its due date (in the hub's time zone).
    pub overdue: bool,
    pub state: InvoiceStateName,
    pub responsible_id: Option<i64>,
    pub responsible: Option<InvoicePerson>,
    /// The invoice's page, relative to the hub.
    #[schema(example = "/invoices/17")]
    pub url: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl InvoiceBody {
    pub fn new(i: Invoice, today: NaiveDate) -> InvoiceBody {
        InvoiceBody {
            overdue: i.is_overdue(today),
            remaining_kopecks: i.remaining().0,
            url: format!("/invoices/{}", i.id),
            id: i.id.0,
            issued_on: i.issued_on.to_string(),
            payer_name: i.payer_name,
            payer_inn: i.payer_inn,
            amount_kopecks: i.amount.0,
            paid_kopecks: i.paid.0,
            due_on: i.due_on.map(|d| d.to_string()),
            state: i.state.into(),
            responsible_id: i.responsible_id.map(|p| p.0),
            responsible: i
                .responsible_id
                .zip(i.responsible_name)
                .map(|(id, full_name)| InvoicePerson {
                    id: id.0,
                    full_name,
                }),
            created_at: rfc3339_ms(i.created_at),
            updated_at: rfc3339_ms(i.updated_at),
            number: i.number,
        }
    }
}

/// A payment's share of the invoice.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceAllocationBody {
    pub payment_id: i64,
    /// The payment in the API: `/api/v1/bank/payments/{id}`; its page is `/bank/payments/{id}`.
    pub payment_url: String,
    /// ISO date the money arrived.
    pub op_date: String,
    pub payer_name: String,
    pub amount_kopecks: i64,
    /// `auto` (the matcher) or `manual`.
    pub origin: String,
}

impl From<InvoiceAllocation> for InvoiceAllocationBody {
    fn from(a: InvoiceAllocation) -> Self {
        InvoiceAllocationBody {
            payment_url: format!("/bank/payments/{}", a.payment_id),
            payment_id: a.payment_id,
            op_date: a.op_date,
            payer_name: a.payer_name,
            amount_kopecks: a.amount.0,
            origin: a.origin,
        }
    }
}

/// An invoice with the payments allocated to it, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceDetail {
    #[serde(flatten)]
    pub invoice: InvoiceBody,
    pub allocations: Vec<InvoiceAllocationBody>,
}

/// A page of invoices, newest first, with totals over everything the filter found.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceList {
    pub items: Vec<InvoiceBody>,
    pub total: i64,
    pub sum_amount_kopecks: i64,
    /// What the unpaid invoices found still await.
    pub sum_remaining_kopecks: i64,
    pub offset: i64,
    pub limit: i64,
}

impl InvoiceList {
    pub fn new(page: ListPage, today: NaiveDate) -> InvoiceList {
        InvoiceList {
            total: page.total,
            sum_amount_kopecks: page.sum_amount.0,
            sum_remaining_kopecks: page.sum_remaining.0,
            offset: page.offset,
            limit: page.limit,
            items: page
                .items
                .into_iter()
                .map(|i| InvoiceBody::new(i, today))
                .collect(),
        }
    }
}

/// Which invoices by state: `unpaid` is open and partially paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStateFilter {
    #[default]
    Unpaid,
    Open,
    PartiallyPaid,
    Paid,
    Cancelled,
    All,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceListParams {
    /// Searches numbers, payer names and INNs, case-insensitive.
    pub q: Option<String>,
    /// Default `unpaid`.
    #[param(inline)]
    pub state: Option<InvoiceStateFilter>,
    /// Only unpaid invoices past their due date. Default false.
    pub overdue: Option<bool>,
    /// How many to skip; 0 by default.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// How many; 50 by default.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A new invoice. It starts `open`; payments of its payer that arrived before it are
/// matched to it.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewInvoice {
    /// Unique per payer (compared the way payment purposes are read: case, look-alike
    /// Cyrillic letters and leading zeros aside).
    #[schema(required = true, example = "СЧ-42")]
    pub number: String,
    /// `YYYY-MM-DD` or `DD.MM.YYYY`.
    #[schema(required = true, example = "2026-02-01")]
    pub issued_on: String,
    #[schema(required = true, example = "ООО «Ромашка»")]
    pub payer_name: String,
    /// 10 digits (organisation) or 12 (individual), check digits verified.
    #[schema(required = true, example = "7707083893")]
    pub payer_inn: String,
    /// More than zero.
    #[schema(required = true, example = 12_345_600)]
    pub amount_kopecks: Option<i64>,
    /// `YYYY-MM-DD` or `DD.MM.YYYY`; not before `issued_on`.
    pub due_on: Option<String>,
    pub responsible_id: Option<i64>,
}

/// An amount in kopecks as the domain reads amounts (exactly: the display form parses back).
fn amount_text(kopecks: i64) -> String {
    Kopecks(kopecks).to_string()
}

impl From<NewInvoice> for RawInvoiceInput {
    fn from(n: NewInvoice) -> Self {
        RawInvoiceInput {
            number: n.number,
            issued_on: n.issued_on,
            payer_name: n.payer_name,
            payer_inn: n.payer_inn,
            amount: n.amount_kopecks.map(amount_text).unwrap_or_default(),
            due_on: n.due_on.unwrap_or_default(),
            responsible_id: n.responsible_id,
        }
    }
}

/// A partial update: fields left out keep their value; `"due_on": null` removes the due
/// date, `"responsible_id": null` the responsible person. A cancelled invoice cannot change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct InvoicePatch {
    pub number: Option<String>,
    pub issued_on: Option<String>,
    pub payer_name: Option<String>,
    /// Cannot change while payments are allocated to the invoice.
    pub payer_inn: Option<String>,
    /// Not less than what is already paid.
    pub amount_kopecks: Option<i64>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub due_on: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub responsible_id: Option<Option<i64>>,
}

/// Tells a field sent as `null` (`Some(None)`: clear it) from one left out (`None`, by
/// `default`: keep it).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl From<InvoicePatch> for RawInvoiceChange {
    fn from(p: InvoicePatch) -> Self {
        RawInvoiceChange {
            number: p.number,
            issued_on: p.issued_on,
            payer_name: p.payer_name,
            payer_inn: p.payer_inn,
            amount: p.amount_kopecks.map(amount_text),
            // The domain reads an empty date as "none".
            due_on: p.due_on.map(Option::unwrap_or_default),
            responsible_id: p.responsible_id,
        }
    }
}

/// The API names the amount `amount_kopecks`; errors must name the field it sent.
pub fn api_field_names(mut errors: Vec<FieldError>) -> Vec<FieldError> {
    for e in &mut errors {
        if e.field == "amount" {
            e.field = "amount_kopecks".into();
        }
    }
    errors
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceImportResult {
    pub created: usize,
    /// The new invoices' ids, in the file's order.
    pub ids: Vec<i64>,
}

impl From<ImportReport> for InvoiceImportResult {
    fn from(r: ImportReport) -> Self {
        InvoiceImportResult {
            created: r.created.len(),
            ids: r.created.into_iter().map(|id| id.0).collect(),
        }
    }
}

/// A bad row of an imported file.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceRowErrorBody {
    /// The line in the file, counting the header as line 1.
    pub line: u64,
    pub field: String,
    pub code: String,
    pub message: String,
}

/// A refused import: the usual error, plus every bad row when the rows were the problem.
/// Nothing was written.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceImportErrorBody {
    pub error: ErrorDetail,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<InvoiceRowErrorBody>,
}

impl InvoiceImportErrorBody {
    pub fn rows(rows: Vec<RowError>) -> Self {
        let lines: std::collections::BTreeSet<u64> = rows.iter().map(|r| r.line).collect();
        InvoiceImportErrorBody {
            error: ErrorDetail {
                code: "invalid".into(),
                message: format!(
                    "{} row(s) of the file have errors; nothing was imported",
                    lines.len()
                ),
                fields: Vec::new(),
            },
            rows: rows
                .into_iter()
                .map(|r| InvoiceRowErrorBody {
                    line: r.line,
                    field: r.field,
                    code: r.code.to_string(),
                    message: r.message,
                })
                .collect(),
        }
    }
}
