//! The statements robot against a fake T-Bank Business API that answers the documented
//! `GET /api/v1/statement` shapes (see `../shared/reference/tbank-and-1c-statements.md`):
//! cursor paging, balances on the first page, 429 with `Retry-After`, a refused token,
//! server errors. The robot runs in the foreground, so nothing depends on timing.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use shtab_bank::invoices::{self, RawInvoiceInput};
use shtab_bank::store::accounts::{self, AccountId, RawAccountInput};
use shtab_bank::store::payments;
use shtab_core::audit::Actor;
use shtab_core::config::Config;
use shtab_core::robots::{self, RunRow};

use crate::testkit::TestApp;

const GOOD_TOKEN: &str = "t.GOOD-SECRET-TOKEN";
const EXPIRED_TOKEN: &str = "t.EXPIRED-SECRET-TOKEN";
/// The fake serves at most this many operations a page, whatever `limit` asks: a server
/// may always answer with fewer, and the robot must follow the cursor.
const PAGE: usize = 2;

// ---------------------------------------------------------------------------------------
// The fake T-Bank

/// What an account's statement answers, besides its operations.
#[derive(Clone, Copy, Default)]
enum Trouble {
    #[default]
    Healthy,
    /// 429 with `Retry-After: 1` on the first request, then OK.
    ThrottleOnce,
    /// 500 on the first request, then OK.
    ErrorOnce,
    /// 503 with `Retry-After: 0` every time.
    AlwaysDown,
    /// Answers nothing but errors.
    BadRequest,
}

#[derive(Clone, Default)]
struct Fake {
    inner: Arc<Mutex<FakeState>>,
}

#[derive(Default)]
struct FakeState {
    operations: HashMap<String, Vec<Value>>,
    trouble: HashMap<String, Trouble>,
    /// Requests that already met their one-time trouble.
    troubled: HashMap<String, u32>,
    balance_end: HashMap<String, Value>,
    requests: Vec<Seen>,
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
struct Seen {
    account: String,
    authorization: String,
    params: HashMap<String, String>,
    status: u16,
}

impl Fake {
    fn account(&self, number: &str, operations: Vec<Value>, trouble: Trouble) {
        let mut s = self.inner.lock().unwrap();
        s.operations.insert(number.into(), operations);
        s.trouble.insert(number.into(), trouble);
    }

    fn balance(&self, number: &str, balance_end: Value) {
        let mut s = self.inner.lock().unwrap();
        s.balance_end.insert(number.into(), balance_end);
    }

    fn requests(&self, number: &str) -> Vec<Seen> {
        let s = self.inner.lock().unwrap();
        s.requests
            .iter()
            .filter(|r| r.account == number)
            .cloned()
            .collect()
    }

