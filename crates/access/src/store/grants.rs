//! Grants: a person × a resource, granted and revoked here and carried out by a connector's
//! job (chat, mailbox) or by the agents (SSH, VPN). Every change is audited in the same
//! transaction, and its provisioning job is queued there too, so neither is lost.

use serde::Serialize;
use shtab_access_protocol::{UnixName, validate_group, validate_shell};
use shtab_core::CoreError;
use shtab_core::FieldError;
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::db::{AnyRow, Db, Tx};
use shtab_core::error::{CoreResult, FieldErrors};
use shtab_core::ids::PersonId;
use shtab_core::people::{self, PersonStatus};
use shtab_core::time::now_ms;

use super::{int, opt_int, resources, text};
use crate::domain::grant::split_list;
use crate::domain::{Desired, GrantState, ResourceKind};
use crate::jobs::Provision;

/// Unix ids of managed accounts start here, clear of distributions' own users.
pub const FIRST_UID: i64 = 20000;

#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub resource_id: i64,
    pub resource_name: String,
    pub resource_kind: ResourceKind,
    pub login: String,
    pub sudo: bool,
    pub shell: String,
    pub groups: Vec<String>,
    pub expires_at: Option<i64>,
    pub reason: String,
    pub granted_by: String,
    pub granted_at: i64,
    pub desired: Desired,
    pub state: GrantState,
    pub error: String,
    pub note: String,
    pub attempts: i64,
    pub last_attempt_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revoked_by: String,
    #[serde(skip)]
    pub connector_state: serde_json::Value,
    /// A first password for the person waits to be shown once (see [`take_first_secret`]).
    pub has_first_secret: bool,
}

impl Grant {
    pub fn is_active(&self) -> bool {
        self.desired == Desired::Present
    }
}

/// A grant as entered.
#[derive(Debug, Clone, Default)]
pub struct RawGrant {
    pub person_id: i64,
    pub resource_id: i64,
    pub login: String,
    pub sudo: bool,
    pub shell: String,
    pub groups: String,
    /// End of access (Unix ms); `None` for none.
    pub expires_at: Option<i64>,
    pub reason: String,
}

const SELECT: &str = "SELECT g.id, g.person_id, p.full_name, g.resource_id, r.name AS resource_name, r.kind, \
     g.login, g.sudo, g.shell, g.groups, g.expires_at, g.reason, g.granted_by, g.granted_at, g.desired, g.state, \
     g.error, g.note, g.attempts, g.last_attempt_at, g.revoked_at, g.revoked_by, g.connector_state, \
     CASE WHEN g.first_secret IS NULL THEN 0 ELSE 1 END AS has_first_secret \
     FROM access_grants g JOIN people p ON p.id = g.person_id JOIN access_resources r ON r.id = g.resource_id";

fn from_row(row: &AnyRow) -> Grant {
    Grant {
        id: int(row, "id"),
        person_id: int(row, "person_id"),
        person_name: text(row, "full_name"),
        resource_id: int(row, "resource_id"),
        resource_name: text(row, "resource_name"),
        resource_kind: ResourceKind::parse("kind", &text(row, "kind"))
            .unwrap_or(ResourceKind::Connector),
        login: text(row, "login"),
        sudo: int(row, "sudo") != 0,
        shell: text(row, "shell"),
        groups: split_list(&text(row, "groups")),
        expires_at: opt_int(row, "expires_at"),
        reason: text(row, "reason"),
        granted_by: text(row, "granted_by"),
        granted_at: int(row, "granted_at"),
        desired: Desired::parse(&text(row, "desired")),
        state: GrantState::parse(&text(row, "state")),
        error: text(row, "error"),
        note: text(row, "note"),
        attempts: int(row, "attempts"),
        last_attempt_at: opt_int(row, "last_attempt_at"),
        revoked_at: opt_int(row, "revoked_at"),
        revoked_by: text(row, "revoked_by"),
        connector_state: serde_json::from_str(&text(row, "connector_state")).unwrap_or_default(),
        has_first_secret: int(row, "has_first_secret") != 0,
    }
}

pub async fn get(db: &Db, id: i64) -> CoreResult<Grant> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE g.id = $1")))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(CoreError::NotFound("grant"))?;
    Ok(from_row(&row))
}

/// A person's grants, newest first.
pub async fn for_person(db: &Db, person: i64) -> CoreResult<Vec<Grant>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE g.person_id = $1 ORDER BY g.id DESC"
    )))
    .bind(person)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Every grant of a kind (SSH for the servers' states, VPN for the gateways').
