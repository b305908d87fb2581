//! A deal that entered a stage on the portal without the fields Shtab's rules require there:
//! moved back (`crm.rules_enforcement = "revert"`), a note on its timeline naming the fields,
//! and a word to its responsible person. Queued with the entry, so it happens once per
//! entry; each of the three is claimed in the ledger before the portal is asked, so a retry
//! repeats none that was done.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use shtab_core::error::CoreResult;
use shtab_core::jobs::Job;
use shtab_core::ports::Message;

use super::PortalDeals;
use super::portal;
use crate::adapters::Ledger;
use crate::adapters::port_error;
use crate::client::Bitrix24Error;
use crate::store::StoredLedger;

/// The notification template the responsible person gets.
pub const TEMPLATE: &str = "crm.deal_rules_broken";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DealRulesBroken {
    pub deal_id: u64,
    /// The stage-history row of the move.
    pub history_id: u64,
    /// Shtab's stage the deal entered, and the one it came from (empty: unknown).
    pub stage: String,
    pub from_stage: String,
    /// The portal's stage it entered.
    pub moved_to: String,
    /// The portal's stage to move it back to, when the rules are enforced by reverting.
    pub back_to: Option<String>,
    /// Shtab's names of the fields it lacked.
    pub missing: Vec<String>,
}

impl Job for DealRulesBroken {
    const KIND: &'static str = "bitrix24.deal_rules_broken";
    const MAX_ATTEMPTS: i64 = 8;
}

/// What a claimed step came to.
async fn settle(
    ledger: &StoredLedger,
    task: &str,
    key: &str,
    outcome: Result<u64, Bitrix24Error>,
) -> CoreResult<()> {
    match outcome {
        Ok(id) => ledger.finish(task, key, id).await,
        // The request broke off after it was sent: it may have been done; not again.
        Err(e @ Bitrix24Error::Network { .. }) => Err(port_error(e)),
        Err(e) => {
            ledger.release(task, key).await?;
            Err(port_error(e))
        }
    }
}

impl PortalDeals {
    /// Does what [`DealRulesBroken`] asks; run by its job.
    pub async fn rules_broken(&self, job: &DealRulesBroken) -> CoreResult<()> {
        let ledger = StoredLedger(self.db.clone());
        let task = format!("deal:{}", job.deal_id);
        let layout = self.layout().await?;
        let stage_name = |id: &str| {
            layout
                .stage(id)
                .map(|s| s.name_ru.clone())
                .unwrap_or_else(|| id.to_owned())
        };
        let labels: Vec<String> = job
            .missing
            .iter()
            .map(|f| {
                layout
                    .field(f)
                    .map(|d| d.label_ru.clone())
                    .unwrap_or_else(|| f.clone())
            })
            .collect();
        let deal = portal::get_deal(&self.client, job.deal_id)
            .await
            .map_err(port_error)?;
        let Some(deal) = deal else {
            return Ok(());
        };
        let mut reverted = false;
        if let Some(back) = &job.back_to {
            let key = format!("revert:{}", job.history_id);
            if ledger.claim(&task, &key).await? {
                // Only a deal still where the move put it goes back: one moved on since has
                // been taken elsewhere by someone on purpose.
                let outcome = if deal.stage_id == job.moved_to {
                    let mut fields = Map::new();
                    fields.insert("STAGE_ID".into(), Value::String(back.clone()));
                    portal::update_deal(&self.client, job.deal_id, &fields)
                        .await
                        .map(|_| 0)
                } else {
                    Ok(0)
                };
                settle(&ledger, &task, &key, outcome).await?;
            }
            reverted = true;
        }
        let comment_key = format!("comment:{}", job.history_id);
        if ledger.claim(&task, &comment_key).await? {
            let mut text = format!(
                "Сделка перешла на этап «{}», не заполнив обязательные поля: {}.",
                stage_name(&job.stage),
                labels.join(", ")
            );
            if reverted {
                text.push_str(&format!(
                    " Штаб вернул её на этап «{}»: заполните поля и переведите снова.",
                    stage_name(&job.from_stage)
                ));
            } else {
                text.push_str(" Заполните их.");
            }
            let outcome = portal::comment(&self.client, job.deal_id, &text).await;
            settle(&ledger, &task, &comment_key, outcome).await?;
        }
        let notify_key = format!("notify:{}", job.history_id);
        let person = match deal.assigned_by {
            Some(user) => self.people.person(user).await?,
            None => None,
        };
        if let Some(person) = person
            && ledger.claim(&task, &notify_key).await?
        {
            let message = Message {
                template: TEMPLATE.into(),
                context: json!({
                    "deal": deal.title,
                    "stage": stage_name(&job.stage),
                    "from_stage": stage_name(&job.from_stage),
                    "missing": labels.join(", "),
                    "reverted": reverted,
                }),
                link: Some(portal::card_url(&self.client, job.deal_id)),
            };
            match self.notifier.send(person, &message).await {
                Ok(_) => ledger.finish(&task, &notify_key, 0).await?,
                Err(e) => {
                    ledger.release(&task, &notify_key).await?;
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}
