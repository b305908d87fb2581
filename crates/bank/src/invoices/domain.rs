//! Invoices the agency issues: the checked shape of a new invoice or of a change, and the
//! rule that turns what was paid into a state. No IO here.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use shtab_core::error::{CoreResult, FieldErrors};
use shtab_core::ids::PersonId;
use shtab_core::people::parse_date;
use shtab_core::ports::{self, InvoiceState};
use shtab_core::types::required_text;
use shtab_core::{CoreError, FieldError};

use crate::domain::purpose::normalize_number;
use crate::domain::{Inn, Kopecks};

/// Longest invoice number: accounting software writes `СЧ-2026/000123`, not prose.
pub const NUMBER_MAX: usize = 50;
/// Longest payer name: a full legal name with its form of incorporation fits.
pub const PAYER_NAME_MAX: usize = 300;
/// Largest amount of one invoice (100 billion roubles): far above any real one, and low
/// enough that sums over millions of invoices stay inside 64 bits.
pub const AMOUNT_MAX: Kopecks = Kopecks(10_000_000_000_000);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InvoiceId(pub i64);

impl std::fmt::Display for InvoiceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl InvoiceId {
    /// The port names invoices by text; ours are numbers, anything else names none of ours.
    pub fn from_port(id: &str) -> Option<InvoiceId> {
        id.trim().parse().ok().map(InvoiceId)
    }
}

pub const STATES: [InvoiceState; 4] = [
    InvoiceState::Open,
    InvoiceState::PartiallyPaid,
    InvoiceState::Paid,
    InvoiceState::Cancelled,
];

/// The state as the `invoices.state` column and the API spell it.
pub fn state_str(state: InvoiceState) -> &'static str {
    match state {
        InvoiceState::Open => "open",
        InvoiceState::PartiallyPaid => "partially_paid",
        InvoiceState::Paid => "paid",
        InvoiceState::Cancelled => "cancelled",
    }
}

pub fn parse_state(s: &str) -> Option<InvoiceState> {
    STATES.into_iter().find(|st| state_str(*st) == s.trim())
}

/// Still waiting for money: the matcher's candidates, the receivables.
pub fn is_unpaid(state: InvoiceState) -> bool {
    matches!(state, InvoiceState::Open | InvoiceState::PartiallyPaid)
}

/// What an invoice that is not cancelled is, given what was paid against it.
pub fn state_for(paid: Kopecks, amount: Kopecks) -> InvoiceState {
    if paid.0 <= 0 {
        InvoiceState::Open
    } else if paid >= amount {
        InvoiceState::Paid
    } else {
        InvoiceState::PartiallyPaid
    }
}

/// An invoice with its responsible person named.
#[derive(Debug, Clone, Serialize)]
pub struct Invoice {
    pub id: InvoiceId,
    pub number: String,
    pub issued_on: NaiveDate,
    pub payer_name: String,
    pub payer_inn: String,
    pub amount: Kopecks,
    pub paid: Kopecks,
    pub due_on: Option<NaiveDate>,
    pub responsible_id: Option<PersonId>,
    pub responsible_name: Option<String>,
    pub state: InvoiceState,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Invoice {
    /// What is still to be paid; nothing for a cancelled invoice.
    pub fn remaining(&self) -> Kopecks {
        if is_unpaid(self.state) {
            Kopecks((self.amount.0 - self.paid.0).max(0))
        } else {
            Kopecks::ZERO
        }
    }

    /// Unpaid after its due date; `today` is the agency's, not the server's.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        is_unpaid(self.state) && self.due_on.is_some_and(|due| due < today)
    }

    pub fn as_port(&self) -> ports::Invoice {
        ports::Invoice {
            id: self.id.to_string(),
            number: self.number.clone(),
            payer_inn: self.payer_inn.clone(),
            payer_name: self.payer_name.clone(),
            amount_kopecks: self.amount.0,
            paid_kopecks: self.paid.0,
            state: self.state,
            responsible: self.responsible_id,
        }
    }
}

/// A payment's share of an invoice, as the invoice's page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct InvoiceAllocation {
    pub payment_id: i64,
    /// The day the money arrived.
    pub op_date: String,
    pub payer_name: String,
    pub amount: Kopecks,
    /// `auto` (the matcher) or `manual`.
    pub origin: String,
    pub created_at: i64,
}

/// A new invoice as a form, an API call or a CSV row sends it, before any checking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawInvoiceInput {
    pub number: String,
    /// `YYYY-MM-DD` or `DD.MM.YYYY`.
    pub issued_on: String,
    pub payer_name: String,
    pub payer_inn: String,
    /// Roubles as people write them: `1 234,56`, `1234.5`.
    pub amount: String,
    /// Empty: no due date.
    pub due_on: String,
    pub responsible_id: Option<i64>,
}

/// A checked new invoice. Whether the number is free for this payer and the responsible
/// person exists is the store's to check.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceInput {
    pub number: String,
    pub issued_on: NaiveDate,
    pub payer_name: String,
    pub payer_inn: Inn,
    pub amount: Kopecks,
    pub due_on: Option<NaiveDate>,
    pub responsible_id: Option<PersonId>,
}