pub async fn of_kind(db: &Db, kind: ResourceKind) -> CoreResult<Vec<Grant>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE r.kind = $1 ORDER BY g.id"
    )))
    .bind(kind.as_str())
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Every grant, newest first.
pub async fn list(db: &Db) -> CoreResult<Vec<Grant>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY g.id DESC")))
        .fetch_all(db.pool())
        .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Grants still in force whose expiry has passed.
pub async fn expired(db: &Db, now: i64) -> CoreResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM access_grants WHERE desired = 'present' AND expires_at IS NOT NULL AND expires_at <= $1 ORDER BY id",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?)
}

/// The login a grant on a mailbox or chat goes by when none is entered: the work e-mail's
/// local part.
fn default_login(person: &people::Person) -> String {
    person
        .emails
        .first()
        .and_then(|e| e.as_str().split('@').next().map(str::to_string))
        .unwrap_or_default()
}

/// Allocates `login`'s uid once, for `person`; a login of someone else is a field error.
async fn allocate_uid(tx: &mut Tx, login: &str, person: i64) -> CoreResult<()> {
    let owner: Option<i64> =
        sqlx::query_scalar("SELECT person_id FROM access_uids WHERE login = $1")
            .bind(login)
            .fetch_optional(&mut **tx)
            .await?;
    match owner {
        Some(p) if p == person => Ok(()),
        Some(_) => Err(CoreError::field(
            "login",
            "duplicate_login",
            "this login belongs to another person",
        )),
        None => {
            let max: Option<i64> = sqlx::query_scalar("SELECT MAX(uid) FROM access_uids")
                .fetch_one(&mut **tx)
                .await?;
            let uid = max.map_or(FIRST_UID, |m| (m + 1).max(FIRST_UID));
            sqlx::query("INSERT INTO access_uids (login, uid, person_id) VALUES ($1, $2, $3)")
                .bind(login)
                .bind(uid)
                .bind(person)
                .execute(&mut **tx)
                .await
                .map_err(|e| match &e {
                    // Another grant allocated the same uid (or login) at the same moment.
                    sqlx::Error::Database(d) if d.is_unique_violation() => CoreError::Conflict(
                        "another grant was saved at the same moment; try again".into(),
                    ),
                    _ => CoreError::Db(e),
                })?;
            Ok(())
        }
    }
}

/// Creates a grant. `refused_logins` (`access.refused_logins`) are the system and cloud
/// accounts servers already have: an SSH grant must not make a person their holder.
pub async fn create(
    db: &Db,
    actor: &Actor,
    raw: &RawGrant,
    refused_logins: &[String],
) -> CoreResult<Grant> {
    let person = match people::get(db, PersonId(raw.person_id)).await {
        Ok(p) => p,
        Err(CoreError::NotFound(_)) => {
            return Err(CoreError::field("person_id", "not_found", "no such person"));
        }
        Err(e) => return Err(e),
    };
    let resource = match resources::get(db, raw.resource_id).await {
        Ok(r) => r,
        Err(CoreError::NotFound(_)) => {
            return Err(CoreError::field(
                "resource_id",
                "not_found",
                "no such resource",
            ));
        }
        Err(e) => return Err(e),
    };
    let mut errors = FieldErrors::default();
    if person.status == PersonStatus::Left {
        errors.push(FieldError::new(
            "person_id",
            "person_left",
            "the person has left",
        ));
    }
    let mut login = raw.login.trim().to_string();
    let mut shell = raw.shell.trim().to_string();
    let groups = split_list(&raw.groups);
    match resource.kind {
        ResourceKind::Ssh => {
            if login.is_empty() {
                errors.push(FieldError::required("login"));
            } else if let Err(e) = UnixName::parse(&login) {
                errors.push(FieldError::new(
                    "login",
                    "invalid_login",
                    format!("not a valid unix user name: {e}"),
                ));
            } else if refused_logins.contains(&login) {
                errors.push(FieldError::new(
                    "login",
                    "refused_login",
                    format!(
                        "«{login}» is a system or cloud-image account servers already have; choose a personal login"
                    ),
                ));
            }
            if shell.is_empty() {
                shell = "/bin/bash".into();
            }
            if let Err(e) = validate_shell(&shell) {
                errors.push(FieldError::new("shell", "invalid_shell", e.to_string()));
            }
            for g in &groups {
                if validate_group(g).is_err() {
                    errors.push(FieldError::new(
                        "groups",
                        "invalid_group",
                        format!("{g}: not a valid group name"),
                    ));
                }
            }
        }
        _ => {
            if login.is_empty() {
                login = default_login(&person);
            }
            shell.clear();
        }
    }
    if raw.reason.chars().count() > 500 {
        errors.push(FieldError::new(
            "reason",
            "too_long",
            "at most 500 characters",
        ));
    }
    if raw.expires_at.is_some_and(|e| e <= now_ms()) {
        errors.push(FieldError::new(
            "expires_at",
            "in_the_past",
            "the expiry must be in the future",
        ));
    }
    errors.into_result()?;

    let now = now_ms();
    let mut tx = db.begin().await?;
    if resource.kind == ResourceKind::Ssh {
        allocate_uid(&mut tx, &login, person.id.0).await?;
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO access_grants (person_id, resource_id, login, sudo, shell, groups, expires_at, reason, \
         granted_by, granted_at, desired, state, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'present', 'pending', $10) RETURNING id",
    )
    .bind(person.id.0)
    .bind(resource.id)
    .bind(&login)
    .bind(i64::from(raw.sudo && resource.kind == ResourceKind::Ssh))
    .bind(&shell)
    .bind(groups.join(","))
    .bind(raw.expires_at)
    .bind(raw.reason.trim())
    .bind(&actor.label)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    if resource.kind == ResourceKind::Connector {
        shtab_core::jobs::enqueue_in(&mut tx, &Provision { grant_id: id }, None).await?;
    }
    let mut changes = Changes::new();
    changes
        .set("person", &person.full_name)
        .set("resource", &resource.name)
        .set("login", &login)
        .set("sudo", &raw.sudo)
        .set("expires_at", &raw.expires_at)
        .set("reason", &raw.reason.trim());
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "access.grant",
            object_kind: "access_grant",
            object_id: id.to_string(),
            object_label: format!("{} → {}", person.full_name, resource.name),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    super::desired::sync_agent_grants(db).await?;
    get(db, id).await
}

