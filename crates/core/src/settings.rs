//! Organisation-wide settings edited on the settings page (not configuration: these are
//! data, changed by people while the service runs, and audit-logged).

use crate::audit::{self, Actor, Changes, Event};
use crate::db::Db;
use crate::error::CoreResult;
use crate::time::now_ms;
use crate::types::optional_text;

/// The agency's name, shown in the top bar and in messages.
pub const ORGANISATION_NAME: &str = "organisation_name";

pub async fn get(db: &Db, key: &str) -> CoreResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(db.pool())
            .await?,
    )
}

pub async fn set_organisation_name(db: &Db, actor: &Actor, name: &str) -> CoreResult<()> {
    let name = optional_text("organisation_name", name, 200)?.unwrap_or_default();
    let before = get(db, ORGANISATION_NAME).await?.unwrap_or_default();
    if before == name {
        return Ok(());
    }
    let mut changes = Changes::new();
    changes.diff("organisation_name", &before, &name);
    put(db, actor, ORGANISATION_NAME, &name, changes).await
}

/// Stores `value` under `key` and audit-logs `changes` as `actor`'s, in one transaction.
pub async fn put(
    db: &Db,
    actor: &Actor,
    key: &str,
    value: &str,
    changes: Changes,
) -> CoreResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = $2, updated_at = $3",
    )
    .bind(key)
    .bind(value)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "settings.update",
            object_kind: "settings",
            object_id: key.into(),
            object_label: key.into(),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
