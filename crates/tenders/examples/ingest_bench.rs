//! Time to ingest one search's feed of N tenders (default 500) through the real path: the
//! portal client fetches the RSS feed and each new tender's notice XML from an in-process
//! fake portal on 127.0.0.1, the tenders are stored in one transaction, and the built-in CRM
//! gets a deal per tender. A second run (everything known) is timed too. Prints JSON lines.
//!
//!   cargo run --release -p shtab-tenders --example ingest_bench -- [N] [DATABASE_URL]
//!
//! Without DATABASE_URL: a fresh SQLite file in a temp directory (removed afterwards). With a
//! PostgreSQL URL, the database must be empty (the bench script creates and drops one).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use shtab_core::audit::Actor;
use shtab_core::config::{Config, Secret};
use shtab_tenders::domain::SavedSearchSpec;
use shtab_tenders::service::Ingest;
use shtab_tenders::store::searches::{self, SearchInput};

fn reg(n: usize) -> String {
    format!("03732002155260{n:05}")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The feed in the portal's shape: no guid, the number in the link, a double-encoded description.
fn feed(n: usize) -> String {
    let mut items = String::new();
    for i in 1..=n {
        let link = format!(
            "https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber={}",
            reg(i)
        );
        let html = format!(
            "<strong>Электронный аукцион</strong> <a href='{link}'><strong>{r}</strong></a><br/>\
<strong>Наименование объекта закупки: </strong>Охрана объекта {i}<br/><strong>Размещение выполняется по: </strong>44-ФЗ<br/>\
<strong>Наименование Заказчика: </strong>ГБУ «Жилищник {i}»<br/><strong>Начальная цена контракта: </strong>441666.67\
<strong> Валюта: </strong>Российский рубль<br/><strong>Размещено: </strong>29.07.2026<br/>\
<strong>Обновлено: </strong>29.07.2026<br/><strong>Этап размещения: </strong>Подача заявок<br/>",
            r = reg(i)
        );
        items.push_str(&format!(
            "<item><title>Электронный аукцион №{r}</title><link>{l}</link><description>{d}</description>\
<pubDate>Wed, 29 Jul 2026 06:59:12 GMT</pubDate><author>ГБУ</author></item>\n",
            r = reg(i),
            l = escape(&link),
            d = escape(&html)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>\
<title>Результаты поиска в реестре заказов и закупок</title><link>/epz/order/extendedsearch/results.html</link>{items}</channel></rss>"
    )
}

fn notice(reg: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ns3:export xmlns:ns2="http://zakupki.gov.ru/oos/base/1" xmlns:ns3="http://zakupki.gov.ru/oos/export/1" xmlns:ns5="http://zakupki.gov.ru/oos/EPtypes/1"><ns3:epNotificationEF2020>
<ns5:versionNumber>1</ns5:versionNumber><ns5:commonInfo><ns5:purchaseNumber>{reg}</ns5:purchaseNumber>
<ns5:publishDTInEIS>2026-07-29T09:59:12+03:00</ns5:publishDTInEIS>
<ns5:href>https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber={reg}</ns5:href>
<ns5:ETP><ns2:code>ETP_SBAST</ns2:code><ns2:name>АО «Сбербанк-АСТ»</ns2:name></ns5:ETP>
<ns5:purchaseObjectInfo>Охрана объекта</ns5:purchaseObjectInfo></ns5:commonInfo>
<ns5:purchaseResponsibleInfo><ns5:responsibleOrgInfo><ns5:fullName>ГБУ</ns5:fullName><ns5:INN>7701234567</ns5:INN><ns5:KPP>770101001</ns5:KPP></ns5:responsibleOrgInfo><ns5:responsibleRole>CU</ns5:responsibleRole></ns5:purchaseResponsibleInfo>
<ns5:notificationInfo><ns5:procedureInfo><ns5:collectingInfo><ns5:endDT>2099-12-01T10:00:00+03:00</ns5:endDT></ns5:collectingInfo></ns5:procedureInfo>
<ns5:contractConditionsInfo><ns5:maxPriceInfo><ns5:maxPrice>441666.67</ns5:maxPrice><ns5:currency><ns2:code>RUB</ns2:code></ns5:currency></ns5:maxPriceInfo></ns5:contractConditionsInfo>
<ns5:purchaseObjectsInfo><ns5:notDrugPurchaseObjectsInfo><ns5:purchaseObject><ns5:OKPD2><ns2:OKPDCode>80.10.12.000</ns2:OKPDCode></ns5:OKPD2></ns5:purchaseObject></ns5:notDrugPurchaseObjectsInfo></ns5:purchaseObjectsInfo>
</ns5:notificationInfo></ns3:epNotificationEF2020></ns3:export>"#
    )
}

#[derive(serde::Deserialize)]
struct NoticeQuery {
    #[serde(rename = "regNumber")]
    reg_number: String,
}

#[tokio::main]
async fn main() {
    shtab_core::tls::install_crypto_provider();
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let database = args.next();

    let body = Arc::new(feed(n));
    let router = Router::new()
        .route(
            "/epz/order/extendedsearch/rss.html",
            get(|State(b): State<Arc<String>>| async move { (*b).clone() }),
        )
        .route(
            "/epz/order/notice/printForm/viewXml.html",
            get(
                |Query(q): Query<NoticeQuery>| async move { notice(&q.reg_number).into_response() },
            ),
        )
        .with_state(body);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });

    let dir = std::env::temp_dir().join(format!("shtab-ingest-bench-{}", std::process::id()));
    let mut config = Config {
        data_dir: dir.clone(),
        ..Config::default()
    };
    if let Some(url) = &database {
        config.database.url = Secret::new(url.clone());
    }
    config.tenders.portal_url = format!("http://{addr}");
    std::fs::create_dir_all(&dir).unwrap();
    let db = shtab_core::db::connect(&config).await.expect("connect");
    db.migrate(&[shtab_tenders::MIGRATIONS])
        .await
        .expect("migrate");
    let backend = if database.is_some() {
        "postgres"
    } else {
        "sqlite"
    };

    let search = searches::create(
        &db,
        &Actor::system("bench"),
        &SearchInput {
            name: "Охрана".into(),
            spec: SavedSearchSpec {
                keywords: vec!["охрана".into()],
                ..SavedSearchSpec::default()
            },
            responsible: None,
            enabled: true,
            schedule: "*/10 * * * *".into(),
            use_documents: false,
        },
        "Europe/Moscow",
    )
    .await
    .unwrap();
    let crm = Arc::new(shtab_tenders::crm::BuiltinCrm::new(
        db.clone(),
        Arc::new(config.clone()),
    ));
    let ingest = Ingest::from_config(db.clone(), &config.tenders, crm);
    for pass in ["first", "again"] {
        let start = Instant::now();
        let counts = ingest
            .run(&search, &Actor::robot("bench"))
            .await
            .expect("the run succeeds");
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{{\"backend\":\"{backend}\",\"pass\":\"{pass}\",\"items\":{n},\"found\":{},\"new\":{},\"seconds\":{secs:.3}}}",
            counts.found, counts.new
        );
    }
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
