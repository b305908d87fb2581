//! Servers and their agents: the token (only its sha256 is kept; the token itself is shown
//! once), when the agent was last seen, and what it last reported.

use serde::Serialize;
use shtab_access_protocol::{Report, validate_group};
use shtab_core::CoreError;
use shtab_core::FieldError;
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::auth::{random_token, sha256_hex};
use shtab_core::db::{AnyRow, Db};
use shtab_core::error::{CoreResult, FieldErrors, unique_violation_as};
use shtab_core::time::now_ms;

use super::{int, opt_int, text};
use crate::domain::grant::split_list;

#[derive(Debug, Clone, Serialize)]
pub struct Server {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub groups: Vec<String>,
    /// False once the token was revoked: the agent is shut out until a new one is made.
    pub has_token: bool,
    pub hostname: String,
    pub agent_version: String,
    pub last_seen_at: Option<i64>,
    /// The hash of the state the agent last converged to fully (compared with the hash of
    /// the state now to tell whether the server is in sync).
    pub applied_revision: String,
    /// That state's number, as the agent was served it; 0: never.
    pub applied_serial: i64,
    pub last_report: Option<Report>,
    pub reported_at: Option<i64>,
    pub created_at: i64,
}

/// What an operator enters for a server.
#[derive(Debug, Clone, Default)]
pub struct RawServer {
    pub name: String,
    pub address: String,
    pub groups: String,
}

const COLUMNS: &str = "id, name, address, groups, token_hash, hostname, agent_version, last_seen_at, \
                       applied_revision, applied_serial, last_report, reported_at, created_at";

fn from_row(row: &AnyRow) -> Server {
    Server {
        id: int(row, "id"),
        name: text(row, "name"),
        address: text(row, "address"),
        groups: split_list(&text(row, "groups")),
        has_token: row_has_token(row),
        hostname: text(row, "hostname"),
        agent_version: text(row, "agent_version"),
        last_seen_at: opt_int(row, "last_seen_at"),
        applied_revision: text(row, "applied_revision"),
        applied_serial: int(row, "applied_serial"),
        last_report: serde_json::from_str(&text(row, "last_report")).ok(),
        reported_at: opt_int(row, "reported_at"),
        created_at: int(row, "created_at"),
    }
}

fn row_has_token(row: &AnyRow) -> bool {
    use shtab_core::db::Row;
    row.try_get::<Option<String>, _>("token_hash")
        .ok()
        .flatten()
        .is_some()
}

pub async fn list(db: &Db) -> CoreResult<Vec<Server>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM access_servers ORDER BY name"
    )))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

pub async fn get(db: &Db, id: i64) -> CoreResult<Server> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM access_servers WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(CoreError::NotFound("server"))?;
    Ok(from_row(&row))
}

/// The server whose agent holds `token`; `None` for a wrong or revoked one.
pub async fn by_token(db: &Db, token: &str) -> CoreResult<Option<Server>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM access_servers WHERE token_hash = $1"
    )))
    .bind(sha256_hex(token.trim()))
    .fetch_optional(db.pool())
    .await?;
    Ok(row.as_ref().map(from_row))
}

fn check(raw: &RawServer) -> CoreResult<(String, String, Vec<String>)> {
    let mut errors = FieldErrors::default();
    let name = raw.name.trim().to_string();
    if name.is_empty() {
        errors.push(FieldError::required("name"));
    } else if validate_group(&name).is_err() {
        errors.push(FieldError::new(
            "name",
            "invalid_server_name",
            "lower-case letters, digits, '-', '_' and '.', starting with a letter",
        ));
    }
    let address = raw.address.trim().to_string();
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) || address.len() > 253 {
        errors.push(FieldError::new(
            "address",
            "invalid_address",
            "a host name or an IP address",
        ));
    }
    let groups = split_list(&raw.groups);
    for g in &groups {
        if validate_group(g).is_err() {
            errors.push(FieldError::new(
                "groups",
                "invalid_group",
                format!("{g}: not a valid group name"),
            ));
        }
    }
    errors.into_result()?;
    Ok((name, address, groups))
}

