//! Notifications for the demo company: a few demo people get channels, messages about the
//! demo's payments and tenders are queued through the notifier's own `send` (rendered from
//! the templates in each person's language), and their outcomes are recorded as the
//! transports record them: most sent, one refused by the chat. Nothing is sent: the jobs are
//! taken off the queue ([`super::jobs`]) and the channels switched off, so nothing a robot
//! says later reaches a made-up address either.

use serde_json::json;
use shtab_core::audit::Actor;
use shtab_core::config::Config;
use shtab_core::db::Db;
use shtab_core::ids::PersonId;
use shtab_core::notify::{self, Channel, RawChannel};
use shtab_core::ports::Message;
use shtab_core::time::now_ms;

use super::ledger::{self, kind};

#[derive(Debug, Default)]
pub struct Added {
    pub deliveries: usize,
}

/// (person, channel, target, template, context, link, how it went: `None` sent, else the
/// error)
type DemoMessage = (
    &'static str,
    Channel,
    &'static str,
    &'static str,
    fn() -> serde_json::Value,
    &'static str,
    Option<&'static str>,
);

const MESSAGES: &[DemoMessage] = &[
    (
        "sergey.vasiliev",
        Channel::Telegram,
        "100200300",
        "bank.payment_needs_attention",
        || {
            json!({"payer": "ООО «Горизонт»", "amount": "70 000,00", "outcome": "overpayment",
                   "invoices": "ДА-106", "remaining": "50 000,00",
                   "purpose": "Оплата по счету № ДА-106. В т.ч. НДС 20%"})
        },
        "/bank/payments?state=attention",
        None,
    ),
    (
        "olga.sokolova",
        Channel::Telegram,
        "100200301",
        "tenders.deadline_soon",
        || {
            json!({"reg_number": "32615000107", "title": "Аудит информационной безопасности веб-ресурсов",
                   "customer": "ПАО «Мосэнерго»", "price": "980 000,00 ₽"})
        },
        "/tenders",
        None,
    ),
    (
        "elena.popova",
        Channel::Email,
        // A domain reserved for examples: no mail is ever delivered there.
        "buh@demo-agency.example",
        "bank.payment_needs_attention",
        || {
            json!({"payer": "Иванов Иван Иванович", "amount": "15 000,00", "outcome": "no_inn",
                   "purpose": "Оплата за консультацию, Иванов И.И."})
        },
        "/bank/payments?state=attention",
        None,
    ),
    (
        "anna.smirnova",
        Channel::Telegram,
        "100200302",
        "notify.test",
        || json!({}),
        "/",
        Some("Telegram answered 400: Bad Request: chat not found"),
    ),
];

pub async fn load(db: &Db, config: &Config, actor: &Actor) -> anyhow::Result<Added> {
    let mut added = Added::default();
    if ledger::has(db, kind::DELIVERY).await? {
        return Ok(added);
    }
    let mut people: Vec<PersonId> = Vec::new();
    for (local, channel, target, template, context, link, outcome) in MESSAGES {
        let Some(person) = shtab_core::demo::person(db, local).await? else {
            continue;
        };
        notify::add_channel_if_absent(db, actor, person, *channel, target).await?;
        people.push(person);
        let message = Message {
            template: (*template).into(),
            context: context(),
            link: Some((*link).into()),
        };
        for id in notify::send(db, config, person, &message).await? {
            ledger::record(db, kind::DELIVERY, id).await?;
            record_outcome(db, id, *outcome).await?;
            added.deliveries += 1;
        }
    }
    for person in people {
        switch_off(db, actor, person).await?;
    }
    Ok(added)
}

/// Writes what the transport would have: sent now, or failed with `error` and not retried.
async fn record_outcome(db: &Db, id: i64, error: Option<&str>) -> anyhow::Result<()> {
    // Its job off the queue first, at once: a hub already running must not send it.
    if let Some(job) = notify::get(db, id).await?.job_id {
        super::jobs::drop_job(db, job).await?;
    }
    let (status, sent_at) = match error {
        None => ("sent", Some(now_ms())),
        Some(_) => ("failed", None),
    };
    sqlx::query(
        "UPDATE notify_deliveries SET status = $1, attempts = 1, last_error = $2, sent_at = $3, \
         job_id = NULL WHERE id = $4",
    )
    .bind(status)
    .bind(error)
    .bind(sent_at)
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Keeps the person's channels, switched off: they show how channels look, and nothing is
/// ever sent to a made-up address.
async fn switch_off(db: &Db, actor: &Actor, person: PersonId) -> anyhow::Result<()> {
    let off: Vec<RawChannel> = notify::channels_of(db, person)
        .await?
        .into_iter()
        .map(|c| RawChannel {
            channel: c.channel.as_str().into(),
            target: c.target,
            enabled: false,
        })
        .collect();
    notify::set_channels(db, actor, person, &off, true).await?;
    Ok(())
}
