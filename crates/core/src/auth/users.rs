//! Users: people who may log in, with their roles, password and language.

use serde::Serialize;

use super::password::{check_password, hash_password, hash_password_off_thread};
use super::roles::Role;
use crate::FieldError;
use crate::audit::{self, Actor, Changes, Event};
use crate::db::{Backend, Db, Row, Tx};
use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::ids::{PersonId, UserId};
use crate::people::{self, PersonStatus, RawPersonInput};
use crate::time::now_ms;
use crate::types::{Email, Locale};

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: UserId,
    pub person_id: PersonId,
    pub full_name: String,
    pub email: Option<String>,
    pub roles: Vec<Role>,
    pub locale: Option<Locale>,
    pub disabled: bool,
    pub has_password: bool,
    pub person_status: PersonStatus,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

impl User {
    /// Whether this user may act at all: enabled, and still working here.
    pub fn is_active(&self) -> bool {
        !self.disabled && self.person_status == PersonStatus::Active
    }
}

macro_rules! select_user {
    ($tail:literal) => {
        concat!(
            "SELECT u.id, u.person_id, p.full_name, u.locale, u.disabled, u.password_hash, p.status, ",
            "u.created_at, u.last_login_at, ",
            "(SELECT e.email FROM person_emails e WHERE e.person_id = p.id ORDER BY e.position LIMIT 1) AS email ",
            "FROM users u JOIN people p ON p.id = u.person_id ",
            $tail
        )
    };
}

async fn load_one(db: &Db, sql: &'static str, bind: i64) -> CoreResult<Option<User>> {
    let row = sqlx::query(sql)
        .bind(bind)
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut user = from_row(&row)?;
    user.roles = roles_of(db, user.id).await?;
    Ok(Some(user))
}

fn from_row(row: &crate::db::AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: UserId(row.try_get("id")?),
        person_id: PersonId(row.try_get("person_id")?),
        full_name: row.try_get("full_name")?,
        email: row.try_get("email")?,
        roles: Vec::new(),
        locale: row
            .try_get::<Option<String>, _>("locale")?
            .as_deref()
            .and_then(Locale::from_code),
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        has_password: row.try_get::<Option<String>, _>("password_hash")?.is_some(),
        person_status: PersonStatus::parse(&row.try_get::<String, _>("status")?)
            .unwrap_or(PersonStatus::Active),
        created_at: row.try_get("created_at")?,
        last_login_at: row.try_get("last_login_at")?,
    })
}

async fn roles_of(db: &Db, id: UserId) -> CoreResult<Vec<Role>> {
    let names: Vec<(String,)> = sqlx::query_as("SELECT role FROM user_roles WHERE user_id = $1")
        .bind(id.0)
        .fetch_all(db.pool())
        .await?;
    let mut roles: Vec<Role> = names.iter().filter_map(|(n,)| Role::parse(n)).collect();
    roles.sort();
    Ok(roles)
}

pub async fn get(db: &Db, id: UserId) -> CoreResult<User> {
    load_one(db, select_user!("WHERE u.id = $1"), id.0)
        .await?
        .ok_or(CoreError::NotFound("user"))
}

pub async fn get_by_person(db: &Db, person: PersonId) -> CoreResult<Option<User>> {
    load_one(db, select_user!("WHERE u.person_id = $1"), person.0).await
}

pub async fn list(db: &Db) -> CoreResult<Vec<User>> {
    let rows = sqlx::query(select_user!("ORDER BY p.full_name, u.id"))
        .fetch_all(db.pool())
        .await?;
    let all_roles: Vec<(i64, String)> = sqlx::query_as("SELECT user_id, role FROM user_roles")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            let mut user = from_row(row)?;
            user.roles = all_roles
                .iter()
                .filter(|(u, _)| *u == user.id.0)
                .filter_map(|(_, r)| Role::parse(r))
                .collect();
            user.roles.sort();
            Ok(user)
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(CoreError::from)
}

fn check_roles(roles: &[Role]) -> Result<(), FieldError> {
    if roles.is_empty() {
        return Err(FieldError::new(
            "roles",
            "required",
            "choose at least one role",
        ));
    }
    Ok(())
}

/// Roles as stored: each once, in a fixed order (a role given twice would break the key).
fn normalised(roles: &[Role]) -> Vec<Role> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles
}