impl InvoiceInput {
    /// The number as matching compares it (`СЧ-0042` and `сч-42` are one number).
    pub fn number_key(&self) -> String {
        normalize_number(&self.number)
    }
}

impl RawInvoiceInput {
    /// Checks every field and reports all problems at once, named as the input names them.
    pub fn parse(&self) -> CoreResult<InvoiceInput> {
        let mut errors = FieldErrors::default();
        let number = errors.take(parse_number(&self.number));
        let issued_on = errors.take(parse_required_date("issued_on", &self.issued_on));
        let payer_name = errors.take(required_text(
            "payer_name",
            &self.payer_name,
            PAYER_NAME_MAX,
        ));
        let payer_inn = errors.take(parse_inn(&self.payer_inn));
        let amount = errors.take(parse_amount(&self.amount));
        let due_on = errors.take(parse_optional_date("due_on", &self.due_on));
        if let (Some(issued), Some(Some(due))) = (issued_on, due_on) {
            errors.take(check_due(issued, due));
        }
        errors.into_result()?;
        match (number, issued_on, payer_name, payer_inn, amount, due_on) {
            (
                Some(number),
                Some(issued_on),
                Some(payer_name),
                Some(payer_inn),
                Some(amount),
                Some(due_on),
            ) => Ok(InvoiceInput {
                number,
                issued_on,
                payer_name,
                payer_inn,
                amount,
                due_on,
                responsible_id: self.responsible_id.map(PersonId),
            }),
            _ => Err(CoreError::Internal(
                "an invoice field was neither parsed nor refused".into(),
            )),
        }
    }
}

/// A change to some of an invoice's fields; `None` keeps a field as it is. `due_on` and
/// `responsible_id` are `Some(None)` to clear them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InvoiceChange {
    pub number: Option<String>,
    pub issued_on: Option<NaiveDate>,
    pub payer_name: Option<String>,
    pub payer_inn: Option<Inn>,
    pub amount: Option<Kopecks>,
    pub due_on: Option<Option<NaiveDate>>,
    pub responsible_id: Option<Option<PersonId>>,
}

/// [`InvoiceChange`] before checking: text as sent; an empty `due_on` clears the date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawInvoiceChange {
    pub number: Option<String>,
    pub issued_on: Option<String>,
    pub payer_name: Option<String>,
    pub payer_inn: Option<String>,
    pub amount: Option<String>,
    pub due_on: Option<String>,
    pub responsible_id: Option<Option<i64>>,
}

impl RawInvoiceChange {
    /// Checks the fields sent; whether the due date still follows the issue date is checked
    /// by the store, which knows the fields not sent.
    pub fn parse(&self) -> CoreResult<InvoiceChange> {
        let mut errors = FieldErrors::default();
        let number = self
            .number
            .as_deref()
            .and_then(|n| errors.take(parse_number(n)));
        let issued_on = self
            .issued_on
            .as_deref()
            .and_then(|d| errors.take(parse_required_date("issued_on", d)));
        let payer_name = self
            .payer_name
            .as_deref()
            .and_then(|n| errors.take(required_text("payer_name", n, PAYER_NAME_MAX)));
        let payer_inn = self
            .payer_inn
            .as_deref()
            .and_then(|i| errors.take(parse_inn(i)));
        let amount = self
            .amount
            .as_deref()
            .and_then(|a| errors.take(parse_amount(a)));
        let due_on = self
            .due_on
            .as_deref()
            .and_then(|d| errors.take(parse_optional_date("due_on", d)));
        errors.into_result()?;
        Ok(InvoiceChange {
            number,
            issued_on,
            payer_name,
            payer_inn,
            amount,
            due_on,
            responsible_id: self.responsible_id.map(|r| r.map(PersonId)),
        })
    }
}

fn parse_number(input: &str) -> Result<String, FieldError> {
    let number = required_text("number", input, NUMBER_MAX)?;
    // A number of only spaces and separators would compare equal to every other such one.
    if !number.chars().any(char::is_alphanumeric) {
        return Err(FieldError::new(
            "number",
            "invalid_invoice_number",
            format!("«{number}» has no letters or digits"),
        ));
    }
    Ok(number)
}

fn parse_inn(input: &str) -> Result<Inn, FieldError> {
    if input.trim().is_empty() {
        return Err(FieldError::required("payer_inn"));
    }
    Inn::parse(input).map_err(|e| e.into_field_error("payer_inn"))
}

/// A positive amount, at most [`AMOUNT_MAX`].
pub fn parse_amount(input: &str) -> Result<Kopecks, FieldError> {
    if input.trim().is_empty() {
        return Err(FieldError::required("amount"));
    }
    let amount = Kopecks::parse(input).map_err(|e| e.into_field_error("amount"))?;
    if amount.0 <= 0 {
        return Err(FieldError::new(
            "amount",
            "amount_not_positive",
            format!("must be more than zero, not {amount}"),
        ));
    }
    if amount > AMOUNT_MAX {
        return Err(FieldError::new(
            "amount",
            "amount_too_large",
            format!("must be at most {AMOUNT_MAX}"),
        ));
    }
    Ok(amount)
}

