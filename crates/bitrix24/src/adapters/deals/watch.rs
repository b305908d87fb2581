//! Moves made on the portal (and Shtab's own, seen the same way afterwards): each row of the
//! portal's stage history is accounted for once. The event `ONCRMDEALUPDATE` names a deal:
//! its new rows are read with it ([`PortalDeals::deal_changed`]). The robot reads every row
//! since its cursor ([`PortalDeals::reconcile`]), so a lost event delays an entry, never
//! loses it.
//!
//! A row that puts a deal in another stage than Shtab last knew is an entry. Whoever moves
//! the deal's known row forward in the database (`store::deals::advance`) acts on it, in the
//! same transaction: the new stage's entry actions are queued there, so an event and the
//! robot seeing the same move queue them once. An entry that skipped a stage rule (another
//! app, an import) queues [`DealRulesBroken`]: a note on the deal and a word to its
//! responsible person, or, with `crm.rules_enforcement = "revert"`, the deal moved back (its
//! entry actions then do not run).

use std::collections::BTreeMap;

use serde_json::json;
use shtab_core::audit::Actor;
use shtab_core::config::RulesEnforcement;
use shtab_core::error::{CoreError, CoreResult};
use shtab_core::jobs;
use shtab_core::robots::{LogLevel, RunContext};

use super::broken::DealRulesBroken;
use super::portal::{self, HistoryRow, PortalDeal};
use super::{PortalDeals, Ready, setup};
use crate::adapters::port_error;
use crate::client::batch::MAX_COMMANDS;
use crate::client::{Batch, Bitrix24Error};
use crate::store::deals::{self as store, StageState};

/// Who acts on entries seen on the portal.
pub const ROBOT: &str = "bitrix24.deals";

/// What accounting for stage-history rows did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Accounted {
    /// Rows looked at.
    pub rows: i64,
    /// Stage entries acted on (entry actions queued).
    pub entries: i64,
    /// Entries that skipped a stage rule (noted and told).
    pub broken: i64,
    /// Of those, moved back.
    pub reverted: i64,
}

impl Accounted {
    fn add(&mut self, other: Accounted) {
        self.rows += other.rows;
        self.entries += other.entries;
        self.broken += other.broken;
        self.reverted += other.reverted;
    }
}

impl PortalDeals {
    /// `ONCRMDEALUPDATE` for deal `id`: reads the deal with its stage-history rows Shtab has
    /// not accounted for (one request) and acts on each entry once. A deal of another
    /// category is not Shtab's; a stale mapping stops it, named (the robot catches up once
    /// the settings are fixed).
    pub async fn deal_changed(&self, id: u64) -> CoreResult<Accounted> {
        let ready = self.ready().await?;
        let state = store::stage_state(&self.db, id).await?;
        let after = state
            .as_ref()
            .map_or(0, |s| s.history_id)
            .max(ready.settings.watch_from);
        let (deal, rows) = portal::deal_with_history(&self.client, id, after)
            .await
            .map_err(port_error)?;
        match deal {
            Some(deal) if deal.category_id == ready.settings.map.category_id => {
                self.account(&ready, &deal, &rows).await
            }
            _ => Ok(Accounted::default()),
        }
    }

    /// The robot's pass: every stage-history row of the category since its cursor, the
    /// mapping checked against the portal first (a renamed or deleted stage, field or
    /// category fails the run naming it, and the settings page shows it).
    pub async fn reconcile(&self, ctx: Option<&RunContext>) -> CoreResult<Accounted> {
        let ready = self.loaded().await?;
        let portal_layout = portal::layout(&self.client, ready.settings.map.category_id)
            .await
            .map_err(port_error)?;
        let missing = setup::check(&ready.settings.map, &ready.layout, &portal_layout);
        let problem = setup::problem_text(&missing);
        store::set_problem(&self.db, &self.pipeline, problem.as_deref()).await?;
        if let Some(problem) = problem {
            return Err(CoreError::Conflict(format!(
                "the deal settings do not match the portal: {problem}"
            )));
        }
        let pager = portal::history_pager(ready.settings.map.category_id);
        let mut after = ready.settings.robot_after.max(ready.settings.watch_from);
        let mut total = Accounted::default();
        loop {
            let page = self
                .client
                .page_by_id(&pager, Some(after))
                .await
                .map_err(port_error)?;
            let rows: Vec<HistoryRow> = page
                .items
                .iter()
                .map(|raw| serde_json::from_str(raw.get()))
                .collect::<Result<_, _>>()
                .map_err(|e| {
                    port_error(Bitrix24Error::Decode {
                        method: "crm.stagehistory.list".into(),
                        message: e.to_string(),
                    })
                })?;
            let done = self.account_rows(&ready, &rows).await?;
            if let Some(ctx) = ctx
                && done.entries > 0
            {
                ctx.log(
                    LogLevel::Info,
                    format!("{} stage entries acted on", done.entries),
                )
                .await?;
            }
            total.add(done);
            if let Some(last) = page.last_id {
                after = last;
                store::set_robot_after(&self.db, &self.pipeline, last).await?;
            }
            if !page.more {
                return Ok(total);
            }
        }
    }

