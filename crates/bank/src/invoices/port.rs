//! The [`Invoices`] port over our own invoice table.
//!
//! For the built-in invoices the allocations in `bank_allocations` are the record of which
//! payment paid what: the matcher (and a person on a payment's page) writes them in its own
//! transaction, commits, and then tells the port. So recording or reversing a payment here
//! recomputes the invoice's `paid` and state from the committed allocations — a pure
//! recompute, which makes both calls idempotent and leaves nothing to drift apart.

use async_trait::async_trait;
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::db::Db;
use shtab_core::error::{CoreError, CoreResult};
use shtab_core::ports::{self, InvoiceState, Invoices};
use shtab_core::time::now_ms;

use super::domain::{InvoiceId, state_for, state_str};
use super::store::{self, allocated, get_in, label, lock};
use crate::domain::Kopecks;

/// The built-in invoices, shown at `/invoices/{id}`.
///
/// The port's calls carry no actor: they come from the matcher, so they are audited as the
/// robot `bank`, each entry naming the payment that caused it.
#[derive(Clone)]
pub struct BuiltinInvoices {
    db: Db,
}

impl BuiltinInvoices {
    pub fn new(db: Db) -> Self {
        BuiltinInvoices { db }
    }

    fn actor() -> Actor {
        Actor::robot("bank")
    }

    /// Sets the invoice's `paid` and state to what its allocations add up to.
    async fn recompute(
        &self,
        invoice_id: &str,
        payment_id: &str,
        action: &str,
    ) -> CoreResult<ports::Invoice> {
        let id = InvoiceId::from_port(invoice_id).ok_or(CoreError::NotFound("invoice"))?;
        let mut tx = self.db.begin().await?;
        lock(&mut tx, id).await?;
        let before = get_in(&mut tx, id).await?;
        let (_, paid) = allocated(&mut tx, id).await?;
        if paid > before.amount {
            return Err(CoreError::Conflict(format!(
                "payments allocated to invoice {} add up to {paid} RUB, more than its amount {} RUB",
                before.number, before.amount
            )));
        }
        if paid.0 < 0 {
            return Err(CoreError::Conflict(format!(
                "payments allocated to invoice {} add up to a negative sum ({paid} RUB)",
                before.number
            )));
        }
        let state = if before.state == InvoiceState::Cancelled {
            if paid.0 > 0 {
                return Err(CoreError::Conflict(format!(
                    "invoice {} is cancelled; no payment can be allocated to it",
                    before.number
                )));
            }
            InvoiceState::Cancelled
        } else {
            state_for(paid, before.amount)
        };
        if paid == before.paid && state == before.state {
            tx.commit().await?;
            return Ok(before.as_port());
        }
        sqlx::query("UPDATE invoices SET paid = $1, state = $2, updated_at = $3 WHERE id = $4")
            .bind(paid.0)
            .bind(state_str(state))
            .bind(now_ms())
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let mut changes = Changes::new();
        changes
            .set("payment_id", &payment_id)
            .diff("paid", &before.paid, &paid)
            .diff("state", &before.state, &state);
        audit::record(
            &mut tx,
            &Self::actor(),
            Event {
                action,
                object_kind: "invoice",
                object_id: id.to_string(),
                object_label: label(&before.number, &before.payer_name),
                changes,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(store::get(&self.db, id).await?.as_port())
    }

    /// The allocation of `payment_id` to the invoice, as committed; the matcher is expected
    /// to have written (or removed) it before calling the port.
    async fn allocation_of(
        &self,
        invoice_id: &str,
        payment_id: &str,
    ) -> CoreResult<Option<Kopecks>> {
        let Ok(payment) = payment_id.trim().parse::<i64>() else {
            return Ok(None);
        };
        let amount: Option<i64> = sqlx::query_scalar(
            "SELECT amount FROM bank_allocations WHERE invoice_id = $1 AND payment_id = $2",
        )
        .bind(invoice_id.trim())
        .bind(payment)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(amount.map(Kopecks))
    }
}

#[async_trait]
impl Invoices for BuiltinInvoices {
    async fn open_by_payer_inn(&self, inn: &str) -> CoreResult<Vec<ports::Invoice>> {
        Ok(store::open_by_payer_inn(&self.db, inn)
            .await?
            .iter()
            .map(|i| i.as_port())
            .collect())
    }

    async fn get(&self, id: &str) -> CoreResult<Option<ports::Invoice>> {
        let Some(id) = InvoiceId::from_port(id) else {
            return Ok(None);
        };
        match store::get(&self.db, id).await {
            Ok(invoice) => Ok(Some(invoice.as_port())),
            Err(CoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn record_payment(
        &self,
        invoice_id: &str,
        payment_id: &str,
        amount_kopecks: i64,
    ) -> CoreResult<ports::Invoice> {
        // The allocations decide; a different figure here means the caller's picture is
        // older than the table's (a person changed the allocation meanwhile), which the
        // recompute settles, so it is only worth a note.
        let stored = self.allocation_of(invoice_id, payment_id).await?;
        if stored != Some(Kopecks(amount_kopecks)) {
            tracing::warn!(
                invoice_id,
                payment_id,
                amount_kopecks,
                stored = ?stored.map(|k| k.0),
                "recording a payment whose allocation row says otherwise; recomputing from the allocations"
            );
        }
        self.recompute(invoice_id, payment_id, "invoice.payment_recorded")
            .await
    }

    fn link(&self, invoice_id: &str) -> Option<String> {
        InvoiceId::from_port(invoice_id).map(|i| format!("/invoices/{i}"))
    }

    async fn reverse_payment(
        &self,
        invoice_id: &str,
        payment_id: &str,
    ) -> CoreResult<ports::Invoice> {
        if self.allocation_of(invoice_id, payment_id).await?.is_some() {
            tracing::warn!(
                invoice_id,
                payment_id,
                "reversing a payment whose allocation row is still there; recomputing from the allocations"
            );
        }
        self.recompute(invoice_id, payment_id, "invoice.payment_reversed")
            .await
    }
}
