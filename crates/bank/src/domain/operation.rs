//! One payment as a bank reports it, whatever the source (1C exchange file, T-Bank API).

use chrono::NaiveDate;
use serde::Serialize;

use super::Kopecks;
use super::account::AccountNumber;
use super::inn::Inn;

/// A payment: who paid whom, how much, what for. Amounts are always positive; which way the
/// money went is [`direction`]'s answer, relative to the accounts that are ours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operation {
    /// Stays the same when the same payment is read again (see each source for the recipe);
    /// the store keeps one payment per key.
    pub key: String,
    /// «Платежное поручение», «Банковский ордер», … for 1C; the `payVo` kind for T-Bank.
    pub doc_type: Option<String>,
    pub number: Option<String>,
    /// The document's date (not necessarily the day the money moved).
    pub date: NaiveDate,
    pub amount: Kopecks,
    pub payer: Party,
    pub payee: Party,
    pub purpose: Option<String>,
    pub debited_on: Option<NaiveDate>,
    pub credited_on: Option<NaiveDate>,
    /// ВидПлатежа: «электронно», «срочно», …
    pub payment_kind: Option<String>,
    /// ВидОплаты, the operation type code: `01` payment order, `17` bank order, …
    pub vo: Option<String>,
    /// Очередность, kept as written: banks send `5`, `05` or nothing.
    pub priority: Option<String>,
    /// Код: the payment's unique identifier (УИН), `0` when there is none.
    pub uin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax: Option<TaxFields>,
    /// What the source states outright about the direction (T-Bank's `typeOfOperation`);
    /// 1C files say nothing, and their date fields are not to be trusted for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stated_direction: Option<Direction>,
}

/// One side of a payment. Account, KPP and BIC stay the bank's text: foreign payers and
/// banks' own transit accounts carry values that are not Russian requisites, and the person
/// reading the payment should see what the bank sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Party {
    pub name: Option<String>,
    /// The INN when it is a valid one.
    pub inn: Option<Inn>,
    /// The INN field as written when it is not a valid INN (a foreign payer's `4`, say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inn_unparsed: Option<String>,
    pub kpp: Option<String>,
    pub account: Option<String>,
    pub bank_name: Option<String>,
    pub bic: Option<String>,
    pub corr_account: Option<String>,
}

impl Party {
    /// Keeps a valid INN as [`Inn`], anything else as text, so a foreign or anonymised
    /// payer does not make the statement unreadable.
    pub fn set_inn(&mut self, text: Option<String>) {
        self.inn = None;
        self.inn_unparsed = None;
        if let Some(t) = text {
            match Inn::parse(&t) {
                Ok(inn) => self.inn = Some(inn),
                Err(_) => self.inn_unparsed = Some(t),
            }
        }
    }

    /// The INN as the bank wrote it, valid or not.
    pub fn inn_text(&self) -> Option<&str> {
        self.inn
            .as_ref()
            .map(Inn::as_str)
            .or(self.inn_unparsed.as_deref())
    }
}

/// Budget payment details (fields 101–109 of a payment order), all as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TaxFields {
    pub payer_status: Option<String>,
    pub kbk: Option<String>,
    pub oktmo: Option<String>,
    pub basis: Option<String>,
    pub period: Option<String>,
    pub doc_number: Option<String>,
    pub doc_date: Option<String>,
    pub kind: Option<String>,
}

impl TaxFields {
    pub fn is_empty(&self) -> bool {
        *self == TaxFields::default()
    }
}

/// Which way the money went, seen from our accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Incoming,
    Outgoing,
    /// Between two of our own accounts.
    Internal,
    /// Neither side is one of our accounts: someone must look.
    Unknown,
}

/// The direction by comparing the payer's and payee's accounts with ours. Deliberately not
/// from `ДатаСписано`/`ДатаПоступило`: banks fill them inconsistently (T-Bank puts
/// `ДатаСписано` on incoming transfers).
pub fn direction(op: &Operation, own_accounts: &[AccountNumber]) -> Direction {
    let ours = |p: &Party| {
        p.account
            .as_deref()
            .is_some_and(|a| own_accounts.iter().any(|o| o.as_str() == a))
    };
    match (ours(&op.payer), ours(&op.payee)) {
        (true, true) => Direction::Internal,
        (true, false) => Direction::Outgoing,
        (false, true) => Direction::Incoming,
        (false, false) => Direction::Unknown,
    }
}

/// Our account the operation moves money on: the payee's for incoming, the payer's for
/// outgoing (and for internal, where the money leaves it first).
pub fn own_account(op: &Operation, own_accounts: &[AccountNumber]) -> Option<AccountNumber> {
    let side = match direction(op, own_accounts) {
        Direction::Incoming => &op.payee,
        Direction::Outgoing | Direction::Internal => &op.payer,
        Direction::Unknown => return None,
    };
    let account = side.account.as_deref()?;
    own_accounts.iter().find(|o| o.as_str() == account).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(payer: &str, payee: &str) -> Operation {
        Operation {
            key: "k".into(),
            doc_type: None,
            number: None,
            date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            amount: Kopecks(100),
            payer: Party {
                account: Some(payer.into()),
                ..Party::default()
            },
            payee: Party {
                account: Some(payee.into()),
                ..Party::default()
            },
            purpose: None,
            // Deliberately misleading: direction must not look at these.
            debited_on: NaiveDate::from_ymd_opt(2026, 1, 1),
            credited_on: None,
            payment_kind: None,
            vo: None,
            priority: None,
            uin: None,
            tax: None,
            stated_direction: None,
        }
    }

    #[test]
    fn direction_from_accounts() {
        let a = AccountNumber::parse("40702810900000000001").unwrap();
        let b = AccountNumber::parse("40702810900000000002").unwrap();
        let own = [a.clone(), b.clone()];
        let other = "40702810900000000003";
        assert_eq!(direction(&op(other, a.as_str()), &own), Direction::Incoming);
        assert_eq!(direction(&op(a.as_str(), other), &own), Direction::Outgoing);
        assert_eq!(
            direction(&op(a.as_str(), b.as_str()), &own),
            Direction::Internal
        );
        assert_eq!(direction(&op(other, other), &own), Direction::Unknown);
        assert_eq!(own_account(&op(other, b.as_str()), &own), Some(b));
        assert_eq!(own_account(&op(other, other), &own), None);
    }

    #[test]
    fn invalid_inn_kept_as_text() {
        let mut p = Party::default();
        p.set_inn(Some("4".into()));
        assert_eq!((p.inn.as_ref(), p.inn_text()), (None, Some("4")));
        p.set_inn(Some("7707083893".into()));
        assert_eq!(p.inn.as_ref().map(Inn::as_str), Some("7707083893"));
        assert_eq!(p.inn_unparsed, None);
    }
}