/// Takes a grant back: the connector's job (or the agents) remove it out there. Revoking
/// what is already revoked is a conflict, not a second revocation. `why` goes to the audit
/// log (`revoked`, `expired`, `offboarding`).
pub async fn revoke(db: &Db, actor: &Actor, id: i64, why: &str) -> CoreResult<Grant> {
    let grant = get(db, id).await?;
    if !grant.is_active() {
        return Err(CoreError::Conflict(format!(
            "grant {id} is already revoked"
        )));
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE access_grants SET desired = 'absent', state = 'revoking', error = '', revoked_at = $1, \
         revoked_by = $2, updated_at = $1 WHERE id = $3",
    )
    .bind(now)
    .bind(&actor.label)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if grant.resource_kind == ResourceKind::Connector {
        shtab_core::jobs::enqueue_in(&mut tx, &Provision { grant_id: id }, None).await?;
    }
    if grant.resource_kind == ResourceKind::Vpn {
        super::devices::revoke_for_grant(&mut tx, actor, id, now).await?;
    }
    let mut changes = Changes::new();
    changes
        .diff("state", &grant.state.as_str(), &"revoking")
        .set("why", &why);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "access.revoke",
            object_kind: "access_grant",
            object_id: id.to_string(),
            object_label: format!("{} → {}", grant.person_name, grant.resource_name),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    super::desired::sync_agent_grants(db).await?;
    get(db, id).await
}

