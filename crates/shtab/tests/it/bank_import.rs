//! Bank accounts and statement import: the real 1C samples, re-import and overlap adding
//! nothing twice, refused files storing nothing, the upload page, permissions, the CLI and
//! the inbox folder.

use std::collections::HashSet;
use std::process::Command;

use serde_json::{Value, json};
use shtab_core::audit::Actor;
use shtab_core::auth::Role;

use crate::testkit::{ApiClient, TestApp, WebClient, json};

const BIN: &str = env!("CARGO_BIN_EXE_shtab");
const OURS: &str = "40702810900000000001";
const PAYER: &str = "40702810900000000099";

/// The real samples that belong to accounts: (file, our accounts in it).
const SAMPLES: &[(&str, &[&str])] = &[
    ("kilylabs_one_day.cp1251.txt", &["40702810200000000001"]),
    (
        "odin_readme_tinkoff_example.utf8.txt",
        &["40802000000000000007"],
    ),
    (
        "odin_taxdev_4645_tinkoff.cp1251.txt",
        &["40802000000000000043"],
    ),
    (
        "odin_two_accounts.cp1251.txt",
        &["40802000000000000069", "40802000000000000071"],
    ),
    (
        "odin_unknown_direction_unicredit.cp1251.txt",
        &["40802000000000000011"],
    ),
    (
        "odin_version_1_03_sber.cp1251.txt",
        &["40802000000000000055"],
    ),
    (
        "xini1_sample2_outgoing_rostelecom.utf8.txt",
        &["40706810900000064381"],
    ),
    (
        "xini1_sample5_tax_payments.utf8.txt",
        &["40702810800030005413"],
    ),
];

fn sample(name: &str) -> Option<Vec<u8>> {
    shtab_core::samples::read(&format!("bank/1c/{name}"))
}

/// How many distinct payments a file holds, by the parser's own keys.
fn distinct_operations(bytes: &[u8]) -> u64 {
    let parsed = shtab_bank::sources::parse_any(bytes).expect("the sample parses");
    let keys: HashSet<&str> = parsed
        .operations
        .iter()
        .map(|p| p.operation.key.as_str())
        .collect();
    keys.len() as u64
}

/// An incoming payment order to [`OURS`] from [`PAYER`].
fn doc(number: &str, amount: &str) -> String {
    format!(
        "СекцияДокумент=Платежное поручение\r\nНомер={number}\r\nДата=02.02.2026\r\nСумма={amount}\r\n\
         ПлательщикСчет={PAYER}\r\nПлательщик=ООО «Ромашка»\r\nПлательщикИНН=7707083893\r\n\
         ПолучательСчет={OURS}\r\nПолучатель=Агентство\r\nДатаПоступило=02.02.2026\r\n\
         НазначениеПлатежа=Оплата по счету № {number} от 01.02.2026\r\nКонецДокумента\r\n"
    )
}

/// A statement of `account` (UTF-8, CRLF) with `docs` and a closing balance.
fn statement(account: &str, docs: &[String]) -> Vec<u8> {
    format!(
        "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКодировка=Windows\r\nДатаНачала=01.02.2026\r\n\
         ДатаКонца=03.02.2026\r\nРасчСчет={account}\r\nСекцияРасчСчет\r\nДатаНачала=01.02.2026\r\n\
         ДатаКонца=03.02.2026\r\nРасчСчет={account}\r\nНачальныйОстаток=0.00\r\n\
         КонечныйОстаток=1500.00\r\nКонецРасчСчет\r\n{}КонецФайла\r\n",
        docs.concat()
    )
    .into_bytes()
}

async fn add_account(api: &ApiClient, number: &str) -> i64 {
    let body = json(
        api.post("/api/v1/bank/accounts").json(&json!({
            "number": number,
            "bic": "044525974",
            "bank_name": "АО «ТБанк»",
        })),
        201,
    )
    .await;
    body["id"].as_i64().unwrap()
}

