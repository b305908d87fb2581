//! Changing a pipeline: rules (fields required to enter or leave a stage) and entry
//! actions. Each change is checked against the pipeline and audit-logged with it.

use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::db::Db;
use shtab_core::error::{CoreError, CoreResult, FieldError};

use super::domain::{ActionKind, Direction, Pipeline};
use super::store;

/// A rule as submitted.
#[derive(Debug, Clone, Default)]
pub struct RawRule {
    pub stage: String,
    pub direction: String,
    pub field: String,
    /// Comma-separated stage ids.
    pub except_to: String,
}

fn check_stage(p: &Pipeline, field: &str, stage: &str) -> Result<String, FieldError> {
    p.stage(stage.trim()).map(|s| s.id.clone()).ok_or_else(|| {
        FieldError::new(
            field,
            "unknown_stage",
            format!("the pipeline has no stage {stage}"),
        )
    })
}

async fn log(
    db_tx: &mut shtab_core::db::Tx,
    by: &Actor,
    action: &str,
    p: &Pipeline,
    changes: Changes,
) -> CoreResult<()> {
    audit::record(
        db_tx,
        by,
        Event {
            action,
            object_kind: "pipeline",
            object_id: p.id.clone(),
            object_label: p.name_en.clone(),
            changes,
        },
    )
    .await
}

pub async fn add_rule(db: &Db, by: &Actor, pipeline: &str, raw: &RawRule) -> CoreResult<i64> {
    let p = store::pipeline(db, pipeline).await?;
    let mut errors = Vec::new();
    let stage = check_stage(&p, "stage", &raw.stage)
        .map_err(|e| errors.push(e))
        .ok();
    let direction = Direction::parse(raw.direction.trim());
    if direction.is_none() {
        errors.push(FieldError::new(
            "direction",
            "invalid_direction",
            "enter or leave",
        ));
    }
    if p.field(raw.field.trim()).is_none() {
        errors.push(FieldError::new(
            "field",
            "unknown_field",
            format!("the pipeline has no field {}", raw.field.trim()),
        ));
    }
    let mut except = Vec::new();
    for s in raw
        .except_to
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match check_stage(&p, "except_to", s) {
            Ok(s) => except.push(s),
            Err(e) => errors.push(e),
        }
    }
    let (Some(stage), Some(direction), true) = (stage, direction, errors.is_empty()) else {
        return Err(CoreError::Invalid(errors));
    };
    let field = raw.field.trim();
    let except = except.join(",");
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO crm_rules (pipeline_id, stage_id, direction, field, except_to) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&p.id)
    .bind(&stage)
    .bind(direction.as_str())
    .bind(field)
    .bind(&except)
    .fetch_one(&mut *tx)
    .await?;
    let mut changes = Changes::new();
    changes.set("rule", &serde_json::json!({"id": id, "stage": stage, "direction": direction.as_str(), "field": field, "except_to": except}));
    log(&mut tx, by, "pipeline.rule_add", &p, changes).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn remove_rule(db: &Db, by: &Actor, pipeline: &str, id: i64) -> CoreResult<()> {
    let p = store::pipeline(db, pipeline).await?;
    let rule = p
        .rules
        .iter()
        .find(|r| r.id == id)
        .ok_or(CoreError::NotFound("rule"))?;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM crm_rules WHERE id = $1 AND pipeline_id = $2")
        .bind(id)
        .bind(&p.id)
        .execute(&mut *tx)
        .await?;
    let mut changes = Changes::new();
    changes.set("rule", rule);
    log(&mut tx, by, "pipeline.rule_remove", &p, changes).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks an action against the pipeline: the fields it names exist, its templates render.
fn check_action(p: &Pipeline, kind: &ActionKind) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    match kind {
        ActionKind::Email {
            to_field,
            subject,
            body,
        } => {
            if !to_field.is_empty() && p.field(to_field).is_none() {
                errors.push(FieldError::new(
                    "to_field",
                    "unknown_field",
                    format!("the pipeline has no field {to_field}"),
                ));
            }
            if subject.trim().is_empty() {
                errors.push(FieldError::required("subject"));
            }
            if let Err(e) = shtab_core::notify::render(subject, body, &serde_json::json!({})) {
                errors.push(FieldError::new("body", "invalid_template", e));
            }
        }
        ActionKind::Notify { .. } => {}
        ActionKind::SetField { field, value } => match p.field(field) {
            None => errors.push(FieldError::new(
                "field",
                "unknown_field",
                format!("the pipeline has no field {field}"),
            )),
            Some(def) => {
                if let Err(mut e) = super::domain::read_value(field, def.kind, value) {
                    e.field = "value".into();
                    errors.push(e);
                }
            }
        },
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

pub async fn add_action(
    db: &Db,
    by: &Actor,
    pipeline: &str,
    stage: &str,
    kind: &ActionKind,
) -> CoreResult<i64> {
    let p = store::pipeline(db, pipeline).await?;
    let stage = check_stage(&p, "stage", stage)?;
    check_action(&p, kind).map_err(CoreError::Invalid)?;
    let mut tx = db.begin().await?;
    let position = p.actions.iter().filter(|a| a.stage == stage).count() as i64 + 1;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO crm_actions (pipeline_id, stage_id, kind, params, position) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&p.id)
    .bind(&stage)
    .bind(kind.name())
    .bind(kind.params())
    .bind(position)
    .fetch_one(&mut *tx)
    .await?;
    let mut changes = Changes::new();
    changes.set(
        "action",
        &serde_json::json!({"id": id, "stage": stage, "action": kind}),
    );
    log(&mut tx, by, "pipeline.action_add", &p, changes).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn update_action(
    db: &Db,
    by: &Actor,
    pipeline: &str,
    id: i64,
    kind: &ActionKind,
) -> CoreResult<()> {
    let p = store::pipeline(db, pipeline).await?;
    let before = p
        .actions
        .iter()
        .find(|a| a.id == id)
        .ok_or(CoreError::NotFound("action"))?;
    check_action(&p, kind).map_err(CoreError::Invalid)?;
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE crm_actions SET kind = $1, params = $2 WHERE id = $3")
        .bind(kind.name())
        .bind(kind.params())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let mut changes = Changes::new();
    changes.diff("action", &before.kind, kind);
    log(&mut tx, by, "pipeline.action_change", &p, changes).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_action(db: &Db, by: &Actor, pipeline: &str, id: i64) -> CoreResult<()> {
    let p = store::pipeline(db, pipeline).await?;
    let action = p
        .actions
        .iter()
        .find(|a| a.id == id)
        .ok_or(CoreError::NotFound("action"))?;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM crm_actions WHERE id = $1 AND pipeline_id = $2")
        .bind(id)
        .bind(&p.id)
        .execute(&mut *tx)
        .await?;
    let mut changes = Changes::new();
    changes.set("action", action);
    log(&mut tx, by, "pipeline.action_remove", &p, changes).await?;
    tx.commit().await?;
    Ok(())
}
