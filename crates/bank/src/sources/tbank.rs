//! T-Bank Business API JSON: the `GET /api/v1/statement` page and the «Операция по счету»
//! webhook operation, read into [`Operation`]s (parsing only; fetching lives elsewhere).
//!
//! The two shapes differ in small ways that all have to be accepted: amounts are JSON numbers
//! in the statement and strings in webhooks; parties use `acct`/`bicRu`/`corAcct` in one and
//! `account`/`bic`/`corrAccount` in the other, plus `counterParty`; webhooks may lack
//! `payer`/`receiver`/`payPurpose`. Errors name the JSON path (`operations[3].accountAmount`).

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::{AccountNumber, Direction, Kopecks, Operation, Party, TaxFields};
use crate::sources::ParseError;

/// One statement response page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementPage {
    pub operations: Vec<TbankOperation>,
    /// Ask for the next page with this; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Only on the first page, and only with `withBalances=true`.
    pub balance_end: Option<Kopecks>,
}

/// An operation with what T-Bank says besides the payment itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TbankOperation {
    /// Our account the operation is on (`accountNumber`).
    pub account: Option<AccountNumber>,
    pub status: Option<OperationStatus>,
    /// `incomePeople`, `fee`, …
    pub category: Option<String>,
    pub operation: Operation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OperationStatus {
    /// Booked.
    Transaction,
    /// A hold that may still be cancelled: never to be matched to an invoice.
    Authorization,
}

/// A statement page: `{"operations": [...], "nextCursor": …, "balances": {…}}`.
pub fn parse_statement(value: &Value) -> Result<StatementPage, ParseError> {
    let root = object(value, "")?;
    let Some(list) = root.get("operations") else {
        return Err(ParseError::json("operations", "missing"));
    };
    let Value::Array(items) = list else {
        return Err(ParseError::json("operations", "expected an array"));
    };
    let operations = items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_operation_at(item, &format!("operations[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let balance_end = match root.get("balances") {
        None | Some(Value::Null) => None,
        Some(b) => amount(object(b, "balances")?, "balances", "balanceEnd")?,
    };
    Ok(StatementPage {
        operations,
        next_cursor: text(root, "", "nextCursor")?,
        balance_end,
    })
}

/// A single operation, as a webhook delivers it.
pub fn parse_operation(value: &Value) -> Result<TbankOperation, ParseError> {
    parse_operation_at(value, "")
}

fn parse_operation_at(value: &Value, path: &str) -> Result<TbankOperation, ParseError> {
    let o = object(value, path)?;
    let id = text(o, path, "operationId")?
        .ok_or_else(|| ParseError::json(&join(path, "operationId"), "missing"))?;
    let direction = match text(o, path, "typeOfOperation")?.as_deref() {
        Some(t) if t.eq_ignore_ascii_case("credit") => Direction::Incoming,
        Some(t) if t.eq_ignore_ascii_case("debit") => Direction::Outgoing,
        other => {
            return Err(ParseError::json(
                &join(path, "typeOfOperation"),
                format!("expected Credit or Debit, found {}", shown(other)),
            ));
        }
    };
    let status = match text(o, path, "operationStatus")?.as_deref() {
        None => None,
        Some(s) if s.eq_ignore_ascii_case("transaction") => Some(OperationStatus::Transaction),
        Some(s) if s.eq_ignore_ascii_case("authorization") => Some(OperationStatus::Authorization),
        Some(s) => {
            return Err(ParseError::json(
                &join(path, "operationStatus"),
                format!("expected Transaction or Authorization, found «{s}»"),
            ));
        }
    };
    let account = match text(o, path, "accountNumber")? {
        None => None,
        Some(a) => Some(
            AccountNumber::parse(&a)
                .map_err(|e| ParseError::json(&join(path, "accountNumber"), e.to_string()))?,
        ),
    };
    if let Some(code) = text(o, path, "accountCurrencyDigitalCode")? {
        // Everything downstream counts kopecks of roubles; a currency account would be read
        // as roubles, so it is refused rather than misread.
        if code != "643" {
            return Err(ParseError::json(
                &join(path, "accountCurrencyDigitalCode"),
                format!("currency {code} is not roubles (643); only rouble accounts are supported"),
            ));
        }
    }
    let amount_key = if o.contains_key("accountAmount") {
        "accountAmount"
    } else {
        "amount"
    };
    let amount = amount(o, path, amount_key)?
        .ok_or_else(|| ParseError::json(&join(path, "accountAmount"), "missing"))?;
    if amount.is_negative() {
        return Err(ParseError::json(
            &join(path, amount_key),
            "cannot be negative",
        ));
    }
    let date = first_date(
        o,
        path,
        &[
            "docDate",
            "operationDate",
            "trxnPostDate",
            "chargeDate",
            "authorizationDate",
        ],
    )?
    .ok_or_else(|| ParseError::json(&join(path, "operationDate"), "missing (and no other date)"))?;
    let booked = first_date(
        o,
        path,
        &["operationDate", "trxnPostDate", "chargeDate", "drawDate"],
    )?;
    let (payer, payee) = parties(o, path, direction, account.as_ref())?;
    let operation = Operation {
        key: format!("tbank:{id}"),
        doc_type: text(o, path, "payVo")?,
        number: text(o, path, "documentNumber")?,
        date,
        amount,
        payer,
        payee,
        purpose: match text(o, path, "payPurpose")? {
            Some(p) => Some(p),
            // Older webhooks carry the purpose only in the short `description`.
            None => text(o, path, "description")?,
        },
        debited_on: booked.filter(|_| direction == Direction::Outgoing),
        credited_on: booked.filter(|_| direction == Direction::Incoming),
        payment_kind: None,
        vo: text(o, path, "VO")?.or(text(o, path, "vo")?),
        priority: text(o, path, "priority")?,
        uin: text(o, path, "uin")?,
        tax: tax(o, path)?,
        stated_direction: Some(direction),
    };
    Ok(TbankOperation {
        account,
        status,
        category: text(o, path, "category")?,
        operation,
    })
}

/// Payer and payee. The statement and newer webhooks give both; older webhooks give only
/// `counterParty`, the other side being us (the operation's own account).
fn parties(
    o: &Map<String, Value>,
    path: &str,
    direction: Direction,
    own: Option<&AccountNumber>,
) -> Result<(Party, Party), ParseError> {
    let payer = optional_party(o, path, "payer")?;
    let payee = optional_party(o, path, "receiver")?;
    let counter = optional_party(o, path, "counterParty")?;
    let us = || Party {
        account: own.map(|a| a.as_str().to_owned()),
        ..Party::default()
    };
    let (payer, payee) = match direction {
        Direction::Incoming => (
            payer.or(counter).unwrap_or_default(),
            payee.unwrap_or_else(us),
        ),
        _ => (
            payer.unwrap_or_else(us),
            payee.or(counter).unwrap_or_default(),
        ),
    };
    Ok((payer, payee))
}

fn optional_party(
    o: &Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<Option<Party>, ParseError> {
    let here = join(path, key);
    let p = match o.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => object(v, &here)?,
    };
    let first = |keys: &[&str]| -> Result<Option<String>, ParseError> {
        for k in keys {
            if let Some(v) = text(p, &here, k)? {
                return Ok(Some(v));
            }
        }
        Ok(None)
    };
    let mut party = Party {
        name: first(&["name"])?,
        kpp: first(&["kpp"])?,
        account: first(&["acct", "account"])?,
        bank_name: first(&["bankName"])?,
        bic: first(&["bicRu", "bic", "bankBic", "bicSwift"])?,
        corr_account: first(&["corAcct", "corrAccount"])?,
        ..Party::default()
    };
    party.set_inn(first(&["inn"])?);
    Ok(Some(party))
}

fn tax(o: &Map<String, Value>, path: &str) -> Result<Option<TaxFields>, ParseError> {
    let t = TaxFields {
        payer_status: text(o, path, "creatorStatus")?,
        kbk: text(o, path, "kbk")?,
        oktmo: text(o, path, "oktmo")?,
        basis: text(o, path, "taxEvidence")?,
        period: text(o, path, "taxPeriod")?,
        doc_number: text(o, path, "taxDocNumber")?,
        doc_date: text(o, path, "taxDocDate")?,
        kind: text(o, path, "taxType")?,
    };
    Ok((!t.is_empty()).then_some(t))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn shown(v: Option<&str>) -> String {
    v.map_or_else(|| "nothing".to_owned(), |s| format!("«{s}»"))
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, ParseError> {
    v.as_object().ok_or_else(|| {
        let at = if path.is_empty() {
            "(the document)"
        } else {
            path
        };
        ParseError::json(at, "expected an object")
    })
}

/// A string or a number as text; absent, `null` and `""` are `None`.
fn text(o: &Map<String, Value>, path: &str, key: &str) -> Result<Option<String>, ParseError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            Ok((!s.is_empty()).then(|| s.to_owned()))
        }
        // serde_json prints a number as the shortest text that reads back the same, so
        // `19588.49` stays `19588.49`; the decimal text, not a float, becomes kopecks.
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ParseError::json(
            &join(path, key),
            "expected a string or a number",
        )),
    }
}

