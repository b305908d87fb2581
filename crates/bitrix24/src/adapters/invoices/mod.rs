//! The invoices port over the portal's smart invoices (entity type 31): the bank's matcher
//! finds a payer's open invoices by INN here and tells here what each payment paid.
//!
//! - [`lookup`]: requisites → the invoices that picked them → else the owners' open invoices;
//!   number from `accountNumber`, amount from `opportunity` (exact), responsible from
//!   `assignedById` mapped to a person.
//! - [`apply`]: a payment in full moves the invoice to its pipeline's paid stage and comments
//!   on its timeline; a part payment comments (paid, remaining) and keeps the stage, or moves
//!   it to the admin's "partly paid" stage; a payment document of the same sum is paid too.
//!   Taking a payment back comments and restores the stage it had.
//! - Each (invoice, payment) is claimed in `bitrix24_invoice_payments` before the portal is
//!   called and comments in the ledger, so a re-import, a retry or a crash in between changes
//!   nothing on the portal twice. The paid amount of an invoice is what those rows add up to:
//!   the portal has no such field.

mod apply;
mod lookup;
mod reverse;
pub mod settings;
pub mod shapes;
pub mod stages;
pub mod text;
mod writes;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use shtab_core::CoreError;
use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::ports::{Invoice, InvoiceState, Invoices, PaymentRecord};
use shtab_core::types::{Kopecks, Locale};

use self::shapes::Item;
use self::stages::Pipelines;
use super::ledger::Ledger;
use super::people::PortalPeople;
use crate::client::Client;
use crate::store::invoices as store;

pub use self::text::PaymentDetail;

/// What the bank knows of a payment, for the comments: the hub implements it over the bank's
/// payments (this crate does not know the bank).
#[async_trait]
pub trait PaymentDetails: Send + Sync {
    /// The payment Shtab calls `id` (the port's payment id), if it still exists.
    async fn payment(&self, id: &str) -> CoreResult<Option<PaymentDetail>>;
}

/// No details: comments say only the amount and link the payment.
pub struct NoPaymentDetails;

#[async_trait]
impl PaymentDetails for NoPaymentDetails {
    async fn payment(&self, _: &str) -> CoreResult<Option<PaymentDetail>> {
        Ok(None)
    }
}

pub struct PortalInvoices {
    client: Client,
    db: Db,
    people: Arc<dyn PortalPeople>,
    ledger: Arc<dyn Ledger>,
    payments: Arc<dyn PaymentDetails>,
    /// The hub's address, for links to payments.
    hub_url: String,
    /// The comments' language: the hub's.
    locale: Locale,
}

/// A port invoice id as the portal's.
fn portal_id(id: &str) -> Option<u64> {
    id.trim().parse().ok().filter(|n| *n > 0)
}

impl PortalInvoices {
    pub fn new(
        client: Client,
        db: Db,
        people: Arc<dyn PortalPeople>,
        ledger: Arc<dyn Ledger>,
        payments: Arc<dyn PaymentDetails>,
    ) -> PortalInvoices {
        PortalInvoices {
            client,
            db,
            people,
            ledger,
            payments,
            hub_url: String::new(),
            locale: Locale::default(),
        }
    }

    /// Payments are linked at `{hub_url}/bank/payments/{id}`; comments are in `locale`.
    pub fn with_hub(mut self, hub_url: &str, locale: Locale) -> PortalInvoices {
        self.hub_url = hub_url.trim_end_matches('/').to_owned();
        self.locale = locale;
        self
    }

    fn payment_link(&self, payment_id: &str) -> String {
        format!("{}/bank/payments/{payment_id}", self.hub_url)
    }

    /// The port's invoice from the portal's record.
    async fn to_port(
        &self,
        item: &Item,
        payer_inn: &str,
        payer_name: &str,
        paid: Kopecks,
        state: InvoiceState,
        people: &mut HashMap<u64, Option<PersonId>>,
    ) -> CoreResult<Invoice> {
        let responsible = match item.assigned_by_id {
            Some(user) => match people.get(&user.0) {
                Some(p) => *p,
                None => {
                    let p = self.people.person(user.0).await?;
                    people.insert(user.0, p);
                    p
                }
            },
            None => None,
        };
        Ok(Invoice {
            id: item.id.to_string(),
            number: item.number(),
            payer_inn: payer_inn.to_owned(),
            payer_name: payer_name.to_owned(),
            amount_kopecks: item.amount().0,
            paid_kopecks: paid.0,
            state,
            responsible,
        })
    }
}

fn open_state(paid: Kopecks) -> InvoiceState {
    if paid.0 > 0 {
        InvoiceState::PartiallyPaid
    } else {
        InvoiceState::Open
    }
}

