//! Which events Shtab acts on: one line each in [`HANDLERS`]. A handler reads what it needs
//! from the event and says which jobs to queue; it never calls the portal (the portal does not
//! resend an event, so the hook answers at once and the jobs do the work). An event not listed
//! is answered, counted and left alone.

use async_trait::async_trait;
use shtab_core::config::{Config, SystemOfRecord};
use shtab_core::db::Tx;
use shtab_core::error::CoreResult;
use shtab_core::jobs::{self, Job};
use shtab_core::tasks::TaskAppeared;

use super::event::{Event, EventError};
use crate::adapters::invoices::shapes::SMART_INVOICE;
use crate::jobs::TaskChanged;
use crate::robots::deals::DealChanged;
use crate::robots::invoices::InvoiceAdded;

/// What a handler sees besides the event.
pub struct Context<'a> {
    pub config: &'a Config,
}

/// A job to queue, whatever its kind.
#[async_trait]
pub trait Enqueue: Send + Sync {
    async fn enqueue_in(&self, tx: &mut Tx) -> CoreResult<i64>;
}

#[async_trait]
impl<J: Job> Enqueue for J {
    async fn enqueue_in(&self, tx: &mut Tx) -> CoreResult<i64> {
        jobs::enqueue_in(tx, self, None).await
    }
}

/// What an event leads to.
pub enum Reaction {
    /// These jobs, queued together.
    Queue(Vec<Box<dyn Enqueue>>),
    /// Nothing, and why.
    Ignore(&'static str),
}

pub type Handler = fn(&Event, &Context<'_>) -> Result<Reaction, EventError>;

/// The events Shtab acts on, by name in upper case. Subscribe the outgoing webhook to these.
pub const HANDLERS: &[(&str, Handler)] = &[
    ("ONTASKADD", task_added),
    ("ONTASKUPDATE", task_updated),
    ("ONTASKDELETE", task_deleted),
    ("ONCRMDEALADD", deal_changed),
    ("ONCRMDEALUPDATE", deal_changed),
    ("ONCRMDYNAMICITEMADD", invoice_added),
];

/// The handler of `name` (upper case) and its name as listed, for counting.
pub fn find(name: &str) -> Option<(&'static str, Handler)> {
    HANDLERS.iter().find(|(n, _)| *n == name).copied()
}

const TASKS_ELSEWHERE: &str = "tasks do not live on the portal (systems.tasks is not bitrix24)";

fn tasks_on_portal(cx: &Context<'_>) -> bool {
    cx.config.systems.tasks == SystemOfRecord::Bitrix24
}

/// A new task: the commits that named it before it existed are linked at once.
fn task_added(e: &Event, cx: &Context<'_>) -> Result<Reaction, EventError> {
    if !tasks_on_portal(cx) {
        return Ok(Reaction::Ignore(TASKS_ELSEWHERE));
    }
    let task_id = e.object_id()?.to_string();
    Ok(Reaction::Queue(vec![Box::new(TaskAppeared { task_id })]))
}

/// A changed task: the pages read it again when next shown, and commits waiting for it are
/// linked (a task the webhook's user could not see may have been shown to them; when nothing
/// waits, the portal is not asked).
fn task_updated(e: &Event, cx: &Context<'_>) -> Result<Reaction, EventError> {
    if !tasks_on_portal(cx) {
        return Ok(Reaction::Ignore(TASKS_ELSEWHERE));
    }
    let id = e.object_id()?;
    Ok(Reaction::Queue(vec![
        Box::new(TaskChanged { task_id: id }),
        Box::new(TaskAppeared {
            task_id: id.to_string(),
        }),
    ]))
}

/// A deleted task: the pages' copy of it goes (reading it again finds nothing).
fn task_deleted(e: &Event, cx: &Context<'_>) -> Result<Reaction, EventError> {
    if !tasks_on_portal(cx) {
        return Ok(Reaction::Ignore(TASKS_ELSEWHERE));
    }
    let task_id = e.object_id()?;
    Ok(Reaction::Queue(vec![Box::new(TaskChanged { task_id })]))
}

/// A deal added or changed on the portal (the event carries its id only): the job reads it
/// and acts on a new stage once, whoever sees the move first, the event or the robot.
fn deal_changed(e: &Event, cx: &Context<'_>) -> Result<Reaction, EventError> {
    if cx.config.systems.deals != SystemOfRecord::Bitrix24 {
        return Ok(Reaction::Ignore(
            "deals do not live on the portal (systems.deals is not bitrix24)",
        ));
    }
    let deal_id = e.object_id()?;
    Ok(Reaction::Queue(vec![Box::new(DealChanged { deal_id })]))
}

/// A smart process item added on the portal. A smart invoice (type 31) may be what a stored
/// payment waits for: the job matches its payer's waiting payments. Other smart processes are
/// not Shtab's business.
fn invoice_added(e: &Event, cx: &Context<'_>) -> Result<Reaction, EventError> {
    if cx.config.systems.invoices != SystemOfRecord::Bitrix24 {
        return Ok(Reaction::Ignore(
            "invoices do not live on the portal (systems.invoices is not bitrix24)",
        ));
    }
    if e.id_field(Event::ENTITY_TYPE_ID)? != SMART_INVOICE {
        return Ok(Reaction::Ignore("not a smart invoice"));
    }
    let invoice_id = e.object_id()?;
    Ok(Reaction::Queue(vec![Box::new(InvoiceAdded { invoice_id })]))
}
