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

use sha2::{Digest, Sha256};

use super::names::lowercase;
use crate::domain::Operation;

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
