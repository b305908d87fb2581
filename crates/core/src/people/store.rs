use chrono::NaiveDate;
use sqlx::AssertSqlSafe;

use super::domain::{
    Forge, ForgeLogin, Person, PersonInput, PersonStatus, PersonSummary, StoredSshKey, search_text,
};
use crate::FieldError;
use crate::audit::{self, Actor, Changes, Event};
use crate::db::{Backend, Db, Row, Tx, can_match, like_pattern, values};
use crate::error::{CoreError, CoreResult, unique_violation_as};
use crate::ids::{PersonId, SshKeyId, UserId};
use crate::time::now_ms;
use crate::types::Email;

pub async fn create(db: &Db, actor: &Actor, input: &PersonInput) -> CoreResult<Person> {
    let mut tx = db.begin().await?;
    let id = insert(&mut tx, actor, input).await?;
    tx.commit().await?;
    get(db, id).await
}

/// Inserts inside the caller's transaction (CSV import and `shtab user add` use it).
pub(crate) async fn insert(
    tx: &mut Tx,
    actor: &Actor,
    input: &PersonInput,
) -> CoreResult<PersonId> {
    check_emails_free(tx, None, &input.emails).await?;
    check_logins_free(tx, None, &input.forge_logins).await?;
    if let Some(m) = input.manager_id {
        check_manager(tx, None, m).await?;
    }
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO people (full_name, phone, telegram, position, manager_id, status, started_on, search_text, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8, $8) RETURNING id",
    )
    .bind(&input.full_name)
    .bind(&input.phone)
    .bind(&input.telegram)
    .bind(&input.position)
    .bind(input.manager_id.map(|m| m.0))
    .bind(input.started_on.map(|d| d.to_string()))
    .bind(search_text(input))
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let id = PersonId(id);
    replace_children(tx, id, input).await?;

    let mut changes = Changes::new();
    changes
        .set("full_name", &input.full_name)
        .set("emails", &input.emails)
        .set("position", &input.position)
        .set(
            "ssh_keys",
            &input
                .ssh_keys
                .iter()
                .map(|k| k.fingerprint())
                .collect::<Vec<_>>(),
        );
    audit::record(
        tx,
        actor,
        Event {
            action: "person.create",
            object_kind: "person",
            object_id: id.to_string(),
            object_label: input.full_name.clone(),
            changes,
        },
    )
    .await?;
    Ok(id)
}

