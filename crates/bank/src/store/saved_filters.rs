//! Saved payment filters: a name and the filter's canonical query string, each owned by one
//! user and optionally shared with everyone who may read the bank. A filter is stored only
//! after it parsed, so reopening one never meets a broken filter.

use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::db::{AnyRow, Db, Row};
use shtab_core::error::{CoreError, CoreResult, unique_violation_as};
use shtab_core::ids::UserId;
use shtab_core::time::now_ms;
use shtab_core::types::required_text;
use sqlx::AssertSqlSafe;

use super::payment_list::PaymentFilter;

const NAME_MAX_CHARS: usize = 100;

#[derive(Debug, Clone, serde::Serialize)]
pub struct SavedFilter {
    pub id: i64,
    pub user_id: i64,
    /// The owner's name, for shared filters of others.
    pub owner_name: String,
    pub name: String,
    /// `payer=…&from=…`, as [`PaymentFilter::to_query`] wrote it.
    pub query: String,
    pub shared: bool,
    pub created_at: i64,
}

const SELECT: &str = "SELECT f.id, f.user_id, COALESCE(pe.full_name, '') AS owner_name, f.name, \
     f.query, f.shared, f.created_at \
     FROM bank_saved_filters f \
     LEFT JOIN users u ON u.id = f.user_id LEFT JOIN people pe ON pe.id = u.person_id";

fn from_row(r: &AnyRow) -> Result<SavedFilter, sqlx::Error> {
    Ok(SavedFilter {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        owner_name: r.try_get("owner_name")?,
        name: r.try_get("name")?,
        query: r.try_get("query")?,
        shared: r.try_get::<i64, _>("shared")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

/// Saves `filter` for `user` under `name`; a name the user already has is a field error.
pub async fn create(
    db: &Db,
    actor: &Actor,
    user: UserId,
    name: &str,
    filter: &PaymentFilter,
    shared: bool,
) -> CoreResult<SavedFilter> {
    let name =
        required_text("name", name, NAME_MAX_CHARS).map_err(|e| CoreError::Invalid(vec![e]))?;
    let query = filter.to_query();
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bank_saved_filters (user_id, name, query, shared, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user.0)
    .bind(&name)
    .bind(&query)
    .bind(i64::from(shared))
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        unique_violation_as(
            e,
            "name",
            "duplicate_name",
            "you already have a filter with this name",
        )
    })?;
    let mut changes = Changes::new();
    changes.set("query", &query).set("shared", &shared);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "bank.filter.create",
            object_kind: "bank_saved_filter",
            object_id: id.to_string(),
            object_label: name,
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    get_visible(db, user, id).await
}

/// The user's own filters and those others shared, the user's first, each group by name.
pub async fn visible_to(db: &Db, user: UserId) -> CoreResult<Vec<SavedFilter>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{SELECT} WHERE f.user_id = $1 OR f.shared = 1 \
         ORDER BY CASE WHEN f.user_id = $1 THEN 0 ELSE 1 END, f.name, f.id"
    )))
    .bind(user.0)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
}

/// One filter the user may open: their own or a shared one. Another user's private
/// filter is "not found", so its existence is not revealed.
pub async fn get_visible(db: &Db, user: UserId, id: i64) -> CoreResult<SavedFilter> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "{SELECT} WHERE f.id = $1 AND (f.user_id = $2 OR f.shared = 1)"
    )))
    .bind(id)
    .bind(user.0)
    .fetch_optional(db.pool())
    .await?
    .ok_or(CoreError::NotFound("saved filter"))?;
    Ok(from_row(&row)?)
}

/// Deletes one of the user's own filters; a shared filter of someone else is theirs to
/// delete, so it is "not allowed", and one the user cannot see is "not found".
pub async fn delete(db: &Db, actor: &Actor, user: UserId, id: i64) -> CoreResult<()> {
    let found = get_visible(db, user, id).await?;
    if found.user_id != user.0 {
        return Err(CoreError::Forbidden);
    }
    let mut tx = db.begin().await?;
    let deleted = sqlx::query("DELETE FROM bank_saved_filters WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user.0)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted == 0 {
        // Deleted by a parallel request since it was read: the same outcome.
        return Err(CoreError::NotFound("saved filter"));
    }
    let mut changes = Changes::new();
    changes
        .set("query", &found.query)
        .set("shared", &found.shared);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "bank.filter.delete",
            object_kind: "bank_saved_filter",
            object_id: id.to_string(),
            object_label: found.name,
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
