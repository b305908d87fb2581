//! Setting the deals up, for the settings page and API: what the portal holds now, saving a
//! mapping only when the portal confirms every category, stage and field it names, creating
//! a category with the pipeline's stages and the fields a mapping lacks.

use shtab_core::FieldError;
use shtab_core::audit::Actor;
use shtab_core::error::{CoreError, CoreResult};

use super::portal::{self, PortalLayout};
use super::{PortalDeals, setup};
use crate::adapters::port_error;
use crate::store::deals::{self as store, DealsMap};

/// What the portal holds for a category, compared with a mapping.
#[derive(Debug, Clone)]
pub struct LiveCheck {
    pub portal: PortalLayout,
    /// The mapping looked at: the saved one, or a suggestion for another category.
    pub map: DealsMap,
    pub missing: Vec<setup::Missing>,
}

impl PortalDeals {
    /// Reads the portal now: for the saved category (or `category`, when the admin looks at
    /// another), what the mapping lacks there, with what matches by name filled in.
    pub async fn check_live(&self, category: Option<u64>) -> CoreResult<LiveCheck> {
        let layout = self.layout().await?;
        let saved = self.settings().await?.map(|s| s.map);
        let category = category
            .or(saved.as_ref().map(|m| m.category_id))
            .unwrap_or(0);
        let portal = portal::layout(&self.client, category)
            .await
            .map_err(port_error)?;
        let current = saved.clone().unwrap_or_default();
        let map = if current.category_id == category && !current.stages.is_empty() {
            current
        } else {
            setup::suggest(&layout, &portal, category, &current)
        };
        let missing = setup::check(&map, &layout, &portal);
        // A check of the saved mapping is as good as the robot's: it sets or clears the
        // problem that stops writes.
        if saved.as_ref() == Some(&map) {
            store::set_problem(
                &self.db,
                &self.pipeline,
                setup::problem_text(&missing).as_deref(),
            )
            .await?;
        }
        Ok(LiveCheck {
            portal,
            map,
            missing,
        })
    }

    /// Saves `map` if the portal has everything it names and it names every stage and field
    /// of the pipeline; a refusal names each that is wrong (`deals.stages.approval`…), and
    /// nothing is saved. Watching starts after the category's last move when the category
    /// changes.
    pub async fn save_map(&self, map: &DealsMap, by: &Actor) -> CoreResult<()> {
        let layout = self.layout().await?;
        let mut errors = Vec::new();
        for name in map.stages.keys() {
            if layout.stage(name).is_none() {
                errors.push(FieldError::new(
                    format!("deals.stages.{name}"),
                    "not_a_stage",
                    format!("the pipeline has no stage {name}"),
                ));
            }
        }
        for name in map.fields.keys() {
            if layout.field(name).is_none() {
                errors.push(FieldError::new(
                    format!("deals.fields.{name}"),
                    "not_a_field",
                    format!("the pipeline has no field {name}"),
                ));
            }
        }
        let portal = portal::layout(&self.client, map.category_id)
            .await
            .map_err(port_error)?;
        for missing in setup::check(map, &layout, &portal) {
            errors.push(FieldError::new(
                missing.path(),
                missing.code(),
                missing.message(),
            ));
        }
        if !errors.is_empty() {
            return Err(CoreError::Invalid(errors));
        }
        let before = self.settings().await?;
        let watch_from = match before {
            Some(b) if b.map.category_id == map.category_id => None,
            _ => Some(
                portal::last_history_id(&self.client, map.category_id)
                    .await
                    .map_err(port_error)?,
            ),
        };
        store::save_map(&self.db, &self.pipeline, map, watch_from, by).await
    }

    /// Creates a category named after the pipeline with its stages, and the deal fields it
    /// needs, then saves that mapping.
    pub async fn create_category(&self, by: &Actor) -> CoreResult<DealsMap> {
        let layout = self.layout().await?;
        let map = setup::create_category(&self.client, &layout)
            .await
            .map_err(port_error)?;
        self.create_missing_fields(map, by).await
    }

    /// Creates the deal fields `map` lacks (with Russian labels) and saves the mapping.
    pub async fn create_missing_fields(&self, map: DealsMap, by: &Actor) -> CoreResult<DealsMap> {
        let layout = self.layout().await?;
        let portal = portal::layout(&self.client, map.category_id)
            .await
            .map_err(port_error)?;
        let map = setup::create_fields(&self.client, &layout, &map, &portal)
            .await
            .map_err(port_error)?;
        self.save_map(&map, by).await?;
        Ok(map)
    }
}