async fn import(api: &ApiClient, name: &str, bytes: &[u8], status: u16) -> Value {
    json(
        api.post("/api/v1/bank/imports")
            .query(&[("file_name", name)])
            .body(bytes.to_vec()),
        status,
    )
    .await
}

async fn accountant(app: &TestApp) -> ApiClient {
    app.token_as("buh@agency.test", &[Role::Accountant]).await
}

#[tokio::test]
async fn every_sample_imports_once_and_again_adds_nothing() {
    let app = TestApp::spawn().await;
    let api = accountant(&app).await;
    for (name, accounts) in SAMPLES {
        let Some(bytes) = sample(name) else {
            return;
        };
        for a in *accounts {
            add_account(&api, a).await;
        }
        let expected = distinct_operations(&bytes);
        assert!(expected > 0, "{name}");
        let first = import(&api, name, &bytes, 200).await;
        assert_eq!(
            (first["new"].as_u64(), first["known"].as_u64()),
            (Some(expected), Some(0)),
            "{name}: {first}"
        );
        assert_eq!(first["accounts"].as_array().unwrap().len(), accounts.len());
        let again = import(&api, name, &bytes, 200).await;
        assert_eq!(
            (again["new"].as_u64(), again["known"].as_u64()),
            (Some(0), Some(expected)),
            "{name}: {again}"
        );
        assert_eq!(again["message"], format!("0 new, {expected} already known"));
    }
    // 13 documents in the one-day file; the two-account file's transfer between its own
    // accounts is one payment, stored as internal.
    let one_day: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM bank_payments p JOIN bank_accounts a ON a.id = p.account_id \
         WHERE a.number = '40702810200000000001'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(one_day, 13);
    let internal: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM bank_payments WHERE direction = 'internal'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(internal >= 1);

    // The closing balance of the one-day statement is the account's balance now.
    let accounts = json(api.get("/api/v1/bank/accounts"), 200).await;
    let one_day = accounts["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["number"] == "40702810200000000001")
        .unwrap();
    assert_eq!(one_day["balance"], 4_414_591);

    // Incoming payments wait for matching, and matching was queued with them.
    let waiting: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM bank_payments WHERE direction = 'incoming' AND match_state = 'waiting'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let not_incoming_waiting: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM bank_payments WHERE direction <> 'incoming' AND match_state <> 'none'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert!(waiting > 0);
    assert_eq!(not_incoming_waiting, 0);
    let jobs: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'bank.match_payments'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(jobs >= 1);
}

#[tokio::test]
async fn an_overlapping_statement_adds_only_what_is_new() {
    let app = TestApp::spawn().await;
    let api = accountant(&app).await;
    add_account(&api, OURS).await;
    let (a, b, c) = (
        doc("101", "1000.00"),
        doc("102", "250,50"),
        doc("103", "1 000"),
    );
    let first = statement(OURS, &[a.clone(), b.clone()]);
    let second = statement(OURS, &[b, c]);
    let r = import(&api, "day1.txt", &first, 200).await;
    assert_eq!((r["new"].as_u64(), r["known"].as_u64()), (Some(2), Some(0)));
    let r = import(&api, "day2.txt", &second, 200).await;
    assert_eq!((r["new"].as_u64(), r["known"].as_u64()), (Some(1), Some(1)));
    assert_eq!(r["message"], "1 new, 1 already known");
    assert_eq!(app.count("SELECT COUNT(*) FROM bank_payments").await, 3);

    let row: (String, i64, String, String, String) = sqlx::query_as(
        "SELECT direction, amount, op_date, search_text, match_state FROM bank_payments \
         WHERE doc_number = '102'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "incoming".into(),
            25_050,
            "2026-02-02".into(),
            "ооо «ромашка» 7707083893".into(),
            "waiting".into()
        )
    );
    let imports = json(api.get("/api/v1/bank/imports"), 200).await;
    let items = imports["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["file_name"], "day2.txt");
    assert_eq!(
        (items[0]["new"].as_i64(), items[0]["known"].as_i64()),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn a_payer_name_of_thousands_of_characters_is_stored_whole_and_found() {
    let app = TestApp::spawn().await;
    let api = accountant(&app).await;
    add_account(&api, OURS).await;
    // 12 000 bytes, in the payer's name and in the text the payer filter searches.
    let name = format!("ООО «Длинное{}»", " название".repeat(666));
    let file = statement(OURS, &[doc("104", "10.00").replace("ООО «Ромашка»", &name)]);
    let r = import(&api, "long.txt", &file, 200).await;
    assert_eq!(r["new"].as_u64(), Some(1), "{r}");

    let stored: String = sqlx::query_scalar("SELECT payer_name FROM bank_payments")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, name);
    let found = json(
        api.get("/api/v1/bank/payments")
            .query(&[("payer", "длинное название")]),
        200,
    )
    .await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found["items"][0]["payer_name"], name.as_str());
}

/// The bank's fee for a transfer: a bank order from [`OURS`] to the bank's income account.
/// Two of them on one day are identical documents, and two payments.
fn bank_fee() -> String {
    format!(
        "СекцияДокумент=Банковский ордер\r\nНомер=9001\r\nДата=02.02.2026\r\nСумма=49.00\r\n\
         ПлательщикСчет={OURS}\r\nПлательщик=Агентство\r\nПолучательСчет=70601810900000000001\r\n\
         Получатель=АО «ТБанк»\r\nДатаСписано=02.02.2026\r\n\
         НазначениеПлатежа=Комиссия за перевод по платежному поручению\r\nКонецДокумента\r\n"
    )
}

#[tokio::test]
async fn two_equal_bank_fees_in_one_file_are_two_payments_and_a_reimport_adds_nothing() {
    let app = TestApp::spawn().await;
    let api = accountant(&app).await;
    add_account(&api, OURS).await;
    let file = statement(OURS, &[bank_fee(), doc("101", "1000.00"), bank_fee()]);

    let first = import(&api, "fees.txt", &file, 200).await;
    assert_eq!(
        (first["new"].as_u64(), first["known"].as_u64()),
        (Some(3), Some(0)),
        "{first}"
    );
    let fees: Vec<(i64, String)> = sqlx::query_as(
        "SELECT amount, direction FROM bank_payments WHERE doc_number = '9001' ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        fees,
        vec![
            (4_900, "outgoing".to_string()),
            (4_900, "outgoing".to_string())
        ],
        "both fees were taken"
    );

    let again = import(&api, "fees.txt", &file, 200).await;
    assert_eq!(
        (again["new"].as_u64(), again["known"].as_u64()),
        (Some(0), Some(3)),
        "{again}"
    );
    // A later statement repeating the day (with one more fee) adds only that one.
    let later = statement(OURS, &[bank_fee(), bank_fee(), bank_fee()]);
    let r = import(&api, "fees-again.txt", &later, 200).await;
    assert_eq!(
        (r["new"].as_u64(), r["known"].as_u64()),
        (Some(1), Some(2)),
        "{r}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM bank_payments").await, 4);
}

