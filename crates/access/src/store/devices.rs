//! VPN devices: each gets an address from the VPN's subnet and a key pair. Only the public
//! key is kept; the private key leaves in the one configuration handed over at creation.

use std::net::Ipv4Addr;

use serde::Serialize;
use shtab_core::CoreError;
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::db::{AnyRow, Db, Tx};
use shtab_core::error::CoreResult;
use shtab_core::time::now_ms;

use super::{grants, int, opt_int, resources, text};
use crate::domain::ResourceKind;
use crate::domain::wireguard::{KeyPair, VpnSettings, client_config, qr_svg};

#[derive(Debug, Clone, Serialize)]
pub struct Device {
    pub id: i64,
    pub grant_id: i64,
    pub resource_id: i64,
    pub person_id: i64,
    pub name: String,
    pub address: String,
    pub public_key: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// What the person gets once: the configuration and its QR code.
pub struct NewDevice {
    pub device: Device,
    pub config: String,
    pub qr_svg: String,
}

const COLUMNS: &str =
    "id, grant_id, resource_id, person_id, name, address, public_key, created_at, revoked_at";

fn from_row(row: &AnyRow) -> Device {
    Device {
        id: int(row, "id"),
        grant_id: int(row, "grant_id"),
        resource_id: int(row, "resource_id"),
        person_id: int(row, "person_id"),
        name: text(row, "name"),
        address: text(row, "address"),
        public_key: text(row, "public_key"),
        created_at: int(row, "created_at"),
        revoked_at: opt_int(row, "revoked_at"),
    }
}

pub async fn get(db: &Db, id: i64) -> CoreResult<Device> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM access_devices WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(CoreError::NotFound("device"))?;
    Ok(from_row(&row))
}

pub async fn for_person(db: &Db, person: i64) -> CoreResult<Vec<Device>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM access_devices WHERE person_id = $1 ORDER BY id"
    )))
    .bind(person)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// The devices not revoked, of every VPN.
pub async fn active(db: &Db) -> CoreResult<Vec<Device>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM access_devices WHERE revoked_at IS NULL ORDER BY id"
    )))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Adds a device to an active VPN grant: an address from the subnet (a field error when
/// none is left), fresh keys, and the configuration to hand over.
pub async fn create(db: &Db, actor: &Actor, grant_id: i64, name: &str) -> CoreResult<NewDevice> {
    let grant = grants::get(db, grant_id).await?;
    if grant.resource_kind != ResourceKind::Vpn || !grant.is_active() {
        return Err(CoreError::field(
            "grant_id",
            "not_vpn_grant",
            "not an active VPN grant",
        ));
    }
    let name = name.trim();
    if name.is_empty() {
        return Err(CoreError::field("name", "required", "is required"));
    }
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(CoreError::field(
            "name",
            "too_long",
            "at most 100 printable characters",
        ));
    }
    let resource = resources::get(db, grant.resource_id).await?;
    let (settings, subnet) = VpnSettings::parse(&resource.settings)?;
    let mut tx = db.begin().await?;
    let taken: Vec<String> = sqlx::query_scalar(
        "SELECT address FROM access_devices WHERE resource_id = $1 AND revoked_at IS NULL",
    )
    .bind(resource.id)
    .fetch_all(&mut *tx)
    .await?;
    let taken: Vec<Ipv4Addr> = taken.iter().filter_map(|a| a.parse().ok()).collect();
    let address = subnet.allocate("address", &taken)?;
    let keys = KeyPair::generate();
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO access_devices (grant_id, resource_id, person_id, name, address, public_key, created_at, address_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(grant.id)
    .bind(resource.id)
    .bind(grant.person_id)
    .bind(name)
    .bind(address.to_string())
    .bind(&keys.public_key)
    .bind(now)
    .bind(format!("{}:{address}", resource.id))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        // Two devices created at the same moment may pick the same address; the second
        // is told to try again rather than being given someone else's.
        shtab_core::error::unique_violation_as(e, "address", "address_taken", "the address was just taken; try again")
    })?;
    let mut changes = Changes::new();
    changes
        .set("address", &address.to_string())
        .set("public_key", &keys.public_key);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "access.device.create",
            object_kind: "access_device",
            object_id: id.to_string(),
            object_label: format!("{} — {name}", grant.person_name),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    super::desired::sync_agent_grants(db).await?;
    let config = client_config(&settings, &keys.private_key, address);
    let qr = qr_svg(&config);
    Ok(NewDevice {
        device: get(db, id).await?,
        config,
        qr_svg: qr,
    })
}

pub async fn revoke(db: &Db, actor: &Actor, id: i64) -> CoreResult<Device> {
    let device = get(db, id).await?;
    if device.revoked_at.is_some() {
        return Err(CoreError::Conflict("the device is already revoked".into()));
    }
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE access_devices SET revoked_at = $1, address_key = NULL WHERE id = $2")
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "access.device.revoke",
            object_kind: "access_device",
            object_id: id.to_string(),
            object_label: device.name.clone(),
            changes: Changes::new(),
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

/// Revokes every device of a grant being revoked, in the revocation's transaction, with an
/// `access.device.revoke` entry for each, as [`revoke`] writes.
pub async fn revoke_for_grant(tx: &mut Tx, actor: &Actor, grant: i64, now: i64) -> CoreResult<()> {
    let revoked: Vec<(i64, String)> = sqlx::query_as(
        "UPDATE access_devices SET revoked_at = $1, address_key = NULL WHERE grant_id = $2 AND revoked_at IS NULL \
         RETURNING id, name",
    )
    .bind(now)
    .bind(grant)
    .fetch_all(&mut **tx)
    .await?;
    for (id, name) in revoked {
        let mut changes = Changes::new();
        changes.set("grant_id", &grant);
        audit::record(
            tx,
            actor,
            Event {
                action: "access.device.revoke",
                object_kind: "access_device",
                object_id: id.to_string(),
                object_label: name,
                changes,
            },
        )
        .await?;
    }
    Ok(())
}
