//! Creating a deal once per external key (a tender's registration number). The key is
//! claimed in the hub's database before the portal is asked, and the deal's id recorded
//! after; between the two, the portal is searched for a deal whose field holds the key, so a
//! hub that died after `crm.deal.add` (or a deal someone made by hand) is found, never
//! doubled.

use serde_json::{Map, Value, json};
use shtab_core::audit::{Actor, Changes};
use shtab_core::error::{CoreError, CoreResult};
use shtab_core::ports::{Deal, NewDeal};

use super::portal::{self, PortalDeal};
use super::{PortalDeals, Ready, setup};
use crate::adapters::port_error;
use crate::client::{Batch, Bitrix24Error};
use crate::store::deals::{self as store, Claim};

/// A claim without a deal older than this was left by a process that died.
const STALE_CLAIM_MS: i64 = 10 * 60 * 1000;

impl PortalDeals {
    pub(super) async fn create(&self, new: &NewDeal, by: &Actor) -> CoreResult<Deal> {
        let ready = self.ready().await?;
        let key = new.external_key.trim();
        if key.is_empty() {
            return self.create_unkeyed(&ready, new, by).await;
        }
        match store::claim_key(&self.db, key, STALE_CLAIM_MS).await? {
            Claim::Done(id) => {
                return match portal::get_deal(&self.client, id)
                    .await
                    .map_err(port_error)?
                {
                    Some(d) => self.to_port(&ready, &d).await,
                    None => Err(CoreError::Conflict(format!(
                        "the portal's deal {id} for {key} was deleted there"
                    ))),
                };
            }
            Claim::Busy => {
                return Err(CoreError::Transient {
                    message: format!("the deal for {key} is being created by another process"),
                    retry_after: None,
                });
            }
            Claim::Mine => {}
        }
        let outcome = self.create_claimed(&ready, new, key, by).await;
        if let Err(e) = &outcome {
            // The portal answered (no deal was made) or was never asked: the key is free
            // again. A request that broke off may have made one: the claim stays, and the
            // next try after it goes stale finds that deal on the portal.
            let unknown = matches!(e, Failure::Unknown(_));
            if !unknown {
                store::release_key(&self.db, key).await?;
            }
        }
        outcome.map_err(Failure::into_core)
    }

    async fn create_claimed(
        &self,
        ready: &Ready,
        new: &NewDeal,
        key: &str,
        by: &Actor,
    ) -> Result<Deal, Failure> {
        let values = self
            .rules
            .read_fields(&self.pipeline, &new.fields, false)
            .await?;
        // The field that holds the key (the registration number), to look it up by.
        let key_field = values
            .iter()
            .find(|(_, v)| v.as_str() == Some(key))
            .and_then(|(name, _)| ready.settings.map.fields.get(name));
        let mut batch = Batch::new();
        if let Some(code) = key_field {
            batch
                .add(
                    "found",
                    "crm.deal.list",
                    &json!({"order": {"ID": "ASC"},
                            "filter": {"CATEGORY_ID": ready.settings.map.category_id, code: key},
                            "select": ["ID", "TITLE", "CATEGORY_ID", "STAGE_ID", "ASSIGNED_BY_ID", "UF_*"]}),
                )
                .map_err(Failure::refused)?;
        }
        portal::add_layout(&mut batch, ready.settings.map.category_id).map_err(Failure::refused)?;
        // Nothing is made by this request: whatever happens to it, the key is free again.
        let answer = self.client.batch(&batch).await.map_err(Failure::refused)?;
        let layout = portal::read_layout(&answer).map_err(Failure::refused)?;
        self.verify(ready, &layout).await?;
        if key_field.is_some() {
            let found: Vec<Box<serde_json::value::RawValue>> =
                answer.decode("found").map_err(Failure::refused)?;
            if let Some(first) = found.first() {
                let existing =
                    PortalDeal::from_raw("crm.deal.list", first).map_err(Failure::refused)?;
                store::finish_key(&self.db, key, existing.id).await?;
                tracing::info!(
                    deal = existing.id,
                    key,
                    "the portal already has the deal: recorded"
                );
                return Ok(self.to_port(ready, &existing).await?);
            }
        }
        let (fields, deal) = self.fields_of(ready, new, &values).await?;
        let id = portal::add_deal(&self.client, &fields)
            .await
            .map_err(Failure::portal)?;
        store::finish_key(&self.db, key, id).await?;
        let deal = Deal {
            id: id.to_string(),
            url: Some(portal::card_url(&self.client, id)),
            ..deal
        };
        self.audit_created(by, &deal, key).await;
        Ok(deal)
    }