fn parse_required_date(field: &str, input: &str) -> Result<NaiveDate, FieldError> {
    match input.trim() {
        "" => Err(FieldError::required(field)),
        s => parse_date(field, s),
    }
}

fn parse_optional_date(field: &str, input: &str) -> Result<Option<NaiveDate>, FieldError> {
    match input.trim() {
        "" => Ok(None),
        s => parse_date(field, s).map(Some),
    }
}

/// An invoice cannot fall due before it was issued: such a date is a typo.
pub fn check_due(issued_on: NaiveDate, due_on: NaiveDate) -> Result<(), FieldError> {
    if due_on < issued_on {
        return Err(FieldError::new(
            "due_on",
            "due_before_issue",
            format!("the due date {due_on} is before the invoice's date {issued_on}"),
        ));
    }
    Ok(())
}

/// What the search box looks through, lower-cased in Rust so Cyrillic folds too.
pub fn search_text(number: &str, payer_name: &str, payer_inn: &str) -> String {
    format!("{number} {payer_name} {payer_inn}").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawInvoiceInput {
        RawInvoiceInput {
            number: "СЧ-42".into(),
            issued_on: "01.02.2026".into(),
            payer_name: "ООО «Ромашка»".into(),
            payer_inn: "7707083893".into(),
            amount: "1 234,56".into(),
            due_on: "2026-02-15".into(),
            responsible_id: Some(3),
        }
    }

    fn codes(e: CoreError) -> Vec<(String, &'static str)> {
        match e {
            CoreError::Invalid(fields) => fields.into_iter().map(|f| (f.field, f.code)).collect(),
            other => panic!("not a field error: {other}"),
        }
    }

    #[test]
    fn a_good_invoice_parses() {
        let input = raw().parse().unwrap();
        assert_eq!(input.amount, Kopecks(123_456));
        assert_eq!(
            input.issued_on,
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
        );
        assert_eq!(input.due_on, NaiveDate::from_ymd_opt(2026, 2, 15));
        assert_eq!(input.payer_inn.as_str(), "7707083893");
        assert_eq!(input.responsible_id, Some(PersonId(3)));
        assert_eq!(input.number_key(), normalize_number("СЧ-42"));
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = RawInvoiceInput {
            number: " - ".into(),
            issued_on: "31.02.2026".into(),
            payer_name: "".into(),
            payer_inn: "7707083894".into(),
            amount: "0".into(),
            due_on: "soon".into(),
            responsible_id: None,
        };
        assert_eq!(
            codes(bad.parse().unwrap_err()),
            [
                ("number".to_string(), "invalid_invoice_number"),
                ("issued_on".to_string(), "invalid_date"),
                ("payer_name".to_string(), "required"),
                ("payer_inn".to_string(), "invalid_identifier"),
                ("amount".to_string(), "amount_not_positive"),
                ("due_on".to_string(), "invalid_date"),
            ]
        );
    }

    #[test]
    fn amounts_must_be_positive_exact_and_bounded() {
        assert_eq!(parse_amount("0,01"), Ok(Kopecks(1)));
        assert_eq!(parse_amount("-5").unwrap_err().code, "amount_not_positive");
        assert_eq!(parse_amount("1,234").unwrap_err().code, "invalid_amount");
        assert_eq!(parse_amount(" ").unwrap_err().code, "required");
        assert_eq!(
            parse_amount("100 000 000 001").unwrap_err().code,
            "amount_too_large"
        );
    }

    #[test]
    fn a_due_date_before_the_issue_date_is_a_typo() {
        let mut r = raw();
        r.due_on = "31.01.2026".into();
        assert_eq!(
            codes(r.parse().unwrap_err()),
            [("due_on".to_string(), "due_before_issue")]
        );
        r.due_on = String::new();
        assert_eq!(r.parse().unwrap().due_on, None);
    }

    #[test]
    fn state_follows_what_was_paid() {
        assert_eq!(state_for(Kopecks(0), Kopecks(100)), InvoiceState::Open);
        assert_eq!(
            state_for(Kopecks(1), Kopecks(100)),
            InvoiceState::PartiallyPaid
        );
        assert_eq!(state_for(Kopecks(100), Kopecks(100)), InvoiceState::Paid);
        for s in STATES {
            assert_eq!(parse_state(state_str(s)), Some(s));
        }
        assert_eq!(parse_state("done"), None);
    }

    #[test]
    fn a_change_checks_only_what_was_sent() {
        let change = RawInvoiceChange {
            amount: Some("500".into()),
            due_on: Some(String::new()),
            responsible_id: Some(None),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(change.amount, Some(Kopecks(50_000)));
        assert_eq!(change.due_on, Some(None));
        assert_eq!(change.responsible_id, Some(None));
        assert_eq!(change.number, None);
        let bad = RawInvoiceChange {
            payer_inn: Some("123".into()),
            ..Default::default()
        };
        assert_eq!(
            codes(bad.parse().unwrap_err()),
            [("payer_inn".to_string(), "invalid_identifier")]
        );
    }
}
