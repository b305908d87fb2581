//! Resources: a chat or mailbox (through a connector), the VPN, or a server or group of
//! servers. Settings are checked when saved, so a grant never meets a resource it cannot
//! carry out.

use serde::Serialize;
use shtab_core::CoreError;
use shtab_core::FieldError;
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::db::{AnyRow, Db};
use shtab_core::error::{CoreResult, FieldErrors, unique_violation_as};
use shtab_core::time::now_ms;

use super::{int, text};
use crate::connectors::{self, ResourceInfo};
use crate::domain::ResourceKind;
use crate::domain::wireguard::VpnSettings;

#[derive(Clone, Serialize)]
pub struct Resource {
    pub id: i64,
    pub name: String,
    pub kind: ResourceKind,
    pub connector: String,
    pub settings: serde_json::Value,
    #[serde(skip)]
    pub secret: String,
    pub created_at: i64,
}

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resource")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Resource {
    pub fn info(&self) -> ResourceInfo {
        ResourceInfo {
            id: self.id,
            name: self.name.clone(),
            connector: self.connector.clone(),
            settings: self.settings.clone(),
            secret: self.secret.clone(),
        }
    }

    /// The SSH target (a server's name or a group), for `ssh` resources.
    pub fn ssh_target(&self) -> String {
        self.settings
            .get("target")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    }

    /// What the kind and its connector are called.
    pub fn kind_label(&self) -> String {
        match self.kind {
            ResourceKind::Connector => self.connector.clone(),
            ResourceKind::Vpn => "wireguard".into(),
            ResourceKind::Ssh => format!("ssh → {}", self.ssh_target()),
        }
    }
}

/// A resource as entered: text, checked by [`create`]. No `Debug`: it holds the secret.
#[derive(Clone, Default)]
pub struct RawResource {
    pub name: String,
    pub kind: String,
    pub connector: String,
    /// JSON text.
    pub settings: String,
    pub secret: String,
}

fn from_row(row: &AnyRow) -> Resource {
    Resource {
        id: int(row, "id"),
        name: text(row, "name"),
        kind: ResourceKind::parse("kind", &text(row, "kind")).unwrap_or(ResourceKind::Connector),
        connector: text(row, "connector"),
        settings: serde_json::from_str(&text(row, "settings")).unwrap_or_default(),
        secret: text(row, "secret"),
        created_at: int(row, "created_at"),
    }
}

const COLUMNS: &str = "id, name, kind, connector, settings, secret, created_at";

pub async fn list(db: &Db) -> CoreResult<Vec<Resource>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM access_resources ORDER BY name"
    )))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

pub async fn get(db: &Db, id: i64) -> CoreResult<Resource> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM access_resources WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(CoreError::NotFound("resource"))?;
    Ok(from_row(&row))
}

/// Checks `raw` and returns the kind, the connector and the settings as stored.
fn check(raw: &RawResource) -> CoreResult<(ResourceKind, String, serde_json::Value)> {
    let mut errors = FieldErrors::default();
    if raw.name.trim().is_empty() {
        errors.push(FieldError::required("name"));
    } else if raw.name.trim().chars().count() > 100 {
        errors.push(FieldError::new(
            "name",
            "too_long",
            "at most 100 characters",
        ));
    }
    let kind = errors.take(ResourceKind::parse("kind", &raw.kind));
    let settings_text = if raw.settings.trim().is_empty() {
        "{}"
    } else {
        raw.settings.trim()
    };
    let settings: Option<serde_json::Value> = errors.take(
        serde_json::from_str::<serde_json::Value>(settings_text)
            .ok()
            .filter(serde_json::Value::is_object)
            .ok_or_else(|| {
                FieldError::new(
                    "settings",
                    "invalid_settings",
                    "settings must be a JSON object",
                )
            }),
    );
    errors.into_result()?;
    let (kind, mut settings) = (kind.expect("checked"), settings.expect("checked"));
    let connector = raw.connector.trim().to_string();
    match kind {
        ResourceKind::Connector => {
            let Some(c) = connectors::for_kind(&connector, reqwest::Client::new()) else {
                return Err(CoreError::field(
                    "connector",
                    "invalid_connector",
                    "one of telegram, mattermost, mailcow, yandex360, command",
                ));
            };
            c.check_settings(&settings)
                .map_err(|m| CoreError::field("settings", "invalid_settings", m))?;
        }
        ResourceKind::Vpn => {
            let (parsed, _) = VpnSettings::parse(&settings)?;
            settings = serde_json::to_value(parsed).expect("settings serialize");
        }
        ResourceKind::Ssh => {
            let target = settings
                .get("target")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .trim()
                .to_string();
            if target.is_empty() {
                return Err(CoreError::field(
                    "target",
                    "required",
                    "name a server or a group of servers",
                ));
            }
            settings = serde_json::json!({ "target": target });
        }
    }
    let connector = if kind == ResourceKind::Connector {
        connector
    } else {
        String::new()
    };
    Ok((kind, connector, settings))
}

/// `may_run_programs`: whether the caller may configure a program the hub runs (the
/// `command` connector), which only administrators may: it runs with the hub's rights.
pub async fn create(
    db: &Db,
    actor: &Actor,
    raw: &RawResource,
    may_run_programs: bool,
) -> CoreResult<Resource> {
    // Before `check`, which looks at the program on disk: its answer would tell a
    // non-administrator which files exist on the hub.
    if raw.connector.trim() == "command" && !may_run_programs {
        return Err(CoreError::field(
            "connector",
            "command_admin_only",
            "only an administrator may set up a program for the hub to run",
        ));
    }
    let (kind, connector, settings) = check(raw)?;
    if kind == ResourceKind::Connector && connector == "command" && !may_run_programs {
        return Err(CoreError::field(
            "connector",
            "command_admin_only",
            "only an administrator may set up a program for the hub to run",
        ));
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO access_resources (name, kind, connector, settings, secret, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(raw.name.trim())
    .bind(kind.as_str())
    .bind(&connector)
    .bind(settings.to_string())
    .bind(raw.secret.trim())
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| unique_violation_as(e, "name", "duplicate_name", "a resource with this name exists"))?;
    let mut changes = Changes::new();
    changes
        .set("kind", &kind.as_str())
        .set("connector", &connector)
        .set("settings", &settings);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "access.resource.create",
            object_kind: "access_resource",
            object_id: id.to_string(),
            object_label: raw.name.trim().to_string(),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}