    fn all_requests(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().requests.clone()
    }
}

fn error_body(code: &str, message: &str) -> Value {
    json!({"errorCode": code, "errorMessage": message, "errorId": "9d1d8855fa",
           "errorDetails": {}})
}

async fn statement(
    State(fake): State<Fake>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let account = params.get("accountNumber").cloned().unwrap_or_default();
    let mut s = fake.inner.lock().unwrap();
    let (status, response) = answer(&mut s, &account, &authorization, &params);
    s.requests.push(Seen {
        account,
        authorization,
        params,
        status: status.as_u16(),
    });
    response
}

fn answer(
    s: &mut FakeState,
    account: &str,
    authorization: &str,
    params: &HashMap<String, String>,
) -> (StatusCode, Response) {
    let json_answer =
        |status: StatusCode, body: Value| (status, (status, axum::Json(body)).into_response());
    if authorization == format!("Bearer {EXPIRED_TOKEN}") {
        return json_answer(
            StatusCode::UNAUTHORIZED,
            error_body("UNAUTHORIZED", "Токен недействителен"),
        );
    }
    if authorization != format!("Bearer {GOOD_TOKEN}") {
        return json_answer(
            StatusCode::FORBIDDEN,
            error_body("FORBIDDEN", "Нет доступа"),
        );
    }
    // The documented parameters, in the documented forms.
    for key in ["from", "to"] {
        let ok = params
            .get(key)
            .is_some_and(|v| v.len() == 25 && v.ends_with("T00:00:00+03:00"));
        if !ok {
            return json_answer(
                StatusCode::BAD_REQUEST,
                error_body("INVALID_DATA", &format!("Ваш запрос невалиден: {key}")),
            );
        }
    }
    let Some(ops) = s.operations.get(account).cloned() else {
        return json_answer(
            StatusCode::BAD_REQUEST,
            error_body("INVALID_DATA", "Счёт не найден"),
        );
    };
    let trouble = s.trouble.get(account).copied().unwrap_or_default();
    let first = {
        let n = s.troubled.entry(account.to_owned()).or_insert(0);
        *n += 1;
        *n == 1
    };
    match trouble {
        Trouble::ThrottleOnce if first => {
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(error_body("TOO_MANY_REQUESTS", "Слишком много запросов")),
            )
                .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, "1".parse().unwrap());
            return (StatusCode::TOO_MANY_REQUESTS, r);
        }
        Trouble::ErrorOnce if first => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                (StatusCode::INTERNAL_SERVER_ERROR, "upstream hiccup").into_response(),
            );
        }
        Trouble::AlwaysDown => {
            let mut r = (StatusCode::SERVICE_UNAVAILABLE, "maintenance").into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, "0".parse().unwrap());
            return (StatusCode::SERVICE_UNAVAILABLE, r);
        }
        Trouble::BadRequest => {
            return json_answer(
                StatusCode::BAD_REQUEST,
                error_body("INVALID_DATA", "Ваш запрос невалиден"),
            );
        }
        _ => {}
    }
    // Cursors are opaque to the client; here they are "<account>:<page index>".
    let index = match params.get("cursor") {
        None => 0,
        Some(c) => match c
            .strip_prefix(&format!("{account}:"))
            .and_then(|i| i.parse::<usize>().ok())
        {
            Some(i) => i,
            None => {
                return json_answer(
                    StatusCode::BAD_REQUEST,
                    error_body("INVALID_DATA", "Неверный курсор"),
                );
            }
        },
    };
    let page: Vec<Value> = ops.iter().skip(index * PAGE).take(PAGE).cloned().collect();
    let next = (ops.len() > (index + 1) * PAGE).then(|| format!("{account}:{}", index + 1));
    let mut body = json!({"operations": page, "nextCursor": next});
    if params.get("withBalances").map(String::as_str) == Some("true")
        && let Some(b) = s.balance_end.get(account)
    {
        body["balances"] = json!({ "balanceEnd": b });
    }
    json_answer(StatusCode::OK, body)
}

