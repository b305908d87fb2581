//! The CRM port over the portal's deals (`systems.deals = "bitrix24"`): a pipeline of Shtab
//! is a deal category, its stages the category's `STATUS_ID`s and its fields deal user
//! fields, as the settings map them ([`crate::store::deals::DealsMap`]). The pipeline's rules
//! and entry actions stay Shtab's ([`StageRules`]): the portal never checks its own stage
//! rules over REST, so every move Shtab makes is checked first, and every move made on the
//! portal is seen afterwards ([`watch`]) and acted on once.
//!
//! Each write first reads what the mapping names on the portal (in the same request as the
//! deal): a stage, field or category renamed or deleted there stops it, named, rather than
//! writing with a stale mapping (the portal silently ignores unknown fields).

mod broken;
mod create;
pub mod portal;
pub mod settings;
pub mod setup;
pub mod values;
mod watch;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value, json};
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::config::RulesEnforcement;
use shtab_core::db::Db;
use shtab_core::error::{CoreError, CoreResult};
use shtab_core::ids::PersonId;
use shtab_core::ports::{Crm, Deal, NewDeal, Notifier, PipelineLayout, StageRules};

use self::portal::{PortalDeal, PortalLayout};
use super::people::PortalPeople;
use super::port_error;
use crate::client::{Batch, Client};
use crate::store::deals::{self as store, DealSettings};

pub use broken::DealRulesBroken;
pub use settings::LiveCheck;
pub use setup::Missing;
pub use watch::{Accounted, ROBOT};

/// The deals of one pipeline of Shtab, kept on the portal.
pub struct PortalDeals {
    client: Client,
    db: Db,
    people: Arc<dyn PortalPeople>,
    rules: Arc<dyn StageRules>,
    notifier: Arc<dyn Notifier>,
    enforcement: RulesEnforcement,
    /// The pipeline (Shtab's id) the deals belong to.
    pipeline: String,
}

/// The settings and the pipeline, as every operation needs them.
pub(crate) struct Ready {
    pub settings: DealSettings,
    pub layout: PipelineLayout,
}

fn not_configured() -> CoreError {
    CoreError::Conflict(
        "deals live on Bitrix24, but no deal category is set up yet: pick or create one on \
         /settings/bitrix24"
            .into(),
    )
}

