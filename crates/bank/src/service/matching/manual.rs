//! A person's allocations on a payment's page: allocating part of a payment to an invoice
//! and taking an allocation back. Checked by [`check_manual`] against what is committed,
//! under the same locks as the matcher, audit-logged in the same transaction, and then told
//! to the invoices port.

use shtab_core::FieldError;
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::error::{CoreError, CoreResult};

use super::notice::manual_note;
use super::run::label;
use super::{Matcher, facts};
use crate::domain::matching::{AllocationError, check_manual};
use crate::domain::{Direction, Kopecks};
use crate::store::allocations::{self, Allocation, Origin};
use crate::store::payments;

/// The refusal as a field error of the allocation form (`invoice_id`, `amount`).
fn refused(e: AllocationError) -> CoreError {
    let (field, code) = match e {
        AllocationError::NotPositive => ("amount", "amount_not_positive"),
        AllocationError::InvoiceClosed => ("invoice_id", "invoice_closed"),
        AllocationError::ForeignInvoice => ("invoice_id", "foreign_invoice"),
        AllocationError::ExceedsPayment { .. } => ("amount", "exceeds_payment"),
        AllocationError::ExceedsInvoice { .. } => ("amount", "exceeds_invoice"),
    };
    let message = match e {
        AllocationError::ExceedsPayment { left } => {
            format!(
                "only {} RUB of the payment are left to allocate",
                Kopecks(left)
            )
        }
        AllocationError::ExceedsInvoice { left } => {
            format!("only {} RUB of the invoice are left to pay", Kopecks(left))
        }
        other => other.to_string(),
    };
    CoreError::Invalid(vec![FieldError::new(field, code, message)])
}

impl Matcher {
    /// Allocates `amount` of the payment to the invoice (its port id). Never more than is
    /// left of either; only to an invoice billed to the payer's INN (any, when the bank gave
    /// none). Returns the allocation as stored (a second allocation to the same invoice adds
    /// to the first).
    pub async fn allocate(
        &self,
        actor: &Actor,
        payment_id: i64,
        invoice_id: &str,
        amount: Kopecks,
    ) -> CoreResult<Allocation> {
        let invoice_id = invoice_id.trim();
        let payment = payments::get(&self.db, payment_id).await?;
        if payment.direction != Direction::Incoming {
            return Err(CoreError::Conflict(
                "only incoming payments pay invoices".to_owned(),
            ));
        }
        let invoice = match invoice_id {
            "" => None,
            id => self.invoices.get(id).await?,
        }
        .ok_or_else(|| {
            CoreError::field(
                "invoice_id",
                "not_found",
                format!("there is no invoice «{invoice_id}»"),
            )
        })?;

        let mut tx = self.db.begin().await?;
        allocations::lock_payment(&mut tx, payment_id).await?;
        allocations::lock_invoice(&mut tx, self.db.backend(), &invoice.id).await?;
        // Checked against what is committed now, under the locks: the page the person saw
        // may be older than a matcher run or a colleague's allocation.
        let payment = payments::get_in(&mut tx, payment_id).await?;
        let committed = allocations::sum_for_invoice(&mut tx, &invoice.id).await?;
        let pay = facts::payment(&payment);
        let inv = facts::invoice(&invoice, Some(committed));
        check_manual(&pay, &inv, amount.0).map_err(refused)?;

        let id =
            allocations::insert(&mut tx, payment_id, &invoice.id, amount, Origin::Manual).await?;
        let allocated = allocations::sum_for_payment(&mut tx, payment_id).await?;
        let state = if allocated.0 < payment.amount.0 {
            // Part of the money is still unplaced: a person has more to do.
            "attention"
        } else if inv.remaining() > amount.0 {
            "partial"
        } else {
            "matched"
        };
        let note = manual_note(self.note_locale, &actor.label, false);
        allocations::set_payment_match(&mut tx, payment_id, allocated, state, &note).await?;
        let mut changes = Changes::new();
        changes
            .set("invoice_id", &invoice.id)
            .set("invoice_number", &invoice.number)
            .set("amount", &amount)
            .diff("allocated", &payment.allocated, &allocated)
            .diff("match_state", &payment.match_state.as_str(), &state);
        audit::record(
            &mut tx,
            actor,
            Event {
                action: "bank.payment.allocate",
                object_kind: "bank_payment",
                object_id: payment_id.to_string(),
                object_label: label(&payment),
                changes,
            },
        )
        .await?;
        let stored = allocations::get_in(&mut tx, id).await?;
        tx.commit().await?;
        self.invoices
            .record_payment(&invoice.id, &payment_id.to_string(), stored.amount.0)
            .await?;
        Ok(stored)
    }

    /// Takes an allocation of the payment back; the payment then waits for a person (the
    /// matcher tries it again only when nothing of it is allocated and an invoice of its
    /// payer appears).
    pub async fn unallocate(
        &self,
        actor: &Actor,
        payment_id: i64,
        allocation_id: i64,
    ) -> CoreResult<Allocation> {
        let mut tx = self.db.begin().await?;
        allocations::lock_payment(&mut tx, payment_id).await?;
        let found = allocations::get_in(&mut tx, allocation_id).await?;
        if found.payment_id != payment_id {
            return Err(CoreError::NotFound("allocation"));
        }
        allocations::lock_invoice(&mut tx, self.db.backend(), &found.invoice_id).await?;
        let payment = payments::get_in(&mut tx, payment_id).await?;
        let removed = allocations::delete(&mut tx, allocation_id).await?;
        let allocated = allocations::sum_for_payment(&mut tx, payment_id).await?;
        let state = "attention";
        let note = manual_note(self.note_locale, &actor.label, true);
        allocations::set_payment_match(&mut tx, payment_id, allocated, state, &note).await?;
        let mut changes = Changes::new();
        changes
            .set("invoice_id", &removed.invoice_id)
            .set("amount", &removed.amount)
            .set("origin", &removed.origin)
            .diff("allocated", &payment.allocated, &allocated)
            .diff("match_state", &payment.match_state.as_str(), &state);
        audit::record(
            &mut tx,
            actor,
            Event {
                action: "bank.payment.unallocate",
                object_kind: "bank_payment",
                object_id: payment_id.to_string(),
                object_label: label(&payment),
                changes,
            },
        )
        .await?;
        tx.commit().await?;
        self.invoices
            .reverse_payment(&removed.invoice_id, &payment_id.to_string())
            .await?;
        Ok(removed)
    }

    /// The payer's invoices a person may allocate this payment to, for the page's select:
    /// open ones of the payer's INN with their remaining amount after committed allocations.
    pub async fn open_invoices_for(
        &self,
        payment: &payments::Payment,
    ) -> CoreResult<Vec<(shtab_core::ports::Invoice, Kopecks)>> {
        let inn = payment.payer.inn.trim();
        if inn.is_empty() {
            return Ok(Vec::new());
        }
        let found = self.invoices.open_by_payer_inn(inn).await?;
        let ids: Vec<String> = found.iter().map(|i| i.id.clone()).collect();
        let committed = allocations::sums_for_invoices(&self.db, &ids).await?;
        Ok(found
            .into_iter()
            .filter_map(|i| {
                let left = facts::invoice(&i, committed.get(&i.id).copied()).remaining();
                (left > 0).then_some((i, Kopecks(left)))
            })
            .collect())
    }
}
