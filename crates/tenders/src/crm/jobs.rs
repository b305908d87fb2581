//! The CRM's queued jobs: sending an entry action's e-mail to an outside address, and
//! telling a deal's responsible person through the notifier.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shtab_core::config::Config;
use shtab_core::ids::PersonId;
use shtab_core::jobs::{Job, JobContext, JobError, Registry};
use shtab_core::ports::{Message, Notifier};
use shtab_core::time::now_ms;

use super::store;

/// Sends one row of `crm_emails`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendEmail {
    pub email_id: i64,
}

impl Job for SendEmail {
    const KIND: &'static str = "crm.send_email";
    const MAX_ATTEMPTS: i64 = 8;
}

/// Sends an entry action's e-mail about a deal kept outside Shtab (a portal's deal): the
/// message travels in the job, as there is no deal row of ours to hang it on. Queued in the
/// transaction that records the stage entry, so each entry sends it once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendDealEmail {
    /// The deal's id in the system that keeps it.
    pub deal_id: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Job for SendDealEmail {
    const KIND: &'static str = "crm.send_deal_email";
    const MAX_ATTEMPTS: i64 = 8;
}

/// Tells the responsible person that their deal entered a stage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotifyResponsible {
    pub deal_id: i64,
    pub person: i64,
    pub deal_title: String,
    pub stage: String,
    pub text: String,
}

impl Job for NotifyResponsible {
    const KIND: &'static str = "crm.notify_responsible";
    const MAX_ATTEMPTS: i64 = 5;
}

/// The CRM's job handlers, for the worker (and tests' `run_due`).
pub fn registry(config: Arc<Config>, notifier: Arc<dyn Notifier>) -> Registry {
    let email_config = config.clone();
    let deal_email_config = config.clone();
    Registry::new()
        .register(move |job: SendEmail, ctx: JobContext| {
            let config = email_config.clone();
            async move { send_email(&config, job, ctx).await }
        })
        .register(move |job: SendDealEmail, _ctx: JobContext| {
            let config = deal_email_config.clone();
            async move {
                shtab_core::notify::send_email(&config, &job.to, &job.subject, &job.body).await
            }
        })
        .register(move |job: NotifyResponsible, _ctx: JobContext| {
            let notifier = notifier.clone();
            async move {
                let message = Message {
                    template: "crm.deal_stage_entered".into(),
                    context: serde_json::json!({"deal": job.deal_title, "stage": job.stage, "text": job.text}),
                    link: Some(format!("/deals/{}", job.deal_id)),
                };
                notifier.send(PersonId(job.person), &message).await?;
                Ok(())
            }
        })
}

async fn send_email(config: &Config, job: SendEmail, ctx: JobContext) -> Result<(), JobError> {
    let Some(email) = store::email(&ctx.db, job.email_id).await? else {
        return Err(JobError::Permanent(format!(
            "e-mail {} does not exist",
            job.email_id
        )));
    };
    if email.status == "sent" {
        // The worker died after sending: do not send twice.
        return Ok(());
    }
    let result =
        shtab_core::notify::send_email(config, &email.to, &email.subject, &email.body).await;
    let (status, error) = match &result {
        Ok(()) => ("sent", None),
        Err(JobError::Permanent(m)) => ("failed", Some(m.clone())),
        Err(e) if ctx.attempt >= SendEmail::MAX_ATTEMPTS => ("dead", Some(e.to_string())),
        Err(e) => ("pending", Some(e.to_string())),
    };
    store::record_email_attempt(
        &ctx.db,
        job.email_id,
        status,
        error.as_deref(),
        (status == "sent").then(now_ms),
    )
    .await?;
    result
}
