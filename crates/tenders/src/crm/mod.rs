//! The built-in CRM behind `core::ports::Crm`: pipelines of stages with rules (fields
//! required to leave or enter) and entry actions (a templated e-mail, a notification, a
//! field set), deals with standard and custom fields, and their history.
//!
//! Every change happens in one transaction with its history line and audit entry; entry
//! actions that reach outside (e-mail, notifications) are queued as jobs in the same
//! transaction, so a refused or failed move leaves nothing behind.

pub mod actions;
pub mod domain;
pub mod jobs;
pub mod rules;
pub mod settings;
pub mod store;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value, json};
use shtab_core::CoreError;
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::config::Config;
use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::ports::{Crm, Deal, NewDeal};
use shtab_core::time::now_ms;

pub use domain::Pipeline;
pub use rules::PipelineRules;
pub use store::{DealRecord, HistoryEntry, SentEmail};

/// The pipeline tenders go into, seeded by the migration.
pub const DEFAULT_PIPELINE: &str = "tenders";

/// The CRM over our own tables.
#[derive(Clone)]
pub struct BuiltinCrm {
    db: Db,
    config: Arc<Config>,
}

fn parse_id(id: &str) -> Option<i64> {
    id.trim().parse().ok()
}

impl BuiltinCrm {
    pub fn new(db: Db, config: Arc<Config>) -> Self {
        BuiltinCrm { db, config }
    }

    pub async fn pipeline(&self, id: &str) -> CoreResult<Pipeline> {
        store::pipeline(&self.db, id).await
    }

    /// The pipelines: id, Russian and English names.
    pub async fn pipelines(&self) -> CoreResult<Vec<(String, String, String)>> {
        store::pipeline_ids(&self.db).await
    }

    pub async fn deal(&self, id: i64) -> CoreResult<DealRecord> {
        store::deal(&self.db, id)
            .await?
            .ok_or(CoreError::NotFound("deal"))
    }

    /// Deals of a pipeline, of one stage if given, most recently changed first.
    pub async fn deals(
        &self,
        pipeline: &str,
        stage: Option<&str>,
        limit: i64,
    ) -> CoreResult<Vec<DealRecord>> {
        store::deals(&self.db, pipeline, stage, limit.clamp(1, 5000)).await
    }

    pub async fn history(&self, deal: i64) -> CoreResult<Vec<HistoryEntry>> {
        store::history(&self.db, deal).await
    }

    pub async fn emails(&self, deal: i64) -> CoreResult<Vec<SentEmail>> {
        store::emails(&self.db, deal).await
    }

    /// Creates the deal, or returns the one with the same external key.
    pub async fn create(&self, new: &NewDeal, by: &Actor) -> CoreResult<DealRecord> {
        let pipeline_id = if new.pipeline.trim().is_empty() {
            DEFAULT_PIPELINE
        } else {
            new.pipeline.trim()
        };
        let pipeline = match store::pipeline(&self.db, pipeline_id).await {
            Err(CoreError::NotFound(_)) => {
                return Err(CoreError::field(
                    "pipeline",
                    "unknown_pipeline",
                    format!("no pipeline {pipeline_id}"),
                ));
            }
            other => other?,
        };
        let stage = if new.stage.trim().is_empty() {
            pipeline
                .stages
                .first()
                .map(|s| s.id.clone())
                .ok_or_else(|| CoreError::Conflict("the pipeline has no stages".into()))?
        } else {
            let s = new.stage.trim();
            pipeline.stage(s).map(|s| s.id.clone()).ok_or_else(|| {
                CoreError::field(
                    "stage",
                    "unknown_stage",
                    format!("the pipeline has no stage {s}"),
                )
            })?
        };
        let title = shtab_core::types::required_text("title", &new.title, 500)?;
        let mut fields =
            domain::read_fields(&pipeline, &new.fields, false).map_err(CoreError::Invalid)?;
        fields.retain(|_, v| !v.is_null());
        let key = Some(new.external_key.trim()).filter(|k| !k.is_empty());
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        if let Some(k) = key
            && let Some(existing) = store::deal_by_key(&mut tx, k).await?
        {
            return Ok(existing);
        }
        let Some(id) = store::insert_deal(
            &mut tx,
            &pipeline.id,
            &stage,
            &title,
            new.responsible,
            key,
            &fields,
            now,
        )
        .await?
        else {
            // Another process created it between our look and our insert.
            drop(tx);
            let mut tx = self.db.begin().await?;
            return store::deal_by_key(&mut tx, key.unwrap_or_default())
                .await?
                .ok_or(CoreError::NotFound("deal"));
        };
        store::add_history(
            &mut tx,
            id,
            &by.label,
            "created",
            (None, Some(&stage)),
            &Value::Object(fields.clone()),
            now,
        )
        .await?;
        let mut changes = Changes::new();
        changes
            .set("pipeline", &pipeline.id)
            .set("stage", &stage)
            .set("title", &title)
            .set("fields", &fields);
        if let Some(k) = key {
            changes.set("external_key", &k);
        }
        audit::record(
            &mut tx,
            by,
            Event {
                action: "deal.create",
                object_kind: "deal",
                object_id: id.to_string(),
                object_label: title.clone(),
                changes,
            },
        )
        .await?;
        let deal = store::deal_in(&mut tx, id)
            .await?
            .ok_or(CoreError::NotFound("deal"))?;
        tx.commit().await?;
        Ok(deal)
    }