fn amount(o: &Map<String, Value>, path: &str, key: &str) -> Result<Option<Kopecks>, ParseError> {
    match text(o, path, key)? {
        None => Ok(None),
        Some(t) => Kopecks::parse(&t)
            .map(Some)
            .map_err(|e| ParseError::json(&join(path, key), e.to_string())),
    }
}

/// The first of `keys` present, as a Moscow calendar date: T-Bank sends UTC instants
/// (`2025-03-30T21:00:00Z` is the document dated 31 March), and Moscow has been UTC+3 all
/// year since 2014.
fn first_date(
    o: &Map<String, Value>,
    path: &str,
    keys: &[&str],
) -> Result<Option<NaiveDate>, ParseError> {
    for key in keys {
        if let Some(t) = text(o, path, key)? {
            return moscow_date(&t)
                .map(Some)
                .map_err(|m| ParseError::json(&join(path, key), m));
        }
    }
    Ok(None)
}

fn moscow_date(t: &str) -> Result<NaiveDate, String> {
    let Some(moscow) = FixedOffset::east_opt(3 * 3600) else {
        return Err("internal: UTC+3 is not a valid offset".into());
    };
    if let Ok(instant) = DateTime::parse_from_rfc3339(t) {
        return Ok(instant.with_timezone(&moscow).date_naive());
    }
    // A bare date is already a calendar day.
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .map_err(|_| format!("«{t}» is not an ISO 8601 date-time"))
}

#[cfg(test)]
#[path = "tbank_tests.rs"]
mod tests;
