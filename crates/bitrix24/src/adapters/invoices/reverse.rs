//! Taking a payment back off a portal invoice (a person un-allocated it in Shtab): a timeline
//! comment, the payment document Shtab paid for it un-paid, and the stage restored — to the
//! partly-paid stage when other payments remain and the admin picked one, else to the stage
//! the invoice had before this payment moved it. A stage a person changed since is theirs and
//! stays.

use serde_json::json;
use shtab_core::error::CoreResult;
use shtab_core::types::Kopecks;

use super::PortalInvoices;
use super::apply::ledger_object;
use super::shapes::{ItemGet, SMART_INVOICE};
use super::stages::Pipelines;
use super::text::{self, Facts};
use super::writes::{self, Command};
use crate::adapters::port_error;
use crate::client::Bitrix24Error;
use crate::store::invoice_settings;
use crate::store::invoices as store;

impl PortalInvoices {
    pub(super) async fn reverse(&self, invoice: u64, payment: &str) -> CoreResult<()> {
        let Some(claim) = store::claim_reverse(&self.db, invoice, payment).await? else {
            return Ok(());
        };
        let item = match self
            .client
            .call(
                "crm.item.get",
                &json!({"entityTypeId": SMART_INVOICE, "id": invoice}),
            )
            .await
            .and_then(|a| a.decode::<ItemGet>())
        {
            Ok(got) => got.item,
            // Deleted on the portal: nothing there to take back.
            Err(Bitrix24Error::NotFound { .. }) => return store::reversed(&self.db, &claim).await,
            Err(e) => return Err(port_error(e)),
        };
        let pipelines = Pipelines::read(&self.client).await?;
        let settings = invoice_settings::load(&self.db).await?;
        let rows = store::of_invoices(&self.db, &[invoice]).await?;
        let remaining = Kopecks(
            rows.get(&invoice)
                .into_iter()
                .flatten()
                .filter(|r| r.state.counts())
                .map(|r| r.amount.0)
                .sum(),
        );
        // Only where Shtab put it: a stage a person chose since is left alone.
        let ours = claim.stage_after.as_deref() == Some(item.stage_id.as_str());
        let target = if !ours || remaining >= item.amount() {
            None
        } else if remaining.0 > 0 {
            pipelines
                .partly_paid_stage(item.category(), &settings)?
                .or_else(|| claim.stage_before.clone())
        } else {
            claim.stage_before.clone()
        };
        let target = target
            .filter(|t| *t != item.stage_id)
            .and_then(|t| pipelines.stage(item.category(), &t).cloned());

        let mut commands = Vec::new();
        if let Some(stage) = &target {
            commands.push(Command {
                label: "u".into(),
                method: "crm.item.update",
                params: json!({"entityTypeId": SMART_INVOICE, "id": invoice,
                               "fields": {"stageId": stage.status_id}}),
            });
        }
        if let Some(document) = claim.document_id {
            commands.push(Command {
                label: "d".into(),
                method: "crm.item.payment.unpay",
                params: json!({"id": document}),
            });
        }
        let key = format!("reversal:{}:v{}", claim.payment_id, claim.version);
        let commented = self.ledger.claim(&ledger_object(invoice), &key).await?;
        if commented {
            let detail = self.payments.payment(&claim.payment_id).await?;
            let text = text::reversed(
                &Facts {
                    locale: self.locale,
                    allocated: claim.amount,
                    invoice_amount: item.amount(),
                    paid_after: remaining,
                    payment: detail.as_ref(),
                    link: self.payment_link(&claim.payment_id),
                    payment_id: &claim.payment_id,
                },
                target.as_ref().map(|s| s.name.as_str()),
            );
            commands.push(Command {
                label: "c".into(),
                method: "crm.timeline.comment.add",
                params: json!({"fields": {"ENTITY_ID": invoice, "ENTITY_TYPE": "dynamic_31",
                                          "COMMENT": text}}),
            });
        }
        let outcomes = writes::send(&self.client, commands).await;
        let mut first_error = None;
        let mut ok = true;
        for label in ["u", "d"] {
            if let Some(Err(e)) = outcomes.get(label) {
                first_error.get_or_insert_with(|| port_error(e.clone()));
                ok = false;
            }
        }
        if commented {
            ok &= self
                .settle_comment(invoice, &key, outcomes.get("c"), &mut first_error)
                .await?;
        }
        if ok {
            store::reversed(&self.db, &claim).await?;
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Reversals a failed call left half-done: finished.
    pub async fn reverse_unsettled(&self) -> CoreResult<usize> {
        let rows = store::reversing(&self.db).await?;
        for r in &rows {
            self.reverse(r.invoice_id, &r.payment_id).await?;
        }
        Ok(rows.len())
    }
}
