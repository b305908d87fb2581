//! What the matching rules are told about a stored payment and the port's invoices.

use std::collections::HashMap;

use shtab_core::ports::{Invoice, InvoiceState};

use crate::domain::Kopecks;
use crate::domain::matching::{InvoiceFacts, PaymentFacts};
use crate::domain::purpose::invoice_numbers;
use crate::store::payments::Payment;

pub(super) fn payment(p: &Payment) -> PaymentFacts {
    let inn = p.payer.inn.trim();
    PaymentFacts {
        amount: p.amount.0,
        payer_inn: (!inn.is_empty()).then(|| inn.to_owned()),
        purpose_numbers: invoice_numbers(&p.purpose),
        already_allocated: p.allocated.0,
    }
}

/// The invoice as the port reports it, except that `paid` is at least what our committed
/// allocations add up to: the port learns of an allocation only after its transaction
/// commits, and money allocated meanwhile must not be allocated twice.
pub(super) fn invoice(i: &Invoice, committed: Option<Kopecks>) -> InvoiceFacts {
    InvoiceFacts {
        id: i.id.clone(),
        number: i.number.clone(),
        payer_inn: i.payer_inn.trim().to_owned(),
        amount: i.amount_kopecks,
        paid: i.paid_kopecks.max(committed.map_or(0, |k| k.0)),
        open: matches!(i.state, InvoiceState::Open | InvoiceState::PartiallyPaid),
    }
}

pub(super) fn invoices(
    found: &[Invoice],
    committed: &HashMap<String, Kopecks>,
) -> Vec<InvoiceFacts> {
    found
        .iter()
        .map(|i| invoice(i, committed.get(&i.id).copied()))
        .collect()
}
