//! Running a saved search. Everything is fetched and parsed first; only then is it stored,
//! in one transaction with the run's counters — a bad feed, a timeout or a broken notice
//! leaves the stored tenders as they were, and the next run simply tries again. Tenders are
//! stored once per registration number; the CRM gets a deal per tender (idempotent by the
//! number), and a tender it could not take yet is offered again by the next run.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Moscow;
use shtab_core::audit::Actor;
use shtab_core::db::Db;
use shtab_core::error::CoreError;
use shtab_core::ports::Crm;
use shtab_core::time::now_ms;

use super::deals;
use crate::domain::search::Rejection;
use crate::domain::{Law, RegNumber, TenderFacts};
use crate::sources::portal::documents::document_types;
use crate::sources::portal::{PortalClient, PortalError};
use crate::store::searches::SavedSearch;
use crate::store::tenders::{self, Stored};

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Portal(#[from] PortalError),
    #[error(transparent)]
    Store(#[from] CoreError),
}

impl From<sqlx::Error> for IngestError {
    fn from(e: sqlx::Error) -> Self {
        IngestError::Store(e.into())
    }
}

/// A tender a search turned up, with why the search does not want it (if it does not).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Candidate {
    pub facts: TenderFacts,
    /// rss, notice (the feed item enriched from its notice XML) or documents.
    pub source: &'static str,
    pub rejection: Option<Rejection>,
    /// Stored already with these very facts.
    pub known: bool,
}

/// A run's counters: tenders the search found (after filters), how many were new to Shtab
/// and how many had changed since last seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunCounts {
    pub found: i64,
    pub new: i64,
    pub updated: i64,
}

#[derive(Clone)]
pub struct Ingest {
    db: Db,
    /// A client that could not be set up (an unreadable CA file) fails each run, saying why.
    portal: Result<PortalClient, String>,
    crm: Arc<dyn Crm>,
}

impl Ingest {
    pub fn new(db: Db, portal: Result<PortalClient, PortalError>, crm: Arc<dyn Crm>) -> Ingest {
        Ingest {
            db,
            portal: portal.map_err(|e| e.to_string()),
            crm,
        }
    }

    /// The ingest of the configured portal, with `crm` taking the tenders.
    pub fn from_config(
        db: Db,
        config: &shtab_core::config::TendersConfig,
        crm: Arc<dyn Crm>,
    ) -> Ingest {
        Ingest::new(db, PortalClient::new(config), crm)
    }

    pub fn portal(&self) -> Result<&PortalClient, PortalError> {
        self.portal
            .as_ref()
            .map_err(|message| PortalError::Setup(message.clone()))
    }

    pub fn crm(&self) -> &Arc<dyn Crm> {
        &self.crm
    }

    /// What the search finds now, accepted or not; nothing is stored ("run now" preview).
    pub async fn preview(&self, search: &SavedSearch) -> Result<Vec<Candidate>, IngestError> {
        self.collect(search, Utc::now()).await
    }

    /// Runs the search: stores what it accepts, records the run, gives new tenders to the CRM.
    pub async fn run(&self, search: &SavedSearch, by: &Actor) -> Result<RunCounts, IngestError> {
        let candidates = self.collect(search, Utc::now()).await?;
        let accepted: Vec<(&TenderFacts, &str)> = candidates
            .iter()
            .filter(|c| c.rejection.is_none())
            .map(|c| (&c.facts, c.source))
            .collect();
        let (counts, changed, _) = self.store_accepted(search, &accepted).await?;
        self.sync_deals(search, &changed, by).await?;
        Ok(counts)
    }

    /// Stores tenders `search` found elsewhere (the demo company's, made up on this machine)
    /// exactly as a run stores what it accepts — the run recorded, each tender's deal made
    /// by the CRM — but gives the CRM only these tenders. Returns the counters and the ids
    /// of the tenders, in the order given.
    pub async fn store_found(
        &self,
        search: &SavedSearch,
        found: &[(TenderFacts, &str)],
        by: &Actor,
    ) -> Result<(RunCounts, Vec<i64>), IngestError> {
        let accepted: Vec<(&TenderFacts, &str)> = found.iter().map(|(f, s)| (f, *s)).collect();
        let (counts, _, ids) = self.store_accepted(search, &accepted).await?;
        for id in &ids {
            let Some(tender) = tenders::get(&self.db, *id).await? else {
                continue;
            };
            if tender.deal_id.is_none() {
                let deal = self
                    .crm
                    .create_deal(&deals::new_deal(&tender.facts, search.responsible), by)
                    .await?;
                tenders::set_deal(&self.db, tender.id, &deal.id).await?;
            }
        }
        Ok((counts, ids))
    }

