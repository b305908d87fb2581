//! A fake procurement portal (EIS) for the tenders tests, answering in the shapes of
//! `../shared/reference/eis-procurement.md`: the RSS search feed (no `<guid>`, identity in
//! the link, double-encoded HTML description), a notice's XML (`viewXml.html`, 44-FZ
//! `export/epNotificationEF2020` or `epNotificationCancel`), the document service (SOAP
//! `getDocsIP` → `archiveUrl` → a ZIP of notice XML, token in header) and the portal's HTML
//! error page «Сервис временно недоступен».

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub const TOKEN: &str = "fake-individual-token";

/// One tender the fake portal knows.
#[derive(Debug, Clone)]
pub struct FakeTender {
    pub reg: String,
    pub title: String,
    pub customer: String,
    pub inn: String,
    pub kpp: String,
    /// Roubles as the portal writes them (`441666.67`).
    pub price: String,
    /// «Обновлено», dd.mm.yyyy.
    pub updated: String,
    /// RFC 3339 with the Moscow offset.
    pub deadline: String,
    pub okpd2: String,
    pub version: u32,
    pub cancelled: bool,
}

impl FakeTender {
    pub fn new(n: u32, title: &str) -> FakeTender {
        FakeTender {
            reg: format!("03732002155260{n:05}"),
            title: title.into(),
            customer: format!("ГБУ «Жилищник района № {n}»"),
            inn: "7701234567".into(),
            kpp: "770101001".into(),
            price: "441666.67".into(),
            updated: "29.07.2026".into(),
            deadline: "2099-12-01T10:00:00+03:00".into(),
            okpd2: "80.10.12.000".into(),
            version: 1,
            cancelled: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Ok,
    /// The feed answers with the portal's HTML stub.
    HtmlError,
    /// The feed answers after a long pause.
    Slow,
    /// Notice XML is cut off half-way.
    BrokenNotice,
}

#[derive(Default)]
struct State_ {
    tenders: Vec<FakeTender>,
    mode: Option<Mode>,
    /// Notices of the document service's archive.
    archive: Vec<FakeTender>,
    feed_requests: usize,
    notice_requests: usize,
    soap_requests: Vec<String>,
    addr: Option<SocketAddr>,
}

#[derive(Clone, Default)]
pub struct FakePortal(Arc<Mutex<State_>>);

impl FakePortal {
    pub fn set(&self, tenders: Vec<FakeTender>) {
        self.0.lock().unwrap().tenders = tenders;
    }
    pub fn edit(&self, f: impl FnOnce(&mut Vec<FakeTender>)) {
        f(&mut self.0.lock().unwrap().tenders);
    }
    pub fn mode(&self, mode: Mode) {
        self.0.lock().unwrap().mode = Some(mode);
    }
    pub fn archive(&self, tenders: Vec<FakeTender>) {
        self.0.lock().unwrap().archive = tenders;
    }
    pub fn notice_requests(&self) -> usize {
        self.0.lock().unwrap().notice_requests
    }
    pub fn soap_requests(&self) -> Vec<String> {
        self.0.lock().unwrap().soap_requests.clone()
    }

    fn current_mode(&self) -> Mode {
        self.0.lock().unwrap().mode.unwrap_or(Mode::Ok)
    }

    pub async fn serve(&self) -> SocketAddr {
        let router = Router::new()
            .route("/epz/order/extendedsearch/rss.html", get(feed))
            .route("/epz/order/notice/printForm/viewXml.html", get(notice))
            .route("/eis-integration/services/getDocsIP", post(soap))
            .route("/archives/{name}", get(archive))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        self.0.lock().unwrap().addr = Some(addr);
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        addr
    }
}

pub const HTML_ERROR: &str = "<!DOCTYPE html>\n<html lang=\"ru\">\n  <head><title>Ошибка</title></head>\n  \
<body><h1>Сервис временно недоступен</h1></body>\n</html>\n";

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn rss_item(t: &FakeTender) -> String {
    let link = format!(
        "https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber={}",
        t.reg
    );
    let stage = if t.cancelled {
        "Определение поставщика отменено"
    } else {
        "Подача заявок"
    };
    // The description is HTML, escaped once more for XML: the portal's double encoding.
    let html = format!(
        "<b>Параметры поиска: </b><br/><strong>Искомое слово (словосочетание): </strong>охрана<br/>\
<strong>Закупки по: </strong>44-ФЗ<br/><br><strong>Найденный результат:</strong><br/>\
<strong>Электронный аукцион</strong> <a href='{link}' target='_blank' ><strong>№ </strong><strong>{reg}</strong></a><br/>\
<strong>Наименование объекта закупки: </strong>{title} <br/><strong>Размещение выполняется по: </strong>44-ФЗ<br/>\
<strong>Наименование Заказчика: </strong>{customer}<br/><strong>Начальная цена контракта: </strong>{price}\
<strong> Валюта: </strong>Российский рубль<br/><strong>Размещено: </strong>29.07.2026<br/>\
<strong>Обновлено: </strong>{updated}<br/><strong>Этап размещения: </strong>{stage}<br/>\
<strong>Идентификационный код закупки (ИКЗ): </strong>262772208653977220100106930010000244<br/>",
        reg = t.reg,
        title = t.title,
        customer = t.customer,
        price = t.price,
        updated = t.updated,
    );
    format!(
        "<item>\n<title>Электронный аукцион №{reg}</title>\n<link>{link}</link>\n\
<description>{desc}</description>\n<pubDate>Wed, 29 Jul 2026 06:59:12 GMT</pubDate>\n\
<author>{author}</author>\n</item>\n",
        reg = t.reg,
        link = xml_escape(&link),
        desc = xml_escape(&html),
        author = xml_escape(&t.customer),
    )
}

pub fn rss(tenders: &[FakeTender]) -> String {
    let items: String = tenders.iter().map(rss_item).collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\">\n<channel>\n\
<title>Результаты поиска в реестре заказов и закупок</title>\n\
<link>/epz/order/extendedsearch/results.html?searchString=%D0%BE%D1%85%D1%80%D0%B0%D0%BD%D0%B0&amp;morphology=on</link>\n\
<description>Результаты поиска в реестре заказов и закупок</description>\n{items}</channel>\n</rss>\n"
    )
}

/// A 44-FZ notice in the 2020 export shape (prefixes as the portal numbers them).
pub fn notice_xml(t: &FakeTender) -> String {
    let kind = if t.cancelled {
        "epNotificationCancel"
    } else {
        "epNotificationEF2020"
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<ns3:export xmlns="http://zakupki.gov.ru/oos/types/1" xmlns:ns2="http://zakupki.gov.ru/oos/base/1" xmlns:ns3="http://zakupki.gov.ru/oos/export/1" xmlns:ns4="http://zakupki.gov.ru/oos/common/1" xmlns:ns5="http://zakupki.gov.ru/oos/EPtypes/1">
<ns3:{kind} schemeVersion="15.3">
<ns5:id>{id}</ns5:id>
<ns5:versionNumber>{version}</ns5:versionNumber>
<ns5:commonInfo>
<ns5:purchaseNumber>{reg}</ns5:purchaseNumber>
<ns5:docNumber>№{reg}</ns5:docNumber>
<ns5:publishDTInEIS>2026-07-29T09:59:12.421+03:00</ns5:publishDTInEIS>
<ns5:href>https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber={reg}</ns5:href>
<ns5:placingWay><ns2:code>EAP20</ns2:code><ns2:name>Электронный аукцион</ns2:name></ns5:placingWay>
<ns5:ETP><ns2:code>ETP_SBAST</ns2:code><ns2:name>АО «Сбербанк-АСТ»</ns2:name><ns2:url>http://www.sberbank-ast.ru</ns2:url></ns5:ETP>
<ns5:purchaseObjectInfo>{title}</ns5:purchaseObjectInfo>
</ns5:commonInfo>
<ns5:purchaseResponsibleInfo>
<ns5:responsibleOrgInfo><ns5:regNum>03732002155</ns5:regNum><ns5:fullName>{customer}</ns5:fullName><ns5:INN>{inn}</ns5:INN><ns5:KPP>{kpp}</ns5:KPP></ns5:responsibleOrgInfo>
<ns5:responsibleRole>CU</ns5:responsibleRole>
</ns5:purchaseResponsibleInfo>
<ns5:notificationInfo>
<ns5:procedureInfo><ns5:collectingInfo><ns5:startDT>2026-07-29T09:59:12+03:00</ns5:startDT><ns5:endDT>{deadline}</ns5:endDT></ns5:collectingInfo></ns5:procedureInfo>
<ns5:contractConditionsInfo><ns5:maxPriceInfo><ns5:maxPrice>{price}</ns5:maxPrice><ns5:currency><ns2:code>RUB</ns2:code><ns2:name>Российский рубль</ns2:name></ns5:currency></ns5:maxPriceInfo></ns5:contractConditionsInfo>
<ns5:purchaseObjectsInfo><ns5:notDrugPurchaseObjectsInfo><ns4:purchaseObject><ns4:OKPD2><ns2:OKPDCode>{okpd2}</ns2:OKPDCode><ns2:OKPDName>Услуги охраны</ns2:OKPDName></ns4:OKPD2></ns4:purchaseObject></ns5:notDrugPurchaseObjectsInfo></ns5:purchaseObjectsInfo>
</ns5:notificationInfo>
</ns3:{kind}>
</ns3:export>
"#,
        id = 1000 + t.version,
        version = t.version,
        reg = t.reg,
        title = xml_escape(&t.title),
        customer = xml_escape(&t.customer),
        inn = t.inn,
        kpp = t.kpp,
        deadline = t.deadline,
        price = t.price,
        okpd2 = t.okpd2,
    )
}

fn xml_response(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn feed(State(fake): State<FakePortal>) -> Response {
    let mode = fake.current_mode();
    let tenders = {
        let mut s = fake.0.lock().unwrap();
        s.feed_requests += 1;
        s.tenders.clone()
    };
    match mode {
        // The portal sends its stub with 200 and an HTML type.
        Mode::HtmlError => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            HTML_ERROR,
        )
            .into_response(),
        Mode::Slow => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            xml_response(rss(&tenders))
        }
        _ => xml_response(rss(&tenders)),
    }
}

