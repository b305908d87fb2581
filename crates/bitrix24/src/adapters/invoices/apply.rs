//! Telling the portal what payments paid. For every (invoice, payment) not yet applied with
//! its amount: claim it, read the invoices, their pipelines and payment documents (a few
//! requests for any number), decide each invoice's stage from what all its payments add up
//! to, claim each comment in the ledger, then send the stage moves, document payments and
//! comments in batches, and settle what the portal answered.
//!
//! A stage move and a document payment are read before they are made, so repeating them
//! changes nothing; a comment is the one thing that would show twice, and the ledger's
//! claim (taken before the call) keeps it to once, even across a crash.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::{Map, Value, json};
use shtab_core::CoreError;
use shtab_core::error::CoreResult;
use shtab_core::ports::PaymentRecord;
use shtab_core::types::Kopecks;

use super::shapes::{self, Document, Item, SMART_INVOICE};
use super::stages::Pipelines;
use super::text::{self, Facts, PaymentDetail};
use super::writes::{self, Command, Outcomes};
use super::{PortalInvoices, portal_id};
use crate::adapters::port_error;
use crate::client::decode::PortalId;
use crate::client::{Batch, Bitrix24Error};
use crate::store::invoice_settings::{self, InvoiceSettings};
use crate::store::invoices::{self as store, Row, State};

/// The ledger's name for a smart invoice.
pub(super) fn ledger_object(invoice: u64) -> String {
    format!("SI_{invoice}")
}

/// What one claimed payment will do on its invoice.
struct Plan {
    claim: Row,
    stage_before: String,
    target: Option<String>,
    document: Option<u64>,
    /// The ledger key of its comment, when this run claimed it (and so posts it).
    comment: Option<String>,
    index: usize,
}

/// The stage an invoice with `total` paid should be in; `None`: leave it.
pub(super) fn stage_for(
    pipelines: &Pipelines,
    settings: &InvoiceSettings,
    item: &Item,
    total: Kopecks,
) -> CoreResult<Option<String>> {
    if total.0 <= 0 {
        return Ok(None);
    }
    if total >= item.amount() {
        return pipelines.paid_stage(item.category(), settings).map(Some);
    }
    pipelines.partly_paid_stage(item.category(), settings)
}

fn ids_filter(key: &str, ids: &[u64]) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(key.to_owned(), json!(ids));
    m
}

/// Whether the command succeeded; its error is kept as the run's first.
fn succeeded(outcomes: &Outcomes, label: &str, first_error: &mut Option<CoreError>) -> bool {
    match outcomes.get(label) {
        None | Some(Ok(_)) => true,
        Some(Err(e)) => {
            first_error.get_or_insert_with(|| port_error(e.clone()));
            false
        }
    }
}

impl PortalInvoices {
    pub(super) async fn apply(&self, records: &[PaymentRecord]) -> CoreResult<()> {
        let mut wanted: HashMap<(u64, String), Kopecks> = HashMap::new();
        for r in records {
            let invoice = portal_id(&r.invoice_id).ok_or(CoreError::NotFound("invoice"))?;
            wanted.insert(
                (invoice, r.payment_id.trim().to_owned()),
                Kopecks(r.amount_kopecks),
            );
        }
        let invoices: Vec<u64> = wanted
            .keys()
            .map(|(i, _)| *i)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let known = store::of_invoices(&self.db, &invoices).await?;
        let mut todo: Vec<(&(u64, String), &Kopecks)> = wanted
            .iter()
            .filter(|((invoice, payment), amount)| {
                !known.get(invoice).is_some_and(|rows| {
                    rows.iter().any(|r| {
                        &r.payment_id == payment
                            && r.state == State::Applied
                            && r.amount == **amount
                    })
                })
            })
            .collect();
        if todo.is_empty() {
            return Ok(());
        }
        todo.sort();
        let mut claims = Vec::with_capacity(todo.len());
        for ((invoice, payment), amount) in todo {
            claims.push(store::claim_apply(&self.db, *invoice, payment, *amount).await?);
        }
        self.apply_claimed(claims).await
    }

