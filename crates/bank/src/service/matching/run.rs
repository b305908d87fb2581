//! One matcher run over one payment.

use std::collections::HashMap;

use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::error::{CoreError, CoreResult};
use shtab_core::ports::{Invoice, PaymentRecord};

use super::notice::{Numbers, note};
use super::{MatchResult, Matcher, facts};
use crate::domain::matching::{Outcome, Reason, decide};
use crate::domain::{Direction, Kopecks};
use crate::store::allocations::{self, Origin};
use crate::store::payments::{self, Payment};

/// Tries before giving up when other runs keep allocating the same invoices meanwhile.
const ATTEMPTS: usize = 3;

/// Whether the matcher may decide on the payment: it waits for an invoice, or it was left
/// for a person who has not allocated anything yet. Anything else is settled, by the
/// matcher or by a person, and the matcher must not second-guess it.
pub fn eligible(p: &Payment) -> bool {
    p.direction == Direction::Incoming
        && (p.match_state == "waiting" || (p.match_state == "attention" && p.allocated.0 == 0))
}

/// "ООО «Ромашка», 12 500,00 ₽, 2026-02-02": how the audit log names a payment.
pub(super) fn label(p: &Payment) -> String {
    let who = if p.payer.name.trim().is_empty() {
        p.payer.inn.as_str()
    } else {
        p.payer.name.as_str()
    };
    format!("{who}, {} ₽, {}", p.amount, p.op_date)
}

/// The payment's state after the matcher's outcome; `None`: leave it as it is.
fn state_after(outcome: &Outcome) -> Option<&'static str> {
    match outcome {
        Outcome::Full { .. } | Outcome::Several { .. } => Some("matched"),
        Outcome::Partial { .. } => Some("partial"),
        Outcome::Unallocated {
            reason: Reason::NothingLeft,
        } => None,
        Outcome::Unallocated { .. } => Some("attention"),
    }
}

impl MatchResult {
    fn untouched(p: &Payment, outcome: Option<Outcome>) -> MatchResult {
        MatchResult {
            payment_id: p.id,
            outcome,
            state: p.match_state.clone(),
            changed: false,
            allocated: 0,
            notified: Vec::new(),
            needs_attention: false,
        }
    }
}

/// The payers' open invoices as the invoices port answered them at the start of a run, by
/// INN. A payment's first attempt decides on these (with the allocations committed since
/// added from our own table); an attempt repeated after a conflict asks the port again.
pub(super) type Known = HashMap<String, Vec<Invoice>>;

impl Matcher {
    /// Matches one payment as the robot `bank`.
    pub async fn match_payment(&self, payment_id: i64) -> CoreResult<MatchResult> {
        self.match_payment_as(&Actor::robot("bank"), payment_id)
            .await
    }

    /// Matches one payment, audit-logged as `actor` (a person pressing "match again").
    pub async fn match_payment_as(
        &self,
        actor: &Actor,
        payment_id: i64,
    ) -> CoreResult<MatchResult> {
        let mut port = Vec::new();
        let result = self
            .decide_payment(actor, payment_id, &Known::new(), &mut port)
            .await;
        // What was committed is told to the port even when a later step failed.
        self.invoices.record_payments(&port).await?;
        result
    }

    /// Decides one payment (tries again when its invoices changed meanwhile), adding what
    /// the invoices port must be told to `port`.
    pub(super) async fn decide_payment(
        &self,
        actor: &Actor,
        payment_id: i64,
        known: &Known,
        port: &mut Vec<PaymentRecord>,
    ) -> CoreResult<MatchResult> {
        for attempt in 0..ATTEMPTS {
            let known = (attempt == 0).then_some(known);
            if let Some(result) = self.attempt(actor, payment_id, known, port).await? {
                return Ok(result);
            }
        }
        Err(CoreError::Conflict(format!(
            "payment {payment_id}: the invoices it could pay kept changing while it was matched; try again"
        )))
    }

