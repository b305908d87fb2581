//! The deals the pages act on: Shtab's own tables, or a CRM kept elsewhere (Bitrix24) through
//! the port. Either way the pipeline — its stages, fields and rules — is Shtab's, so the same
//! pages serve both; a deal kept elsewhere has no history or e-mails of ours to show, and
//! links to its card there.

use std::sync::Arc;

use serde_json::{Map, Value};
use shtab_core::audit::Actor;
use shtab_core::error::{CoreError, CoreResult};
use shtab_core::ids::PersonId;
use shtab_core::ports::{Crm, Deal};
use shtab_web::AppState;

use crate::crm::{BuiltinCrm, DealRecord, HistoryEntry, Pipeline, SentEmail};

pub enum Deals {
    Own(BuiltinCrm),
    Elsewhere {
        definitions: BuiltinCrm,
        crm: Arc<dyn Crm>,
        db: shtab_core::db::Db,
    },
}

impl Deals {
    pub fn of(state: &AppState) -> Deals {
        let own = super::crm(state);
        match &state.deals_elsewhere {
            None => Deals::Own(own),
            Some(crm) => Deals::Elsewhere {
                definitions: own,
                crm: crm.clone(),
                db: state.db.clone(),
            },
        }
    }

    fn definitions(&self) -> &BuiltinCrm {
        match self {
            Deals::Own(own) => own,
            Deals::Elsewhere { definitions, .. } => definitions,
        }
    }

    pub async fn pipeline(&self, id: &str) -> CoreResult<Pipeline> {
        self.definitions().pipeline(id).await
    }

    /// Where the deals' board is when it is not ours (a portal's kanban).
    pub async fn board_elsewhere(&self, pipeline: &str) -> CoreResult<Option<String>> {
        match self {
            Deals::Own(_) => Ok(None),
            Deals::Elsewhere { crm, .. } => crm.board_url(pipeline).await,
        }
    }

    /// The deal, and its card elsewhere.
    pub async fn deal(&self, id: i64) -> CoreResult<(DealRecord, Option<String>)> {
        match self {
            Deals::Own(own) => Ok((own.deal(id).await?, None)),
            Deals::Elsewhere { crm, db, .. } => {
                let deal = crm
                    .get_deal(&id.to_string())
                    .await?
                    .ok_or(CoreError::NotFound("deal"))?;
                let url = deal.url.clone();
                Ok((record(db, deal).await?, url))
            }
        }
    }

    pub async fn history(&self, id: i64) -> CoreResult<Vec<HistoryEntry>> {
        match self {
            Deals::Own(own) => own.history(id).await,
            Deals::Elsewhere { .. } => Ok(Vec::new()),
        }
    }

    pub async fn emails(&self, id: i64) -> CoreResult<Vec<SentEmail>> {
        match self {
            Deals::Own(own) => own.emails(id).await,
            Deals::Elsewhere { .. } => Ok(Vec::new()),
        }
    }

    pub async fn move_to(&self, id: i64, stage: &str, by: &Actor) -> CoreResult<DealRecord> {
        match self {
            Deals::Own(own) => own.move_to(id, stage, by).await,
            Deals::Elsewhere { crm, db, .. } => {
                record(db, crm.move_deal(&id.to_string(), stage, by).await?).await
            }
        }
    }

    /// Writes field values typed by a person; `strict` refuses fields the pipeline lacks.
    pub async fn write(
        &self,
        id: i64,
        input: &Map<String, Value>,
        by: &Actor,
        strict: bool,
    ) -> CoreResult<DealRecord> {
        match self {
            Deals::Own(own) => own.write(id, input, by, strict).await,
            Deals::Elsewhere { crm, db, .. } => {
                let (current, _) = self.deal(id).await?;
                let pipeline = self.pipeline(&current.pipeline).await?;
                let values = crate::crm::domain::read_fields(&pipeline, input, strict)
                    .map_err(CoreError::Invalid)?;
                crm.write_fields(&id.to_string(), &values, by).await?;
                let deal = crm
                    .get_deal(&id.to_string())
                    .await?
                    .ok_or(CoreError::NotFound("deal"))?;
                record(db, deal).await
            }
        }
    }

    pub async fn assign(
        &self,
        id: i64,
        person: Option<PersonId>,
        by: &Actor,
    ) -> CoreResult<DealRecord> {
        match self {
            Deals::Own(own) => own.assign(id, person, by).await,
            Deals::Elsewhere { crm, db, .. } => {
                record(db, crm.assign_deal(&id.to_string(), person, by).await?).await
            }
        }
    }
}

/// A deal from the port, shaped as the pages show ours (no history, no times of ours).
async fn record(db: &shtab_core::db::Db, deal: Deal) -> CoreResult<DealRecord> {
    let id: i64 = deal.id.parse().map_err(|_| CoreError::NotFound("deal"))?;
    let responsible_name: Option<String> = match deal.responsible {
        Some(p) => {
            sqlx::query_scalar("SELECT full_name FROM people WHERE id = $1")
                .bind(p.0)
                .fetch_optional(db.pool())
                .await?
        }
        None => None,
    };
    Ok(DealRecord {
        id,
        pipeline: deal.pipeline,
        stage: deal.stage,
        title: deal.title,
        responsible: deal.responsible,
        responsible_name,
        external_key: None,
        fields: deal.fields,
        created_at: 0,
        updated_at: 0,
    })
}
