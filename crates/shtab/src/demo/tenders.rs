//! Tenders for the demo company: two saved searches (switched off, so no robot asks the real
//! portal for them), and tenders stored as a search run stores them, each with the deal the
//! CRM makes. Some stay in the inbox; the others are moved by the built-in CRM through every
//! stage of the pipeline, its rules and entry actions included: entering "approval" writes
//! the vendor an e-mail (recorded in the deal's history, never sent), and one deal is stuck
//! there because nobody entered the approved price.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};
use shtab_core::audit::Actor;
use shtab_core::config::{Config, SystemOfRecord};
use shtab_core::db::Db;
use shtab_core::ports::Crm;
use shtab_tenders::crm::BuiltinCrm;
use shtab_tenders::domain::{Kopecks, Law, RegNumber, SavedSearchSpec, Stage, TenderFacts};
use shtab_tenders::service::Ingest;
use shtab_tenders::store::searches::{self, SearchInput};

use super::ledger::{self, kind};

/// (registration number, subject, customer, region, roubles, days to the deadline, the
/// stage its deal goes to)
type DemoTender = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    i64,
    &'static str,
);

const TENDERS: &[DemoTender] = &[
    (
        "0373200000126000101",
        "Разработка и сопровождение официального сайта учреждения",
        "ГБУ г. Москвы «Мосгортранс-Сервис»",
        "77",
        2_400_000,
        12,
        "new",
    ),
    (
        "0348300000126000102",
        "Оказание услуг по технической поддержке информационной системы",
        "Администрация г. Химки",
        "50",
        1_150_000,
        9,
        "new",
    ),
    (
        "32615000103",
        "Создание мобильного приложения для клиентов",
        "АО «Мособлгаз»",
        "50",
        3_800_000,
        15,
        "new",
    ),
    (
        "0373200000126000104",
        "Модернизация портала государственных услуг",
        "ГКУ «Информационный город»",
        "77",
        5_600_000,
        7,
        "reviewing",
    ),
    (
        "0372200000126000105",
        "Разработка личного кабинета пациента",
        "СПб ГБУЗ «Городская поликлиника № 37»",
        "78",
        1_900_000,
        5,
        "approval",
    ),
    (
        "0373200000126000106",
        "Поставка и настройка системы электронного документооборота",
        "ГБУ «Жилищник района Арбат»",
        "77",
        2_750_000,
        4,
        "price_approved",
    ),
    (
        "32615000107",
        "Аудит информационной безопасности веб-ресурсов",
        "ПАО «Мосэнерго»",
        "77",
        980_000,
        2,
        "filed",
    ),
    (
        "0348300000126000108",
        "Редизайн и перенос сайта на новую платформу",
        "Администрация г. Подольска",
        "50",
        1_450_000,
        -20,
        "won",
    ),
    (
        "0373200000126000109",
        "Уборка помещений и прилегающей территории",
        "ГБУ «Жилищник района Хамовники»",
        "77",
        3_100_000,
        10,
        "lost",
    ),
];

/// The vendor whose price a deal needs before the application (a made-up address on a
/// domain reserved for examples).
const VENDOR: &str = "tenders@vendor.example";

#[derive(Debug, Default)]
pub struct Added {
    /// Why nothing was made: the deals live in another system.
    pub skipped: Option<&'static str>,
    pub searches: usize,
    pub tenders: usize,
    pub deals: usize,
}