    /// `None` when the payment or its invoices changed between reading and writing: the
    /// decision was made on an old picture, so the caller decides again.
    async fn attempt(
        &self,
        actor: &Actor,
        payment_id: i64,
        known: Option<&Known>,
        port: &mut Vec<PaymentRecord>,
    ) -> CoreResult<Option<MatchResult>> {
        let payment = payments::get(&self.db, payment_id).await?;
        if payment.direction != Direction::Incoming {
            return Ok(Some(MatchResult::untouched(&payment, None)));
        }
        if !eligible(&payment) {
            self.resync(&payment, port).await?;
            return Ok(Some(MatchResult::untouched(&payment, None)));
        }

        let pay = facts::payment(&payment);
        let found = match (&pay.payer_inn, known) {
            (None, _) => Vec::new(),
            (Some(inn), Some(known)) if known.contains_key(inn) => known[inn].clone(),
            (Some(inn), _) => self.invoices.open_by_payer_inn(inn).await?,
        };
        let ids: Vec<String> = found.iter().map(|i| i.id.clone()).collect();
        let committed = allocations::sums_for_invoices(&self.db, &ids).await?;
        let outcome = decide(&pay, &facts::invoices(&found, &committed));
        let Some(state) = state_after(&outcome) else {
            return Ok(Some(MatchResult::untouched(&payment, Some(outcome))));
        };
        let note = note(self.note_locale, &outcome, &Numbers::of(&found));
        let planned = outcome.allocations();
        if planned.is_empty() && state == payment.match_state && note == payment.match_note {
            // The same decision as last time: nothing to write, nobody to tell again.
            return Ok(Some(MatchResult::untouched(&payment, Some(outcome))));
        }

        let mut tx = self.db.begin().await?;
        allocations::lock_payment(&mut tx, payment_id).await?;
        let fresh = payments::get_in(&mut tx, payment_id).await?;
        if fresh.allocated != payment.allocated || fresh.match_state != payment.match_state {
            return Ok(None);
        }
        let mut in_order: Vec<&String> = planned.iter().map(|(id, _)| id).collect();
        in_order.sort();
        for invoice in in_order {
            allocations::lock_invoice(&mut tx, self.db.backend(), invoice).await?;
            let now = allocations::sum_for_invoice(&mut tx, invoice).await?;
            if now != committed.get(invoice).copied().unwrap_or_default() {
                return Ok(None);
            }
        }
        let mut added: i64 = 0;
        for (invoice, amount) in &planned {
            allocations::insert(&mut tx, payment_id, invoice, Kopecks(*amount), Origin::Auto)
                .await?;
            added = added.checked_add(*amount).ok_or_else(|| {
                CoreError::Internal(format!("payment {payment_id}: allocations overflow"))
            })?;
        }
        let allocated = Kopecks(payment.allocated.0 + added);
        allocations::set_payment_match(&mut tx, payment_id, allocated, state, &note).await?;
        let mut changes = Changes::new();
        changes
            .diff("match_state", &payment.match_state.as_str(), &state)
            .diff("allocated", &payment.allocated, &allocated)
            .diff("match_note", &payment.match_note, &note)
            .set("outcome", &super::outcome_key(&outcome));
        if !planned.is_empty() {
            changes.set("allocations", &planned);
        }
        audit::record(
            &mut tx,
            actor,
            Event {
                action: "bank.payment.match",
                object_kind: "bank_payment",
                object_id: payment_id.to_string(),
                object_label: label(&payment),
                changes,
            },
        )
        .await?;
        tx.commit().await?;

        for (invoice, amount) in &planned {
            port.push(PaymentRecord {
                invoice_id: invoice.clone(),
                payment_id: payment_id.to_string(),
                amount_kopecks: *amount,
            });
        }
        // News for a person: money moved in a way they must check, or the payment now
        // waits for them. A payment that already waited for them is not announced twice.
        let needs_attention = outcome.needs_attention()
            && (!planned.is_empty() || payment.match_state != "attention");
        let notified = if needs_attention {
            self.tell(&payment, &outcome, &found).await
        } else {
            Vec::new()
        };
        Ok(Some(MatchResult {
            payment_id,
            outcome: Some(outcome),
            state: state.to_owned(),
            changed: true,
            allocated: added,
            notified,
            needs_attention,
        }))
    }

    /// Tells the invoices port the settled payment's allocations again. Changes nothing
    /// when the port knows them; repairs a run (or a person's change) that stopped after
    /// its commit and before the port heard of it.
    async fn resync(&self, payment: &Payment, port: &mut Vec<PaymentRecord>) -> CoreResult<()> {
        for a in allocations::of_payment(&self.db, payment.id).await? {
            port.push(PaymentRecord {
                invoice_id: a.invoice_id,
                payment_id: payment.id.to_string(),
                amount_kopecks: a.amount.0,
            });
        }
        Ok(())
    }
}
