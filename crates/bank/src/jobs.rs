//! The capability's queued work. The handlers are registered by
//! [`crate::service::matching::registry`].

use serde::{Deserialize, Serialize};
use shtab_core::jobs::Job;

/// Match these (new, incoming) payments to invoices. Queued in the transaction that stored
/// them, so no stored payment is ever left unlooked-at.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatchPayments {
    pub payment_ids: Vec<i64>,
}

impl Job for MatchPayments {
    const KIND: &'static str = "bank.match_payments";
}

/// A built-in invoice appeared (or was changed): payments of its payer still waiting for
/// an invoice are matched again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvoiceAppeared {
    pub invoice_id: i64,
}

impl Job for InvoiceAppeared {
    const KIND: &'static str = "bank.invoice_appeared";
}