#[tokio::test]
async fn a_tbank_operation_listed_twice_is_still_one_payment() {
    let app = TestApp::spawn().await;
    let api = accountant(&app).await;
    add_account(&api, OURS).await;
    // T-Bank names every operation by its id: the 1C ordinal does not apply to it.
    let fee = |id: &str| {
        json!({
            "operationId": id,
            "operationDate": "2026-02-02T09:00:00Z",
            "operationStatus": "Transaction",
            "accountNumber": OURS,
            "typeOfOperation": "Debit",
            "category": "fee",
            "accountAmount": 49,
            "accountCurrencyDigitalCode": "643",
            "description": "Комиссия за перевод",
            "payPurpose": "Комиссия за перевод"
        })
    };
    let page = json!({"operations": [fee("op-1"), fee("op-1"), fee("op-2")]});
    let bytes = serde_json::to_vec(&page).unwrap();
    let first = import(&api, "tbank.json", &bytes, 200).await;
    assert_eq!(
        (first["new"].as_u64(), first["known"].as_u64()),
        (Some(2), Some(0)),
        "{first}"
    );
    let keys: Vec<String> = sqlx::query_scalar("SELECT op_key FROM bank_payments ORDER BY op_key")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert!(
        keys.iter().all(|k| !k.contains('#')),
        "T-Bank keys are its ids: {keys:?}"
    );
    let again = import(&api, "tbank.json", &bytes, 200).await;
    assert_eq!(
        (again["new"].as_u64(), again["known"].as_u64()),
        (Some(0), Some(2))
    );
}

