//! What the tabs show that lives in Shtab's other capabilities: the time commits logged on a
//! task (vcs), a deal's tender (the tenders capability) and a payment's statement line (the
//! bank), through ports the binary implements, as this crate knows none of them.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use shtab_core::error::CoreResult;
use shtab_core::types::Kopecks;

use crate::adapters::invoices::PaymentDetails;

/// A tender as its deal's tab shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TenderCard {
    pub reg_number: String,
    pub title: String,
    /// `44-FZ`, `223-FZ`.
    pub law: String,
    pub customer: Option<String>,
    pub customer_inn: Option<String>,
    pub max_price: Option<Kopecks>,
    pub currency: Option<String>,
    /// Applications close (Unix ms).
    pub deadline: Option<i64>,
    /// The procurement portal's stage, as it names it.
    pub stage: Option<String>,
    pub cancelled: bool,
    /// The notice on the procurement portal.
    pub notice_url: String,
    /// The notice's documents there, when the portal has such a page.
    pub documents_url: Option<String>,
    /// Tender's page in Shtab.
    pub shtab_url: String,
    /// The saved searches that found it, first finders first.
    pub searches: Vec<String>,
    /// What Shtab recorded of it, newest first: (Unix ms, what).
    pub history: Vec<(i64, String)>,
}

/// The tender behind a portal deal.
#[async_trait]
pub trait DealTenders: Send + Sync {
    /// The tender whose deal on the portal is `deal_id`, if any.
    async fn tender_of_deal(&self, deal_id: u64) -> CoreResult<Option<TenderCard>>;
}

/// The time commits logged on a task (their `@1h30m`).
#[async_trait]
pub trait CommitTime: Send + Sync {
    /// Minutes logged on task `task_id` by each commit (by sha), counting only what was
    /// logged (once per change, by an author allowed to).
    async fn logged(&self, task_id: &str) -> CoreResult<HashMap<String, i64>>;
}

/// What the binary plugs into the tabs.
#[derive(Clone)]
pub struct Cards {
    pub commit_time: Arc<dyn CommitTime>,
    pub tenders: Arc<dyn DealTenders>,
    pub payments: Arc<dyn PaymentDetails>,
}

/// Nothing of the other capabilities: the tabs say there is nothing.
pub struct NoTenders;

#[async_trait]
impl DealTenders for NoTenders {
    async fn tender_of_deal(&self, _: u64) -> CoreResult<Option<TenderCard>> {
        Ok(None)
    }
}

#[async_trait]
impl CommitTime for NoTenders {
    async fn logged(&self, _: &str) -> CoreResult<HashMap<String, i64>> {
        Ok(HashMap::new())
    }
}

impl Default for Cards {
    fn default() -> Cards {
        Cards {
            commit_time: Arc::new(NoTenders),
            tenders: Arc::new(NoTenders),
            payments: Arc::new(crate::adapters::invoices::NoPaymentDetails),
        }
    }
}