pub async fn update(
    db: &Db,
    actor: &Actor,
    id: PersonId,
    input: &PersonInput,
) -> CoreResult<Person> {
    let before = get(db, id).await?;
    let mut tx = db.begin().await?;
    check_emails_free(&mut tx, Some(id), &input.emails).await?;
    check_logins_free(&mut tx, Some(id), &input.forge_logins).await?;
    if let Some(m) = input.manager_id {
        check_manager(&mut tx, Some(id), m).await?;
    }
    sqlx::query(
        "UPDATE people SET full_name = $1, phone = $2, telegram = $3, position = $4, manager_id = $5, \
         started_on = $6, search_text = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(&input.full_name)
    .bind(&input.phone)
    .bind(&input.telegram)
    .bind(&input.position)
    .bind(input.manager_id.map(|m| m.0))
    .bind(input.started_on.map(|d| d.to_string()))
    .bind(search_text(input))
    .bind(now_ms())
    .bind(id.0)
    .execute(&mut *tx)
    .await?;
    replace_children(&mut tx, id, input).await?;

    let before_keys: Vec<&str> = before
        .ssh_keys
        .iter()
        .map(|k| k.fingerprint.as_str())
        .collect();
    let after_keys: Vec<&str> = input.ssh_keys.iter().map(|k| k.fingerprint()).collect();
    let mut changes = Changes::new();
    changes
        .diff("full_name", &before.full_name, &input.full_name)
        .diff("emails", &before.emails, &input.emails)
        .diff("phone", &before.phone, &input.phone)
        .diff("telegram", &before.telegram, &input.telegram)
        .diff("position", &before.position, &input.position)
        .diff("manager_id", &before.manager_id, &input.manager_id)
        .diff("started_on", &before.started_on, &input.started_on)
        .diff("forge_logins", &before.forge_logins, &input.forge_logins)
        .diff("ssh_keys", &before_keys, &after_keys);
    if !changes.is_empty() {
        audit::record(
            &mut tx,
            actor,
            Event {
                action: "person.update",
                object_kind: "person",
                object_id: id.to_string(),
                object_label: input.full_name.clone(),
                changes,
            },
        )
        .await?;
    }
    tx.commit().await?;
    get(db, id).await
}

/// Marks the person as having left on `left_on`. Their login stops working at once (their
/// sessions and tokens are cut); access on servers and elsewhere is the access capability's
/// offboarding.
pub async fn deactivate(
    db: &Db,
    actor: &Actor,
    id: PersonId,
    left_on: NaiveDate,
) -> CoreResult<Person> {
    let before = get(db, id).await?;
    if before.status == PersonStatus::Left {
        return Err(CoreError::Conflict(format!(
            "{} has already left",
            before.full_name
        )));
    }
    let mut tx = db.begin().await?;
    if let Some(user) = before.user_id {
        check_not_last_admin(db, &mut tx, user).await?;
    }
    sqlx::query("UPDATE people SET status = 'left', left_on = $1, updated_at = $2 WHERE id = $3")
        .bind(left_on.to_string())
        .bind(now_ms())
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    if let Some(user) = before.user_id {
        crate::auth::sessions::end_all(&mut tx, actor, user, &before.full_name).await?;
        crate::auth::tokens::revoke_all(&mut tx, actor, user, &before.full_name).await?;
    }
    let mut changes = Changes::new();
    changes
        .diff("status", &"active", &"left")
        .set("left_on", &left_on);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "person.deactivate",
            object_kind: "person",
            object_id: id.to_string(),
            object_label: before.full_name.clone(),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await
}

/// Someone must stay able to manage users: the last active admin cannot leave (make
/// another admin first).
async fn check_not_last_admin(db: &Db, tx: &mut Tx, user: UserId) -> CoreResult<()> {
    if db.backend() == Backend::Postgres {
        // Two admins marking each other as left at once must not each count the other as
        // the one who stays: the second waits here until the first has committed.
        sqlx::query(
            "SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id WHERE r.role = 'admin' FOR UPDATE OF u",
        )
        .fetch_all(&mut **tx)
        .await?;
    }
    let (active_admin, other_admins): (i64, i64) = sqlx::query_as(
        "SELECT \
           (SELECT COUNT(*) FROM users u JOIN user_roles r ON r.user_id = u.id \
            WHERE u.id = $1 AND r.role = 'admin' AND u.disabled = 0), \
           (SELECT COUNT(*) FROM users u JOIN user_roles r ON r.user_id = u.id JOIN people p ON p.id = u.person_id \
            WHERE r.role = 'admin' AND u.disabled = 0 AND p.status = 'active' AND u.id <> $1)",
    )
    .bind(user.0)
    .fetch_one(&mut **tx)
    .await?;
    if active_admin > 0 && other_admins == 0 {
        return Err(CoreError::Conflict(
            "this is the last admin; make someone else an admin first".into(),
        ));
    }
    Ok(())
}

async fn replace_children(tx: &mut Tx, id: PersonId, input: &PersonInput) -> CoreResult<()> {
    sqlx::query("DELETE FROM person_emails WHERE person_id = $1")
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    for (i, email) in input.emails.iter().enumerate() {
        sqlx::query("INSERT INTO person_emails (email, person_id, is_primary, position) VALUES ($1, $2, $3, $4)")
            .bind(email.as_str())
            .bind(id.0)
            .bind(i64::from(i == 0))
            .bind(i as i64)
            .execute(&mut **tx)
            .await
            .map_err(|e| unique_violation_as(e, "emails", "duplicate_email", "this address belongs to another person"))?;
    }
    sqlx::query("DELETE FROM person_forge_logins WHERE person_id = $1")
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    for l in &input.forge_logins {
        sqlx::query(
            "INSERT INTO person_forge_logins (forge, login, person_id) VALUES ($1, $2, $3)",
        )
        .bind(l.forge.as_str())
        .bind(&l.login)
        .bind(id.0)
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            unique_violation_as(
                e,
                &format!("{}_login", l.forge.as_str()),
                "duplicate_login",
                "this login belongs to another person",
            )
        })?;
    }
    // Keys keep their ids when they stay, so whatever refers to a key (server grants) holds.
    let existing: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, fingerprint FROM person_ssh_keys WHERE person_id = $1")
            .bind(id.0)
            .fetch_all(&mut **tx)
            .await?;
    for (key_id, fp) in &existing {
        if !input.ssh_keys.iter().any(|k| k.fingerprint() == fp) {
            sqlx::query("DELETE FROM person_ssh_keys WHERE id = $1")
                .bind(key_id)
                .execute(&mut **tx)
                .await?;
        }
    }
    for k in input
        .ssh_keys
        .iter()
        .filter(|k| !existing.iter().any(|(_, fp)| fp == k.fingerprint()))
    {
        sqlx::query(
            "INSERT INTO person_ssh_keys (person_id, algorithm, public_key, comment, fingerprint, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.0)
        .bind(k.algorithm())
        .bind(k.key())
        .bind(k.comment())
        .bind(k.fingerprint())
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Names the other person an address belongs to, so the form can say whose it is.
async fn check_emails_free(tx: &mut Tx, me: Option<PersonId>, emails: &[Email]) -> CoreResult<()> {
    let mut errors = Vec::new();
    for email in emails {
        let owner: Option<(i64, String)> = sqlx::query_as(
            "SELECT p.id, p.full_name FROM person_emails e JOIN people p ON p.id = e.person_id WHERE e.email = $1",
        )
        .bind(email.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        if let Some((owner, name)) = owner.filter(|(owner, _)| Some(PersonId(*owner)) != me) {
            errors.push(FieldError::new(
                "emails",
                "duplicate_email",
                format!("{email} already belongs to {name} (#{owner})"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CoreError::Invalid(errors))
    }
}

async fn check_logins_free(
    tx: &mut Tx,
    me: Option<PersonId>,
    logins: &[ForgeLogin],
) -> CoreResult<()> {
    let mut errors = Vec::new();
    for l in logins {
        let owner: Option<(i64, String)> = sqlx::query_as(
            "SELECT p.id, p.full_name FROM person_forge_logins f JOIN people p ON p.id = f.person_id \
             WHERE f.forge = $1 AND f.login = $2",
        )
        .bind(l.forge.as_str())
        .bind(&l.login)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some((_, name)) = owner.filter(|(owner, _)| Some(PersonId(*owner)) != me) {
            errors.push(FieldError::new(
                format!("{}_login", l.forge.as_str()),
                "duplicate_login",
                format!(
                    "{} login {} already belongs to {name}",
                    l.forge.as_str(),
                    l.login
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CoreError::Invalid(errors))
    }
}

/// The manager must exist and must not be the person or anyone below them.
pub(super) async fn check_manager(
    tx: &mut Tx,
    me: Option<PersonId>,
    manager: PersonId,
) -> CoreResult<()> {
    let mut current = Some(manager);
    let mut steps = 0;
    while let Some(id) = current {
        if Some(id) == me {
            return Err(CoreError::field(
                "manager_id",
                "manager_cycle",
                "a person cannot report to themselves or to someone who reports to them",
            ));
        }
        let next: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT manager_id FROM people WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&mut **tx)
                .await?;
        match next {
            None if id == manager => {
                return Err(CoreError::field(
                    "manager_id",
                    "not_found",
                    format!("there is no person #{manager}"),
                ));
            }
            None => break,
            Some((m,)) => current = m.map(PersonId),
        }
        steps += 1;
        if steps > 1000 {
            break;
        }
    }
    Ok(())
}

pub async fn get(db: &Db, id: PersonId) -> CoreResult<Person> {
    let row = sqlx::query(
        "SELECT p.id, p.full_name, p.phone, p.telegram, p.position, p.manager_id, m.full_name AS manager_name, \
                p.status, p.started_on, p.left_on, p.created_at, p.updated_at, u.id AS user_id \
         FROM people p LEFT JOIN people m ON m.id = p.manager_id LEFT JOIN users u ON u.person_id = p.id \
         WHERE p.id = $1",
    )
    .bind(id.0)
    .fetch_optional(db.pool())
    .await?
    .ok_or(CoreError::NotFound("person"))?;

    let emails: Vec<(String,)> =
        sqlx::query_as("SELECT email FROM person_emails WHERE person_id = $1 ORDER BY position")
            .bind(id.0)
            .fetch_all(db.pool())
            .await?;
    let logins: Vec<(String, String)> = sqlx::query_as(
        "SELECT forge, login FROM person_forge_logins WHERE person_id = $1 ORDER BY forge, login",
    )
    .bind(id.0)
    .fetch_all(db.pool())
    .await?;
    let keys: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT id, algorithm, public_key, comment, fingerprint FROM person_ssh_keys WHERE person_id = $1 ORDER BY id",
    )
    .bind(id.0)
    .fetch_all(db.pool())
    .await?;

    let date = |s: Option<String>| s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
    Ok(Person {
        id,
        full_name: row.try_get("full_name")?,
        emails: emails
            .into_iter()
            .map(|(e,)| Email::from_stored(e))
            .collect(),
        phone: row.try_get("phone")?,
        telegram: row.try_get("telegram")?,
        position: row.try_get("position")?,
        manager_id: row.try_get::<Option<i64>, _>("manager_id")?.map(PersonId),
        manager_name: row.try_get("manager_name")?,
        status: PersonStatus::parse(&row.try_get::<String, _>("status")?)
            .unwrap_or(PersonStatus::Active),
        started_on: date(row.try_get("started_on")?),
        left_on: date(row.try_get("left_on")?),
        forge_logins: logins
            .into_iter()
            .filter_map(|(f, login)| Forge::parse(&f).map(|forge| ForgeLogin { forge, login }))
            .collect(),
        ssh_keys: keys
            .into_iter()
            .map(
                |(id, algorithm, public_key, comment, fingerprint)| StoredSshKey {
                    id: SshKeyId(id),
                    algorithm,
                    public_key,
                    comment,
                    fingerprint,
                },
            )
            .collect(),
        user_id: row.try_get::<Option<i64>, _>("user_id")?.map(UserId),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The people list's filter: a search text and a status, paged by offset.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub q: Option<String>,
    pub status: Option<PersonStatus>,
    pub offset: i64,
    pub limit: i64,
}

pub type ListPage = crate::db::ListPage<PersonSummary>;

/// A search as long as this or longer is looked up in the trigram index (migration 0010);
/// a shorter one has no trigram to look up and scans, as every search once did.
const INDEXED_FROM: usize = 3;

/// When the matches outnumber the rows up to the page's end this many times, walking the
/// name index and testing each person fills the page sooner than sorting every match (a
/// search for a mail domain matches nearly everyone; a surname, a few in a hundred).
const BROAD: i64 = 20;

/// The search's condition for the plain scan: both parts are always present and switched off
/// by a NULL parameter, so one statement (and one prepared plan) serves every combination.
const SCAN: &str =
    "($1 IS NULL OR p.search_text LIKE $1 ESCAPE '\\') AND ($2 IS NULL OR p.status = $2)";

/// Where the people whose search text holds the search ($1, a `LIKE` pattern) are found
/// through the trigram index: a `WITH` to put first, then the `FROM` and the `WHERE` over
/// `p` (the status filter, $2, included). On SQLite the FTS5 index names the candidates from
/// the parameter `phrase` (the search as an FTS5 phrase, [`fts_phrase`]) and they are read
/// first; on PostgreSQL the `pg_trgm` index serves the `LIKE` itself, and the matches are
/// materialised first, or PostgreSQL would walk the name index testing everyone until a
/// page is full. Either way the `LIKE` decides, so the index only makes it faster: the same
/// people, in the same order, as the scan finds.
fn found(backend: Backend, phrase: &str) -> (&'static str, &'static str, String) {
    match backend {
        Backend::Sqlite => (
            "",
            "people_search s CROSS JOIN people p ON p.id = s.rowid",
            format!(
                "people_search MATCH {phrase} AND p.search_text LIKE $1 ESCAPE '\\' \
                 AND ($2 IS NULL OR p.status = $2)"
            ),
        ),
        Backend::Postgres => (
            "WITH found AS MATERIALIZED \
             (SELECT * FROM people WHERE search_text LIKE $1 ESCAPE '\\') ",
            "found p",
            "($2 IS NULL OR p.status = $2)".to_owned(),
        ),
    }
}

/// The search as an FTS5 phrase: the trigrams it is made of, in order (its quotes doubled).
/// PostgreSQL needs none: the `LIKE` pattern is what its index reads.
fn fts_phrase(backend: Backend, q: &str) -> Option<String> {
    (backend == Backend::Sqlite).then(|| format!("\"{}\"", q.to_lowercase().replace('"', "\"\"")))
}

pub async fn list(db: &Db, filter: &ListFilter) -> CoreResult<ListPage> {
    let limit = if filter.limit <= 0 {
        50
    } else {
        filter.limit.min(500)
    };
    let offset = filter.offset.max(0);
    let q = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| !can_match(q)) {
        return Ok(ListPage::empty(offset, limit));
    }
    let pattern = q.map(like_pattern);
    let status = filter.status.map(|s| s.as_str());
    let indexed = q.is_some_and(|q| q.chars().count() >= INDEXED_FROM);
    let phrase = q.and_then(|q| fts_phrase(db.backend(), q));

    let total: i64 = if indexed {
        let (with, from, condition) = found(db.backend(), "$3");
        let mut count = sqlx::query_scalar(AssertSqlSafe(format!(
            "{with}SELECT COUNT(*) FROM {from} WHERE {condition}"
        )))
        .bind(&pattern)
        .bind(status);
        if let Some(phrase) = &phrase {
            count = count.bind(phrase);
        }
        count.fetch_one(db.pool()).await?
    } else {
        sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM people p WHERE {SCAN}"
        )))
        .bind(&pattern)
        .bind(status)
        .fetch_one(db.pool())
        .await?
    };

    let page = |prefix: &str, from: &str, condition: &str| {
        format!(
            "{prefix}SELECT p.id, p.full_name, p.position, p.phone, p.telegram, p.status, u.id AS user_id, \
                    (SELECT e.email FROM person_emails e WHERE e.person_id = p.id ORDER BY e.position LIMIT 1) AS email \
             FROM {from} LEFT JOIN users u ON u.person_id = p.id \
             WHERE {condition} ORDER BY p.full_name, p.id LIMIT $3 OFFSET $4"
        )
    };
    // Saturating: an offset may be anything up to i64::MAX.
    let rows = if indexed && total <= BROAD.saturating_mul(offset.saturating_add(limit)) {
        let (with, from, condition) = found(db.backend(), "$5");
        let mut rows = sqlx::query(AssertSqlSafe(page(with, from, &condition)))
            .bind(&pattern)
            .bind(status)
            .bind(limit)
            .bind(offset);
        if let Some(phrase) = &phrase {
            rows = rows.bind(phrase);
        }
        rows.fetch_all(db.pool()).await?
    } else {
        sqlx::query(AssertSqlSafe(page("", "people p", SCAN)))
            .bind(&pattern)
            .bind(status)
            .bind(limit)
            .bind(offset)
            .fetch_all(db.pool())
            .await?
    };
    let items = rows
        .into_iter()
        .map(|r| {
            Ok(PersonSummary {
                id: PersonId(r.try_get("id")?),
                full_name: r.try_get("full_name")?,
                email: r.try_get("email")?,
                position: r.try_get("position")?,
                phone: r.try_get("phone")?,
                telegram: r.try_get("telegram")?,
                status: PersonStatus::parse(&r.try_get::<String, _>("status")?)
                    .unwrap_or(PersonStatus::Active),
                user_id: r.try_get::<Option<i64>, _>("user_id")?.map(UserId),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(ListPage {
        items,
        total,
        offset,
        limit,
    })
}

pub async fn count(db: &Db) -> CoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM people")
        .fetch_one(db.pool())
        .await?)
}

/// Who can be picked as a manager: everyone active, plus `keep` (a manager already chosen
/// stays selectable after they leave, so editing their report does not silently drop them).
pub async fn choices(db: &Db, keep: Option<PersonId>) -> CoreResult<Vec<(PersonId, String)>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, full_name FROM people WHERE status = 'active' OR id = $1 ORDER BY full_name, id",
    )
    .bind(keep.map(|k| k.0))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| (PersonId(id), name))
        .collect())
}

/// Whose address this is, for matching commit authors and logins.
pub async fn find_by_email(db: &Db, email: &Email) -> CoreResult<Option<PersonId>> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT person_id FROM person_emails WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(db.pool())
            .await?;
    Ok(id.map(PersonId))
}

/// [`find_by_email`] for many e-mails in one statement per few hundred: the people found.
pub async fn find_by_emails(
    db: &Db,
    emails: &[Email],
) -> CoreResult<std::collections::HashMap<Email, PersonId>> {
    let mut found = std::collections::HashMap::new();
    for chunk in emails.chunks(values::rows_per_statement(1)) {
        let sql = format!(
            "SELECT email, person_id FROM person_emails WHERE email IN {}",
            values::placeholders(1, chunk.len(), 1)
        );
        let mut q = sqlx::query_as::<_, (String, i64)>(AssertSqlSafe(sql));
        for email in chunk {
            q = q.bind(email.as_str());
        }
        let rows: std::collections::HashMap<String, i64> =
            q.fetch_all(db.pool()).await?.into_iter().collect();
        for email in chunk {
            if let Some(id) = rows.get(email.as_str()) {
                found.insert(email.clone(), PersonId(*id));
            }
        }
    }
    Ok(found)
}

pub async fn find_by_forge_login(
    db: &Db,
    forge: Forge,
    login: &str,
) -> CoreResult<Option<PersonId>> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT person_id FROM person_forge_logins WHERE forge = $1 AND login = $2",
    )
    .bind(forge.as_str())
    .bind(login.trim().to_lowercase())
    .fetch_optional(db.pool())
    .await?;
    Ok(id.map(PersonId))
}