/// The name of a person who may become a user, or why they may not.
async fn check_candidate(db: &Db, person: PersonId) -> CoreResult<Result<String, FieldError>> {
    let p = match people::get(db, person).await {
        Ok(p) => p,
        Err(CoreError::NotFound(_)) => {
            return Ok(Err(FieldError::new(
                "person_id",
                "not_found",
                format!("there is no person #{person}"),
            )));
        }
        Err(e) => return Err(e),
    };
    Ok(if p.user_id.is_some() {
        Err(FieldError::new(
            "person_id",
            "already_user",
            format!("{} is already a user", p.full_name),
        ))
    } else if p.status == PersonStatus::Left {
        Err(FieldError::new(
            "person_id",
            "person_left",
            format!("{} has left", p.full_name),
        ))
    } else {
        Ok(p.full_name)
    })
}

/// Lets an existing person log in. `password` is optional: without one the user can only
/// use API tokens until an admin sets one. Every problem with the input is reported at once.
pub async fn create(
    db: &Db,
    actor: &Actor,
    person: PersonId,
    roles: &[Role],
    password: Option<&str>,
) -> CoreResult<User> {
    let mut errors = FieldErrors::default();
    let name = errors.take(check_candidate(db, person).await?);
    errors.take(check_roles(roles));
    let hash = match password {
        Some(p) => errors.take(hash_password_off_thread("password", p).await),
        None => None,
    };
    errors.into_result()?;
    let Some(name) = name else {
        unreachable!("a person who cannot become a user is a field error")
    };
    let mut tx = db.begin().await?;
    let id = insert(&mut tx, actor, person, &name, roles, hash).await?;
    tx.commit().await?;
    get(db, id).await
}

/// Active people who are not users yet: whom an admin may let in, by name.
pub async fn candidates(db: &Db) -> CoreResult<Vec<Candidate>> {
    let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT p.id, p.full_name, \
                (SELECT e.email FROM person_emails e WHERE e.person_id = p.id ORDER BY e.position LIMIT 1) \
         FROM people p LEFT JOIN users u ON u.person_id = p.id \
         WHERE u.id IS NULL AND p.status = 'active' ORDER BY p.full_name, p.id",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, full_name, email)| Candidate {
            person_id: PersonId(id),
            full_name,
            email,
        })
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub person_id: PersonId,
    pub full_name: String,
    pub email: Option<String>,
}

async fn insert(
    tx: &mut Tx,
    actor: &Actor,
    person: PersonId,
    name: &str,
    roles: &[Role],
    hash: Option<String>,
) -> CoreResult<UserId> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (person_id, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(person.0)
    .bind(hash)
    .bind(now_ms())
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        crate::error::unique_violation_as(
            e,
            "person_id",
            "already_user",
            "this person is already a user",
        )
    })?;
    let roles = normalised(roles);
    write_roles(tx, UserId(id), &roles).await?;
    let mut changes = Changes::new();
    changes.set("person_id", &person.0).set("roles", &roles);
    audit::record(
        tx,
        actor,
        Event {
            action: "user.create",
            object_kind: "user",
            object_id: id.to_string(),
            object_label: name.to_string(),
            changes,
        },
    )
    .await?;
    Ok(UserId(id))
}

/// What `shtab user add` does: finds the person by e-mail, or adds them, and makes them a
/// user in one transaction.
pub async fn create_with_person(
    db: &Db,
    actor: &Actor,
    email: &Email,
    full_name: Option<&str>,
    roles: &[Role],
    password: Option<&str>,
) -> CoreResult<User> {
    if let Some(person) = people::find_by_email(db, email).await? {
        return create(db, actor, person, roles, password).await;
    }
    let mut errors = FieldErrors::default();
    errors.take(check_roles(roles));
    let hash = match password {
        Some(p) => errors.take(hash_password_off_thread("password", p).await),
        None => None,
    };
    errors.into_result()?;
    let name = full_name.map(str::to_string).unwrap_or_else(|| {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or("admin")
            .to_string()
    });
    let input = RawPersonInput {
        full_name: name.clone(),
        emails: vec![email.to_string()],
        ..Default::default()
    }
    .parse()?;
    let mut tx = db.begin().await?;
    let person = people::insert(&mut tx, actor, &input).await?;
    let id = insert(&mut tx, actor, person, &name, roles, hash).await?;
    tx.commit().await?;
    get(db, id).await
}

