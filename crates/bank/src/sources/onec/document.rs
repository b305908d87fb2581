//! A `СекцияДокумент` into an [`Operation`].

use super::fields::Fields;
use super::key::stable_key;
use crate::domain::{Operation, Party, TaxFields};
use crate::sources::ParseError;

/// Builds the operation of one document. Дата and Сумма are required, and a value that is
/// present but does not parse is an error naming its line; identifiers of the parties that
/// are not valid Russian ones are kept as text (see [`Party`]).
pub fn operation(doc_type: Option<String>, f: &Fields) -> Result<Operation, ParseError> {
    let date = f
        .date("дата")?
        .ok_or_else(|| f.missing("Дата", "document"))?;
    let amount = f
        .amount("сумма")?
        .ok_or_else(|| f.missing("Сумма", "document"))?;
    if amount.is_negative() {
        return Err(f.error_at("сумма", "Сумма", "a document amount cannot be negative"));
    }
    let mut op = Operation {
        key: String::new(),
        doc_type,
        number: f.owned("номер"),
        date,
        amount,
        payer: party(f, "плательщик"),
        payee: party(f, "получатель"),
        purpose: purpose(f),
        debited_on: f.date("датасписано")?,
        credited_on: f.date("датапоступило")?,
        payment_kind: f.owned("видплатежа"),
        vo: f.owned("видоплаты"),
        priority: f.owned("очередность"),
        uin: f.owned("код"),
        tax: tax(f),
        stated_direction: None,
    };
    op.key = stable_key(&op);
    Ok(op)
}

/// `prefix` is `плательщик` or `получатель`; both sides use the same key suffixes.
fn party(f: &Fields, prefix: &str) -> Party {
    let k = |suffix: &str| format!("{prefix}{suffix}");
    let mut p = Party {
        // `…1` is the plain name; the bare key may carry an "ИНН … " prefix or the account.
        name: f.first_of(&[&k("1"), prefix]),
        // `…Счет` is mandatory in the standard; `…РасчСчет` repeats it or, for indirect
        // settlement, is all there is.
        account: f.first_of(&[&k("счет"), &k("расчсчет")]),
        kpp: f.owned(&k("кпп")),
        bank_name: f.owned(&k("банк1")),
        bic: f.owned(&k("бик")),
        corr_account: f.owned(&k("корсчет")),
        ..Party::default()
    };
    p.set_inn(f.owned(&k("инн")));
    p
}

/// `НазначениеПлатежа` holds the whole text; some banks also, or only, split it over
/// `НазначениеПлатежа1…6`, which are joined when the whole is missing.
fn purpose(f: &Fields) -> Option<String> {
    if let Some(whole) = f.owned("назначениеплатежа") {
        return Some(whole);
    }
    let parts: Vec<&str> = (1..=6)
        .filter_map(|i| f.text(&format!("назначениеплатежа{i}")))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn tax(f: &Fields) -> Option<TaxFields> {
    let t = TaxFields {
        payer_status: f.owned("статуссоставителя"),
        kbk: f.owned("показателькбк"),
        // The key says ОКАТО for history's sake; since 2014 it holds the OKTMO code.
        oktmo: f.owned("окато"),
        basis: f.owned("показательоснования"),
        period: f.owned("показательпериода"),
        doc_number: f.owned("показательномера"),
        doc_date: f.owned("показательдаты"),
        kind: f.owned("показательтипа"),
    };
    (!t.is_empty()).then_some(t)
}