    /// Moves the deal to `to` if the rules allow, then runs `to`'s entry actions; all or
    /// nothing.
    pub async fn move_to(&self, id: i64, to: &str, by: &Actor) -> CoreResult<DealRecord> {
        let current = self.deal(id).await?;
        let pipeline = store::pipeline(&self.db, &current.pipeline).await?;
        let to = to.trim();
        let Some(target) = pipeline.stage(to) else {
            return Err(CoreError::field(
                "stage",
                "unknown_stage",
                format!("the pipeline has no stage {to}"),
            ));
        };
        if current.stage == target.id {
            return Ok(current);
        }
        let missing = pipeline.missing_for_move(&current.stage, &target.id, &current.fields);
        if !missing.is_empty() {
            return Err(CoreError::Invalid(missing));
        }
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        if !store::set_stage(&mut tx, &current, &target.id, now).await? {
            return Err(CoreError::Conflict(
                "the deal was moved or changed by someone else meanwhile; reload and try again"
                    .into(),
            ));
        }
        store::add_history(
            &mut tx,
            id,
            &by.label,
            "moved",
            (Some(&current.stage), Some(&target.id)),
            &json!({}),
            now,
        )
        .await?;
        let title = current.title.clone();
        let mut deal = current;
        let from = std::mem::replace(&mut deal.stage, target.id.clone());
        // The actions run first so the audit entry of the move says what they did.
        let done = actions::run_entry_actions(&mut tx, &self.config, &pipeline, &mut deal, by, now)
            .await?;
        let mut changes = Changes::new();
        changes.diff("stage", &from, &target.id);
        if !done.is_empty() {
            changes.set("actions", &done);
        }
        audit::record(
            &mut tx,
            by,
            Event {
                action: "deal.move",
                object_kind: "deal",
                object_id: id.to_string(),
                object_label: title,
                changes,
            },
        )
        .await?;
        let deal = store::deal_in(&mut tx, id)
            .await?
            .ok_or(CoreError::NotFound("deal"))?;
        tx.commit().await?;
        Ok(deal)
    }

    /// Makes `person` (or nobody) responsible for the deal: the one its stages notify.
    pub async fn assign(
        &self,
        id: i64,
        person: Option<PersonId>,
        by: &Actor,
    ) -> CoreResult<DealRecord> {
        let current = self.deal(id).await?;
        if current.responsible == person {
            return Ok(current);
        }
        let name: Option<String> = match person {
            None => None,
            Some(p) => Some(
                sqlx::query_scalar("SELECT full_name FROM people WHERE id = $1")
                    .bind(p.0)
                    .fetch_optional(self.db.pool())
                    .await?
                    .ok_or_else(|| {
                        CoreError::field("responsible_id", "not_found", format!("no person {p}"))
                    })?,
            ),
        };
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        store::set_responsible(&mut tx, id, person, now).await?;
        let detail = json!({"before": current.responsible_name, "after": name});
        store::add_history(
            &mut tx,
            id,
            &by.label,
            "assigned",
            (None, None),
            &detail,
            now,
        )
        .await?;
        let mut changes = Changes::new();
        changes.diff(
            "responsible_id",
            &current.responsible.map(|p| p.0),
            &person.map(|p| p.0),
        );
        audit::record(
            &mut tx,
            by,
            Event {
                action: "deal.assign",
                object_kind: "deal",
                object_id: id.to_string(),
                object_label: current.title.clone(),
                changes,
            },
        )
        .await?;
        let deal = store::deal_in(&mut tx, id)
            .await?
            .ok_or(CoreError::NotFound("deal"))?;
        tx.commit().await?;
        Ok(deal)
    }

