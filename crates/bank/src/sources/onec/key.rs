//! The stable key of a 1C document. The format has no operation id, so the key is derived
//! from what identifies a payment order in itself: its number, date, amount, both accounts,
//! the payer's INN and the purpose. Re-importing the same or an overlapping statement gives
//! the same keys; two payments on one day for the same amount from the same payer differ as
//! soon as their numbers or purposes do.
//!
//! Left out on purpose: names, bank names and the ДатаСписано/ДатаПоступило dates, which
//! banks fill or spell differently from one export to the next; the document type, which
//! banks name differently for the same transfer.
//!
//! The recipe is frozen: changing it makes every stored 1C payment look new, so a change
//! needs a new prefix and a migration.
//!
//! Equal documents within one file are still separate payments (two equal bank fees on one
//! day): [`number_equals`] gives the second and later of them their ordinal.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::names::lowercase;
use crate::domain::{AccountNumber, Operation};

pub fn stable_key(op: &Operation) -> String {
    let purpose = op
        .purpose
        .as_deref()
        .map(normalise_purpose)
        .unwrap_or_default();
    let date = op.date.format("%Y-%m-%d").to_string();
    let amount = op.amount.as_i64().to_string();
    let parts = [
        op.number.as_deref().unwrap_or(""),
        &date,
        &amount,
        op.payer.account.as_deref().unwrap_or(""),
        op.payee.account.as_deref().unwrap_or(""),
        op.payer.inn_text().unwrap_or(""),
        &purpose,
    ];
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        // The unit separator cannot occur in a line of the file, so fields cannot run into
        // each other ("12"+"3" vs "1"+"23").
        hash.update([0x1f]);
    }
    // 128 bits: collisions are out of reach for any number of payments an agency will see.
    format!("1c:{}", hex::encode(&hash.finalize()[..16]))
}

/// Makes the keys of equal documents in one file distinct: the first keeps the plain key
/// (so payments stored before this rule keep theirs), the n-th gets `#n` after it. The
/// ordinal counts equals in file order, so re-importing the same file gives the same keys
/// and adds nothing; an overlapping file with the same two fees finds both known.
///
/// A transfer between two accounts the file covers (`own`) may be listed under each of
/// them: there equals pair up, the 1st and 2nd listing being one payment, the 3rd and 4th
/// the next.
pub fn number_equals(operations: &mut [Operation], own: &[AccountNumber]) {
    let is_own =
        |account: Option<&str>| account.is_some_and(|a| own.iter().any(|o| o.as_str() == a));
    let mut seen: HashMap<String, usize> = HashMap::new();
    for op in operations.iter_mut() {
        let count = seen.entry(op.key.clone()).or_insert(0);
        *count += 1;
        let between_own =
            is_own(op.payer.account.as_deref()) && is_own(op.payee.account.as_deref());
        let ordinal = if between_own {
            count.div_ceil(2)
        } else {
            *count
        };
        if ordinal > 1 {
            op.key = format!("{}#{ordinal}", op.key);
        }
    }
}

/// Case and runs of spaces differ between exports of the same payment (and between
/// `НазначениеПлатежа` and its line-split `НазначениеПлатежа1…6`), the words do not.
fn normalise_purpose(p: &str) -> String {
    let mut words = String::with_capacity(p.len());
    for word in p.split_whitespace() {
        if !words.is_empty() {
            words.push(' ');
        }
        words.push_str(word);
    }
    lowercase(&words)
}