/// Makes the first admin, when there are no users yet; `None` when there are. Several hubs
/// starting at once on one database may all try: one succeeds, the others find its admin.
pub async fn create_first_admin(
    db: &Db,
    actor: &Actor,
    email: &Email,
    full_name: &str,
    password: &str,
) -> CoreResult<Option<User>> {
    if count(db).await? > 0 {
        return Ok(None);
    }
    let created = create_with_person(
        db,
        actor,
        email,
        Some(full_name),
        &[Role::Admin],
        Some(password),
    )
    .await;
    match created {
        Ok(user) => Ok(Some(user)),
        // Another hub committed its admin between the count and this insert.
        Err(_) if count(db).await? > 0 => Ok(None),
        Err(e) => Err(e),
    }
}

async fn write_roles(tx: &mut Tx, id: UserId, roles: &[Role]) -> CoreResult<()> {
    sqlx::query("DELETE FROM user_roles WHERE user_id = $1")
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    for r in roles {
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
            .bind(id.0)
            .bind(r.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Counts the enabled admins other than `except`: the last one cannot be demoted or
/// disabled, or nobody could manage users any more.
async fn other_active_admins(db: &Db, tx: &mut Tx, except: UserId) -> CoreResult<i64> {
    if db.backend() == Backend::Postgres {
        // Two admins demoting each other at the same moment must not each count the other
        // as the one who stays: the second waits here until the first has committed. (On
        // SQLite the second writer's stale snapshot makes its write fail instead.)
        sqlx::query(
            "SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id WHERE r.role = 'admin' FOR UPDATE OF u",
        )
        .fetch_all(&mut **tx)
        .await?;
    }
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM users u JOIN user_roles r ON r.user_id = u.id JOIN people p ON p.id = u.person_id \
         WHERE r.role = 'admin' AND u.disabled = 0 AND p.status = 'active' AND u.id <> $1",
    )
    .bind(except.0)
    .fetch_one(&mut **tx)
    .await?)
}

/// What an admin changes about a user; `None` leaves that part as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub roles: Option<Vec<Role>>,
    pub disabled: Option<bool>,
    pub locale: Option<Locale>,
}

/// Applies `changes` in one transaction: all of them, or none when one is refused.
/// Disabling cuts the user's sessions at once; their tokens stop working while disabled.
pub async fn update(db: &Db, actor: &Actor, id: UserId, changes: &UserChanges) -> CoreResult<User> {
    if let Some(roles) = &changes.roles {
        check_roles(roles)?;
    }
    let before = get(db, id).await?;
    let roles = normalised(changes.roles.as_deref().unwrap_or(&before.roles));
    let disabled = changes.disabled.unwrap_or(before.disabled);
    let mut tx = db.begin().await?;

    let admin_before = before.is_active() && before.roles.contains(&Role::Admin);
    let admin_after =
        !disabled && before.person_status == PersonStatus::Active && roles.contains(&Role::Admin);
    if admin_before && !admin_after && other_active_admins(db, &mut tx, id).await? == 0 {
        return Err(if roles.contains(&Role::Admin) {
            CoreError::Conflict("this is the last admin and cannot be disabled".into())
        } else {
            CoreError::field(
                "roles",
                "last_admin",
                "this is the last admin: make someone else an admin first",
            )
        });
    }

    if roles != before.roles {
        write_roles(&mut tx, id, &roles).await?;
        let mut diff = Changes::new();
        diff.diff("roles", &before.roles, &roles);
        audit::record(
            &mut tx,
            actor,
            Event {
                action: "user.roles",
                object_kind: "user",
                object_id: id.to_string(),
                object_label: before.full_name.clone(),
                changes: diff,
            },
        )
        .await?;
    }

    if disabled != before.disabled {
        sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        if disabled {
            super::sessions::end_all(&mut tx, actor, id, &before.full_name).await?;
        }
        let mut diff = Changes::new();
        diff.diff("disabled", &before.disabled, &disabled);
        audit::record(
            &mut tx,
            actor,
            Event {
                action: if disabled {
                    "user.disable"
                } else {
                    "user.enable"
                },
                object_kind: "user",
                object_id: id.to_string(),
                object_label: before.full_name.clone(),
                changes: diff,
            },
        )
        .await?;
    }

    if let Some(locale) = changes.locale.filter(|l| Some(*l) != before.locale) {
        sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
            .bind(locale.code())
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let mut diff = Changes::new();
        diff.diff("locale", &before.locale, &Some(locale));
        audit::record(
            &mut tx,
            actor,
            Event {
                action: "user.locale",
                object_kind: "user",
                object_id: id.to_string(),
                object_label: before.full_name.clone(),
                changes: diff,
            },
        )
        .await?;
    }

    tx.commit().await?;
    get(db, id).await
}