    /// Writes field values (`null` or blank clears one). `strict` refuses fields the
    /// pipeline does not define (people and the API do; robots may bring extra facts).
    pub async fn write(
        &self,
        id: i64,
        input: &Map<String, Value>,
        by: &Actor,
        strict: bool,
    ) -> CoreResult<DealRecord> {
        let current = self.deal(id).await?;
        let pipeline = store::pipeline(&self.db, &current.pipeline).await?;
        let values = domain::read_fields(&pipeline, input, strict).map_err(CoreError::Invalid)?;
        let mut fields = current.fields.clone();
        let diff = domain::apply(&mut fields, &values);
        if diff.is_empty() {
            return Ok(current);
        }
        let refused = pipeline.cleared_but_required(&current.stage, &current.fields, &fields);
        if !refused.is_empty() {
            return Err(CoreError::Invalid(refused));
        }
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        if !store::set_fields_if_unchanged(&mut tx, id, &fields, current.updated_at, now).await? {
            return Err(CoreError::Conflict(
                "the deal was changed by someone else meanwhile; reload and try again".into(),
            ));
        }
        store::add_history(
            &mut tx,
            id,
            &by.label,
            "fields",
            (None, None),
            &Value::Object(diff.clone()),
            now,
        )
        .await?;
        let mut changes = Changes::new();
        for (name, change) in &diff {
            changes.set(name, change);
        }
        audit::record(
            &mut tx,
            by,
            Event {
                action: "deal.fields",
                object_kind: "deal",
                object_id: id.to_string(),
                object_label: current.title.clone(),
                changes,
            },
        )
        .await?;
        let deal = store::deal_in(&mut tx, id)
            .await?
            .ok_or(CoreError::NotFound("deal"))?;
        tx.commit().await?;
        Ok(deal)
    }
}

#[async_trait]
impl Crm for BuiltinCrm {
    async fn create_deal(&self, deal: &NewDeal, by: &Actor) -> CoreResult<Deal> {
        Ok(self.create(deal, by).await?.to_port())
    }

    async fn get_deal(&self, id: &str) -> CoreResult<Option<Deal>> {
        let Some(id) = parse_id(id) else {
            return Ok(None);
        };
        Ok(store::deal(&self.db, id).await?.map(|d| d.to_port()))
    }

    async fn move_deal(&self, id: &str, stage: &str, by: &Actor) -> CoreResult<Deal> {
        let id = parse_id(id).ok_or(CoreError::NotFound("deal"))?;
        Ok(self.move_to(id, stage, by).await?.to_port())
    }

    async fn assign_deal(
        &self,
        id: &str,
        responsible: Option<PersonId>,
        by: &Actor,
    ) -> CoreResult<Deal> {
        let id = parse_id(id).ok_or(CoreError::NotFound("deal"))?;
        Ok(self.assign(id, responsible, by).await?.to_port())
    }

    async fn read_fields(&self, id: &str) -> CoreResult<Map<String, Value>> {
        let id = parse_id(id).ok_or(CoreError::NotFound("deal"))?;
        Ok(self.deal(id).await?.fields)
    }

    async fn write_fields(
        &self,
        id: &str,
        fields: &Map<String, Value>,
        by: &Actor,
    ) -> CoreResult<()> {
        let id = parse_id(id).ok_or(CoreError::NotFound("deal"))?;
        self.write(id, fields, by, false).await.map(|_| ())
    }
}
