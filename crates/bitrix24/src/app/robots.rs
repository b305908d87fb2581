//! The robots' work, queued by their hook ([`crate::web::app::robots`]): a call is worked once
//! and answered once with `bizproc.event.send`, whatever the portal or the queue repeat. The
//! work itself is Shtab's other capabilities' (the tenders pipeline's vendor e-mail), reached
//! through [`RobotWork`], which the binary plugs in.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::jobs::{Job, JobContext, JobError, Registry};

use crate::client::{Bitrix24Error, Client};
use crate::store::app;
use crate::web::events::handlers::Enqueue;

/// What a robot's work came to: the jobs to queue (with the record that it was done, so
/// each is queued once) and the line for the deal's history.
pub struct Worked {
    /// False when the work could not be done (the log says why); the robot still answers.
    pub ok: bool,
    pub log: String,
    pub jobs: Vec<Box<dyn Enqueue>>,
}

/// The work of Shtab's robots on a portal deal.
#[async_trait]
pub trait RobotWork: Send + Sync {
    /// Robot `code`'s work for the portal's deal `deal_id`. Reads may happen here; anything
    /// sent goes in [`Worked::jobs`].
    async fn work(&self, code: &str, deal_id: u64) -> CoreResult<Worked>;
}

/// A robot call to work and answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RobotCalled {
    pub event_token: String,
}

impl Job for RobotCalled {
    const KIND: &'static str = "bitrix24.robot_called";
    const MAX_ATTEMPTS: i64 = 8;
}

pub fn registry(db: Db, client: Client, work: Arc<dyn RobotWork>) -> Registry {
    Registry::new().register(move |job: RobotCalled, _ctx: JobContext| {
        let (db, client, work) = (db.clone(), client.clone(), work.clone());
        async move { handle(&db, &client, work.as_ref(), &job.event_token).await }
    })
}

/// The work's outcome and its jobs, together; nothing when another try recorded it first.
async fn record_work(db: &Db, event_token: &str, worked: &Worked) -> CoreResult<()> {
    let mut tx = db.begin().await?;
    if app::robot_call_worked(&mut tx, event_token, worked.ok, &worked.log).await? {
        for job in &worked.jobs {
            job.enqueue_in(&mut tx).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

fn job_error(e: Bitrix24Error) -> JobError {
    if e.is_transient() {
        JobError::Retry(e.to_string())
    } else {
        JobError::Permanent(e.to_string())
    }
}

async fn handle(
    db: &Db,
    client: &Client,
    work: &dyn RobotWork,
    event_token: &str,
) -> Result<(), JobError> {
    let Some(mut call) = app::robot_call(db, event_token).await? else {
        return Err(JobError::Permanent("the robot call is not recorded".into()));
    };
    if call.answered_at.is_some() {
        return Ok(());
    }
    if call.worked_at.is_none() {
        let worked = work.work(&call.code, call.deal_id.max(0) as u64).await?;
        record_work(db, event_token, &worked).await?;
        call = app::robot_call(db, event_token)
            .await?
            .ok_or_else(|| JobError::Permanent("the robot call is not recorded".into()))?;
    }
    let log = call.log.unwrap_or_default();
    let outcome = if call.ok == Some(1) { "done" } else { "failed" };
    let sent = client
        .call(
            "bizproc.event.send",
            &json!({
                "EVENT_TOKEN": event_token,
                "RETURN_VALUES": {"result": outcome},
                "LOG_MESSAGE": log,
            }),
        )
        .await;
    match sent {
        Ok(_) => {}
        // The workflow no longer waits for this token: an earlier try's answer arrived (the
        // record of it did not), or the rule was stopped. Either way nothing is left to say.
        Err(Bitrix24Error::NotFound { .. }) => {}
        Err(Bitrix24Error::Refused { ref detail, .. })
            if detail.to_lowercase().contains("not found") => {}
        Err(e) => return Err(job_error(e)),
    }
    app::robot_call_answered(db, event_token).await?;
    Ok(())
}