    /// Rows of many deals: the deals are read 50 to a request, then each deal's rows in order.
    async fn account_rows(&self, ready: &Ready, rows: &[HistoryRow]) -> CoreResult<Accounted> {
        let mut by_deal: BTreeMap<u64, Vec<HistoryRow>> = BTreeMap::new();
        for row in rows {
            by_deal.entry(row.owner_id.0).or_default().push(row.clone());
        }
        let ids: Vec<u64> = by_deal.keys().copied().collect();
        let mut total = Accounted::default();
        for chunk in ids.chunks(MAX_COMMANDS) {
            let mut batch = Batch::new();
            for id in chunk {
                batch
                    .add(&format!("d{id}"), "crm.deal.get", &json!({"id": id}))
                    .map_err(port_error)?;
            }
            let answer = self.client.batch(&batch).await.map_err(port_error)?;
            for id in chunk {
                // A deal deleted since has nothing left to act on.
                let Some(deal) =
                    portal::read_deal(&answer, &format!("d{id}")).map_err(port_error)?
                else {
                    continue;
                };
                let rows = by_deal.get(id).map(Vec::as_slice).unwrap_or_default();
                total.add(self.account(ready, &deal, rows).await?);
            }
        }
        Ok(total)
    }

    /// Accounts for one deal's rows, oldest first.
    async fn account(
        &self,
        ready: &Ready,
        deal: &PortalDeal,
        rows: &[HistoryRow],
    ) -> CoreResult<Accounted> {
        let mut done = Accounted::default();
        let last = rows.iter().map(|r| r.id.0).max();
        for row in rows {
            let state = store::stage_state(&self.db, deal.id).await?;
            let seen = state.as_ref().map(|s| s.history_id);
            if row.id.0 <= seen.unwrap_or(ready.settings.watch_from) {
                continue;
            }
            done.rows += 1;
            let latest = Some(row.id.0) == last && deal.stage_id == row.stage_id;
            done.add(self.account_row(ready, deal, row, state, latest).await?);
        }
        Ok(done)
    }

    async fn account_row(
        &self,
        ready: &Ready,
        deal: &PortalDeal,
        row: &HistoryRow,
        state: Option<StageState>,
        latest: bool,
    ) -> CoreResult<Accounted> {
        let map = &ready.settings.map;
        let seen = state.as_ref().map(|s| s.history_id);
        let known = state.as_ref().map(|s| s.stage_id.as_str());
        let to = map.stage_of(&row.stage_id);
        let no_entry = known == Some(row.stage_id.as_str())
            || (known.is_none() && row.is_creation())
            // A stage Shtab does not map has nothing of Shtab's to run.
            || to.is_none();
        if no_entry {
            let mut tx = self.db.begin().await?;
            store::advance(&mut tx, deal.id, seen, &row.stage_id, row.id.0).await?;
            tx.commit().await?;
            return Ok(Accounted::default());
        }
        let to = to.unwrap_or_default();
        let from = known.and_then(|k| map.stage_of(k)).unwrap_or("");
        let mut port = self.to_port(ready, deal).await?;
        port.stage = to.to_owned();
        let missing = self
            .rules
            .missing_for_move(&self.pipeline, from, to, &port.fields)
            .await?;
        let revert = !missing.is_empty()
            && self.enforcement == RulesEnforcement::Revert
            && latest
            && known.is_some();
        let broken = |back_to: Option<String>| DealRulesBroken {
            deal_id: deal.id,
            history_id: row.id.0,
            stage: to.to_owned(),
            from_stage: from.to_owned(),
            moved_to: row.stage_id.clone(),
            back_to,
            missing: missing.iter().map(|e| e.field.clone()).collect(),
        };
        let mut done = Accounted::default();
        let mut tx = self.db.begin().await?;
        if revert {
            // The deal is taken as never having left: the move back is no entry either.
            let back = known.unwrap_or_default().to_owned();
            if !store::advance(&mut tx, deal.id, seen, &back, row.id.0).await? {
                return Ok(done);
            }
            jobs::enqueue_in(&mut tx, &broken(Some(back)), None).await?;
            tx.commit().await?;
            done.broken = 1;
            done.reverted = 1;
            return Ok(done);
        }
        if !store::advance(&mut tx, deal.id, seen, &row.stage_id, row.id.0).await? {
            return Ok(done);
        }
        let entered = self
            .rules
            .entered(&mut tx, &port, &Actor::robot(ROBOT))
            .await?;
        if !missing.is_empty() {
            jobs::enqueue_in(&mut tx, &broken(None), None).await?;
            done.broken = 1;
        }
        tx.commit().await?;
        done.entries = 1;
        tracing::info!(deal = deal.id, stage = to, actions = ?entered.done, "stage entry acted on");
        if !entered.fields.is_empty() {
            let update = setup::portal_fields(map, &ready.layout, &entered.fields);
            portal::update_deal(&self.client, deal.id, &update)
                .await
                .map_err(port_error)?;
        }
        Ok(done)
    }
}
