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
                let link = format!("{}/deals/{}", config.public_url(), deal.id);
                let template = (to_field.as_str(), subject.as_str(), body.as_str());
                match compose_email(config, pipeline, &deal.title, &deal.fields, &link, template) {
                    Composed::Failed(detail) => detail,
                    Composed::Ready { to, subject, body } => {
                        let email =
                            store::insert_email(tx, deal.id, &to, &subject, &body, now).await?;
                        let job =
                            jobs::enqueue_in(tx, &SendEmail { email_id: email }, None).await?;
                        store::set_email_job(tx, email, job).await?;
                        json!({"action": "email", "to": to, "email_id": email, "subject": subject})
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

/// An entry action's e-mail, rendered, or what stopped it (as the history records it).
pub enum Composed {
    Ready {
        to: String,
        subject: String,
        body: String,
    },
    Failed(Value),
}

/// Renders an `Email` action (`to_field`, `subject`, `body`) for a deal as it enters the
/// stage: to the address in `to_field`, else `tenders.vendor_email`.
pub fn compose_email(
    config: &Config,
    pipeline: &Pipeline,
    title: &str,
    fields: &Map<String, Value>,
    link: &str,
    (to_field, subject, body): (&str, &str, &str),
) -> Composed {
    let from_field = fields
        .get(to_field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let configured = Some(config.tenders.vendor_email.trim()).filter(|s| !s.is_empty());
    let Some(to) = from_field
        .or(configured)
        .and_then(|a| Email::parse("to", a).ok())
    else {
        return Composed::Failed(
            json!({"action": "email", "error": "no address: the field is empty and tenders.vendor_email is not set"}),
        );
    };
    let context = template_context(pipeline, title, fields, link);
    match shtab_core::notify::render(subject, body, &context) {
        Err(e) => Composed::Failed(
            json!({"action": "email", "to": to.as_str(), "error": format!("the template does not render: {e}")}),
        ),
        Ok((subject, body)) => Composed::Ready {
            to: to.as_str().to_owned(),
            subject,
            body,
        },
    }
}

/// What e-mail templates see: every field as people read it (money formatted, times in
/// words), the raw values under `raw`, the deal's title and its page.
pub fn template_context(
    pipeline: &Pipeline,
    title: &str,
    fields: &Map<String, Value>,
    link: &str,
) -> Value {
    let locale = Locale::Ru;
    let mut ctx = Map::new();
    for (name, value) in fields {
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
    ctx.insert("raw".into(), Value::Object(fields.clone()));
    ctx.insert("title".into(), Value::String(title.to_owned()));
    ctx.insert("deal_link".into(), Value::String(link.to_owned()));
    Value::Object(ctx)
}