/// Queues another attempt at a failed connector grant now, rather than at its next retry.
pub async fn retry(db: &Db, actor: &Actor, id: i64) -> CoreResult<Grant> {
    let grant = get(db, id).await?;
    if grant.resource_kind != ResourceKind::Connector || grant.state != GrantState::Failed {
        return Err(CoreError::Conflict(
            "only a failed chat or mailbox grant can be retried".into(),
        ));
    }
    let state = match grant.desired {
        Desired::Present => GrantState::Pending,
        Desired::Absent => GrantState::Revoking,
    };
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE access_grants SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(state.as_str())
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    shtab_core::jobs::enqueue_in(&mut tx, &Provision { grant_id: id }, None).await?;
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "access.retry",
            object_kind: "access_grant",
            object_id: id.to_string(),
            object_label: format!("{} → {}", grant.person_name, grant.resource_name),
            changes: Changes::new(),
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

/// How a connector attempt ended, recorded on the grant with an audit entry in the
/// connector's (robot's) name.
///
/// The grant may have been revoked (or granted again) while the connector worked. Then the
/// outcome no longer says where the grant stands: what the connector made (an invite link, a
/// mailbox) is kept so the next attempt can take it back, the grant goes back to
/// pending/revoking, and another attempt is queued. Otherwise a late "granted" could bury
/// a revocation and leave the access live.
pub async fn record_attempt(
    db: &Db,
    grant: &Grant,
    outcome: Result<(serde_json::Value, String), String>,
    first_secret: Option<&str>,
) -> CoreResult<()> {
    let now = now_ms();
    let (state, error, action) = match (&outcome, grant.desired) {
        (Ok(_), Desired::Present) => (GrantState::Applied, String::new(), "access.applied"),
        (Ok(_), Desired::Absent) => (GrantState::Revoked, String::new(), "access.revoked"),
        (Err(e), _) => (GrantState::Failed, e.clone(), "access.failed"),
    };
    let mut tx = db.begin().await?;
    let recorded =
        match &outcome {
            Ok((connector_state, note)) => sqlx::query(
                "UPDATE access_grants SET state = $1, error = '', note = $2, connector_state = $3, \
                 attempts = attempts + 1, last_attempt_at = $4, updated_at = $4, \
                 first_secret = COALESCE($7, first_secret) \
                 WHERE id = $5 AND desired = $6",
            )
            .bind(state.as_str())
            .bind(note)
            .bind(connector_state.to_string())
            .bind(now)
            .bind(grant.id)
            .bind(grant.desired.as_str())
            .bind(first_secret)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                > 0,
            Err(e) => sqlx::query(
                "UPDATE access_grants SET state = 'failed', error = $1, attempts = attempts + 1, \
                 last_attempt_at = $2, updated_at = $2 WHERE id = $3 AND desired = $4",
            )
            .bind(e)
            .bind(now)
            .bind(grant.id)
            .bind(grant.desired.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected()
                > 0,
        };
    if !recorded {
        if let Ok((connector_state, note)) = &outcome {
            sqlx::query(
                "UPDATE access_grants SET connector_state = $1, note = $2, \
                 state = CASE WHEN desired = 'present' THEN 'pending' ELSE 'revoking' END, \
                 attempts = attempts + 1, last_attempt_at = $3, updated_at = $3 WHERE id = $4",
            )
            .bind(connector_state.to_string())
            .bind(note)
            .bind(now)
            .bind(grant.id)
            .execute(&mut *tx)
            .await?;
        }
        shtab_core::jobs::enqueue_in(&mut tx, &Provision { grant_id: grant.id }, None).await?;
        tx.commit().await?;
        return Ok(());
    }
    let mut changes = Changes::new();
    changes.set("state", &state.as_str());
    if !error.is_empty() {
        changes.set("error", &error);
    }
    audit::record(
        &mut tx,
        &Actor::robot(format!("access.{}", grant.resource_name)),
        Event {
            action,
            object_kind: "access_grant",
            object_id: grant.id.to_string(),
            object_label: format!("{} → {}", grant.person_name, grant.resource_name),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The first password a connector made for the person (a new mailbox's), handed out once:
/// whoever asks first gets it and it is erased in the same step; `None` when there is none
/// (never made, or already shown). The audit log records that it was shown, not what it was.
pub async fn take_first_secret(db: &Db, actor: &Actor, id: i64) -> CoreResult<Option<String>> {
    let grant = get(db, id).await?;
    let mut tx = db.begin().await?;
    let secret: Option<String> =
        sqlx::query_scalar("SELECT first_secret FROM access_grants WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    let Some(secret) = secret else {
        return Ok(None);
    };
    let taken = sqlx::query(
        "UPDATE access_grants SET first_secret = NULL, updated_at = $1 \
         WHERE id = $2 AND first_secret = $3",
    )
    .bind(now_ms())
    .bind(id)
    .bind(&secret)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if taken == 0 {
        return Ok(None);
    }
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "access.first_secret_shown",
            object_kind: "access_grant",
            object_id: id.to_string(),
            object_label: format!("{} → {}", grant.person_name, grant.resource_name),
            changes: Changes::new(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(secret))
}

/// Sets the state of an SSH or VPN grant once the agents have applied it.
pub async fn set_state(db: &Db, id: i64, state: GrantState) -> CoreResult<()> {
    sqlx::query("UPDATE access_grants SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(state.as_str())
        .bind(now_ms())
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The uid of every login there is.
pub async fn uids(db: &Db) -> CoreResult<std::collections::HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT login, uid FROM access_uids")
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().collect())
}
