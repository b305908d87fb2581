//! Who each person is on the portal (`bitrix24_people`), who left it, their departments, and
//! the e-mails two people claim (`bitrix24_people_conflicts`).

use std::collections::HashMap;

use async_trait::async_trait;
use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::ports::{PortalProfile, PortalProfiles};
use shtab_core::time::now_ms;
use sqlx::AssertSqlSafe;

use crate::adapters::PortalPeople;
use crate::client::PortalOrigin;

/// A remembered match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub portal_user_id: u64,
    pub person_id: PersonId,
    /// When the portal user was first found gone or inactive (Unix ms).
    pub left_at: Option<i64>,
}

/// A portal user on the "left the portal — offboard?" list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departed {
    pub portal_user_id: u64,
    pub person_id: PersonId,
    pub full_name: String,
    pub left_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub portal_user_id: u64,
    pub portal_name: String,
    pub email: String,
    pub reason: String,
}

pub async fn links(db: &Db) -> CoreResult<Vec<Link>> {
    let rows: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT portal_user_id, person_id, left_at FROM bitrix24_people ORDER BY portal_user_id",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(u, p, left_at)| Link {
            portal_user_id: u as u64,
            person_id: PersonId(p),
            left_at,
        })
        .collect())
}

pub async fn link(db: &Db, portal_user_id: u64, person: PersonId) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO bitrix24_people (portal_user_id, person_id, left_at, synced_at) \
         VALUES ($1, $2, NULL, $3)",
    )
    .bind(portal_user_id as i64)
    .bind(person.0)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Marks the portal user as gone; true when they were not marked before (first seen gone).
pub async fn mark_left(db: &Db, portal_user_id: u64) -> CoreResult<bool> {
    let done = sqlx::query(
        "UPDATE bitrix24_people SET left_at = $1 WHERE portal_user_id = $2 AND left_at IS NULL",
    )
    .bind(now_ms())
    .bind(portal_user_id as i64)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The portal user is active again (a returning employee).
pub async fn mark_back(db: &Db, portal_user_id: u64) -> CoreResult<()> {
    sqlx::query(
        "UPDATE bitrix24_people SET left_at = NULL WHERE portal_user_id = $1 AND left_at IS NOT NULL",
    )
    .bind(portal_user_id as i64)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Portal users who left while their person is still active: offboard them?
pub async fn departed(db: &Db) -> CoreResult<Vec<Departed>> {
    let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(
        "SELECT b.portal_user_id, b.person_id, p.full_name, b.left_at FROM bitrix24_people b \
         JOIN people p ON p.id = b.person_id \
         WHERE b.left_at IS NOT NULL AND p.status = 'active' ORDER BY p.full_name, p.id",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(u, p, full_name, left_at)| Departed {
            portal_user_id: u as u64,
            person_id: PersonId(p),
            full_name,
            left_at,
        })
        .collect())
}

/// What the robot keeps beside a match: the department names and whether the person was given
/// the `bitrix24` channel, by portal user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kept {
    pub departments: Vec<String>,
    pub channel_offered: bool,
}

pub async fn kept(db: &Db) -> CoreResult<HashMap<u64, Kept>> {
    let rows: Vec<(i64, String, Option<i64>)> = sqlx::query_as(
        "SELECT portal_user_id, departments, channel_offered_at FROM bitrix24_people",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(u, departments, offered)| {
            (
                u as u64,
                Kept {
                    departments: departments_of(&departments),
                    channel_offered: offered.is_some(),
                },
            )
        })
        .collect())
}

