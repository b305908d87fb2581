//! The robot «Сроки подачи заявок» (`tenders.reminders`): tells the responsible person of a
//! tender's deal when its application deadline is a configured number of days away. Each
//! deadline is reminded once; a moved deadline is reminded again.

use std::sync::Arc;

use chrono::TimeDelta;
use chrono_tz::Europe::Moscow;
use serde_json::json;
use shtab_core::ports::{Crm, Message, Notifier};
use shtab_core::robots::{LogLevel, Robot, RobotError, RunContext};
use shtab_core::time::now_ms;
use shtab_core::types::Locale;

use crate::store::tenders;

pub const NAME: &str = "tenders.reminders";
pub const TEMPLATE: &str = "tenders.deadline_soon";

pub struct Reminders {
    crm: Arc<dyn Crm>,
    notifier: Arc<dyn Notifier>,
    days: u32,
}

impl Reminders {
    pub fn new(crm: Arc<dyn Crm>, notifier: Arc<dyn Notifier>, days: u32) -> Reminders {
        Reminders {
            crm,
            notifier,
            days,
        }
    }
}

#[async_trait::async_trait]
impl Robot for Reminders {
    fn name(&self) -> &'static str {
        NAME
    }

    fn title(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Ru => "Сроки подачи заявок",
            Locale::En => "Application deadlines",
        }
    }

    fn default_schedule(&self) -> &'static str {
        "0 * * * *"
    }

    async fn run(&self, ctx: &RunContext) -> Result<(), RobotError> {
        ctx.count("reminded", 0).await?;
        let now = now_ms();
        let until = now + TimeDelta::days(i64::from(self.days)).num_milliseconds();
        for tender in tenders::due_reminders(ctx.db(), now, until).await? {
            let facts = &tender.facts;
            let (Some(deal_id), Some(deadline)) = (&tender.deal_id, facts.deadline) else {
                continue;
            };
            let deal = self.crm.get_deal(deal_id).await?;
            // A deal already lost or won needs no reminder; one nobody answers for cannot get one.
            let Some(person) = deal
                .as_ref()
                .filter(|d| d.stage != "lost" && d.stage != "won")
                .and_then(|d| d.responsible)
            else {
                tenders::mark_reminded(ctx.db(), tender.id, deadline.timestamp_millis()).await?;
                continue;
            };
            let message = Message {
                template: TEMPLATE.into(),
                context: json!({
                    "reg_number": facts.reg_number.as_str(),
                    "title": facts.title,
                    "customer": facts.customer.clone().unwrap_or_default(),
                    "deadline": deadline.with_timezone(&Moscow).format("%d.%m.%Y %H:%M МСК").to_string(),
                    "price": facts.max_price.map(|p| format!("{p} {}", shtab_core::types::currency_sign(facts.currency.as_deref().unwrap_or_default()))).unwrap_or_default(),
                    "tender_url": facts.url,
                }),
                link: Some(format!("/tenders/{}", tender.id)),
            };
            self.notifier.send(person, &message).await?;
            tenders::mark_reminded(ctx.db(), tender.id, deadline.timestamp_millis()).await?;
            ctx.count("reminded", 1).await?;
            ctx.log(
                LogLevel::Info,
                format!("{}: reminded person {person}", facts.reg_number),
            )
            .await?;
        }
        Ok(())
    }
}