    /// Stores the accepted tenders and the run in one transaction: the counters, the ids of
    /// the changed tenders and of all of them.
    async fn store_accepted(
        &self,
        search: &SavedSearch,
        accepted: &[(&TenderFacts, &str)],
    ) -> Result<(RunCounts, Vec<i64>, Vec<i64>), IngestError> {
        let now = now_ms();
        let mut counts = RunCounts {
            found: accepted.len() as i64,
            ..RunCounts::default()
        };
        let mut changed = Vec::new();
        let mut ids = Vec::new();
        let mut tx = self.db.begin().await?;
        for (facts, source) in accepted {
            let stored = tenders::store(&mut tx, facts, source, Some(search.id), now).await?;
            match stored {
                Stored::New(_) => counts.new += 1,
                Stored::Updated(id) => {
                    counts.updated += 1;
                    changed.push(id);
                }
                Stored::Unchanged(_) => {}
            }
            ids.push(stored.id());
        }
        tenders::record_run(
            &mut tx,
            search.id,
            counts.found,
            counts.new,
            counts.updated,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((counts, changed, ids))
    }

    /// Gives every tender without a deal to the CRM, and the changed ones' new facts to
    /// their deals.
    async fn sync_deals(
        &self,
        search: &SavedSearch,
        changed: &[i64],
        by: &Actor,
    ) -> Result<(), IngestError> {
        for tender in tenders::without_deal(&self.db).await? {
            // The search that first found it decides who answers for it; this one otherwise.
            let responsible = match tender.first_search {
                Some(id) if id != search.id => crate::store::searches::get(&self.db, id)
                    .await?
                    .and_then(|s| s.responsible),
                _ => search.responsible,
            };
            let deal = self
                .crm
                .create_deal(&deals::new_deal(&tender.facts, responsible), by)
                .await?;
            tenders::set_deal(&self.db, tender.id, &deal.id).await?;
        }
        for id in changed {
            if let Some(t) = tenders::get(&self.db, *id).await?
                && let Some(deal) = &t.deal_id
            {
                self.crm
                    .write_fields(deal, &deals::fields(&t.facts), by)
                    .await?;
            }
        }
        Ok(())
    }

    /// Fetches and parses what the search's sources hold now and filters it.
    async fn collect(
        &self,
        search: &SavedSearch,
        now: DateTime<Utc>,
    ) -> Result<Vec<Candidate>, IngestError> {
        let spec = &search.spec;
        let portal = self.portal()?;
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        for url in spec.rss_urls() {
            let feed = portal.feed(&url).await?;
            for item in feed.items {
                if seen.insert(item.reg_number.clone()) {
                    items.push(item);
                }
            }
        }
        let numbers: Vec<RegNumber> = items.iter().map(|i| i.reg_number.clone()).collect();
        let known = tenders::known(&self.db, &numbers).await?;
        let mut out = Vec::new();
        for item in &items {
            let feed_facts = TenderFacts::from_feed(item);
            if let Some(rejection) = spec.rejection(item, now) {
                out.push(Candidate {
                    facts: feed_facts,
                    source: "rss",
                    rejection: Some(rejection),
                    known: known.contains_key(&item.reg_number),
                });
                continue;
            }
            let stored = known.get(&item.reg_number);
            let unchanged = stored.is_some_and(|s| {
                s.feed_updated == feed_facts.feed_updated
                    && s.stage == feed_facts.stage
                    && (s.cancelled || !feed_facts.cancelled)
            });
            let (facts, source) = match stored {
                Some(s) if unchanged => (s.clone(), "rss"),
                _ if item.law == Law::Fz44 => {
                    let notice = portal.notice(&item.reg_number).await?;
                    (feed_facts.enriched_by(&notice, portal.portal()), "notice")
                }
                _ => (feed_facts, "rss"),
            };
            out.push(Candidate {
                rejection: spec.rejection(&facts, now),
                known: unchanged,
                facts,
                source,
            });
        }
        if search.use_documents {
            self.collect_documents(search, now, &mut seen, &known, &mut out)
                .await?;
        }
        Ok(out)
    }

    /// The document service's notices of today (Moscow) for each of the search's regions.
    async fn collect_documents(
        &self,
        search: &SavedSearch,
        now: DateTime<Utc>,
        seen: &mut HashSet<RegNumber>,
        known: &HashMap<RegNumber, TenderFacts>,
        out: &mut Vec<Candidate>,
    ) -> Result<(), IngestError> {
        let spec = &search.spec;
        let portal = self.portal()?;
        let day: NaiveDate = now.with_timezone(&Moscow).date_naive();
        let laws: Vec<Law> = if spec.laws.is_empty() {
            vec![Law::Fz44, Law::Fz223]
        } else {
            spec.laws.clone()
        };
        for region in &spec.regions {
            for law in &laws {
                for doc_type in document_types(*law).1 {
                    let urls = portal
                        .archive_urls(region.trim(), *law, doc_type, day)
                        .await?;
                    for url in urls {
                        for entry in portal.archive(&url).await? {
                            // One broken notice in an archive must not hide the others.
                            let Ok(notice) = entry.notice else {
                                tracing::warn!(archive = %url, entry = %entry.name, "notice skipped");
                                continue;
                            };
                            if !seen.insert(notice.reg_number.clone()) {
                                continue;
                            }
                            let mut facts = TenderFacts::from_notice(&notice, portal.portal());
                            if facts.region.is_none() {
                                facts.region = Some(region.trim().to_owned());
                            }
                            let is_known = known
                                .get(&facts.reg_number)
                                .is_some_and(|s| facts.clone().merged_over(s) == *s);
                            out.push(Candidate {
                                rejection: spec.rejection(&facts, now),
                                known: is_known,
                                facts,
                                source: "documents",
                            });
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