    /// Rows left `applying` by a run that failed or stopped: applied again.
    pub async fn apply_unsettled(&self) -> CoreResult<usize> {
        let rows = store::unsettled(&self.db).await?;
        let n = rows.len();
        if n > 0 {
            self.apply_claimed(rows).await?;
        }
        Ok(n)
    }

    async fn apply_claimed(&self, claims: Vec<Row>) -> CoreResult<()> {
        let invoices: Vec<u64> = claims
            .iter()
            .map(|c| c.invoice_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let pagers: Vec<_> = invoices
            .chunks(super::lookup::ITEMS_PER_LIST)
            .map(|c| shapes::items(ids_filter("@id", c)))
            .collect();
        let mut items: HashMap<u64, Item> = HashMap::new();
        for raw in self
            .client
            .list_many(&pagers)
            .await
            .map_err(port_error)?
            .into_iter()
            .flatten()
        {
            let item: Item = serde_json::from_str(raw.get()).map_err(|e| {
                port_error(Bitrix24Error::Decode {
                    method: "crm.item.list".into(),
                    message: e.to_string(),
                })
            })?;
            items.insert(item.id.0, item);
        }
        let pipelines = Pipelines::read(&self.client).await?;
        let documents = self.documents(&invoices).await?;
        let settings = invoice_settings::load(&self.db).await?;
        let rows = store::of_invoices(&self.db, &invoices).await?;
        let mut details: HashMap<String, Option<PaymentDetail>> = HashMap::new();
        for c in &claims {
            if !details.contains_key(&c.payment_id) {
                let d = self.payments.payment(&c.payment_id).await?;
                details.insert(c.payment_id.clone(), d);
            }
        }

        let mut first_error: Option<CoreError> = None;
        let mut commands = Vec::new();
        let mut plans = Vec::new();
        for invoice in &invoices {
            let Some(item) = items.get(invoice) else {
                first_error.get_or_insert_with(|| {
                    CoreError::Internal(format!(
                        "the portal has no smart invoice {invoice} any more: take its payments \
                         off it in Shtab"
                    ))
                });
                continue;
            };
            let of_invoice: Vec<&Row> = rows
                .get(invoice)
                .map(|r| r.iter().collect())
                .unwrap_or_default();
            let total = Kopecks(
                of_invoice
                    .iter()
                    .filter(|r| r.state.counts())
                    .map(|r| r.amount.0)
                    .sum(),
            );
            let target = match stage_for(&pipelines, &settings, item, total) {
                Ok(t) => t,
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            };
            if let Some(stage) = target.as_ref().filter(|t| **t != item.stage_id) {
                commands.push(Command {
                    label: format!("u{invoice}"),
                    method: "crm.item.update",
                    params: json!({"entityTypeId": SMART_INVOICE, "id": invoice,
                                   "fields": {"stageId": stage}}),
                });
            }
            let mine: Vec<&Row> = claims.iter().filter(|c| c.invoice_id == *invoice).collect();
            let claimed_total: i64 = mine.iter().map(|c| c.amount.0).sum();
            let mut running = Kopecks(total.0 - claimed_total);
            let mut used: HashSet<u64> = of_invoice
                .iter()
                .filter(|r| r.state.counts() && !mine.iter().any(|m| m.payment_id == r.payment_id))
                .filter_map(|r| r.document_id)
                .collect();
            for claim in mine {
                running = Kopecks(running.0 + claim.amount.0);
                let index = plans.len();
                let document = documents
                    .get(invoice)
                    .into_iter()
                    .flatten()
                    .find(|d| !d.paid && d.sum == Some(claim.amount) && !used.contains(&d.id.0))
                    .map(|d| d.id.0);
                if let Some(d) = document {
                    used.insert(d);
                    commands.push(Command {
                        label: format!("d{index}"),
                        method: "crm.item.payment.pay",
                        params: json!({"id": d}),
                    });
                }
                let key = format!("payment:{}:v{}", claim.payment_id, claim.version);
                let comment = if self.ledger.claim(&ledger_object(*invoice), &key).await? {
                    let text = text::paid(&Facts {
                        locale: self.locale,
                        allocated: claim.amount,
                        invoice_amount: item.amount(),
                        paid_after: running,
                        payment: details.get(&claim.payment_id).and_then(Option::as_ref),
                        link: self.payment_link(&claim.payment_id),
                        payment_id: &claim.payment_id,
                    });
                    commands.push(Command {
                        label: format!("c{index}"),
                        method: "crm.timeline.comment.add",
                        params: json!({"fields": {"ENTITY_ID": invoice, "ENTITY_TYPE": "dynamic_31",
                                                  "COMMENT": text}}),
                    });
                    Some(key)
                } else {
                    None
                };
                plans.push(Plan {
                    claim: claim.clone(),
                    stage_before: item.stage_id.clone(),
                    target: target.clone(),
                    document,
                    comment,
                    index,
                });
            }
        }

        let outcomes = writes::send(&self.client, commands).await;
        for plan in plans {
            let invoice = plan.claim.invoice_id;
            let stage_ok = succeeded(&outcomes, &format!("u{invoice}"), &mut first_error);
            let document_ok = succeeded(&outcomes, &format!("d{}", plan.index), &mut first_error);
            let comment_ok = match &plan.comment {
                None => true,
                Some(key) => {
                    self.settle_comment(
                        invoice,
                        key,
                        outcomes.get(&format!("c{}", plan.index)),
                        &mut first_error,
                    )
                    .await?
                }
            };
            if stage_ok && document_ok && comment_ok {
                store::applied(
                    &self.db,
                    &plan.claim,
                    &plan.stage_before,
                    plan.target.as_deref(),
                    plan.document,
                )
                .await?;
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Finishes or gives back a comment's ledger claim after the portal answered. True when
    /// the comment is there, or may be (an answer lost on the way: never posted again).
    pub(super) async fn settle_comment(
        &self,
        invoice: u64,
        key: &str,
        outcome: Option<&Result<Box<serde_json::value::RawValue>, Bitrix24Error>>,
        first_error: &mut Option<CoreError>,
    ) -> CoreResult<bool> {
        let object = ledger_object(invoice);
        match outcome {
            Some(Ok(raw)) => {
                let id = serde_json::from_str::<PortalId>(raw.get()).map_or(0, |i| i.0);
                self.ledger.finish(&object, key, id).await?;
                Ok(true)
            }
            Some(Err(e @ Bitrix24Error::Network { .. })) => {
                tracing::warn!(invoice, key, error = %e, "the portal's answer to a timeline comment was lost; it is not posted again");
                Ok(true)
            }
            Some(Err(e)) => {
                self.ledger.release(&object, key).await?;
                first_error.get_or_insert_with(|| port_error(e.clone()));
                Ok(false)
            }
            None => {
                self.ledger.release(&object, key).await?;
                Ok(false)
            }
        }
    }

    /// The payment documents of each invoice (`crm.item.payment.list`), 50 invoices a request.
    async fn documents(&self, invoices: &[u64]) -> CoreResult<HashMap<u64, Vec<Document>>> {
        let mut out = HashMap::new();
        for chunk in invoices.chunks(crate::client::batch::MAX_COMMANDS) {
            let mut batch = Batch::new();
            for id in chunk {
                batch
                    .add(
                        &format!("p{id}"),
                        "crm.item.payment.list",
                        &json!({"entityId": id, "entityTypeId": SMART_INVOICE}),
                    )
                    .map_err(port_error)?;
            }
            let answer = self.client.batch(&batch).await.map_err(port_error)?;
            for id in chunk {
                let raw = answer.result(&format!("p{id}")).map_err(port_error)?;
                let docs: Vec<Document> = if raw.get().trim() == "[]" {
                    Vec::new()
                } else {
                    answer.decode(&format!("p{id}")).map_err(port_error)?
                };
                out.insert(*id, docs);
            }
        }
        Ok(out)
    }
}
