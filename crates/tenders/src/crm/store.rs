//! The CRM's SQL: pipelines with their stages, fields, rules and actions; deals, their
//! history and the e-mails sent about them.

use serde_json::{Map, Value};
use shtab_core::CoreError;
use shtab_core::db::{Db, Tx};
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use sqlx::AssertSqlSafe;

use super::domain::{Action, ActionKind, Direction, FieldDef, FieldKind, Pipeline, Rule, StageDef};

/// A deal as stored, with its responsible person's name.
#[derive(Debug, Clone, PartialEq)]
pub struct DealRecord {
    pub id: i64,
    pub pipeline: String,
    pub stage: String,
    pub title: String,
    pub responsible: Option<PersonId>,
    pub responsible_name: Option<String>,
    pub external_key: Option<String>,
    pub fields: Map<String, Value>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

impl DealRecord {
    pub fn to_port(&self) -> shtab_core::ports::Deal {
        shtab_core::ports::Deal {
            id: self.id.to_string(),
            pipeline: self.pipeline.clone(),
            stage: self.stage.clone(),
            title: self.title.clone(),
            responsible: self.responsible,
            fields: self.fields.clone(),
            url: None,
        }
    }
}

/// One line of a deal's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub at: i64,
    pub actor: String,
    /// created, moved, fields, action.
    pub kind: String,
    pub from_stage: Option<String>,
    pub to_stage: Option<String>,
    pub detail: Value,
}

/// An e-mail an entry action sent (or is sending).
#[derive(Debug, Clone, PartialEq)]
pub struct SentEmail {
    pub id: i64,
    pub deal_id: i64,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// pending, sent, failed, dead.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

pub async fn pipeline_ids(db: &Db) -> CoreResult<Vec<(String, String, String)>> {
    Ok(
        sqlx::query_as("SELECT id, name_ru, name_en FROM crm_pipelines ORDER BY created_at, id")
            .fetch_all(db.pool())
            .await?,
    )
}

pub async fn pipeline(db: &Db, id: &str) -> CoreResult<Pipeline> {
    let head: Option<(String, String)> =
        sqlx::query_as("SELECT name_ru, name_en FROM crm_pipelines WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    let (name_ru, name_en) = head.ok_or(CoreError::NotFound("pipeline"))?;
    let stages: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, name_ru, name_en FROM crm_stages WHERE pipeline_id = $1 ORDER BY position, id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let fields: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT name, kind, label_ru, label_en, standard FROM crm_fields WHERE pipeline_id = $1 ORDER BY position, name",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let rules: Vec<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT id, stage_id, direction, field, except_to FROM crm_rules WHERE pipeline_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let actions: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, stage_id, kind, params FROM crm_actions WHERE pipeline_id = $1 ORDER BY position, id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(Pipeline {
        id: id.to_string(),
        name_ru,
        name_en,
        stages: stages
            .into_iter()
            .map(|(id, name_ru, name_en)| StageDef {
                id,
                name_ru,
                name_en,
            })
            .collect(),
        fields: fields
            .into_iter()
            .map(|(name, kind, label_ru, label_en, standard)| FieldDef {
                name,
                kind: FieldKind::parse(&kind).unwrap_or(FieldKind::Text),
                label_ru,
                label_en,
                standard: standard != 0,
            })
            .collect(),
        rules: rules
            .into_iter()
            .filter_map(|(id, stage, direction, field, except_to)| {
                Some(Rule {
                    id,
                    stage,
                    direction: Direction::parse(&direction)?,
                    field,
                    except_to: except_to
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                })
            })
            .collect(),
        actions: actions
            .into_iter()
            .filter_map(|(id, stage, kind, params)| {
                // An action stored by a newer version, or edited by hand into nonsense, is
                // skipped rather than failing every move.
                let parsed = ActionKind::from_stored(&kind, &params);
                if parsed.is_none() {
                    tracing::warn!(action = id, kind, "a CRM action does not decode; skipped");
                }
                Some(Action {
                    id,
                    stage,
                    kind: parsed?,
                })
            })
            .collect(),
    })
}

