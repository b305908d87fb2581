//! Matching payments to invoices: the matcher the robot's jobs run ([`registry`]), and a
//! person's allocations on a payment's page.
//!
//! The rules are [`crate::domain::matching`]'s; this is the IO around them. A run reads the
//! payment and the payer's open invoices through the invoices port, decides, and writes the
//! allocations, the payment's state and the audit entry in one transaction. Only then is
//! the invoices port told (it may be another system: it cannot share our transaction), and
//! then, for any outcome but a clean full match, the responsible manager.
//!
//! Idempotent: a payment that is matched (or left for a person with money allocated) is not
//! decided again, and a decision equal to the stored one writes nothing and tells nobody. A
//! run over a settled payment re-tells the port its allocations, which changes nothing when
//! it already knows them and repairs a run that stopped between the commit and the port.

mod facts;
mod manual;
mod notice;
mod run;

use std::sync::Arc;

use shtab_core::audit::Actor;
use shtab_core::config::Config;
use shtab_core::db::Db;
use shtab_core::error::{CoreError, CoreResult};
use shtab_core::jobs::{JobContext, JobError, Registry};
use shtab_core::ports::{self, Directory, Invoices, Notifier};
use shtab_core::types::Locale;

use crate::domain::matching::Outcome;
use crate::invoices::BuiltinInvoices;
use crate::jobs::{InvoiceAppeared, MatchPayments};

pub use notice::{TEMPLATE, outcome_key};
pub use run::eligible;

/// Matches payments to invoices and records people's allocations. Cheap to clone.
#[derive(Clone)]
pub struct Matcher {
    db: Db,
    invoices: Arc<dyn Invoices>,
    notifier: Arc<dyn Notifier>,
    directory: Arc<dyn Directory>,
    /// The language of the notes stored on payments (`match_note`): the hub's default.
    note_locale: Locale,
}

/// What one run did to one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchResult {
    pub payment_id: i64,
    /// The decision, when the payment was decided on (`None`: not incoming, or already
    /// settled, so left alone).
    pub outcome: Option<Outcome>,
    /// The payment's `match_state` after the run.
    pub state: String,
    /// Allocations or the payment's state or note were written.
    pub changed: bool,
    /// Kopecks allocated by this run.
    pub allocated: i64,
    /// Delivery ids of the notifications queued.
    pub notified: Vec<i64>,
    /// The run needs a person to look (a partial payment, several invoices, nothing
    /// fitting), and this is news: the payment was not already waiting for a person.
    pub needs_attention: bool,
}

/// What a run over several payments did, for the robot's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Payments this run allocated money of (in full, across several invoices, or as
    /// part of an invoice).
    pub matched: u64,
    /// Payments this run left for a person or allocated in a way a person is told about
    /// (partial, several invoices). Overlaps `matched` for those.
    pub needs_attention: u64,
}

impl Counts {
    fn add(&mut self, r: &MatchResult) {
        if r.allocated > 0 {
            self.matched += 1;
        }
        if r.needs_attention {
            self.needs_attention += 1;
        }
    }
}

impl Matcher {
    pub fn new(
        db: Db,
        invoices: Arc<dyn Invoices>,
        notifier: Arc<dyn Notifier>,
        directory: Arc<dyn Directory>,
    ) -> Self {
        Matcher {
            db,
            invoices,
            notifier,
            directory,
            note_locale: Locale::default(),
        }
    }

    /// Over the built-in invoices, notifier and directory, noting in the hub's language.
    pub fn builtin(db: &Db, config: &Arc<Config>) -> Self {
        Matcher::new(
            db.clone(),
            Arc::new(BuiltinInvoices::new(db.clone())),
            Arc::new(ports::builtin_notifier(db, config)),
            Arc::new(ports::builtin_directory(db)),
        )
        .with_note_locale(config.default_locale())
    }

    /// The language the notes on payments are written in.
    pub fn with_note_locale(mut self, locale: Locale) -> Self {
        self.note_locale = locale;
        self
    }

    /// Where a person sees the invoice the port knows by `id` (Shtab's page or the portal's
    /// card).
    pub fn invoice_link(&self, id: &str) -> Option<String> {
        self.invoices.link(id)
    }