/// Adds a server; returns it with its agent token, which is not kept and cannot be shown again.
pub async fn create(db: &Db, actor: &Actor, raw: &RawServer) -> CoreResult<(Server, String)> {
    let (name, address, groups) = check(raw)?;
    let token = random_token();
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO access_servers (name, address, groups, token_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(&name)
    .bind(&address)
    .bind(groups.join(","))
    .bind(sha256_hex(&token))
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        unique_violation_as(
            e,
            "name",
            "duplicate_name",
            "a server with this name exists",
        )
    })?;
    let mut changes = Changes::new();
    changes.set("address", &address).set("groups", &groups);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "access.server.create",
            object_kind: "access_server",
            object_id: id.to_string(),
            object_label: name,
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((get(db, id).await?, token))
}

/// Changes a server's name, address and groups (which grants reach it follows at once).
pub async fn update(db: &Db, actor: &Actor, id: i64, raw: &RawServer) -> CoreResult<Server> {
    let before = get(db, id).await?;
    let (name, address, groups) = check(raw)?;
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE access_servers SET name = $1, address = $2, groups = $3, updated_at = $4 WHERE id = $5")
        .bind(&name)
        .bind(&address)
        .bind(groups.join(","))
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|e| unique_violation_as(e, "name", "duplicate_name", "a server with this name exists"))?;
    let mut changes = Changes::new();
    changes
        .diff("name", &before.name, &name)
        .diff("address", &before.address, &address)
        .diff("groups", &before.groups, &groups);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "access.server.update",
            object_kind: "access_server",
            object_id: id.to_string(),
            object_label: name,
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

/// A new agent token for the server (the old one stops working at once); `None` revokes
/// the token without a new one.
pub async fn set_token(
    db: &Db,
    actor: &Actor,
    id: i64,
    rotate: bool,
) -> CoreResult<Option<String>> {
    let server = get(db, id).await?;
    let token = rotate.then(random_token);
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE access_servers SET token_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(token.as_deref().map(sha256_hex))
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Event {
            action: if rotate {
                "access.server.token_rotate"
            } else {
                "access.server.token_revoke"
            },
            object_kind: "access_server",
            object_id: id.to_string(),
            object_label: server.name,
            changes: Changes::new(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

pub async fn record_register(db: &Db, id: i64, hostname: &str, version: &str) -> CoreResult<()> {
    sqlx::query(
        "UPDATE access_servers SET hostname = $1, agent_version = $2, last_seen_at = $3 WHERE id = $4",
    )
    .bind(hostname.chars().take(253).collect::<String>())
    .bind(version.chars().take(64).collect::<String>())
    .bind(now_ms())
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn record_seen(db: &Db, id: i64) -> CoreResult<()> {
    sqlx::query("UPDATE access_servers SET last_seen_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The number agents know the state by: the serial goes up each time the state's hash
/// differs from the one served before, so an agent can tell a newer state from an older
/// one (a restored backup) and never lets a revoked key back on the strength of a hash.
pub async fn number_state(db: &Db, id: i64, hash: &str) -> CoreResult<i64> {
    sqlx::query(
        "UPDATE access_servers SET state_serial = state_serial + 1, state_hash = $1 \
         WHERE id = $2 AND state_hash <> $1",
    )
    .bind(hash)
    .bind(id)
    .execute(db.pool())
    .await?;
    let serial: i64 = sqlx::query_scalar("SELECT state_serial FROM access_servers WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await?;
    Ok(serial)
}

/// Keeps the agent's report. The server counts as running a revision only when the report
/// is of the numbered state last served and without errors: a lock or a key removal that
/// failed must not show the revocation as done.
pub async fn record_report(db: &Db, id: i64, report: &Report) -> CoreResult<()> {
    let now = now_ms();
    let (serial, hash): (i64, String) =
        sqlx::query_as("SELECT state_serial, state_hash FROM access_servers WHERE id = $1")
            .bind(id)
            .fetch_one(db.pool())
            .await?;
    let converged = report.errors.is_empty() && report.revision == serial.to_string();
    sqlx::query(
        "UPDATE access_servers SET applied_revision = CASE WHEN $1 THEN $2 ELSE applied_revision END, \
         applied_serial = CASE WHEN $1 THEN $6 ELSE applied_serial END, \
         last_report = $3, reported_at = $4, last_seen_at = $4 WHERE id = $5",
    )
    .bind(converged)
    .bind(&hash)
    .bind(serde_json::to_string(report).expect("a report serializes"))
    .bind(now)
    .bind(id)
    .bind(serial)
    .execute(db.pool())
    .await?;
    Ok(())
}
