//! The admin's invoice settings, checked against the live portal: only what the portal
//! confirms exists is saved; anything else is a field error naming it, and nothing changes.

use shtab_core::FieldError;
use shtab_core::audit::Actor;
use shtab_core::db::Db;
use shtab_core::error::{CoreError, CoreResult};

use super::stages::Pipelines;
use crate::client::Client;
use crate::store::invoice_settings::{self, InvoiceSettings};

/// Trims the stage codes; an empty one is none.
pub fn normalized(settings: InvoiceSettings) -> InvoiceSettings {
    let clean = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    InvoiceSettings {
        category_id: settings.category_id.filter(|c| *c > 0),
        paid_stage: clean(settings.paid_stage),
        partly_paid_stage: clean(settings.partly_paid_stage),
    }
}

/// `settings`, normalized, when the portal has everything they name; else each problem as a
/// field error. Nothing is saved.
pub async fn confirmed(client: &Client, settings: InvoiceSettings) -> CoreResult<InvoiceSettings> {
    let settings = normalized(settings);
    let problems = Pipelines::read(client).await?.problems(&settings);
    if !problems.is_empty() {
        return Err(CoreError::Invalid(problems));
    }
    Ok(settings)
}

/// Checks `settings` on the portal and saves them. Returns what was saved.
pub async fn save(
    client: &Client,
    db: &Db,
    actor: &Actor,
    settings: InvoiceSettings,
) -> CoreResult<InvoiceSettings> {
    let settings = confirmed(client, settings).await?;
    invoice_settings::save(db, actor, &settings).await?;
    Ok(settings)
}

/// What is wrong with the saved settings on the portal now (renamed or deleted there).
pub async fn check_saved(client: &Client, db: &Db) -> CoreResult<Vec<FieldError>> {
    let settings = invoice_settings::load(db).await?;
    if settings == InvoiceSettings::default() {
        return Ok(Vec::new());
    }
    Ok(Pipelines::read(client).await?.problems(&settings))
}