    /// The number of the invoice the port knows by `id`, if it still knows it.
    pub async fn invoice_number(&self, id: &str) -> CoreResult<Option<String>> {
        Ok(self.invoices.get(id).await?.map(|i| i.number))
    }

    /// Matches each payment in turn. One payment's failure does not stop the others; the
    /// first failure is returned after all were tried (a retry is safe: the ones done are
    /// left alone).
    ///
    /// The invoices port is asked about all the payers together first, and told all the
    /// allocations together at the end: a portal answers many lookups and takes many writes
    /// per request. When the port cannot answer, nothing is decided and the run fails (the
    /// queue retries it); what was committed is told to the port even when a payment failed.
    pub async fn match_payments(&self, ids: &[i64]) -> CoreResult<Counts> {
        let actor = Actor::robot("bank");
        let known = self.payers_invoices(ids).await?;
        let mut counts = Counts::default();
        let mut first_error = None;
        let mut port = Vec::new();
        for &id in ids {
            match self.decide_payment(&actor, id, &known, &mut port).await {
                Ok(r) => counts.add(&r),
                // Gone since it was queued (its account was deleted): nothing to match.
                Err(CoreError::NotFound("payment")) => {}
                Err(e) => {
                    tracing::error!(payment_id = id, error = %e, "matching a payment failed");
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Err(e) = self.invoices.record_payments(&port).await {
            tracing::error!(error = %e, "telling the invoices about the allocations failed");
            first_error.get_or_insert(e);
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(counts),
        }
    }

    /// The open invoices of the payers of those payments that may be decided on.
    async fn payers_invoices(&self, ids: &[i64]) -> CoreResult<run::Known> {
        let mut inns: Vec<String> = Vec::new();
        for &id in ids {
            let payment = match crate::store::payments::get(&self.db, id).await {
                Ok(p) => p,
                Err(CoreError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            let inn = payment.payer.inn.trim();
            if eligible(&payment) && !inn.is_empty() && !inns.iter().any(|i| i == inn) {
                inns.push(inn.to_owned());
            }
        }
        if inns.is_empty() {
            return Ok(run::Known::new());
        }
        self.invoices.open_by_payer_inns(&inns).await
    }

    /// Matches again every payment that waits for an invoice (or was left for a person
    /// with nothing allocated): what a robot does when invoices may have appeared that no
    /// event announced.
    pub async fn match_waiting(&self) -> CoreResult<Counts> {
        let ids = crate::store::allocations::rematchable(&self.db).await?;
        self.match_payments(&ids).await
    }

    /// Payments of the invoice's payer that arrived before it (or that nothing fitted)
    /// are matched again.
    pub async fn invoice_appeared(&self, invoice_id: &str) -> CoreResult<Counts> {
        let Some(invoice) = self.invoices.get(invoice_id).await? else {
            return Ok(Counts::default());
        };
        let inn = invoice.payer_inn.trim();
        if inn.is_empty() {
            return Ok(Counts::default());
        }
        let ids = crate::store::allocations::rematchable_of_payer(&self.db, inn).await?;
        self.match_payments(&ids).await
    }
}

/// The handlers of the bank's jobs. Every failure is retried with the queue's backoff: a
/// run is idempotent, and what fails is mostly the invoices port or the database.
pub fn registry(matcher: Matcher) -> Registry {
    let for_invoices = matcher.clone();
    Registry::new()
        .register(move |job: MatchPayments, _ctx: JobContext| {
            let matcher = matcher.clone();
            async move {
                matcher
                    .match_payments(&job.payment_ids)
                    .await
                    .map(|_| ())
                    .map_err(|e| JobError::Retry(e.to_string()))
            }
        })
        .register(move |job: InvoiceAppeared, _ctx: JobContext| {
            let matcher = for_invoices.clone();
            async move {
                matcher
                    .invoice_appeared(&job.invoice_id.to_string())
                    .await
                    .map(|_| ())
                    .map_err(|e| JobError::Retry(e.to_string()))
            }
        })
}
