//! The jobs the demo's writes queue. The capabilities queue follow-up work in the same
//! transaction as each write (match these payments, send this vendor e-mail, provision this
//! grant, deliver this notification). The demo does what stays on the machine itself (it
//! matches, sweeps and records outcomes in place) and must not do what reaches outside, so
//! once loaded it takes its own jobs off the queue: a vendor e-mail stays in the deal's
//! history, marked as not sent.

use shtab_core::db::Db;
use shtab_core::error::CoreResult;

/// The kinds the demo's writes queue; a job of another kind queued meanwhile (a running
/// hub's robot) is not the demo's and stays.
const KINDS: &[&str] = &[
    "tasks.created",
    "bank.match_payments",
    "bank.invoice_appeared",
    "crm.send_email",
    "crm.notify_responsible",
    "notify.deliver",
    "access.provision",
    "vcs.relink_author",
];

/// Not sent: the demo's vendors are made up.
pub const NOT_SENT: &str = "demo company: not sent";

pub async fn last_id(db: &Db) -> CoreResult<i64> {
    let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM jobs")
        .fetch_one(db.pool())
        .await?;
    Ok(id.unwrap_or(0))
}

/// Takes the demo's jobs queued after `before` off the queue.
pub async fn settle(db: &Db, before: i64) -> CoreResult<()> {
    let emails: Vec<String> = sqlx::query_scalar(
        "SELECT payload FROM jobs WHERE id > $1 AND kind = 'crm.send_email' AND state = 'queued'",
    )
    .bind(before)
    .fetch_all(db.pool())
    .await?;
    for payload in emails {
        let email = serde_json::from_str::<serde_json::Value>(&payload)
            .ok()
            .and_then(|v| v["email_id"].as_i64());
        if let Some(id) = email {
            shtab_tenders::crm::store::record_email_attempt(db, id, "failed", Some(NOT_SENT), None)
                .await?;
        }
    }
    for kind in KINDS {
        sqlx::query("DELETE FROM jobs WHERE id > $1 AND kind = $2 AND state = 'queued'")
            .bind(before)
            .bind(*kind)
            .execute(db.pool())
            .await?;
    }
    Ok(())
}

/// Takes the e-mails a demo deal's entry actions queued off the queue at once (marked not
/// sent), rather than at the end of the load: a hub already running must not get to send
/// them meanwhile.
pub async fn drop_deal_emails(db: &Db, deal: i64) -> CoreResult<()> {
    let queued: Vec<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, job_id FROM crm_emails WHERE deal_id = $1 AND status = 'pending'",
    )
    .bind(deal)
    .fetch_all(db.pool())
    .await?;
    for (email, job) in queued {
        if let Some(job) = job {
            drop_job(db, job).await?;
        }
        shtab_tenders::crm::store::record_email_attempt(db, email, "failed", Some(NOT_SENT), None)
            .await?;
    }
    Ok(())
}

/// Takes one queued job off the queue (one already claimed is left to its worker).
pub async fn drop_job(db: &Db, id: i64) -> CoreResult<()> {
    sqlx::query("DELETE FROM jobs WHERE id = $1 AND state = 'queued'")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}
