//! Sending: rendering and queueing ([`send`]), and the job that delivers ([`jobs`]).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::channels::{Channel, channels_of};
use super::deliveries::DeliveryStatus;
use super::templates::{builtin, get_template, render};
use super::transport::{Outgoing, Transports};
use crate::config::Config;
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::ids::PersonId;
use crate::jobs::{self, Job, JobContext, JobError, Registry};
use crate::ports::{Message, Messenger, Notifier};
use crate::time::now_ms;
use crate::types::Locale;

/// The job that sends one delivery row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deliver {
    pub delivery_id: i64,
}

impl Job for Deliver {
    const KIND: &'static str = "notify.deliver";
    /// With the queue's backoff (10 s doubling) the last try is about 20 minutes after the
    /// first.
    const MAX_ATTEMPTS: i64 = 8;
}

/// The handlers of the notification jobs, for the worker (and for tests' `run_due`), without
/// the Bitrix24 app: its deliveries fail as not configured.
pub fn jobs(config: &Config) -> Registry {
    jobs_with_messenger(config, None)
}

/// The same, with `messenger` delivering the `bitrix24` channel.
pub fn jobs_with_messenger(config: &Config, messenger: Option<Arc<dyn Messenger>>) -> Registry {
    let transports = Arc::new(Transports::new(config, messenger));
    Registry::new().register(move |job: Deliver, ctx: JobContext| {
        let transports = transports.clone();
        async move { deliver(&transports, job, ctx).await }
    })
}

async fn deliver(transports: &Transports, job: Deliver, ctx: JobContext) -> Result<(), JobError> {
    let Some(d) = super::deliveries::get(&ctx.db, job.delivery_id)
        .await
        .map(Some)
        .or_else(|e| match e {
            CoreError::NotFound(_) => Ok(None),
            e => Err(e),
        })?
    else {
        return Err(JobError::Permanent(format!(
            "delivery {} does not exist",
            job.delivery_id
        )));
    };
    let status = d.status.clone();
    if status == DeliveryStatus::Sent.as_str() {
        // A job that ran twice (its worker died after sending) does not send twice.
        return Ok(());
    }
    let Some(channel) = Channel::parse(&d.channel) else {
        return Err(JobError::Permanent(format!(
            "unknown channel {}",
            d.channel
        )));
    };
    let outgoing = Outgoing {
        delivery_id: job.delivery_id,
        person_id: d.person_id,
        template_key: &d.template_key,
        target: &d.target,
        subject: &d.subject,
        body: &d.body,
        link: d.link.as_deref(),
    };
    let result = transports.send(channel, &outgoing).await;
    let (status, error) = match &result {
        Ok(()) => (DeliveryStatus::Sent, None),
        Err(JobError::Permanent(m)) => (DeliveryStatus::Failed, Some(m.clone())),
        Err(e) if ctx.attempt >= Deliver::MAX_ATTEMPTS => {
            (DeliveryStatus::Dead, Some(e.to_string()))
        }
        Err(e) => (DeliveryStatus::Pending, Some(e.to_string())),
    };
    metrics::counter!("notify_deliveries_total", "channel" => channel.as_str(), "status" => status.as_str())
        .increment(1);
    sqlx::query(
        // A sent delivery has no error left to show: what failed before it went is history.
        "UPDATE notify_deliveries SET status = $1, attempts = attempts + 1, \
         last_error = CASE WHEN $3 IS NULL THEN COALESCE($2, last_error) END, sent_at = $3 WHERE id = $4",
    )
    .bind(status.as_str())
    .bind(error)
    .bind((status == DeliveryStatus::Sent).then(now_ms))
    .bind(job.delivery_id)
    .execute(ctx.db.pool())
    .await
    .map_err(CoreError::from)?;
    result
}

/// The person's language: their user's choice, else the server's default.
async fn locale_of(db: &Db, config: &Config, person: PersonId) -> CoreResult<Locale> {
    let code: Option<Option<String>> =
        sqlx::query_scalar("SELECT locale FROM users WHERE person_id = $1")
            .bind(person.0)
            .fetch_optional(db.pool())
            .await?;
    Ok(code
        .flatten()
        .as_deref()
        .and_then(Locale::from_code)
        .unwrap_or_else(|| config.default_locale()))
}

/// Renders `message` for `person` and queues a delivery per enabled channel, all in one
/// transaction; returns the delivery ids (none when the person has no channel). Never waits
/// for a channel.
pub async fn send(
    db: &Db,
    config: &Config,
    person: PersonId,
    message: &Message,
) -> CoreResult<Vec<i64>> {
    let name: Option<String> = sqlx::query_scalar("SELECT full_name FROM people WHERE id = $1")
        .bind(person.0)
        .fetch_optional(db.pool())
        .await?;
    let name = name.ok_or(CoreError::NotFound("person"))?;
    let channels: Vec<_> = channels_of(db, person)
        .await?
        .into_iter()
        .filter(|c| c.enabled)
        .collect();
    if channels.is_empty() {
        return Ok(Vec::new());
    }
    let locale = locale_of(db, config, person).await?;
    let template = get_template(db, &message.template, locale).await?;
    let link = message.link.as_ref().map(|l| {
        if l.starts_with('/') {
            format!("{}{l}", config.public_url())
        } else {
            l.clone()
        }
    });
    let mut context = match &message.context {
        serde_json::Value::Object(map) => map.clone(),
        serde_json::Value::Null => serde_json::Map::new(),
        other => {
            let mut m = serde_json::Map::new();
            m.insert("value".into(), other.clone());
            m
        }
    };
    context
        .entry("person_name")
        .or_insert_with(|| serde_json::Value::String(name.clone()));
    if let Some(link) = &link {
        context
            .entry("link")
            .or_insert_with(|| serde_json::Value::String(link.clone()));
    }
    let context = serde_json::Value::Object(context);
    let rendered = render(&template.subject, &template.body, &context).or_else(|e| {
        // An admin's version stored before saving checked that it renders, or one that
        // fails only on this context: the built-in text still gets the message out.
        let fallback = builtin(&message.template, locale).filter(|_| template.customised);
        let Some((subject, body)) = fallback else {
            return Err(e);
        };
        tracing::warn!(template = %message.template, error = %e, "the edited template does not render; the built-in one is sent");
        render(subject, body, &context)
    });
    let (subject, body) =
        rendered.map_err(|e| CoreError::Internal(format!("template {}: {e}", message.template)))?;

    let mut tx = db.begin().await?;
    let now = now_ms();
    let mut ids = Vec::new();
    for c in channels {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO notify_deliveries (person_id, channel, target, template_key, subject, body, link, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) RETURNING id",
        )
        .bind(person.0)
        .bind(c.channel.as_str())
        .bind(&c.target)
        .bind(&message.template)
        .bind(&subject)
        .bind(&body)
        .bind(&link)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let job_id = jobs::enqueue_in(&mut tx, &Deliver { delivery_id: id }, None).await?;
        sqlx::query("UPDATE notify_deliveries SET job_id = $1 WHERE id = $2")
            .bind(job_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}

/// The [`Notifier`] port over our own tables and channels.
#[derive(Clone)]
pub struct BuiltinNotifier {
    db: Db,
    config: Arc<Config>,
}

impl BuiltinNotifier {
    pub fn new(db: Db, config: Arc<Config>) -> Self {
        BuiltinNotifier { db, config }
    }
}

#[async_trait::async_trait]
impl Notifier for BuiltinNotifier {
    async fn send(&self, person: PersonId, message: &Message) -> CoreResult<Vec<i64>> {
        send(&self.db, &self.config, person, message).await
    }
}