async fn serve_fake(fake: Fake) -> SocketAddr {
    let router = Router::new()
        .route("/openapi/api/v1/statement", get(statement))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

// ---------------------------------------------------------------------------------------
// Operations, shaped as the statement documents them

const OURS: &str = "40702810310001995295";

/// An incoming payment order.
fn credit(account: &str, id: &str, amount: Value, payer_inn: &str, purpose: &str) -> Value {
    json!({
        "operationId": id,
        "operationDate": "2026-08-19T09:00:00Z",
        "operationStatus": "Transaction",
        "accountNumber": account,
        "bic": "044525974",
        "typeOfOperation": "Credit",
        "category": "contragentPeople",
        "documentNumber": "267",
        "docDate": "2026-08-18T21:00:00Z",
        "operationAmount": amount,
        "operationCurrencyDigitalCode": "643",
        "accountAmount": amount,
        "accountCurrencyDigitalCode": "643",
        "rubleAmount": amount,
        "description": "Перевод",
        "payPurpose": purpose,
        "payVo": "payment-order",
        "priority": 5,
        "payer": {"name": "ООО РОМАШКА", "inn": payer_inn, "kpp": "770701001",
                  "acct": "40702810900000000001", "bicRu": "044525225",
                  "corAcct": "30101810400000000225", "bankName": "ПАО СБЕРБАНК"},
        "receiver": {"name": "ООО АГЕНТСТВО", "inn": "7807402712", "acct": account,
                     "bicRu": "044525974", "corAcct": "30101810145250000974",
                     "bankName": "АО «ТБанк»"}
    })
}

/// The bank's monthly fee: no counterparty account, no `rubleAmount`.
fn fee(account: &str, id: &str) -> Value {
    json!({
        "operationId": id,
        "operationDate": "2026-07-28T00:56:49Z",
        "operationStatus": "Transaction",
        "accountNumber": account,
        "typeOfOperation": "Debit",
        "category": "fee",
        "priority": 5,
        "accountAmount": 1990,
        "accountCurrencyDigitalCode": "643",
        "description": "Плата за обслуживание счета",
        "payPurpose": "Плата за обслуживание счета. Договор 7127308335"
    })
}

/// A card hold: not money yet, never stored.
fn hold(account: &str, id: &str) -> Value {
    json!({
        "operationId": id,
        "operationDate": "2026-08-20T12:30:00Z",
        "authorizationDate": "2026-08-20T12:30:00Z",
        "operationStatus": "Authorization",
        "accountNumber": account,
        "typeOfOperation": "Debit",
        "category": "cardOperation",
        "accountAmount": 5400.5,
        "accountCurrencyDigitalCode": "643",
        "description": "Оплата в YANDEX*CLOUD",
        "mcc": "4816",
        "cardNumber": "220070******1234"
    })
}

/// Six operations on three pages: five booked and one hold.
fn three_pages(account: &str) -> Vec<Value> {
    vec![
        credit(
            account,
            &format!("{account}-0001"),
            json!(4900),
            "7707083893",
            "Оплата по счету № 42 от 19.08.2026. В т.ч. НДС (22%) 883-61",
        ),
        fee(account, &format!("{account}-0002")),
        credit(
            account,
            &format!("{account}-0003"),
            json!(125000.5),
            "7707083893",
            "Оплата по счетам 43, 44. НДС не облагается",
        ),
        hold(account, &format!("{account}-0004")),
        credit(
            account,
            &format!("{account}-0005"),
            json!(19588.49),
            "5000000001",
            "Оплата по договору №2 от 04.09.2024",
        ),
        fee(account, &format!("{account}-0006")),
    ]
}

// ---------------------------------------------------------------------------------------
// Helpers

async fn app_with(fake: &Fake) -> TestApp {
    let addr = serve_fake(fake.clone()).await;
    TestApp::spawn_with(|c| c.bank.tbank_api_url = format!("http://{addr}/openapi/")).await
}

async fn add_account(app: &TestApp, number: &str, token: &str, from: &str) -> AccountId {
    let input = RawAccountInput {
        number: number.into(),
        bic: "044525974".into(),
        bank_name: "АО «ТБанк»".into(),
        tbank_token: token.into(),
        tbank_from: from.into(),
        ..RawAccountInput::default()
    }
    .parse()
    .expect("a valid account");
    accounts::create(&app.db, &Actor::system("test"), &input)
        .await
        .expect("create the account")
        .id
}

async fn run(app: &TestApp) -> RunRow {
    let set = shtab::server::robot_set(&app.db, &app.config);
    robots::run_in_foreground(&app.db, &set, "bank.statements", None)
        .await
        .expect("the robot runs")
}

async fn log_text(app: &TestApp, run: &RunRow) -> String {
    robots::logs(&app.db, run.id)
        .await
        .unwrap()
        .iter()
        .map(|l| format!("{}: {}", l.level, l.message))
        .collect::<Vec<_>>()
        .join("\n")
}

fn param<'a>(seen: &'a Seen, key: &str) -> Option<&'a str> {
    seen.params.get(key).map(String::as_str)
}