#[tokio::test]
async fn a_statement_of_an_unknown_account_is_refused_naming_it() {
    let app = TestApp::spawn().await;
    let api = accountant(&app).await;
    add_account(&api, "40702810900000000002").await;
    let body = import(&api, "x.txt", &statement(OURS, &[doc("1", "10")]), 422).await;
    let message = body["error"]["fields"][0]["message"].as_str().unwrap();
    assert_eq!(body["error"]["fields"][0]["field"], "file");
    assert!(message.contains(OURS), "{message}");
    assert_eq!(app.count("SELECT COUNT(*) FROM bank_payments").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM bank_imports").await, 0);
}

#[tokio::test]
async fn broken_files_are_refused_naming_the_line_and_store_nothing() {
    let app = TestApp::spawn().await;
    let api = accountant(&app).await;
    add_account(&api, OURS).await;
    add_account(&api, "40702810200000000001").await;
    let mut cases: Vec<(&str, Vec<u8>, String)> = Vec::new();
    if let Some(bytes) = sample("odin_statement-131911_mojibake_fffd.txt") {
        cases.push(("mojibake", bytes, "line 2".into()));
    }
    if let Some(bytes) = sample("kilylabs_one_day.cp1251.txt") {
        cases.push(("half", bytes[..bytes.len() / 2].to_vec(), "line ".into()));
    }
    let whole = String::from_utf8(statement(OURS, &[doc("1", "10"), doc("2", "20")])).unwrap();
    // Cut before the second document ends: the first is fine, and still nothing is stored.
    let cut = &whole[..whole.rfind("КонецДокумента").unwrap()];
    let last_line = cut.trim_end().lines().count();
    cases.push((
        "truncated",
        cut.as_bytes().to_vec(),
        format!("line {last_line}"),
    ));
    let bad_amount = whole.replace("Сумма=20\r\n", "Сумма=2.0.0\r\n");
    let amount_line = bad_amount.lines().position(|l| l == "Сумма=2.0.0").unwrap() + 1;
    cases.push((
        "bad amount",
        bad_amount.into_bytes(),
        format!("line {amount_line}, Сумма"),
    ));
    for (what, bytes, expected) in cases {
        let body = import(&api, what, &bytes, 422).await;
        let message = body["error"]["fields"][0]["message"].as_str().unwrap();
        assert!(message.contains(&expected), "{what}: {message}");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM bank_payments").await,
            0,
            "{what}"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM bank_imports").await,
            0,
            "{what}"
        );
    }
}

