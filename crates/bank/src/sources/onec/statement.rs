//! What a 1CClientBankExchange file holds: a header, balance sections per account and
//! interval, and payment documents.

use chrono::NaiveDate;
use serde::Serialize;

use super::decode::TextEncoding;
use super::fields::Fields;
use super::names::Key;
use crate::domain::{AccountNumber, Kopecks, Operation};
use crate::sources::ParseError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// How the bytes were actually read (the header may claim otherwise).
    pub encoding: TextEncoding,
    pub header: Header,
    /// Balance sections in file order. Banks sometimes repeat an identical one; they are
    /// kept as written, since a reader of balances wants the last per account anyway.
    pub sections: Vec<AccountSection>,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Header {
    pub format_version: Option<String>,
    /// The `Кодировка=` value as written.
    pub declared_encoding: Option<String>,
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub created_on: Option<NaiveDate>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    /// `РасчСчет=` lines of the header, one per account the file covers.
    pub accounts: Vec<AccountNumber>,
}

/// One `СекцияРасчСчет`: the balance of one account over one interval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountSection {
    /// Line of `СекцияРасчСчет`, to point at it later.
    pub line: usize,
    pub account: AccountNumber,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub opening_balance: Option<Kopecks>,
    pub total_in: Option<Kopecks>,
    pub total_out: Option<Kopecks>,
    pub closing_balance: Option<Kopecks>,
}

impl AccountSection {
    pub(super) fn from_fields(f: &Fields<'_>) -> Result<AccountSection, ParseError> {
        Ok(AccountSection {
            line: f.start_line,
            account: f
                .account(Key::Account)?
                .ok_or_else(|| f.missing("РасчСчет", "account section"))?,
            period_start: f.date(Key::PeriodStart)?,
            period_end: f.date(Key::PeriodEnd)?,
            opening_balance: f.amount(Key::OpeningBalance)?,
            total_in: f.amount(Key::TotalIn)?,
            total_out: f.amount(Key::TotalOut)?,
            closing_balance: f.amount(Key::ClosingBalance)?,
        })
    }
}

impl Statement {
    /// Our accounts: those named in the header and in balance sections, each once, in the
    /// order they first appear. Direction is judged against these.
    pub fn accounts_in_file(&self) -> Vec<AccountNumber> {
        let mut out: Vec<AccountNumber> = Vec::new();
        let all = self
            .header
            .accounts
            .iter()
            .chain(self.sections.iter().map(|s| &s.account));
        for a in all {
            if !out.contains(a) {
                out.push(a.clone());
            }
        }
        out
    }

    /// The balance sections of `account`, in file order.
    pub fn sections_of<'a>(
        &'a self,
        account: &'a AccountNumber,
    ) -> impl Iterator<Item = &'a AccountSection> + 'a {
        self.sections.iter().filter(move |s| &s.account == account)
    }
}