const DEAL_COLUMNS: &str = "d.id, d.pipeline_id, d.stage_id, d.title, d.responsible_id, p.full_name, d.external_key, d.fields, d.created_at, d.updated_at";

type DealRow = (
    i64,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
);

fn deal_of(row: DealRow) -> DealRecord {
    let (
        id,
        pipeline,
        stage,
        title,
        responsible,
        responsible_name,
        external_key,
        fields,
        created_at,
        updated_at,
    ) = row;
    DealRecord {
        id,
        pipeline,
        stage,
        title,
        responsible: responsible.map(PersonId),
        responsible_name,
        external_key,
        fields: serde_json::from_str(&fields).unwrap_or_default(),
        created_at,
        updated_at,
    }
}

pub async fn deal(db: &Db, id: i64) -> CoreResult<Option<DealRecord>> {
    let row: Option<DealRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {DEAL_COLUMNS} FROM crm_deals d LEFT JOIN people p ON p.id = d.responsible_id WHERE d.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(deal_of))
}

pub async fn deal_in(tx: &mut Tx, id: i64) -> CoreResult<Option<DealRecord>> {
    let row: Option<DealRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {DEAL_COLUMNS} FROM crm_deals d LEFT JOIN people p ON p.id = d.responsible_id WHERE d.id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(deal_of))
}

pub async fn deal_by_key(tx: &mut Tx, key: &str) -> CoreResult<Option<DealRecord>> {
    let row: Option<DealRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {DEAL_COLUMNS} FROM crm_deals d LEFT JOIN people p ON p.id = d.responsible_id WHERE d.external_key = $1"
    )))
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(deal_of))
}

/// Deals of a pipeline (of one stage, if given), most recently changed first.
pub async fn deals(
    db: &Db,
    pipeline: &str,
    stage: Option<&str>,
    limit: i64,
) -> CoreResult<Vec<DealRecord>> {
    let rows: Vec<DealRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {DEAL_COLUMNS} FROM crm_deals d LEFT JOIN people p ON p.id = d.responsible_id \
         WHERE d.pipeline_id = $1 AND ($2 = '' OR d.stage_id = $2) ORDER BY d.updated_at DESC, d.id DESC LIMIT $3"
    )))
    .bind(pipeline)
    .bind(stage.unwrap_or(""))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(deal_of).collect())
}

/// Inserts the deal unless one with the same external key exists; `None` when it did.
#[allow(clippy::too_many_arguments)]
pub async fn insert_deal(
    tx: &mut Tx,
    pipeline: &str,
    stage: &str,
    title: &str,
    responsible: Option<PersonId>,
    external_key: Option<&str>,
    fields: &Map<String, Value>,
    now: i64,
) -> CoreResult<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO crm_deals (pipeline_id, stage_id, title, responsible_id, external_key, fields, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (external_key) DO NOTHING RETURNING id",
    )
    .bind(pipeline)
    .bind(stage)
    .bind(title)
    .bind(responsible.map(|p| p.0))
    .bind(external_key)
    .bind(Value::Object(fields.clone()).to_string())
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(id)
}

