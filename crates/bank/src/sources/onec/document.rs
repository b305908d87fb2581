//! A `СекцияДокумент` into an [`Operation`].

use super::fields::Fields;
use super::key::stable_key;
use super::names::Key;
use crate::domain::{Operation, Party, TaxFields};
use crate::sources::ParseError;

/// Builds the operation of one document. Дата and Сумма are required, and a value that is
/// present but does not parse is an error naming its line; identifiers of the parties that
/// are not valid Russian ones are kept as text (see [`Party`]).
pub fn operation(doc_type: Option<String>, f: &Fields<'_>) -> Result<Operation, ParseError> {
    let date = f
        .date(Key::Date)?
        .ok_or_else(|| f.missing("Дата", "document"))?;
    let amount = f
        .amount(Key::Amount)?
        .ok_or_else(|| f.missing("Сумма", "document"))?;
    if amount.is_negative() {
        return Err(f.error_at(Key::Amount, "Сумма", "a document amount cannot be negative"));
    }
    let mut op = Operation {
        key: String::new(),
        doc_type,
        number: f.owned(Key::Number),
        date,
        amount,
        payer: party(f, &PAYER),
        payee: party(f, &PAYEE),
        purpose: purpose(f),
        debited_on: f.date(Key::DebitedOn)?,
        credited_on: f.date(Key::CreditedOn)?,
        payment_kind: f.owned(Key::PaymentKind),
        vo: f.owned(Key::Vo),
        priority: f.owned(Key::Priority),
        uin: f.owned(Key::Uin),
        tax: tax(f),
        stated_direction: None,
    };
    op.key = stable_key(&op);
    Ok(op)
}

/// The keys of one party: both sides use the same suffixes after `Плательщик`/`Получатель`.
struct PartyKeys {
    /// The bare key: a name, possibly with an "ИНН … " prefix or the account.
    bare: Key,
    /// `…1`, the plain name.
    name: Key,
    account: Key,
    settlement_account: Key,
    kpp: Key,
    bank_name: Key,
    bic: Key,
    corr_account: Key,
    inn: Key,
}

const PAYER: PartyKeys = PartyKeys {
    bare: Key::Payer,
    name: Key::Payer1,
    account: Key::PayerAccount,
    settlement_account: Key::PayerSettlementAccount,
    kpp: Key::PayerKpp,
    bank_name: Key::PayerBank1,
    bic: Key::PayerBic,
    corr_account: Key::PayerCorrAccount,
    inn: Key::PayerInn,
};

const PAYEE: PartyKeys = PartyKeys {
    bare: Key::Payee,
    name: Key::Payee1,
    account: Key::PayeeAccount,
    settlement_account: Key::PayeeSettlementAccount,
    kpp: Key::PayeeKpp,
    bank_name: Key::PayeeBank1,
    bic: Key::PayeeBic,
    corr_account: Key::PayeeCorrAccount,
    inn: Key::PayeeInn,
};

fn party(f: &Fields<'_>, k: &PartyKeys) -> Party {
    let mut p = Party {
        name: f.first_of(&[k.name, k.bare]),
        // `…Счет` is mandatory in the standard; `…РасчСчет` repeats it or, for indirect
        // settlement, is all there is.
        account: f.first_of(&[k.account, k.settlement_account]),
        kpp: f.owned(k.kpp),
        bank_name: f.owned(k.bank_name),
        bic: f.owned(k.bic),
        corr_account: f.owned(k.corr_account),
        ..Party::default()
    };
    p.set_inn(f.owned(k.inn));
    p
}

/// `НазначениеПлатежа` holds the whole text; some banks also, or only, split it over
/// `НазначениеПлатежа1…6`, which are joined when the whole is missing.
fn purpose(f: &Fields<'_>) -> Option<String> {
    if let Some(whole) = f.owned(Key::Purpose) {
        return Some(whole);
    }
    let parts: Vec<&str> = [
        Key::Purpose1,
        Key::Purpose2,
        Key::Purpose3,
        Key::Purpose4,
        Key::Purpose5,
        Key::Purpose6,
    ]
    .into_iter()
    .filter_map(|k| f.text(k))
    .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn tax(f: &Fields<'_>) -> Option<TaxFields> {
    let t = TaxFields {
        payer_status: f.owned(Key::PayerStatus),
        kbk: f.owned(Key::Kbk),
        // The key says ОКАТО for history's sake; since 2014 it holds the OKTMO code.
        oktmo: f.owned(Key::Oktmo),
        basis: f.owned(Key::TaxBasis),
        period: f.owned(Key::TaxPeriod),
        doc_number: f.owned(Key::TaxDocNumber),
        doc_date: f.owned(Key::TaxDocDate),
        kind: f.owned(Key::TaxKind),
    };
    (!t.is_empty()).then_some(t)
}