/// The stored list; anything unreadable reads as none (it is rewritten on the next run).
fn departments_of(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

pub async fn set_departments(db: &Db, portal_user_id: u64, names: &[String]) -> CoreResult<()> {
    let text = serde_json::to_string(names).unwrap_or_else(|_| "[]".into());
    sqlx::query("UPDATE bitrix24_people SET departments = $1 WHERE portal_user_id = $2")
        .bind(text)
        .bind(portal_user_id as i64)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The person was given the `bitrix24` channel (or already had one): never offered again.
pub async fn mark_channel_offered(db: &Db, portal_user_id: u64) -> CoreResult<()> {
    sqlx::query(
        "UPDATE bitrix24_people SET channel_offered_at = $1 \
         WHERE portal_user_id = $2 AND channel_offered_at IS NULL",
    )
    .bind(now_ms())
    .bind(portal_user_id as i64)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Replaces the conflicts with this run's, in one transaction.
pub async fn replace_conflicts(db: &Db, conflicts: &[Conflict]) -> CoreResult<()> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM bitrix24_people_conflicts")
        .execute(&mut *tx)
        .await?;
    let now = now_ms();
    for c in conflicts {
        sqlx::query(
            "INSERT INTO bitrix24_people_conflicts (portal_user_id, portal_name, email, reason, seen_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(c.portal_user_id as i64)
        .bind(&c.portal_name)
        .bind(&c.email)
        .bind(&c.reason)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn conflicts(db: &Db) -> CoreResult<Vec<Conflict>> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT portal_user_id, portal_name, email, reason FROM bitrix24_people_conflicts \
         ORDER BY portal_user_id",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(u, portal_name, email, reason)| Conflict {
            portal_user_id: u as u64,
            portal_name,
            email,
            reason,
        })
        .collect())
}

/// The matches as the adapters read them.
#[derive(Clone)]
pub struct StoredPeople(pub Db);

#[async_trait]
impl PortalPeople for StoredPeople {
    async fn portal_user(&self, person: PersonId) -> CoreResult<Option<u64>> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT portal_user_id FROM bitrix24_people WHERE person_id = $1")
                .bind(person.0)
                .fetch_optional(self.0.pool())
                .await?;
        Ok(id.map(|i| i as u64))
    }

    async fn person(&self, portal_user: u64) -> CoreResult<Option<PersonId>> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT person_id FROM bitrix24_people WHERE portal_user_id = $1")
                .bind(portal_user as i64)
                .fetch_optional(self.0.pool())
                .await?;
        Ok(id.map(PersonId))
    }

    async fn has_left(&self, portal_user: u64) -> CoreResult<bool> {
        let left: Option<Option<i64>> =
            sqlx::query_scalar("SELECT left_at FROM bitrix24_people WHERE portal_user_id = $1")
                .bind(portal_user as i64)
                .fetch_optional(self.0.pool())
                .await?;
        Ok(left.flatten().is_some())
    }
}

/// People's portal profiles, as the users robot stored them, linked on `origin`.
#[derive(Clone)]
pub struct StoredProfiles {
    pub db: Db,
    pub origin: PortalOrigin,
}

/// A portal user's profile page.
pub fn profile_url(origin: &PortalOrigin, portal_user_id: u64) -> String {
    origin
        .join(&format!("/company/personal/user/{portal_user_id}/"))
        .to_string()
}

#[async_trait]
impl PortalProfiles for StoredProfiles {
    async fn profiles(&self, people: &[PersonId]) -> CoreResult<HashMap<PersonId, PortalProfile>> {
        let mut found = HashMap::new();
        // A page of the people list is at most 500; the chunks keep every database's limit
        // on bound parameters far away.
        for chunk in people.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT person_id, portal_user_id, departments, left_at FROM bitrix24_people \
                 WHERE person_id IN ({})",
                marks.join(", ")
            );
            let mut query =
                sqlx::query_as::<_, (i64, i64, String, Option<i64>)>(AssertSqlSafe(sql));
            for p in chunk {
                query = query.bind(p.0);
            }
            for (person, user, departments, left_at) in query.fetch_all(self.db.pool()).await? {
                found.insert(
                    PersonId(person),
                    PortalProfile {
                        user_id: user as u64,
                        url: profile_url(&self.origin, user as u64),
                        departments: departments_of(&departments),
                        left: left_at.is_some(),
                    },
                );
            }
        }
        Ok(found)
    }
}
