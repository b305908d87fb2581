//! Shtab inside the portal, joined here because the Bitrix24 crate does not know the tenders:
//! the deal tab's tender ([`PortalTenders`]), and the robots ([`PortalRobots`]):
//! «Запросить согласование цены у вендора» renders the pipeline's templated vendor e-mail
//! with the portal deal's fields and queues it as the pipeline's own entry action does
//! (`crm.send_deal_email`); «Обновить тендер с портала закупок» re-reads the tender's notice
//! on the procurement portal, keeps it as a new version, and writes the deal's fields that
//! changed.

use std::sync::Arc;

use async_trait::async_trait;
use shtab_bitrix24::app::cards::{CommitTime, DealTenders, TenderCard};
use shtab_bitrix24::app::robots::{RobotWork, Worked};
use shtab_bitrix24::app::{TENDER_REFRESH, VENDOR_PRICE};
use shtab_core::CoreError;
use shtab_core::audit::Actor;
use shtab_core::config::Config;
use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::ports::Crm;
use shtab_tenders::crm::actions::{Composed, compose_email};
use shtab_tenders::crm::domain::ActionKind;
use shtab_tenders::crm::jobs::SendDealEmail;
use shtab_tenders::domain::{RegNumber, Stage, TenderFacts};
use shtab_tenders::sources::portal::{PortalClient, PortalError};

pub struct PortalRobots {
    pub db: Db,
    pub config: Arc<Config>,
    /// The deals as Shtab reads them on the portal (its fields under the pipeline's names).
    pub crm: Arc<dyn Crm>,
}

#[async_trait]
impl RobotWork for PortalRobots {
    async fn work(&self, code: &str, deal_id: u64) -> CoreResult<Worked> {
        let failed = |log: String| Worked {
            ok: false,
            log,
            jobs: Vec::new(),
        };
        if code == TENDER_REFRESH.code {
            return self.refresh_tender(deal_id).await;
        }
        if code != VENDOR_PRICE.code {
            return Ok(failed(format!("Штаб не знает робота «{code}»")));
        }
        let Some(deal) = self.crm.get_deal(&deal_id.to_string()).await? else {
            return Ok(failed(format!(
                "Штаб не видит сделку {deal_id} (её воронка не настроена в Штабе)"
            )));
        };
        let pipeline_id = if deal.pipeline.trim().is_empty() {
            shtab_tenders::crm::DEFAULT_PIPELINE
        } else {
            deal.pipeline.trim()
        };
        let pipeline = shtab_tenders::crm::store::pipeline(&self.db, pipeline_id).await?;
        // The e-mail of the deal's stage, else the pipeline's first one.
        let emails = || {
            pipeline.actions.iter().filter_map(|a| match &a.kind {
                ActionKind::Email {
                    to_field,
                    subject,
                    body,
                } => Some((a, (to_field.as_str(), subject.as_str(), body.as_str()))),
                _ => None,
            })
        };
        let Some((_, template)) = emails()
            .find(|(a, _)| a.stage == deal.stage)
            .or_else(|| emails().next())
        else {
            return Ok(failed(
                "В воронке Штаба нет письма вендору (действие «e-mail»)".to_owned(),
            ));
        };
        let link = format!("{}/deals/{}", self.config.public_url(), deal.id);
        match compose_email(
            &self.config,
            &pipeline,
            &deal.title,
            &deal.fields,
            &link,
            template,
        ) {
            Composed::Failed(why) => Ok(failed(format!(
                "Письмо вендору не отправлено: {}",
                why.get("error").and_then(|e| e.as_str()).unwrap_or("?")
            ))),
            Composed::Ready { to, subject, body } => Ok(Worked {
                ok: true,
                log: format!("Штаб: письмо вендору «{subject}» отправлено на {to}"),
                jobs: vec![Box::new(SendDealEmail {
                    deal_id: deal.id.clone(),
                    to,
                    subject,
                    body,
                })],
            }),
        }
    }
}