/// What else ends when a password is set.
#[derive(Debug, Clone, Copy, Default)]
pub struct PasswordEnds<'a> {
    /// The token hash of the session that made the change, which goes on; every other
    /// session of the user ends.
    pub keep_session: Option<&'a str>,
    /// Revoke the user's API tokens too. A reset (by an admin, or `shtab user passwd`)
    /// means the old password may be known to someone else, who may have made tokens.
    pub revoke_tokens: bool,
}

/// Sets a new password; the user's other sessions end, and their tokens when `ends` says.
pub async fn set_password(
    db: &Db,
    actor: &Actor,
    id: UserId,
    password: &str,
    ends: PasswordEnds<'_>,
) -> CoreResult<()> {
    let hash = super::password::hash_password_off_thread("password", password)
        .await
        .map_err(|e| CoreError::Invalid(vec![e]))?;
    let user = get(db, id).await?;
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(id.0)
        .bind(ends.keep_session.unwrap_or(""))
        .execute(&mut *tx)
        .await?;
    let mut changes = Changes::new();
    if ends.revoke_tokens {
        let revoked = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(id.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        changes.set("tokens_revoked", &revoked);
    }
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "user.password",
            object_kind: "user",
            object_id: id.to_string(),
            object_label: user.full_name.clone(),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A user changing their own password: the current one must be given (a session left
/// open on someone's desk must not be enough to take the account). Their other sessions
/// end; `keep_session` is the one making the change.
pub async fn change_own_password(
    db: &Db,
    actor: &Actor,
    id: UserId,
    current: &str,
    new: &str,
    keep_session: Option<&str>,
) -> CoreResult<()> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(db.pool())
            .await?
            .flatten();
    let matches = match &stored {
        Some(hash) => super::password::check_password(current, hash).await,
        None => false,
    };
    let mut errors = FieldErrors::default();
    if !matches {
        errors.take::<()>(Err(FieldError::new(
            "current_password",
            "wrong_password",
            "the current password is wrong",
        )));
    }
    errors.take(super::password::check_policy("password", new));
    errors.into_result()?;
    set_password(
        db,
        actor,
        id,
        new,
        PasswordEnds {
            keep_session,
            revoke_tokens: false,
        },
    )
    .await
}

/// Why a login failed. The page shows one message for all of them, so nobody learns which
/// addresses exist; the log and the throttle see the difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginFailure {
    UnknownEmail,
    WrongPassword,
    NotAllowed,
}

/// Checks an e-mail (any of the person's addresses) and password.
pub async fn authenticate(
    db: &Db,
    email: &str,
    password: &str,
) -> CoreResult<Result<User, LoginFailure>> {
    // Verifying against a fixed hash when the address is unknown keeps the answer's timing
    // from telling whether the address exists.
    static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY_HASH.get_or_init(|| {
        hash_password("password", &super::random_token()).expect("a random token is long enough")
    });
    let Ok(email) = Email::parse("email", email) else {
        check_password(password, dummy).await;
        return Ok(Err(LoginFailure::UnknownEmail));
    };
    let row: Option<(i64, Option<String>)> = sqlx::query_as(
        "SELECT u.id, u.password_hash FROM person_emails e JOIN users u ON u.person_id = e.person_id WHERE e.email = $1",
    )
    .bind(email.as_str())
    .fetch_optional(db.pool())
    .await?;
    let Some((id, hash)) = row else {
        check_password(password, dummy).await;
        return Ok(Err(LoginFailure::UnknownEmail));
    };
    let matches =
        check_password(password, hash.as_deref().unwrap_or(dummy)).await && hash.is_some();
    if !matches {
        return Ok(Err(LoginFailure::WrongPassword));
    }
    let user = get(db, UserId(id)).await?;
    if !user.is_active() {
        return Ok(Err(LoginFailure::NotAllowed));
    }
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(Ok(user))
}

pub async fn count(db: &Db) -> CoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(db.pool())
        .await?)
}
