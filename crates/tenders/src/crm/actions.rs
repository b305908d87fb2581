//! Entry actions, run inside the move's transaction: a field set is written at once; an
//! e-mail is rendered now (with the deal as it is when it enters the stage) and queued; a
//! notification is queued. Each leaves a line in the deal's history.

use serde_json::{Map, Value, json};
use shtab_core::audit::Actor;
use shtab_core::config::Config;
use shtab_core::db::Tx;
use shtab_core::error::CoreResult;
use shtab_core::jobs;
use shtab_core::types::{Email, Locale};

use super::domain::{self, ActionKind, Pipeline};
use super::jobs::{NotifyResponsible, SendEmail};
use super::store::{self, DealRecord};

pub async fn run_entry_actions(
    tx: &mut Tx,
    config: &Config,
    pipeline: &Pipeline,
    deal: &mut DealRecord,
    by: &Actor,
    now: i64,
) -> CoreResult<Vec<Value>> {
    let stage = deal.stage.clone();
    let mut done = Vec::new();
    for action in pipeline.actions.iter().filter(|a| a.stage == stage) {
        let detail = match &action.kind {
            ActionKind::SetField { field, value } => {
                let Some(def) = pipeline.field(field) else {
                    tracing::warn!(field, "a set_field action names no field of the pipeline");
                    continue;
                };
                let value = match domain::read_value(field, def.kind, value) {
                    Ok(v) => v,
                    Err(e) => {
                        store::add_history(
                            tx,
                            deal.id,
                            &by.label,
                            "action",
                            (None, Some(&stage)),
                            &json!({"action": "set_field", "field": field, "error": e.message}),
                            now,
                        )
                        .await?;
                        continue;
                    }
                };
                let diff =
                    domain::apply(&mut deal.fields, &Map::from_iter([(field.clone(), value)]));
                store::set_fields(tx, deal.id, &deal.fields, now).await?;
                json!({"action": "set_field", "changes": diff})
            }
            ActionKind::Email {
                to_field,
                subject,
                body,
            } => {
                let from_field = deal
                    .fields
                    .get(to_field)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty());
                let configured = Some(config.tenders.vendor_email.trim()).filter(|s| !s.is_empty());
                let to = from_field
                    .or(configured)
                    .and_then(|a| Email::parse("to", a).ok());
                match to {
                    None => {
                        json!({"action": "email", "error": "no address: the field is empty and tenders.vendor_email is not set"})
                    }
                    Some(to) => {
                        let context = template_context(config, pipeline, deal);
                        match shtab_core::notify::render(subject, body, &context) {
                            Err(e) => {
                                json!({"action": "email", "to": to.as_str(), "error": format!("the template does not render: {e}")})
                            }
                            Ok((subject, body)) => {
                                let email = store::insert_email(
                                    tx,
                                    deal.id,
                                    to.as_str(),
                                    &subject,
                                    &body,
                                    now,
                                )
                                .await?;
                                let job =
                                    jobs::enqueue_in(tx, &SendEmail { email_id: email }, None)
                                        .await?;
                                store::set_email_job(tx, email, job).await?;
                                json!({"action": "email", "to": to.as_str(), "email_id": email, "subject": subject})
                            }
                        }
                    }
                }
            }
            ActionKind::Notify { text } => match deal.responsible {
                None => json!({"action": "notify", "error": "the deal has no responsible person"}),
                Some(person) => {
                    let stage_name = pipeline
                        .stage(&stage)
                        .map(|s| s.name(config.default_locale()).to_string())
                        .unwrap_or_else(|| stage.clone());
                    jobs::enqueue_in(
                        tx,
                        &NotifyResponsible {
                            deal_id: deal.id,
                            person: person.0,
                            deal_title: deal.title.clone(),
                            stage: stage_name,
                            text: text.clone(),
                        },
                        None,
                    )
                    .await?;
                    json!({"action": "notify", "person": person.0})
                }
            },
        };
        store::add_history(
            tx,
            deal.id,
            &by.label,
            "action",
            (None, Some(&stage)),
            &detail,
            now,
        )
        .await?;
        done.push(detail);
    }
    Ok(done)
}

/// What e-mail templates see: every field as people read it (money formatted, times in
/// words), the raw values under `raw`, the deal's title and its page.
pub fn template_context(config: &Config, pipeline: &Pipeline, deal: &DealRecord) -> Value {
    let locale = Locale::Ru;
    let mut ctx = Map::new();
    for (name, value) in &deal.fields {
        let kind = pipeline.field(name).map(|f| f.kind);
        ctx.insert(
            name.clone(),
            Value::String(domain::display_value(kind, Some(value), locale)),
        );
    }
    for f in &pipeline.fields {
        ctx.entry(f.name.clone())
            .or_insert_with(|| Value::String(String::new()));
    }
    ctx.insert("raw".into(), Value::Object(deal.fields.clone()));
    ctx.insert("title".into(), Value::String(deal.title.clone()));
    ctx.insert(
        "deal_link".into(),
        Value::String(format!("{}/deals/{}", config.public_url(), deal.id)),
    );
    Value::Object(ctx)
}
