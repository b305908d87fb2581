//! The pipeline's stage rules and entry actions for deals kept outside Shtab (a Bitrix24
//! portal), behind `core::ports::StageRules`: the same rules and the same actions as the
//! built-in CRM's, read from the same pipeline tables. What the built-in CRM writes into its
//! deal's history and e-mail rows travels in the queued jobs instead: there is no deal row of
//! ours to hang it on.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value, json};
use shtab_core::audit::Actor;
use shtab_core::config::Config;
use shtab_core::db::{Db, Tx};
use shtab_core::error::{CoreError, CoreResult, FieldError};
use shtab_core::jobs;
use shtab_core::ports::{
    Deal, Entered, FieldLayout, PipelineLayout, StageLayout, StageOutcome, StageRules,
};

use super::actions::{Composed, compose_email};
use super::domain::{self, ActionKind, Pipeline};
use super::jobs::{NotifyResponsible, SendDealEmail};
use super::store;

/// The stage a deal that is won or lost ends in; every other stage is open.
pub fn outcome(stage: &str) -> StageOutcome {
    match stage {
        "won" => StageOutcome::Won,
        "lost" => StageOutcome::Lost,
        _ => StageOutcome::Open,
    }
}

#[derive(Clone)]
pub struct PipelineRules {
    db: Db,
    config: Arc<Config>,
}

impl PipelineRules {
    pub fn new(db: Db, config: Arc<Config>) -> PipelineRules {
        PipelineRules { db, config }
    }

    async fn pipeline(&self, id: &str) -> CoreResult<Pipeline> {
        let id = if id.trim().is_empty() {
            super::DEFAULT_PIPELINE
        } else {
            id.trim()
        };
        store::pipeline(&self.db, id).await
    }
}

pub fn layout_of(p: &Pipeline) -> PipelineLayout {
    PipelineLayout {
        id: p.id.clone(),
        name_ru: p.name_ru.clone(),
        name_en: p.name_en.clone(),
        stages: p
            .stages
            .iter()
            .map(|s| StageLayout {
                id: s.id.clone(),
                name_ru: s.name_ru.clone(),
                name_en: s.name_en.clone(),
                outcome: outcome(&s.id),
            })
            .collect(),
        fields: p
            .fields
            .iter()
            .map(|f| FieldLayout {
                name: f.name.clone(),
                kind: serde_json::to_value(f.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "text".into()),
                label_ru: f.label_ru.clone(),
                label_en: f.label_en.clone(),
            })
            .collect(),
    }
}

#[async_trait]
impl StageRules for PipelineRules {
    async fn layout(&self, pipeline: &str) -> CoreResult<PipelineLayout> {
        Ok(layout_of(&self.pipeline(pipeline).await?))
    }

    async fn read_fields(
        &self,
        pipeline: &str,
        input: &Map<String, Value>,
        strict: bool,
    ) -> CoreResult<Map<String, Value>> {
        let p = self.pipeline(pipeline).await?;
        domain::read_fields(&p, input, strict).map_err(CoreError::Invalid)
    }

    async fn missing_for_move(
        &self,
        pipeline: &str,
        from: &str,
        to: &str,
        fields: &Map<String, Value>,
    ) -> CoreResult<Vec<FieldError>> {
        Ok(self
            .pipeline(pipeline)
            .await?
            .missing_for_move(from, to, fields))
    }

    async fn entered(&self, tx: &mut Tx, deal: &Deal, _by: &Actor) -> CoreResult<Entered> {
        let p = self.pipeline(&deal.pipeline).await?;
        let mut fields = deal.fields.clone();
        let mut entered = Entered::default();
        let link = format!("{}/deals/{}", self.config.public_url(), deal.id);
        for action in p.actions.iter().filter(|a| a.stage == deal.stage) {
            let detail = match &action.kind {
                ActionKind::SetField { field, value } => {
                    match p
                        .field(field)
                        .map(|def| domain::read_value(field, def.kind, value))
                    {
                        Some(Ok(value)) => {
                            let diff = domain::apply(
                                &mut fields,
                                &Map::from_iter([(field.clone(), value.clone())]),
                            );
                            entered.fields.insert(field.clone(), value);
                            json!({"action": "set_field", "changes": diff})
                        }
                        Some(Err(e)) => {
                            json!({"action": "set_field", "field": field, "error": e.message})
                        }
                        None => {
                            json!({"action": "set_field", "field": field, "error": "no such field"})
                        }
                    }
                }
                ActionKind::Email {
                    to_field,
                    subject,
                    body,
                } => {
                    let template = (to_field.as_str(), subject.as_str(), body.as_str());
                    match compose_email(&self.config, &p, &deal.title, &fields, &link, template) {
                        Composed::Failed(detail) => detail,
                        Composed::Ready { to, subject, body } => {
                            let job = SendDealEmail {
                                deal_id: deal.id.clone(),
                                to: to.clone(),
                                subject: subject.clone(),
                                body,
                            };
                            let job_id = jobs::enqueue_in(tx, &job, None).await?;
                            json!({"action": "email", "to": to, "job_id": job_id, "subject": subject})
                        }
                    }
                }
                ActionKind::Notify { text } => match (deal.responsible, deal.id.parse::<i64>()) {
                    (Some(person), Ok(deal_id)) => {
                        let stage = p
                            .stage(&deal.stage)
                            .map(|s| s.name(self.config.default_locale()).to_string())
                            .unwrap_or_else(|| deal.stage.clone());
                        let job = NotifyResponsible {
                            deal_id,
                            person: person.0,
                            deal_title: deal.title.clone(),
                            stage,
                            text: text.clone(),
                        };
                        jobs::enqueue_in(tx, &job, None).await?;
                        json!({"action": "notify", "person": person.0})
                    }
                    _ => json!({"action": "notify", "error": "the deal has no responsible person"}),
                },
            };
            entered.done.push(detail);
        }
        Ok(entered)
    }
}