impl PortalDeals {
    pub fn new(
        client: Client,
        db: Db,
        people: Arc<dyn PortalPeople>,
        rules: Arc<dyn StageRules>,
        notifier: Arc<dyn Notifier>,
        enforcement: RulesEnforcement,
        pipeline: &str,
    ) -> PortalDeals {
        PortalDeals {
            client,
            db,
            people,
            rules,
            notifier,
            enforcement,
            pipeline: pipeline.to_owned(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn pipeline(&self) -> &str {
        &self.pipeline
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The pipeline as Shtab defines it.
    pub async fn layout(&self) -> CoreResult<PipelineLayout> {
        self.rules.layout(&self.pipeline).await
    }

    /// The stored settings, if any.
    pub async fn settings(&self) -> CoreResult<Option<DealSettings>> {
        store::settings(&self.db, &self.pipeline).await
    }

    /// The saved settings and the pipeline, to read with.
    pub(crate) async fn loaded(&self) -> CoreResult<Ready> {
        Ok(Ready {
            settings: self.settings().await?.ok_or_else(not_configured)?,
            layout: self.layout().await?,
        })
    }

    /// Settings that may be written with: saved, and not found stale by the last check.
    pub(crate) async fn ready(&self) -> CoreResult<Ready> {
        let ready = self.loaded().await?;
        if let Some(problem) = &ready.settings.problem {
            return Err(CoreError::Conflict(format!(
                "the deal settings do not match the portal any more: {problem}; fix them on \
                 /settings/bitrix24"
            )));
        }
        Ok(ready)
    }

    /// Compares the mapping with what the portal holds now; a stale one is recorded (the
    /// settings page shows it, writes stop) and refused naming what is missing.
    pub(crate) async fn verify(&self, ready: &Ready, portal: &PortalLayout) -> CoreResult<()> {
        let missing = setup::check(&ready.settings.map, &ready.layout, portal);
        match setup::problem_text(&missing) {
            None => Ok(()),
            Some(problem) => {
                store::set_problem(&self.db, &self.pipeline, Some(&problem)).await?;
                Err(CoreError::Conflict(format!(
                    "the deal settings do not match the portal: {problem}; fix them on \
                     /settings/bitrix24"
                )))
            }
        }
    }

    /// A portal deal as the port shows it: Shtab's stage and fields, the responsible person.
    pub(crate) async fn to_port(&self, ready: &Ready, deal: &PortalDeal) -> CoreResult<Deal> {
        let map = &ready.settings.map;
        let mut fields = Map::new();
        for (name, code) in &map.fields {
            let (Some(def), Some(raw)) = (ready.layout.field(name), deal.value(code)) else {
                continue;
            };
            let value = values::from_portal(&def.kind, raw).map_err(|e| {
                CoreError::Internal(format!(
                    "deal {} on the portal: its field {code} ({name}) cannot be read: {e}",
                    deal.id
                ))
            })?;
            if let Some(v) = value {
                fields.insert(name.clone(), v);
            }
        }
        let responsible = match deal.assigned_by {
            Some(user) => self.people.person(user).await?,
            None => None,
        };
        Ok(Deal {
            id: deal.id.to_string(),
            pipeline: self.pipeline.clone(),
            stage: map
                .stage_of(&deal.stage_id)
                .unwrap_or(&deal.stage_id)
                .to_owned(),
            title: deal.title.clone(),
            responsible,
            fields,
            url: Some(portal::card_url(&self.client, deal.id)),
        })
    }

    /// The deal and the portal's layout in one request, the mapping checked against it.
    async fn deal_checked(&self, ready: &Ready, id: u64) -> CoreResult<PortalDeal> {
        let mut batch = Batch::new();
        batch
            .add("deal", "crm.deal.get", &json!({"id": id}))
            .map_err(port_error)?;
        portal::add_layout(&mut batch, ready.settings.map.category_id).map_err(port_error)?;
        let answer = self.client.batch(&batch).await.map_err(port_error)?;
        let layout = portal::read_layout(&answer).map_err(port_error)?;
        self.verify(ready, &layout).await?;
        portal::read_deal(&answer, "deal")
            .map_err(port_error)?
            .ok_or(CoreError::NotFound("deal"))
    }

    async fn audit(&self, by: &Actor, action: &'static str, deal: &Deal, changes: Changes) {
        let result = async {
            let mut tx = self.db.begin().await?;
            audit::record(
                &mut tx,
                by,
                Event {
                    action,
                    object_kind: "deal",
                    object_id: deal.id.clone(),
                    object_label: deal.title.clone(),
                    changes,
                },
            )
            .await?;
            tx.commit().await?;
            Ok::<(), CoreError>(())
        }
        .await;
        // The portal already holds the change: a lost audit line must not turn it into an
        // error the caller would retry.
        if let Err(e) = result {
            tracing::error!(deal = %deal.id, action, error = %e, "cannot audit a change on the portal");
        }
    }
}

fn deal_number(id: &str) -> Option<u64> {
    id.trim().parse().ok().filter(|n| *n > 0)
}

#[async_trait]
impl Crm for PortalDeals {
    async fn create_deal(&self, deal: &NewDeal, by: &Actor) -> CoreResult<Deal> {
        self.create(deal, by).await
    }

    async fn get_deal(&self, id: &str) -> CoreResult<Option<Deal>> {
        let Some(number) = deal_number(id) else {
            return Ok(None);
        };
        let ready = self.loaded().await?;
        match portal::get_deal(&self.client, number)
            .await
            .map_err(port_error)?
        {
            Some(d) => Ok(Some(self.to_port(&ready, &d).await?)),
            None => Ok(None),
        }
    }

    async fn move_deal(&self, id: &str, stage: &str, by: &Actor) -> CoreResult<Deal> {
        let number = deal_number(id).ok_or(CoreError::NotFound("deal"))?;
        let ready = self.ready().await?;
        let stage = stage.trim();
        let Some(status_id) = ready.settings.map.stages.get(stage).cloned() else {
            return Err(CoreError::field(
                "stage",
                "unknown_stage",
                format!("the pipeline has no stage {stage}"),
            ));
        };
        let found = self.deal_checked(&ready, number).await?;
        let mut current = self.to_port(&ready, &found).await?;
        if current.stage == stage {
            return Ok(current);
        }
        let missing = self
            .rules
            .missing_for_move(&self.pipeline, &current.stage, stage, &current.fields)
            .await?;
        if !missing.is_empty() {
            return Err(CoreError::Invalid(missing));
        }
        let mut fields = Map::new();
        fields.insert("STAGE_ID".into(), Value::String(status_id));
        portal::update_deal(&self.client, number, &fields)
            .await
            .map_err(port_error)?;
        let from = std::mem::replace(&mut current.stage, stage.to_owned());
        let mut changes = Changes::new();
        changes.diff("stage", &from, &current.stage);
        self.audit(by, "deal.move", &current, changes).await;
        // The entry is acted on as any move seen on the portal is; should this fail, the
        // event or the robot acts on it later.
        if let Err(e) = self.deal_changed(number).await {
            tracing::warn!(deal = number, error = %e, "the move's stage entry is left to the robot");
        }
        Ok(current)
    }

    async fn assign_deal(
        &self,
        id: &str,
        responsible: Option<PersonId>,
        by: &Actor,
    ) -> CoreResult<Deal> {
        let number = deal_number(id).ok_or(CoreError::NotFound("deal"))?;
        let ready = self.ready().await?;
        let Some(person) = responsible else {
            return Err(CoreError::Conflict(
                "a deal on the portal always has a responsible user: choose someone".into(),
            ));
        };
        let Some(user) = self.people.portal_user(person).await? else {
            return Err(CoreError::field(
                "responsible_id",
                "no_portal_user",
                format!(
                    "person {person} is not matched to a portal user (the robot bitrix24.users \
                     matches people by e-mail)"
                ),
            ));
        };
        let found = self.deal_checked(&ready, number).await?;
        let mut current = self.to_port(&ready, &found).await?;
        if current.responsible == Some(person) {
            return Ok(current);
        }
        let mut fields = Map::new();
        fields.insert("ASSIGNED_BY_ID".into(), json!(user));
        portal::update_deal(&self.client, number, &fields)
            .await
            .map_err(port_error)?;
        let before = current.responsible.replace(person);
        let mut changes = Changes::new();
        changes.diff(
            "responsible_id",
            &before.map(|p| p.0),
            &current.responsible.map(|p| p.0),
        );
        self.audit(by, "deal.assign", &current, changes).await;
        Ok(current)
    }

    async fn read_fields(&self, id: &str) -> CoreResult<Map<String, Value>> {
        self.get_deal(id)
            .await?
            .map(|d| d.fields)
            .ok_or(CoreError::NotFound("deal"))
    }

    async fn write_fields(
        &self,
        id: &str,
        fields: &Map<String, Value>,
        by: &Actor,
    ) -> CoreResult<()> {
        let number = deal_number(id).ok_or(CoreError::NotFound("deal"))?;
        let ready = self.ready().await?;
        let values = self
            .rules
            .read_fields(&self.pipeline, fields, false)
            .await?;
        let found = self.deal_checked(&ready, number).await?;
        let current = self.to_port(&ready, &found).await?;
        let changed: Map<String, Value> = values
            .into_iter()
            .filter(|(name, v)| current.fields.get(name).unwrap_or(&Value::Null) != v)
            .collect();
        let mut update = setup::portal_fields(&ready.settings.map, &ready.layout, &changed);
        if update.is_empty() {
            return Ok(());
        }
        let mut after = current.fields.clone();
        after.extend(changed.clone());
        let amount = setup::amount_fields(&after);
        if amount != setup::amount_fields(&current.fields) {
            update.extend(amount);
        }
        portal::update_deal(&self.client, number, &update)
            .await
            .map_err(port_error)?;
        let mut changes = Changes::new();
        for (name, after) in &changed {
            changes.diff(
                name,
                current.fields.get(name).unwrap_or(&Value::Null),
                after,
            );
        }
        self.audit(by, "deal.fields", &current, changes).await;
        Ok(())
    }

    async fn board_url(&self, _pipeline: &str) -> CoreResult<Option<String>> {
        // Before a category is set up, the portal's default one.
        let category = self.settings().await?.map_or(0, |s| s.map.category_id);
        Ok(Some(portal::kanban_url(&self.client, category)))
    }
}