// ---------------------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn three_pages_are_stored_once_after_a_429_and_a_second_run_adds_nothing() {
    let fake = Fake::default();
    fake.account(OURS, three_pages(OURS), Trouble::ThrottleOnce);
    fake.balance(OURS, json!(150000.55));
    let app = app_with(&fake).await;
    let id = add_account(&app, OURS, GOOD_TOKEN, "").await;
    // The first credit pays invoice 42 in full; the other two find no invoice.
    let invoice = RawInvoiceInput {
        number: "42".into(),
        issued_on: "2026-08-19".into(),
        payer_name: "ООО РОМАШКА".into(),
        payer_inn: "7707083893".into(),
        amount: "4900".into(),
        ..RawInvoiceInput::default()
    }
    .parse()
    .expect("a valid invoice");
    let invoice = invoices::create(&app.db, &Actor::system("test"), &invoice)
        .await
        .expect("create the invoice");

    let first = run(&app).await;
    let log = log_text(&app, &first).await;
    assert_eq!(first.status, "done", "{:?}\n{log}", first.error);
    let c = first.counters();
    assert_eq!((c["new"], c["known"]), (5, 0), "{c:?}");
    assert_eq!((c["matched"], c["needs_attention"]), (1, 2), "{c:?}");
    let invoice = invoices::get(&app.db, invoice.id).await.unwrap();
    assert_eq!(invoices::state_str(invoice.state), "paid");
    assert_eq!(payments::count_for_account(&app.db, id).await.unwrap(), 5);

    // The 429 was waited out and asked again; then three pages by cursor.
    let seen = fake.requests(OURS);
    let statuses: Vec<u16> = seen.iter().map(|s| s.status).collect();
    assert_eq!(statuses, [429, 200, 200, 200]);
    assert!(
        seen.iter()
            .all(|s| s.authorization == format!("Bearer {GOOD_TOKEN}"))
    );
    assert_eq!(param(&seen[1], "withBalances"), Some("true"));
    assert_eq!(param(&seen[1], "cursor"), None);
    assert_eq!(
        param(&seen[2], "cursor"),
        Some(format!("{OURS}:1").as_str())
    );
    assert_eq!(param(&seen[2], "withBalances"), None);
    assert_eq!(
        param(&seen[3], "cursor"),
        Some(format!("{OURS}:2").as_str())
    );

    // The balance of the first page, and the cursor a day behind today.
    let account = accounts::get(&app.db, id).await.unwrap();
    assert_eq!(account.balance.map(|b| b.as_i64()), Some(15_000_055));
    let cursor = account.tbank_from.expect("the cursor moved");
    let to = param(&seen[1], "to").unwrap();
    let today_plus_one = cursor.succ_opt().and_then(|d| d.succ_opt()).unwrap();
    assert_eq!(to, format!("{today_plus_one}T00:00:00+03:00"));
    // Without a start date, the first pull goes `bank.statement_days` (30) back.
    let month_ago = (0..29).fold(cursor, |d, _| d.pred_opt().unwrap());
    assert_eq!(
        param(&seen[1], "from"),
        Some(format!("{month_ago}T00:00:00+03:00").as_str())
    );

    // The token is never written anywhere a person reads.
    assert!(!log.contains(GOOD_TOKEN), "{log}");

    let second = run(&app).await;
    assert_eq!(second.status, "done", "{:?}", second.error);
    let c = second.counters();
    assert_eq!((c["new"], c["known"]), (0, 5), "{c:?}");
    assert_eq!((c["matched"], c["needs_attention"]), (0, 0), "{c:?}");
    assert_eq!(payments::count_for_account(&app.db, id).await.unwrap(), 5);
    let again = &fake.requests(OURS)[4];
    assert_eq!(
        param(again, "from"),
        Some(format!("{cursor}T00:00:00+03:00").as_str())
    );
}