#[derive(serde::Deserialize)]
struct NoticeQuery {
    #[serde(rename = "regNumber")]
    reg_number: String,
}

async fn notice(State(fake): State<FakePortal>, Query(q): Query<NoticeQuery>) -> Response {
    let mode = fake.current_mode();
    let found = {
        let mut s = fake.0.lock().unwrap();
        s.notice_requests += 1;
        s.tenders
            .iter()
            .chain(s.archive.iter())
            .find(|t| t.reg == q.reg_number)
            .cloned()
    };
    match found {
        Some(t) if mode == Mode::BrokenNotice => {
            let xml = notice_xml(&t);
            xml_response(xml[..xml.len() / 2].to_string())
        }
        Some(t) => xml_response(notice_xml(&t)),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

async fn soap(State(fake): State<FakePortal>, body: String) -> Response {
    fake.0.lock().unwrap().soap_requests.push(body.clone());
    if !body.contains(&format!(
        "<individualPerson_token>{TOKEN}</individualPerson_token>"
    )) {
        let fault = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>Токен не найден или недействителен</faultstring></soap:Fault></soap:Body></soap:Envelope>"#;
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
            fault,
        )
            .into_response();
    }
    // Only e-auctions of region 77 have an archive that day.
    let (has_archive, addr) = {
        let s = fake.0.lock().unwrap();
        (!s.archive.is_empty(), s.addr.expect("serving"))
    };
    let urls = if body.contains("<orgRegion>77</orgRegion>")
        && body.contains("<documentType44>epNotificationEF2020</documentType44>")
        && has_archive
    {
        format!(
            "<archiveUrl><![CDATA[http://{addr}/archives/region77.zip?ticket=1&part=1]]></archiveUrl>"
        )
    } else {
        String::new()
    };
    let answer = format!(
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ns2:getDocsByOrgRegionResponse xmlns:ns2="http://zakupki.gov.ru/fz44/get-docs-ip/ws"><dataInfo>{urls}</dataInfo></ns2:getDocsByOrgRegionResponse></soap:Body></soap:Envelope>"#
    );
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], answer).into_response()
}

async fn archive(State(fake): State<FakePortal>, headers: HeaderMap) -> Response {
    if headers
        .get("individualPerson_token")
        .and_then(|v| v.to_str().ok())
        != Some(TOKEN)
    {
        return (StatusCode::FORBIDDEN, "no token").into_response();
    }
    let tenders = fake.0.lock().unwrap().archive.clone();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for t in &tenders {
        zip.start_file(
            format!("epNotificationEF2020_{}_{}.xml", t.reg, t.version),
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored),
        )
        .unwrap();
        std::io::Write::write_all(&mut zip, notice_xml(t).as_bytes()).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    ([(header::CONTENT_TYPE, "application/zip")], bytes).into_response()
}