pub async fn load(db: &Db, config: &Config, actor: &Actor) -> anyhow::Result<Added> {
    let mut added = Added::default();
    if config.systems.deals != SystemOfRecord::Shtab {
        // The inbox and the board would look the demo's deals up there.
        added.skipped = Some("deals live in another system (systems.deals)");
        return Ok(added);
    }
    if ledger::has(db, kind::TENDER_SEARCH).await? {
        return Ok(added);
    }
    let responsible = shtab_core::demo::person(db, "olga.sokolova").await?;
    let zone = &config.server.time_zone;
    let web = searches::create(
        db,
        actor,
        &search_input(
            "Сайты и порталы (демо)",
            &["разработка сайта", "портал", "мобильное приложение"],
            &["62"],
            responsible,
        ),
        zone,
    )
    .await?;
    ledger::record(db, kind::TENDER_SEARCH, web.id).await?;
    let support = searches::create(
        db,
        actor,
        &search_input(
            "Поддержка и аудит (демо)",
            &["техническая поддержка", "аудит", "документооборот"],
            &["62", "63"],
            responsible,
        ),
        zone,
    )
    .await?;
    ledger::record(db, kind::TENDER_SEARCH, support.id).await?;
    added.searches = 2;

    let crm = BuiltinCrm::new(db.clone(), Arc::new(config.clone()));
    let ingest = Ingest::new(
        db.clone(),
        Err(shtab_tenders::sources::portal::PortalError::Setup(
            "the demo company's tenders are made on this machine".into(),
        )),
        Arc::new(crm.clone()) as Arc<dyn Crm>,
    );
    let now = Utc::now();
    let (first, second) = TENDERS.split_at(5);
    let mut stored = Vec::new();
    for (search, part) in [(&web, first), (&support, second)] {
        let found: Vec<(TenderFacts, &str)> = part
            .iter()
            .map(|t| Ok((facts(t, now)?, "rss")))
            .collect::<anyhow::Result<_>>()?;
        let (_, ids) = ingest.store_found(search, &found, actor).await?;
        stored.extend(ids.into_iter().zip(part));
    }
    for (tender_id, (_, _, _, _, roubles, _, stage)) in stored {
        ledger::record(db, kind::TENDER, tender_id).await?;
        added.tenders += 1;
        let tender = shtab_tenders::store::tenders::get(db, tender_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the demo tender {tender_id} is gone"))?;
        let Some(deal) = tender
            .deal_id
            .as_deref()
            .and_then(|d| d.parse::<i64>().ok())
        else {
            continue;
        };
        ledger::record(db, kind::DEAL, deal).await?;
        added.deals += 1;
        walk(db, &crm, deal, stage, roubles * 100, actor).await?;
    }
    Ok(added)
}

fn search_input(
    name: &str,
    keywords: &[&str],
    okpd2: &[&str],
    responsible: Option<shtab_core::ids::PersonId>,
) -> SearchInput {
    SearchInput {
        name: name.into(),
        spec: SavedSearchSpec {
            keywords: keywords.iter().map(|k| (*k).to_string()).collect(),
            okpd2_prefixes: okpd2.iter().map(|k| (*k).to_string()).collect(),
            regions: vec!["77".into(), "50".into(), "78".into()],
            ..Default::default()
        },
        responsible,
        // Off: a running hub would otherwise ask the real portal for these words.
        enabled: false,
        schedule: searches::DEFAULT_SCHEDULE.into(),
        use_documents: false,
    }
}

fn facts(
    (number, title, customer, region, roubles, deadline_days, _): &DemoTender,
    now: DateTime<Utc>,
) -> anyhow::Result<TenderFacts> {
    let reg_number = RegNumber::parse(number)?;
    let law = reg_number.law();
    let url = match law {
        Law::Fz44 => format!(
            "https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber={number}"
        ),
        Law::Fz223 => format!(
            "https://zakupki.gov.ru/epz/order/notice/notice223/common-info.html?regNumber={number}"
        ),
    };
    let finished = *deadline_days < 0;
    Ok(TenderFacts {
        reg_number,
        law,
        title: (*title).into(),
        url,
        customer: Some((*customer).into()),
        customer_inn: None,
        region: Some((*region).into()),
        max_price: Some(Kopecks(roubles * 100)),
        currency: Some("RUB".into()),
        published_at: Some(now - Duration::days(20 - deadline_days.min(&0))),
        deadline: Some(now + Duration::days(*deadline_days)),
        okpd2: vec!["62.01.11.000".into()],
        platform: Some("АО «Сбербанк-АСТ»".into()),
        stage: Some(if finished {
            Stage::Completed
        } else {
            Stage::Submission
        }),
        notice_version: Some(1),
        cancelled: false,
        feed_updated: Some((now - Duration::days(1)).format("%Y-%m-%d").to_string()),
    })
}

/// Moves a deal from "new" to `stage` the way a team does: through each stage before it,
/// filling in what each rule asks for on the way.
async fn walk(
    crm_db: &Db,
    crm: &BuiltinCrm,
    deal: i64,
    stage: &str,
    max_price: i64,
    actor: &Actor,
) -> anyhow::Result<()> {
    let path: &[&str] = match stage {
        "new" => &[],
        "lost" => &["lost"],
        "reviewing" => &["reviewing"],
        "approval" => &["reviewing", "approval"],
        "price_approved" => &["reviewing", "approval", "price_approved"],
        "filed" => &["reviewing", "approval", "price_approved", "filed"],
        _ => &["reviewing", "approval", "price_approved", "filed", "won"],
    };
    for to in path {
        match *to {
            "approval" => {
                set(
                    crm,
                    deal,
                    json!({"recommended_price": max_price * 9 / 10, "vendor_email": VENDOR}),
                    actor,
                )
                .await?;
            }
            "price_approved" => {
                set(
                    crm,
                    deal,
                    json!({"approved_price": max_price * 85 / 100}),
                    actor,
                )
                .await?;
            }
            _ => {}
        }
        crm.move_to(deal, to, actor).await?;
        // Entering "approval" wrote the vendor: recorded, never sent.
        super::jobs::drop_deal_emails(crm_db, deal).await?;
    }
    if stage == "approval" {
        // The deal waits for the vendor's price: moving on is refused by the pipeline's
        // rule until someone enters it, which is what the deal page then says.
        let refused = crm.move_to(deal, "price_approved", actor).await;
        debug_assert!(
            refused.is_err(),
            "the approved price rule let the deal through"
        );
    }
    Ok(())
}

async fn set(crm: &BuiltinCrm, deal: i64, fields: Value, actor: &Actor) -> anyhow::Result<()> {
    let fields: Map<String, Value> = match fields {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    crm.write(deal, &fields, actor, true).await?;
    Ok(())
}