/// Moves the deal if it is still as the caller saw it; false when someone moved or
/// changed it meanwhile.
pub async fn set_stage(tx: &mut Tx, seen: &DealRecord, to: &str, now: i64) -> CoreResult<bool> {
    // Unchanged since the rules were checked against it: same stage, no write since.
    let done = sqlx::query(
        "UPDATE crm_deals SET stage_id = $1, updated_at = $2 WHERE id = $3 AND stage_id = $4 AND updated_at = $5",
    )
    .bind(to)
    .bind(now.max(seen.updated_at + 1))
    .bind(seen.id)
    .bind(&seen.stage)
    .bind(seen.updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_responsible(
    tx: &mut Tx,
    id: i64,
    person: Option<PersonId>,
    now: i64,
) -> CoreResult<()> {
    sqlx::query("UPDATE crm_deals SET responsible_id = $1, updated_at = $2 WHERE id = $3")
        .bind(person.map(|p| p.0))
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Writes the fields if nobody changed the deal since `seen_at`; false when someone did.
pub async fn set_fields_if_unchanged(
    tx: &mut Tx,
    id: i64,
    fields: &Map<String, Value>,
    seen_at: i64,
    now: i64,
) -> CoreResult<bool> {
    let done = sqlx::query(
        "UPDATE crm_deals SET fields = $1, updated_at = $2 WHERE id = $3 AND updated_at = $4",
    )
    .bind(Value::Object(fields.clone()).to_string())
    .bind(now.max(seen_at + 1))
    .bind(id)
    .bind(seen_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_fields(
    tx: &mut Tx,
    id: i64,
    fields: &Map<String, Value>,
    now: i64,
) -> CoreResult<()> {
    sqlx::query("UPDATE crm_deals SET fields = $1, updated_at = $2 WHERE id = $3")
        .bind(Value::Object(fields.clone()).to_string())
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn add_history(
    tx: &mut Tx,
    deal: i64,
    actor: &str,
    kind: &str,
    stages: (Option<&str>, Option<&str>),
    detail: &Value,
    now: i64,
) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO crm_deal_history (deal_id, at, actor_label, kind, from_stage, to_stage, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(deal)
    .bind(now)
    .bind(actor)
    .bind(kind)
    .bind(stages.0)
    .bind(stages.1)
    .bind(detail.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

type HistoryRow = (i64, String, String, Option<String>, Option<String>, String);

/// A deal's history, oldest first.
pub async fn history(db: &Db, deal: i64) -> CoreResult<Vec<HistoryEntry>> {
    let rows: Vec<HistoryRow> = sqlx::query_as(
        "SELECT at, actor_label, kind, from_stage, to_stage, detail FROM crm_deal_history WHERE deal_id = $1 ORDER BY at, id",
    )
    .bind(deal)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(at, actor, kind, from_stage, to_stage, detail)| HistoryEntry {
                at,
                actor,
                kind,
                from_stage,
                to_stage,
                detail: serde_json::from_str(&detail).unwrap_or_default(),
            },
        )
        .collect())
}

pub async fn insert_email(
    tx: &mut Tx,
    deal: i64,
    to: &str,
    subject: &str,
    body: &str,
    now: i64,
) -> CoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO crm_emails (deal_id, to_address, subject, body, status, created_at) VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING id",
    )
    .bind(deal)
    .bind(to)
    .bind(subject)
    .bind(body)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}

pub async fn set_email_job(tx: &mut Tx, email: i64, job: i64) -> CoreResult<()> {
    sqlx::query("UPDATE crm_emails SET job_id = $1 WHERE id = $2")
        .bind(job)
        .bind(email)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

type EmailRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    i64,
    Option<i64>,
);

fn email_of(r: EmailRow) -> SentEmail {
    let (id, deal_id, to, subject, body, status, attempts, last_error, created_at, sent_at) = r;
    SentEmail {
        id,
        deal_id,
        to,
        subject,
        body,
        status,
        attempts,
        last_error,
        created_at,
        sent_at,
    }
}

const EMAIL_COLUMNS: &str =
    "id, deal_id, to_address, subject, body, status, attempts, last_error, created_at, sent_at";

pub async fn email(db: &Db, id: i64) -> CoreResult<Option<SentEmail>> {
    let row: Option<EmailRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {EMAIL_COLUMNS} FROM crm_emails WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(email_of))
}

/// The e-mails sent about a deal, oldest first.
pub async fn emails(db: &Db, deal: i64) -> CoreResult<Vec<SentEmail>> {
    let rows: Vec<EmailRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {EMAIL_COLUMNS} FROM crm_emails WHERE deal_id = $1 ORDER BY created_at, id"
    )))
    .bind(deal)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(email_of).collect())
}

pub async fn record_email_attempt(
    db: &Db,
    id: i64,
    status: &str,
    error: Option<&str>,
    sent_at: Option<i64>,
) -> CoreResult<()> {
    sqlx::query(
        // A sent e-mail has no error left to show: what failed before it went is history.
        "UPDATE crm_emails SET status = $1, attempts = attempts + 1, \
         last_error = CASE WHEN $3 IS NULL THEN COALESCE($2, last_error) END, sent_at = $3 WHERE id = $4",
    )
    .bind(status)
    .bind(error)
    .bind(sent_at)
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}