impl PortalRobots {
    async fn refresh_tender(&self, deal_id: u64) -> CoreResult<Worked> {
        let failed = |log: String| Worked {
            ok: false,
            log,
            jobs: Vec::new(),
        };
        let Some(reg) = shtab_bitrix24::store::deals::key_of_deal(&self.db, deal_id).await? else {
            return Ok(failed(format!(
                "Сделка {deal_id} создана не Штабом из тендера: обновлять нечего"
            )));
        };
        let Some(stored) = shtab_tenders::store::tenders::by_reg_number(&self.db, &reg).await?
        else {
            return Ok(failed(format!("В Штабе нет тендера № {reg}")));
        };
        let Ok(number) = RegNumber::parse(&reg) else {
            return Ok(failed(format!("«{reg}» не номер закупки")));
        };
        let client = match PortalClient::new(&self.config.tenders) {
            Ok(c) => c,
            Err(e) => return Ok(failed(format!("Портал закупок не настроен: {e}"))),
        };
        let notice = match client.notice(&number).await {
            Ok(n) => n,
            // Worth another try: the job queue repeats it, the portal's rule waits.
            Err(e @ PortalError::Network { .. }) => return Err(transient(e)),
            Err(e @ PortalError::Status { status, .. }) if status >= 500 || status == 429 => {
                return Err(transient(e));
            }
            Err(e) => return Ok(failed(format!("Извещение не прочитано: {e}"))),
        };
        let fresh = TenderFacts::from_notice(&notice, client.portal()).merged_over(&stored.facts);
        if fresh == stored.facts {
            return Ok(Worked {
                ok: true,
                log: format!("Штаб: извещение № {reg} не изменилось"),
                jobs: Vec::new(),
            });
        }
        let mut tx = self.db.begin().await?;
        shtab_tenders::store::tenders::store(
            &mut tx,
            &fresh,
            "robot",
            None,
            shtab_core::time::now_ms(),
        )
        .await?;
        tx.commit().await?;
        let before = shtab_tenders::service::deals::fields(&stored.facts);
        let changed: serde_json::Map<String, serde_json::Value> =
            shtab_tenders::service::deals::fields(&fresh)
                .into_iter()
                .filter(|(k, v)| before.get(k) != Some(v))
                .collect();
        if !changed.is_empty() {
            self.crm
                .write_fields(
                    &deal_id.to_string(),
                    &changed,
                    &Actor::robot(TENDER_REFRESH.code),
                )
                .await?;
        }
        let names: Vec<&str> = changed.keys().map(String::as_str).collect();
        Ok(Worked {
            ok: true,
            log: format!(
                "Штаб: извещение № {reg} изменилось; обновлены поля: {}",
                if names.is_empty() {
                    "—".to_owned()
                } else {
                    names.join(", ")
                }
            ),
            jobs: Vec::new(),
        })
    }
}

fn transient(e: PortalError) -> CoreError {
    CoreError::Transient {
        message: e.to_string(),
        retry_after: None,
    }
}

/// A portal deal's tender: the deal's key (the registration number it was created for),
/// then what the tenders capability stored of it.
pub struct PortalTenders {
    pub db: Db,
    pub config: Arc<Config>,
}

#[async_trait]
impl DealTenders for PortalTenders {
    async fn tender_of_deal(&self, deal_id: u64) -> CoreResult<Option<TenderCard>> {
        let Some(reg) = shtab_bitrix24::store::deals::key_of_deal(&self.db, deal_id).await? else {
            return Ok(None);
        };
        let Some(tender) = shtab_tenders::store::tenders::by_reg_number(&self.db, &reg).await?
        else {
            return Ok(None);
        };
        let searches = shtab_tenders::store::tenders::hits(&self.db, tender.id)
            .await?
            .into_iter()
            .map(|h| h.search_name)
            .collect();
        let mut history: Vec<(i64, String)> =
            shtab_tenders::store::tenders::versions(&self.db, tender.id)
                .await?
                .into_iter()
                .map(|v| {
                    (
                        v.recorded_at,
                        format!("версия {} ({}): {}", v.version, v.source, v.facts.title),
                    )
                })
                .collect();
        history.push((tender.first_seen_at, "найдена Штабом".to_owned()));
        let f = tender.facts;
        // The procurement portal (zakupki.gov.ru) keeps a notice's documents beside it.
        let documents_url = f
            .url
            .contains("/common-info.html")
            .then(|| f.url.replace("/common-info.html", "/documents.html"));
        Ok(Some(TenderCard {
            reg_number: f.reg_number.as_str().to_owned(),
            title: f.title,
            law: f.law.to_string(),
            customer: f.customer,
            customer_inn: f.customer_inn,
            max_price: f.max_price,
            currency: f.currency,
            deadline: f.deadline.map(|d| d.timestamp_millis()),
            stage: f.stage.map(|s| match s {
                Stage::Submission => "Подача заявок".to_owned(),
                Stage::Commission => "Работа комиссии".to_owned(),
                Stage::Completed => "Закупка завершена".to_owned(),
                Stage::Cancelled => "Закупка отменена".to_owned(),
                Stage::Other(name) => name,
            }),
            cancelled: f.cancelled,
            notice_url: f.url,
            documents_url,
            shtab_url: format!("{}/tenders/{}", self.config.public_url(), tender.id),
            searches,
            history,
        }))
    }
}

/// The time the commits logged on a task, as vcs recorded it.
pub struct VcsCommitTime(pub Db);

#[async_trait]
impl CommitTime for VcsCommitTime {
    async fn logged(&self, task_id: &str) -> CoreResult<std::collections::HashMap<String, i64>> {
        shtab_vcs::store::StoredTaskCommits(self.0.clone())
            .logged_minutes(task_id)
            .await
    }
}
