//! The invoices part of the portal's settings: the smart-invoice pipeline an admin picked, its
//! "paid" stage and an optional "partly paid" stage. Kept as one JSON value in the hub's
//! `settings` table (data people change while the hub runs, audit-logged), checked against
//! the portal before it is saved ([`crate::adapters::invoices::settings`]).

use serde::{Deserialize, Serialize};
use shtab_core::audit::{Actor, Changes};
use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use utoipa::ToSchema;

const KEY: &str = "bitrix24.invoices";

/// What the admin picked. Nothing picked: each invoice's own pipeline's success stage marks
/// it paid, and a part payment leaves the stage alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceSettings {
    /// The smart-invoice pipeline (`crm.category.list`, entity type 31) the stages below
    /// belong to.
    pub category_id: Option<u64>,
    /// The stage a fully paid invoice of that pipeline moves to (`DT31_2:P`); none: the
    /// pipeline's success stage, as the portal says.
    pub paid_stage: Option<String>,
    /// The stage a partly paid invoice of that pipeline moves to; none: it stays where it is.
    pub partly_paid_stage: Option<String>,
}

pub async fn load(db: &Db) -> CoreResult<InvoiceSettings> {
    let stored = shtab_core::settings::get(db, KEY).await?;
    Ok(match stored {
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            shtab_core::CoreError::Internal(format!("the stored {KEY} settings do not read: {e}"))
        })?,
        None => InvoiceSettings::default(),
    })
}

/// Saves settings already checked against the portal, audit-logged as `actor`.
pub async fn save(db: &Db, actor: &Actor, settings: &InvoiceSettings) -> CoreResult<()> {
    let before = load(db).await?;
    if before == *settings {
        return Ok(());
    }
    let value = serde_json::to_string(settings)
        .map_err(|e| shtab_core::CoreError::Internal(e.to_string()))?;
    let mut changes = Changes::new();
    changes
        .diff("category_id", &before.category_id, &settings.category_id)
        .diff("paid_stage", &before.paid_stage, &settings.paid_stage)
        .diff(
            "partly_paid_stage",
            &before.partly_paid_stage,
            &settings.partly_paid_stage,
        );
    shtab_core::settings::put(db, actor, KEY, &value, changes).await
}