    async fn create_unkeyed(&self, ready: &Ready, new: &NewDeal, by: &Actor) -> CoreResult<Deal> {
        let values = self
            .rules
            .read_fields(&self.pipeline, &new.fields, false)
            .await?;
        let layout = portal::layout(&self.client, ready.settings.map.category_id)
            .await
            .map_err(port_error)?;
        self.verify(ready, &layout).await?;
        let (fields, deal) = self.fields_of(ready, new, &values).await?;
        let id = portal::add_deal(&self.client, &fields)
            .await
            .map_err(port_error)?;
        let deal = Deal {
            id: id.to_string(),
            url: Some(portal::card_url(&self.client, id)),
            ..deal
        };
        self.audit_created(by, &deal, "").await;
        Ok(deal)
    }

    /// What `crm.deal.add` gets, and the deal as the port will show it.
    async fn fields_of(
        &self,
        ready: &Ready,
        new: &NewDeal,
        values: &Map<String, Value>,
    ) -> CoreResult<(Map<String, Value>, Deal)> {
        let map = &ready.settings.map;
        let stage = match new.stage.trim() {
            "" => ready
                .layout
                .stages
                .first()
                .map(|s| s.id.clone())
                .ok_or_else(|| CoreError::Conflict("the pipeline has no stages".into()))?,
            s => s.to_owned(),
        };
        let status_id = map.stages.get(&stage).cloned().ok_or_else(|| {
            CoreError::field(
                "stage",
                "unknown_stage",
                format!("the pipeline has no stage {stage}"),
            )
        })?;
        let title = shtab_core::types::required_text("title", &new.title, 500)?;
        let kept: Map<String, Value> = values
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut fields = Map::new();
        fields.insert("TITLE".into(), json!(title));
        fields.insert("CATEGORY_ID".into(), json!(map.category_id));
        fields.insert("STAGE_ID".into(), json!(status_id));
        if let Some(person) = new.responsible
            && let Some(user) = self.people.portal_user(person).await?
        {
            fields.insert("ASSIGNED_BY_ID".into(), json!(user));
        }
        fields.extend(setup::portal_fields(map, &ready.layout, &kept));
        fields.extend(setup::amount_fields(&kept));
        let deal = Deal {
            id: String::new(),
            pipeline: self.pipeline.clone(),
            stage,
            title,
            responsible: new.responsible,
            fields: kept,
            url: None,
        };
        Ok((fields, deal))
    }

    async fn audit_created(&self, by: &Actor, deal: &Deal, key: &str) {
        let mut changes = Changes::new();
        changes
            .set("pipeline", &deal.pipeline)
            .set("stage", &deal.stage)
            .set("title", &deal.title)
            .set("fields", &deal.fields);
        if !key.is_empty() {
            changes.set("external_key", &key);
        }
        self.audit(by, "deal.create", deal, changes).await;
    }
}

/// Why a creation failed, and whether the portal may have made the deal anyway.
enum Failure {
    /// Nothing was made: the portal refused, or Shtab stopped before asking.
    Known(CoreError),
    /// The request broke off after it was sent: the portal may hold the deal.
    Unknown(CoreError),
}

impl Failure {
    fn portal(e: Bitrix24Error) -> Failure {
        if matches!(e, Bitrix24Error::Network { .. }) {
            Failure::Unknown(port_error(e))
        } else {
            Failure::Known(port_error(e))
        }
    }

    fn refused(e: Bitrix24Error) -> Failure {
        Failure::Known(port_error(e))
    }

    fn into_core(self) -> CoreError {
        match self {
            Failure::Known(e) | Failure::Unknown(e) => e,
        }
    }
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Failure {
        Failure::Known(e)
    }
}