#[tokio::test]
async fn a_refused_token_fails_the_run_with_the_token_message_and_stores_nothing() {
    let fake = Fake::default();
    fake.account(OURS, three_pages(OURS), Trouble::Healthy);
    let app = app_with(&fake).await;
    let id = add_account(&app, OURS, EXPIRED_TOKEN, "2026-08-01").await;

    let r = run(&app).await;
    let log = log_text(&app, &r).await;
    assert_eq!(r.status, "failed");
    let error = r.error.clone().unwrap_or_default();
    assert!(error.contains(OURS), "{error}");
    let message =
        "the T-Bank token was refused (expired or wrong): replace it on the account's page";
    assert!(error.contains(message), "{error}");
    assert!(log.contains(&format!("error: {OURS}: {message}")), "{log}");
    assert!(!log.contains(EXPIRED_TOKEN) && !error.contains(EXPIRED_TOKEN));
    // Refused at once: a token does not get better by asking again.
    assert_eq!(fake.requests(OURS).len(), 1);
    assert_eq!(payments::count_for_account(&app.db, id).await.unwrap(), 0);
    let account = accounts::get(&app.db, id).await.unwrap();
    assert_eq!(
        account.tbank_from.map(|d| d.to_string()).as_deref(),
        Some("2026-08-01")
    );
    assert_eq!(account.balance, None);
}

#[tokio::test]
async fn an_account_whose_api_fails_does_not_stop_the_others() {
    // Listed by number: the failing ones come first, the good one after them.
    let expired = "40702810000000000011";
    let down = "40702810000000000022";
    let refused = "40702810000000000033";
    let fake = Fake::default();
    fake.account(expired, three_pages(expired), Trouble::Healthy);
    fake.account(down, three_pages(down), Trouble::AlwaysDown);
    fake.account(refused, three_pages(refused), Trouble::BadRequest);
    fake.account(OURS, three_pages(OURS), Trouble::Healthy);
    let app = app_with(&fake).await;
    let expired_id = add_account(&app, expired, EXPIRED_TOKEN, "").await;
    let down_id = add_account(&app, down, GOOD_TOKEN, "").await;
    let refused_id = add_account(&app, refused, GOOD_TOKEN, "").await;
    let good = add_account(&app, OURS, GOOD_TOKEN, "").await;
    // An account without a token has no T-Bank source: never asked about.
    let _file_only = add_account(&app, "40702810000000000044", "", "").await;

    let r = run(&app).await;
    let log = log_text(&app, &r).await;
    assert_eq!(r.status, "failed");
    let error = r.error.clone().unwrap_or_default();
    for number in [expired, down, refused] {
        assert!(error.contains(number), "{error}");
    }
    assert!(!error.contains(OURS), "{error}");
    assert!(error.contains("HTTP 503 5 times in a row"), "{error}");
    assert!(
        error.contains("HTTP 400: INVALID_DATA: Ваш запрос невалиден"),
        "{error}"
    );
    assert_eq!(r.counters()["failed"], 3, "{log}");
    assert_eq!(r.counters()["new"], 5, "{log}");
    assert_eq!(payments::count_for_account(&app.db, good).await.unwrap(), 5);
    for id in [expired_id, down_id, refused_id] {
        assert_eq!(payments::count_for_account(&app.db, id).await.unwrap(), 0);
    }
    assert_eq!(fake.requests(down).len(), 5, "five attempts on 503");
    assert!(
        fake.all_requests()
            .iter()
            .all(|s| s.account != "40702810000000000044")
    );
}

