//! The demo's ledger (`demo_objects`): one row per object `shtab demo` created, by kind and
//! id. Removal reads it to take away exactly those objects; a person's own data is never in
//! it, whatever they named it, which no name prefix or tag could promise.

use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::time::now_ms;

/// The kinds of object the ledger records, one per table the demo writes rows of its own in.
pub mod kind {
    pub const PERSON: &str = "person";
    pub const TASK: &str = "task";
    pub const REPOSITORY: &str = "vcs_repository";
    pub const BANK_ACCOUNT: &str = "bank_account";
    pub const INVOICE: &str = "invoice";
    pub const TENDER_SEARCH: &str = "tender_search";
    pub const TENDER: &str = "tender";
    pub const DEAL: &str = "crm_deal";
    pub const SERVER: &str = "access_server";
    pub const RESOURCE: &str = "access_resource";
    pub const GRANT: &str = "access_grant";
    pub const DELIVERY: &str = "notify_delivery";
}

pub async fn record(db: &Db, kind: &str, id: impl ToString) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO demo_objects (kind, object_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (kind, object_id) DO NOTHING",
    )
    .bind(kind)
    .bind(id.to_string())
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The ids of `kind` the demo created, in the order it created them.
pub async fn ids(db: &Db, kind: &str) -> CoreResult<Vec<i64>> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT object_id FROM demo_objects WHERE kind = $1 ORDER BY created_at, object_id",
    )
    .bind(kind)
    .fetch_all(db.pool())
    .await?;
    let mut ids: Vec<i64> = rows.iter().filter_map(|s| s.parse().ok()).collect();
    ids.sort_unstable();
    Ok(ids)
}

pub async fn has(db: &Db, kind: &str) -> CoreResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM demo_objects WHERE kind = $1")
        .bind(kind)
        .fetch_one(db.pool())
        .await?;
    Ok(n > 0)
}