#[tokio::test]
async fn the_token_is_write_only() {
    let app = TestApp::spawn().await;
    let api = accountant(&app).await;
    let created = json(
        api.post("/api/v1/bank/accounts").json(&json!({
            "number": OURS, "bic": "044525974", "tbank_token": "t.SECRET-token-value",
        })),
        201,
    )
    .await;
    assert_eq!(created["has_tbank_token"], true);
    assert!(!created.to_string().contains("SECRET"));
    let id = created["id"].as_i64().unwrap();
    let page = app
        .login_as("buh2@agency.test", &[Role::Accountant])
        .await
        .get_text(&format!("/bank/accounts/{id}"))
        .await;
    assert!(!page.contains("SECRET"));
    let audit: Vec<String> = sqlx::query_scalar("SELECT changes FROM audit_log")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert!(audit.iter().all(|c| !c.contains("SECRET")));
    let token = shtab_bank::store::accounts::tbank_token(
        &app.db,
        shtab_bank::store::accounts::AccountId(id),
    )
    .await
    .unwrap();
    assert_eq!(token.unwrap().expose(), "t.SECRET-token-value");

    let cleared = json(
        api.patch(&format!("/api/v1/bank/accounts/{id}"))
            .json(&json!({"tbank_token": "", "title": "Основной"})),
        200,
    )
    .await;
    assert_eq!(
        (
            cleared["has_tbank_token"].as_bool(),
            cleared["title"].as_str()
        ),
        (Some(false), Some("Основной"))
    );

    // A taken number and a malformed BIC are field errors.
    let dup = json(
        api.post("/api/v1/bank/accounts")
            .json(&json!({"number": OURS, "bic": "0445"})),
        422,
    )
    .await;
    let fields: Vec<&str> = dup["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["bic"]);
    let dup = json(
        api.post("/api/v1/bank/accounts")
            .json(&json!({"number": OURS, "bic": "044525974"})),
        422,
    )
    .await;
    assert_eq!(dup["error"]["fields"][0]["code"], "duplicate_account");
}

/// Posts `file` as the upload form does: multipart, the CSRF token first.
async fn upload(client: &WebClient, name: &str, file: &[u8]) -> reqwest::Response {
    let csrf = client.csrf().await;
    let boundary = "shtab-bank-boundary-91c2";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    client
        .http
        .post(client.url("/bank/import"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_accountant_adds_an_account_and_uploads_through_the_pages() {
    let app = TestApp::spawn().await;
    let web = app.login_as("buh@agency.test", &[Role::Accountant]).await;
    let list = web.get_text("/bank/accounts").await;
    assert!(list.contains("action=\"/bank/accounts\""));

    let bad = web
        .post_form(
            "/bank/accounts",
            &[("number", "4070"), ("bic", "044525974")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("4070"));

    let saved = web
        .post_form(
            "/bank/accounts",
            &[
                ("number", OURS),
                ("bic", "044525974"),
                ("title", "Основной"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let location = saved.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/bank/accounts/"), "{location}");

    let done = upload(
        &web,
        "kl_to_1c.txt",
        &statement(OURS, &[doc("1", "10"), doc("2", "20")]),
    )
    .await;
    assert_eq!(done.status(), 303);
    let target = done.headers()["location"].to_str().unwrap().to_string();
    let page = web.get_text(&target).await;
    assert!(page.contains("2 новых, 0 уже были"), "{page}");
    assert!(page.contains("kl_to_1c.txt"));

    let again = upload(&web, "kl_to_1c.txt", &statement(OURS, &[doc("1", "10")])).await;
    let page = web
        .get_text(again.headers()["location"].to_str().unwrap())
        .await;
    assert!(page.contains("0 новых, 1 уже был"), "{page}");

    let broken = upload(&web, "bad.txt", b"1CClientBankExchange\r\nno pair here\r\n").await;
    assert_eq!(broken.status(), 422);
    let page = broken.text().await.unwrap();
    assert!(page.contains("выписка не читается"), "{page}");
    assert!(page.contains("line 2"), "{page}");

    let account = web.get_text(&location).await;
    assert!(account.contains("1 500,00 ₽"), "{account}");
    assert!(account.contains("kl_to_1c.txt"));
}

#[tokio::test]
async fn a_manager_may_look_but_not_import() {
    let app = TestApp::spawn().await;
    let api = accountant(&app).await;
    add_account(&api, OURS).await;
    let web = app.login_as("boss@agency.test", &[Role::Manager]).await;
    assert_eq!(web.get("/bank/accounts").await.status(), 200);
    assert_eq!(web.get("/bank/import").await.status(), 403);
    let refused = upload(&web, "x.txt", &statement(OURS, &[doc("1", "10")])).await;
    assert_eq!(refused.status(), 403);
    let manager = app.token_as("boss2@agency.test", &[Role::Manager]).await;
    json(manager.get("/api/v1/bank/accounts"), 200).await;
    import(&manager, "x.txt", &statement(OURS, &[doc("1", "10")]), 403).await;
    json(
        manager
            .post("/api/v1/bank/accounts")
            .json(&json!({"number": "40702810900000000003", "bic": "044525974"})),
        403,
    )
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM bank_payments").await, 0);
}

#[tokio::test]
async fn cli_parse_prints_json_lines_without_a_database() {
    let Some(bytes) = sample("kilylabs_one_day.cp1251.txt") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kl_to_1c.txt");
    std::fs::write(&file, &bytes).unwrap();
    // A database URL nothing listens on: parse must not need one.
    let out = Command::new(BIN)
        .args(["--data-dir"])
        .arg(dir.path().join("data"))
        .args(["bank", "parse"])
        .arg(&file)
        .env("SHTAB_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 13);
    assert!(
        lines
            .iter()
            .all(|l| l["key"].as_str().unwrap().starts_with("1c:"))
    );
    assert_eq!(lines[0]["amount"], 8323);
    // The sample is anonymised: the first ten name none of its accounts on either side.
    assert_eq!(lines[0]["direction"], "unknown");
    assert_eq!(lines[12]["direction"], "incoming");
    assert_eq!(lines[12]["account"], "40702810200000000001");

    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let out = Command::new(BIN)
        .args(["--data-dir"])
        .arg(dir.path().join("data"))
        .args(["bank", "parse"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line "), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn the_inbox_moves_each_file_to_done_or_failed() {
    let app = TestApp::spawn().await;
    let api = accountant(&app).await;
    add_account(&api, OURS).await;
    let inbox = app.dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let good = statement(OURS, &[doc("1", "10"), doc("2", "20")]);
    std::fs::write(inbox.join("a_good.txt"), &good).unwrap();
    std::fs::write(inbox.join("b_bad.txt"), b"not a statement").unwrap();
    std::fs::write(inbox.join("c_next.txt.part"), b"still being written").unwrap();
    let robot = Actor::robot("bank statements");
    let run = |dir: std::path::PathBuf| {
        let db = app.db.clone();
        let robot = robot.clone();
        async move {
            shtab_bank::service::import::import_inbox(&db, &robot, &dir)
                .await
                .unwrap()
        }
    };

    let results = run(inbox.clone()).await;
    assert_eq!(results.len(), 2, "{results:?}");
    assert_eq!(results[0].0, "a_good.txt");
    assert_eq!(results[0].1.as_ref().unwrap().new, 2);
    assert_eq!(results[0].1.as_ref().unwrap().new_incoming.len(), 2);
    assert_eq!(results[1].0, "b_bad.txt");
    assert!(results[1].1.is_err());
    assert!(inbox.join("done/a_good.txt").is_file());
    assert!(inbox.join("failed/b_bad.txt").is_file());
    let note = std::fs::read_to_string(inbox.join("failed/b_bad.txt.error.txt")).unwrap();
    assert!(note.contains("1CClientBankExchange"), "{note}");
    assert!(!inbox.join("a_good.txt").exists() && !inbox.join("b_bad.txt").exists());
    assert!(
        inbox.join("c_next.txt.part").exists(),
        "a file being written is left alone"
    );

    // Nothing left: nothing happens. The same export dropped again lands beside the first
    // and adds nothing.
    assert!(run(inbox.clone()).await.is_empty());
    std::fs::write(inbox.join("a_good.txt"), &good).unwrap();
    let results = run(inbox.clone()).await;
    let report = results[0].1.as_ref().unwrap();
    assert_eq!((report.new, report.known), (0, 2));
    assert!(inbox.join("done/a_good.txt.1").is_file());
    assert_eq!(app.count("SELECT COUNT(*) FROM bank_payments").await, 2);
}
