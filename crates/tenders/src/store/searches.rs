//! Saved searches: a name, the search itself ([`SavedSearchSpec`] as JSON), who gets what
//! it finds, and when it runs. A search is stored only after its fields parsed.

use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::db::{AnyRow, Db, Row};
use shtab_core::error::{
    CoreError, CoreResult, FieldError, FieldErrors, foreign_key_as, unique_violation_as,
};
use shtab_core::ids::PersonId;
use shtab_core::robots::Schedule;
use shtab_core::time::now_ms;
use shtab_core::types::required_text;
use sqlx::AssertSqlSafe;

use crate::domain::SavedSearchSpec;

const NAME_MAX_CHARS: usize = 200;
pub const DEFAULT_SCHEDULE: &str = "*/30 * * * *";

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SavedSearch {
    pub id: i64,
    pub name: String,
    pub spec: SavedSearchSpec,
    pub responsible: Option<PersonId>,
    pub enabled: bool,
    /// Cron expression, in the server's time zone.
    pub schedule: String,
    /// Also read the document service's archives for the search's regions.
    pub use_documents: bool,
    pub last_run_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a person edits.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, utoipa::ToSchema)]
pub struct SearchInput {
    pub name: String,
    #[schema(value_type = Object)]
    pub spec: SavedSearchSpec,
    #[schema(value_type = Option<i64>)]
    pub responsible: Option<PersonId>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "default_schedule")]
    pub schedule: String,
    #[serde(default)]
    pub use_documents: bool,
}

fn yes() -> bool {
    true
}

fn default_schedule() -> String {
    DEFAULT_SCHEDULE.into()
}

const SELECT: &str = "SELECT id, name, spec, responsible, enabled, schedule, use_documents, \
     last_run_at, created_at, updated_at FROM tender_searches";

fn from_row(r: &AnyRow) -> CoreResult<SavedSearch> {
    let spec: String = r.try_get("spec")?;
    Ok(SavedSearch {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        spec: serde_json::from_str(&spec)
            .map_err(|e| CoreError::Internal(format!("stored search spec: {e}")))?,
        responsible: r.try_get::<Option<i64>, _>("responsible")?.map(PersonId),
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        schedule: r.try_get("schedule")?,
        use_documents: r.try_get::<i64, _>("use_documents")? != 0,
        last_run_at: r.try_get("last_run_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// The input, checked: name, schedule, price range, codes.
fn checked(input: &SearchInput, time_zone: &str) -> CoreResult<(String, String)> {
    let mut errors = FieldErrors::default();
    let name = errors.take(required_text("name", &input.name, NAME_MAX_CHARS));
    if let Err(CoreError::Invalid(fields)) = Schedule::parse(&input.schedule, time_zone) {
        for mut f in fields {
            f.field = "schedule".into();
            errors.push(f);
        }
    }
    let spec = &input.spec;
    if let (Some(min), Some(max)) = (spec.price_min, spec.price_max)
        && min > max
    {
        errors.push(FieldError::new(
            "price_max",
            "price_range",
            "the upper price is below the lower one",
        ));
    }
    for code in &spec.okpd2_prefixes {
        if !code.trim().chars().all(|c| c.is_ascii_digit() || c == '.') || code.trim().is_empty() {
            errors.push(FieldError::new(
                "okpd2_prefixes",
                "invalid_okpd2",
                format!("{code:?} is not an OKPD2 code (digits and dots, e.g. 62.01)"),
            ));
        }
    }
    for region in &spec.regions {
        let r = region.trim();
        if r.len() != 2 || !r.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(FieldError::new(
                "regions",
                "invalid_region",
                format!("{region:?} is not a two-digit region code (77, 50)"),
            ));
        }
    }
    errors.into_result()?;
    let spec = serde_json::to_string(spec).map_err(|e| CoreError::Internal(e.to_string()))?;
    Ok((name.expect("checked"), spec))
}

/// A write the database refused because of the input: a taken name, or a responsible
/// person who does not exist.
fn refused(e: sqlx::Error) -> CoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => unique_violation_as(
            e,
            "name",
            "duplicate_name",
            "a search with this name exists",
        ),
        _ => foreign_key_as(e, "responsible"),
    }
}

pub async fn create(
    db: &Db,
    actor: &Actor,
    input: &SearchInput,
    time_zone: &str,
) -> CoreResult<SavedSearch> {
    let (name, spec) = checked(input, time_zone)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tender_searches (name, spec, responsible, enabled, schedule, use_documents, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(&name)
    .bind(&spec)
    .bind(input.responsible.map(|p| p.0))
    .bind(i64::from(input.enabled))
    .bind(input.schedule.trim())
    .bind(i64::from(input.use_documents))
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(refused)?;
    let mut changes = Changes::new();
    changes
        .set("spec", &input.spec)
        .set("enabled", &input.enabled)
        .set("schedule", &input.schedule);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "tenders.search.create",
            object_kind: "tender_search",
            object_id: id.to_string(),
            object_label: name,
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await?.ok_or(CoreError::NotFound("search"))
}

pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    input: &SearchInput,
    time_zone: &str,
) -> CoreResult<SavedSearch> {
    let before = get(db, id).await?.ok_or(CoreError::NotFound("search"))?;
    let (name, spec) = checked(input, time_zone)?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE tender_searches SET name = $1, spec = $2, responsible = $3, enabled = $4, \
         schedule = $5, use_documents = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(&name)
    .bind(&spec)
    .bind(input.responsible.map(|p| p.0))
    .bind(i64::from(input.enabled))
    .bind(input.schedule.trim())
    .bind(i64::from(input.use_documents))
    .bind(now_ms())
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(refused)?;
    let mut changes = Changes::new();
    changes
        .diff("spec", &before.spec, &input.spec)
        .diff("enabled", &before.enabled, &input.enabled)
        .diff(
            "schedule",
            &before.schedule,
            &input.schedule.trim().to_string(),
        );
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "tenders.search.update",
            object_kind: "tender_search",
            object_id: id.to_string(),
            object_label: name,
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    get(db, id).await?.ok_or(CoreError::NotFound("search"))
}

pub async fn get(db: &Db, id: i64) -> CoreResult<Option<SavedSearch>> {
    let row = sqlx::query(AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(db: &Db) -> CoreResult<Vec<SavedSearch>> {
    let rows = sqlx::query(AssertSqlSafe(format!("{SELECT} ORDER BY name, id")))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(from_row).collect()
}

/// Notes that the search ran (successfully) at `at`.
pub async fn mark_run(db: &Db, id: i64, at: i64) -> CoreResult<()> {
    sqlx::query("UPDATE tender_searches SET last_run_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// One run of a search: what it found, how many were new and how many changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SearchRun {
    pub found: i64,
    pub new: i64,
    pub updated: i64,
    pub finished_at: i64,
}

pub async fn runs(db: &Db, search: i64, limit: i64) -> CoreResult<Vec<SearchRun>> {
    let rows = sqlx::query(
        "SELECT found, new_count, updated_count, finished_at FROM tender_search_runs \
         WHERE search_id = $1 ORDER BY finished_at DESC, id DESC LIMIT $2",
    )
    .bind(search)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SearchRun {
                found: r.try_get("found")?,
                new: r.try_get("new_count")?,
                updated: r.try_get("updated_count")?,
                finished_at: r.try_get("finished_at")?,
            })
        })
        .collect()
}