#[tokio::test]
async fn a_server_error_is_tried_again() {
    let fake = Fake::default();
    fake.account(OURS, three_pages(OURS), Trouble::ErrorOnce);
    let app = app_with(&fake).await;
    let id = add_account(&app, OURS, GOOD_TOKEN, "").await;

    let r = run(&app).await;
    assert_eq!(r.status, "done", "{:?}", r.error);
    let statuses: Vec<u16> = fake.requests(OURS).iter().map(|s| s.status).collect();
    assert_eq!(statuses, [500, 200, 200, 200]);
    assert_eq!(payments::count_for_account(&app.db, id).await.unwrap(), 5);
}

/// A one-payment 1CClientBankExchange file for `account` (UTF-8, CRLF).
fn onec_file(account: &str) -> String {
    format!(
        "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКодировка=Windows\r\n\
         ДатаНачала=01.02.2026\r\nДатаКонца=01.02.2026\r\nРасчСчет={account}\r\n\
         СекцияДокумент=Платежное поручение\r\nНомер=7\r\nДата=01.02.2026\r\nСумма=1500.00\r\n\
         ПлательщикСчет=40702810900000000001\r\nПлательщик=ООО «Ромашка»\r\n\
         ПлательщикИНН=7707083893\r\nПолучательСчет={account}\r\nПолучатель=Агентство\r\n\
         ДатаПоступило=01.02.2026\r\nНазначениеПлатежа=Оплата по счету № 7\r\n\
         КонецДокумента\r\nКонецФайла\r\n"
    )
}

#[tokio::test]
async fn the_inbox_folder_is_imported_and_a_bad_file_is_named() {
    let inbox = tempfile::tempdir().unwrap();
    let dir = inbox.path().to_str().unwrap().to_owned();
    let app = TestApp::spawn_with(|c| c.bank.inbox_dir = dir).await;
    // No T-Bank token: the inbox alone.
    let id = add_account(&app, OURS, "", "").await;
    std::fs::write(inbox.path().join("kl_to_1c.txt"), onec_file(OURS)).unwrap();
    std::fs::write(
        inbox.path().join("zz_broken.txt"),
        "1CClientBankExchange\r\nno pair\r\n",
    )
    .unwrap();

    let r = run(&app).await;
    assert_eq!(r.status, "failed");
    let error = r.error.clone().unwrap_or_default();
    assert!(
        error.contains("inbox file zz_broken.txt: line 2"),
        "{error}"
    );
    let c = r.counters();
    assert_eq!((c["new"], c["files"], c["failed"]), (1, 1, 1), "{c:?}");
    assert_eq!(c["matched"] + c["needs_attention"], 1, "{c:?}");
    assert_eq!(payments::count_for_account(&app.db, id).await.unwrap(), 1);
    assert!(inbox.path().join("done/kl_to_1c.txt").is_file());
    assert!(inbox.path().join("failed/zz_broken.txt").is_file());

    // Both files were moved away: the next run has nothing to do and succeeds.
    let again = run(&app).await;
    assert_eq!(again.status, "done", "{:?}", again.error);
    assert_eq!(again.counters()["new"], 0);
}

#[test]
fn bank_keys_come_from_the_environment() {
    let env = [
        ("SHTAB_BANK_TBANK_API_URL", "http://127.0.0.1:9/openapi"),
        ("SHTAB_BANK_INBOX_DIR", "/srv/bank/inbox"),
        ("SHTAB_BANK_STATEMENT_DAYS", "7"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let loaded = Config::load(None, env).expect("loads");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let bank = loaded.config.bank;
    assert_eq!(bank.tbank_api_url, "http://127.0.0.1:9/openapi");
    assert_eq!(bank.inbox_dir.as_str(), "/srv/bank/inbox");
    assert_eq!(bank.statement_days, 7);
    let defaults = Config::load(None, Vec::new()).unwrap().config.bank;
    assert_eq!(defaults.tbank_api_url, "https://business.tbank.ru/openapi");
    assert_eq!(defaults.inbox_dir, "");
    assert_eq!(defaults.statement_days, 30);
}