#[async_trait]
impl Invoices for PortalInvoices {
    async fn open_by_payer_inn(&self, inn: &str) -> CoreResult<Vec<Invoice>> {
        let mut found = self.open_by_payer_inns(&[inn.to_owned()]).await?;
        Ok(found.remove(inn.trim()).unwrap_or_default())
    }

    async fn open_by_payer_inns(
        &self,
        inns: &[String],
    ) -> CoreResult<HashMap<String, Vec<Invoice>>> {
        let pipelines = Pipelines::read(&self.client).await?;
        let found = lookup::open_by_inns(&self.client, inns, &pipelines.final_stages()).await?;
        let ids: Vec<u64> = found.values().flatten().map(|f| f.item.id.0).collect();
        let paid = store::paid(&self.db, &ids).await?;
        let mut people = HashMap::new();
        let mut out = HashMap::new();
        for (inn, list) in found {
            let mut invoices = Vec::with_capacity(list.len());
            for f in list {
                let p = paid.get(&f.item.id.0).copied().unwrap_or_default();
                invoices.push(
                    self.to_port(&f.item, &inn, &f.payer_name, p, open_state(p), &mut people)
                        .await?,
                );
            }
            out.insert(inn, invoices);
        }
        Ok(out)
    }

    async fn get(&self, id: &str) -> CoreResult<Option<Invoice>> {
        let Some(id) = portal_id(id) else {
            return Ok(None);
        };
        let Some((item, requisite)) = lookup::one(&self.client, id).await? else {
            return Ok(None);
        };
        let pipelines = Pipelines::read(&self.client).await?;
        let paid = store::paid(&self.db, &[id])
            .await?
            .get(&id)
            .copied()
            .unwrap_or_default();
        let state = match pipelines.stage(item.category(), &item.stage_id) {
            Some(s) if s.is_success() => InvoiceState::Paid,
            Some(s) if s.is_failure() => InvoiceState::Cancelled,
            _ => open_state(paid),
        };
        let (inn, name) = requisite
            .as_ref()
            .map_or(("", ""), |r| (r.inn.trim(), r.payer_name()));
        Ok(Some(
            self.to_port(&item, inn, name, paid, state, &mut HashMap::new())
                .await?,
        ))
    }

    async fn record_payment(
        &self,
        invoice_id: &str,
        payment_id: &str,
        amount_kopecks: i64,
    ) -> CoreResult<Invoice> {
        self.record_payments(&[PaymentRecord {
            invoice_id: invoice_id.to_owned(),
            payment_id: payment_id.to_owned(),
            amount_kopecks,
        }])
        .await?;
        self.get(invoice_id)
            .await?
            .ok_or(CoreError::NotFound("invoice"))
    }

    async fn record_payments(&self, records: &[PaymentRecord]) -> CoreResult<()> {
        self.apply(records).await
    }

    /// The invoice's card on the portal.
    fn link(&self, invoice_id: &str) -> Option<String> {
        portal_id(invoice_id).map(|id| {
            format!(
                "{}/crm/type/{}/details/{id}/",
                self.client.portal(),
                shapes::SMART_INVOICE
            )
        })
    }

    async fn reverse_payment(&self, invoice_id: &str, payment_id: &str) -> CoreResult<Invoice> {
        let id = portal_id(invoice_id).ok_or(CoreError::NotFound("invoice"))?;
        self.reverse(id, payment_id.trim()).await?;
        self.get(invoice_id)
            .await?
            .ok_or(CoreError::NotFound("invoice"))
    }
}

/// The invoices port when `systems.invoices = "bitrix24"` but the portal's settings cannot be
/// used: every call fails naming why, so matching waits visibly instead of marking Shtab's own
/// invoices behind the portal's back.
pub struct UnusableInvoices(pub String);

impl UnusableInvoices {
    fn refuse<T>(&self) -> CoreResult<T> {
        Err(CoreError::Internal(format!(
            "invoices live on Bitrix24, but its settings cannot be used: {}",
            self.0
        )))
    }
}

#[async_trait]
impl Invoices for UnusableInvoices {
    async fn open_by_payer_inn(&self, _: &str) -> CoreResult<Vec<Invoice>> {
        self.refuse()
    }

    async fn get(&self, _: &str) -> CoreResult<Option<Invoice>> {
        self.refuse()
    }

    async fn record_payment(&self, _: &str, _: &str, _: i64) -> CoreResult<Invoice> {
        self.refuse()
    }

    async fn reverse_payment(&self, _: &str, _: &str) -> CoreResult<Invoice> {
        self.refuse()
    }
}
