//! A statement of either kind, recognised from its first bytes, as a flat list of operations
//! with their direction resolved: what `shtab bank parse FILE` prints, one JSON line each.

use serde::Serialize;

use super::ParseError;
use super::onec::{self, AccountSection};
use super::tbank::{self, OperationStatus};
use crate::domain::{AccountNumber, Direction, Operation, direction, own_account};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    #[serde(rename = "1c")]
    OneC,
    #[serde(rename = "tbank")]
    TBank,
}

/// One operation, ready to print as a JSON line or to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedOperation {
    pub source: Format,
    pub direction: Direction,
    /// Our account the money moved on, when known.
    pub account: Option<AccountNumber>,
    /// T-Bank only: a hold (`authorization`) is not yet money.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<OperationStatus>,
    #[serde(flatten)]
    pub operation: Operation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedFile {
    pub format: Format,
    /// The accounts the file speaks for: direction is judged against them.
    pub own_accounts: Vec<AccountNumber>,
    /// 1C balance sections; empty for T-Bank.
    pub sections: Vec<AccountSection>,
    /// T-Bank paging cursor of a statement page.
    pub next_cursor: Option<String>,
    pub operations: Vec<ParsedOperation>,
}

/// Reads a 1CClientBankExchange file (recognised by its first line) or T-Bank JSON
/// (a statement page or one webhook operation).
pub fn parse_any(bytes: &[u8]) -> Result<ParsedFile, ParseError> {
    let start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = start.trim_ascii_start();
    let signature = onec::SIGNATURE.as_bytes();
    if start.len() >= signature.len() && start[..signature.len()].eq_ignore_ascii_case(signature) {
        return Ok(from_onec(onec::parse(bytes)?));
    }
    if start.first().is_some_and(|b| matches!(b, b'{' | b'[')) {
        return from_json(start);
    }
    Err(ParseError::File(
        "neither a 1CClientBankExchange file (its first line is «1CClientBankExchange») \
         nor T-Bank JSON"
            .into(),
    ))
}

fn from_onec(statement: onec::Statement) -> ParsedFile {
    let own = statement.accounts_in_file();
    let operations = statement
        .operations
        .into_iter()
        .map(|op| ParsedOperation {
            source: Format::OneC,
            direction: direction(&op, &own),
            account: own_account(&op, &own),
            status: None,
            operation: op,
        })
        .collect();
    ParsedFile {
        format: Format::OneC,
        own_accounts: own,
        sections: statement.sections,
        next_cursor: None,
        operations,
    }
}

fn from_json(bytes: &[u8]) -> Result<ParsedFile, ParseError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ParseError::line(e.line().max(1), format!("not valid JSON: {e}")))?;
    let (operations, next_cursor) = match &value {
        serde_json::Value::Object(o) if o.contains_key("operations") => {
            let page = tbank::parse_statement(&value)?;
            (page.operations, page.next_cursor)
        }
        serde_json::Value::Object(o) if o.contains_key("operationId") => {
            (vec![tbank::parse_operation(&value)?], None)
        }
        serde_json::Value::Object(o) if o.contains_key("operation") => {
            return Err(ParseError::File(
                "this is the deprecated T-Bank /api/v1/bank-statement response; \
                 Shtab reads /api/v1/statement (operations[] with operationId)"
                    .into(),
            ));
        }
        _ => {
            return Err(ParseError::File(
                "JSON, but not a T-Bank statement (no operations[]) nor an operation \
                 (no operationId)"
                    .into(),
            ));
        }
    };
    let mut own_accounts: Vec<AccountNumber> = Vec::new();
    for a in operations.iter().filter_map(|t| t.account.as_ref()) {
        if !own_accounts.contains(a) {
            own_accounts.push(a.clone());
        }
    }
    let operations = operations
        .into_iter()
        .map(|t| ParsedOperation {
            source: Format::TBank,
            // T-Bank states the direction of every operation, and fees have no counterparty
            // account to compare, so its word is taken.
            direction: t.operation.stated_direction.unwrap_or(Direction::Unknown),
            account: t.account,
            status: t.status,
            operation: t.operation,
        })
        .collect();
    Ok(ParsedFile {
        format: Format::TBank,
        own_accounts,
        sections: Vec::new(),
        next_cursor,
        operations,
    })
}

#[cfg(test)]
#[path = "parsed_tests.rs"]
mod tests;
