//! Payments waiting for a portal invoice that did not exist yet. The portal announces a new
//! smart invoice with `onCrmDynamicItemAdd` (the events hook queues
//! [`InvoiceAdded`], whose handler has the bank match the waiting payments of its payer), but
//! events are not retried, so the robot `bitrix24.invoices` looks every few minutes for
//! invoices created since its cursor and has every waiting payment matched again when there
//! are any. A lost event is a delay, never a loss; an event and the robot together match a
//! payment once (the matcher leaves settled payments alone).
//!
//! Each run also checks the admin's invoice settings against the portal (a stage renamed or
//! deleted there fails the run, naming it) and finishes what a failed or cut-short call left
//! half-told to the portal.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::jobs::{Job, JobContext, JobError, Registry};
use shtab_core::robots::{LogLevel, Robot, RobotError, RunContext};
use shtab_core::types::Locale;

use crate::adapters::invoices::shapes::{self, SMART_INVOICE};
use crate::adapters::invoices::{PortalInvoices, settings};
use crate::client::Client;
use crate::client::decode::PortalId;
use crate::store::invoices as store;

pub const ROBOT: &str = "bitrix24.invoices";

/// The bank's matching, as this crate may call it (the hub implements it over the bank).
#[async_trait]
pub trait WaitingPayments: Send + Sync {
    /// Matches the payments waiting for an invoice of this portal invoice's payer; returns
    /// how many got money allocated.
    async fn invoice_appeared(&self, invoice_id: &str) -> CoreResult<u64>;
    /// Matches every payment still waiting for an invoice.
    async fn match_waiting(&self) -> CoreResult<u64>;
}

/// A smart invoice appeared on the portal: match the payments waiting for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InvoiceAdded {
    pub invoice_id: u64,
}

impl Job for InvoiceAdded {
    const KIND: &'static str = "bitrix24.invoice_added";
}

/// The handler of [`InvoiceAdded`]: the bank's matching of the new invoice's payer. Retried
/// with the queue's backoff when the portal or the database fails.
pub fn jobs(waiting: Arc<dyn WaitingPayments>) -> Registry {
    Registry::new().register(move |job: InvoiceAdded, _ctx: JobContext| {
        let waiting = waiting.clone();
        async move {
            waiting
                .invoice_appeared(&job.invoice_id.to_string())
                .await
                .map(|_| ())
                .map_err(JobError::from)
        }
    })
}

pub struct Invoices {
    client: Client,
    db: Db,
    invoices: Arc<PortalInvoices>,
    waiting: Arc<dyn WaitingPayments>,
}

impl Invoices {
    pub fn new(
        client: Client,
        db: Db,
        invoices: Arc<PortalInvoices>,
        waiting: Arc<dyn WaitingPayments>,
    ) -> Invoices {
        Invoices {
            client,
            db,
            invoices,
            waiting,
        }
    }

    /// Invoices created since the cursor; the newest one only on the first run (its
    /// payments are all matched then anyway).
    async fn new_invoices(&self) -> CoreResult<(u64, Option<u64>)> {
        let pager = shapes::items(serde_json::Map::new());
        let Some(cursor) = store::cursor(&self.db).await? else {
            let answer = self
                .client
                .call(
                    "crm.item.list",
                    &json!({"entityTypeId": SMART_INVOICE, "select": ["id"],
                            "order": {"id": "DESC"}, "start": -1}),
                )
                .await
                .map_err(crate::adapters::port_error)?;
            #[derive(Deserialize)]
            struct Items {
                #[serde(default)]
                items: Vec<Id>,
            }
            #[derive(Deserialize)]
            struct Id {
                id: PortalId,
            }
            let newest = if answer.is_empty_list() {
                None
            } else {
                answer
                    .decode::<Items>()
                    .map_err(crate::adapters::port_error)?
                    .items
                    .first()
                    .map(|i| i.id.0)
            };
            return Ok((u64::from(newest.is_some()), Some(newest.unwrap_or(0))));
        };
        let mut after = cursor;
        let mut seen = 0u64;
        loop {
            let page = self
                .client
                .page_by_id(&pager, Some(after))
                .await
                .map_err(crate::adapters::port_error)?;
            seen += page.items.len() as u64;
            if let Some(last) = page.last_id {
                after = last;
            }
            if !page.more {
                break;
            }
        }
        Ok((seen, (after != cursor).then_some(after)))
    }
}

#[async_trait]
impl Robot for Invoices {
    fn name(&self) -> &'static str {
        ROBOT
    }

    fn title(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Ru => "Новые счета в Битрикс24",
            Locale::En => "New invoices on Bitrix24",
        }
    }

    fn default_schedule(&self) -> &'static str {
        "*/5 * * * *"
    }

    async fn run(&self, ctx: &RunContext) -> Result<(), RobotError> {
        let problems = settings::check_saved(&self.client, &self.db).await?;
        if !problems.is_empty() {
            let named: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect();
            return Err(RobotError(format!(
                "the invoice settings do not fit the portal any more ({}); fix them on the \
                 Bitrix24 settings page — nothing was written to the portal",
                named.join("; ")
            )));
        }
        // Work a failed run left half-done; one invoice that cannot be finished (deleted on the
        // portal) must not keep the new ones from being looked at, so it fails the run last.
        let mut failed: Option<RobotError> = None;
        let mut finished = 0;
        for outcome in [
            self.invoices.apply_unsettled().await,
            self.invoices.reverse_unsettled().await,
        ] {
            match outcome {
                Ok(n) => finished += n,
                Err(e) => {
                    ctx.log(LogLevel::Warn, e.to_string()).await?;
                    failed.get_or_insert(RobotError::from(e));
                }
            }
        }
        if finished > 0 {
            ctx.log(
                LogLevel::Info,
                format!(
                    "finished telling the portal about {finished} payment(s) cut short earlier"
                ),
            )
            .await?;
        }
        ctx.count("finished", finished as i64).await?;
        let (new, cursor) = self.new_invoices().await?;
        ctx.count("new_invoices", new as i64).await?;
        if new > 0 {
            let matched = self.waiting.match_waiting().await?;
            ctx.count("matched", matched as i64).await?;
        }
        if let Some(cursor) = cursor {
            store::set_cursor(&self.db, cursor).await?;
        }
        failed.map_or(Ok(()), Err)
    }
}
