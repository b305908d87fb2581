//! The robot `bitrix24.deals` (every five minutes) and the deals' jobs: the portal's events
//! are not retried, so the robot goes through the stage history since its cursor and acts on
//! what no event brought; an event and the robot seeing the same move act once
//! ([`crate::adapters::deals`]).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shtab_core::jobs::{Job, JobContext, Registry};
use shtab_core::robots::{Robot, RobotError, RunContext};
use shtab_core::types::Locale;

use crate::adapters::PortalDeals;
use crate::adapters::deals::DealRulesBroken;

/// `ONCRMDEALUPDATE` (or `ONCRMDEALADD`) named this deal: look again. Queued by the events
/// endpoint, which answers the portal at once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DealChanged {
    pub deal_id: u64,
}

impl Job for DealChanged {
    const KIND: &'static str = "bitrix24.deal_changed";
    const MAX_ATTEMPTS: i64 = 6;
}

/// The deals' job handlers.
pub fn registry(deals: Arc<PortalDeals>) -> Registry {
    let broken = deals.clone();
    Registry::new()
        .register(move |job: DealChanged, _ctx: JobContext| {
            let deals = deals.clone();
            async move {
                deals.deal_changed(job.deal_id).await?;
                Ok(())
            }
        })
        .register(move |job: DealRulesBroken, _ctx: JobContext| {
            let deals = broken.clone();
            async move {
                deals.rules_broken(&job).await?;
                Ok(())
            }
        })
}

pub struct Deals {
    deals: Arc<PortalDeals>,
}

impl Deals {
    pub fn new(deals: Arc<PortalDeals>) -> Deals {
        Deals { deals }
    }
}

#[async_trait::async_trait]
impl Robot for Deals {
    fn name(&self) -> &'static str {
        crate::adapters::deals::ROBOT
    }

    fn title(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Ru => "Сделки в Битрикс24",
            Locale::En => "Deals on Bitrix24",
        }
    }

    fn default_schedule(&self) -> &'static str {
        "*/5 * * * *"
    }

    async fn run(&self, ctx: &RunContext) -> Result<(), RobotError> {
        let done = self
            .deals
            .reconcile(Some(ctx))
            .await
            .map_err(|e| RobotError(e.to_string()))?;
        for (name, n) in [
            ("rows", done.rows),
            ("entries", done.entries),
            ("broken", done.broken),
            ("reverted", done.reverted),
        ] {
            ctx.count(name, n).await?;
        }
        Ok(())
    }
}
