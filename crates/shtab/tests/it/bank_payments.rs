//! The payments list, saved filters, CSV export and the bank dashboard as an accountant
//! meets them: through `/api/v1/bank/*` and the pages. Accounts, payments and invoices are
//! put in with SQL, as the importer and the invoices area would have stored them.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Value, json as body};
use shtab_bank::store::dashboard::{self, Period};
use shtab_bank::store::payment_list::{self, RawFilter, parse_day};
use shtab_core::auth::Role;

use crate::testkit::{TestApp, json};

const ROMASHKA_INN: &str = "7707083893";
const VASILEK_INN: &str = "500100732259";

pub async fn add_account(app: &TestApp, number: &str, balance: Option<i64>) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO bank_accounts (number, bic, bank_name, title, balance, balance_at, created_at, updated_at) \
         VALUES ($1, '044525974', 'АО «ТБанк»', 'Основной', $2, $3, 1, 1) RETURNING id",
    )
    .bind(number)
    .bind(balance)
    .bind(balance.map(|_| 1_770_000_000_000_i64))
    .fetch_one(app.db.pool())
    .await
    .expect("insert account")
}

/// A payment as the importer stores it; the counterparty is the payer of an incoming
/// payment and the payee of an outgoing one.
#[derive(Clone)]
pub struct Pay {
    pub day: String,
    pub direction: &'static str,
    pub amount: i64,
    pub payer: String,
    pub inn: String,
    pub purpose: String,
    pub state: &'static str,
    pub allocated: i64,
}

pub fn pay(day: &str, amount: i64, payer: &str, inn: &str) -> Pay {
    Pay {
        day: day.into(),
        direction: "incoming",
        amount,
        payer: payer.into(),
        inn: inn.into(),
        purpose: format!("Оплата от {payer}"),
        state: "waiting",
        allocated: 0,
    }
}

pub async fn add_payment(app: &TestApp, account: i64, p: &Pay) -> i64 {
    static N: AtomicU32 = AtomicU32::new(0);
    let key = format!(
        "test:{}:{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let (payer, payer_inn, payee, payee_inn) = if p.direction == "outgoing" {
        (
            "ООО «Агентство»",
            "7701234567",
            p.payer.as_str(),
            p.inn.as_str(),
        )
    } else {
        (
            p.payer.as_str(),
            p.inn.as_str(),
            "ООО «Агентство»",
            "7701234567",
        )
    };
    let search = format!(
        "{} {}",
        if p.direction == "outgoing" {
            payee
        } else {
            payer
        },
        if p.direction == "outgoing" {
            payee_inn
        } else {
            payer_inn
        }
    )
    .to_lowercase();
    sqlx::query_scalar(
        "INSERT INTO bank_payments (account_id, op_key, source, direction, amount, doc_number, doc_date, op_date, \
           payer_name, payer_inn, payee_name, payee_inn, purpose, search_text, allocated, match_state, created_at) \
         VALUES ($1, $2, '1c', $3, $4, '1', $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1) RETURNING id",
    )
    .bind(account)
    .bind(key)
    .bind(p.direction)
    .bind(p.amount)
    .bind(&p.day)
    .bind(payer)
    .bind(payer_inn)
    .bind(payee)
    .bind(payee_inn)
    .bind(&p.purpose)
    .bind(search)
    .bind(p.allocated)
    .bind(p.state)
    .fetch_one(app.db.pool())
    .await
    .expect("insert payment")
}

async fn add_invoice(app: &TestApp, number: &str, amount: i64, paid: i64, due: &str, state: &str) {
    sqlx::query(
        "INSERT INTO invoices (number, number_key, issued_on, payer_name, payer_inn, amount, paid, due_on, state, created_at, updated_at) \
         VALUES ($1, $1, '2026-01-01', 'ООО «Ромашка»', $2, $3, $4, $5, $6, 1, 1)",
    )
    .bind(number)
    .bind(ROMASHKA_INN)
    .bind(amount)
    .bind(paid)
    .bind(due)
    .bind(state)
    .execute(app.db.pool())
    .await
    .expect("insert invoice");
}

/// The ids of the items of a list answer, in order.
fn ids(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

/// The fields a 422 names.
fn bad_fields(answer: &Value) -> Vec<String> {
    answer["error"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect()
}

/// Eight payments that tell every filter apart.
struct Seeded {
    main: i64,
    other: i64,
    ids: Vec<i64>,
}

async fn seed(app: &TestApp) -> Seeded {
    let main = add_account(app, "40702810900000000001", Some(1_234_567)).await;
    let other = add_account(app, "40702810900000000002", None).await;
    let mut rows = vec![
        (
            main,
            pay("2026-01-10", 100_000, "ООО «Ромашка»", ROMASHKA_INN),
        ),
        (
            main,
            pay("2026-01-15", 250_050, "ООО «Ромашка»", ROMASHKA_INN),
        ),
        (
            main,
            pay("2026-01-20", 30_000, "ИП Василёк Анна", VASILEK_INN),
        ),
        (
            other,
            pay("2026-02-01", 5_000_000, "АО «Берёзка»", "7736050003"),
        ),
        (
            main,
            pay("2026-02-03", 7500, "ООО «Ромашка-Юг»", "2310031475"),
        ),
    ];
    let mut out = pay("2026-01-25", 1_200_000, "ООО «Хостинг»", "7704217370");
    out.direction = "outgoing";
    out.state = "none";
    rows.push((main, out));
    let mut matched = pay("2026-02-05", 420_000, "ИП Василёк Анна", VASILEK_INN);
    matched.state = "matched";
    matched.allocated = 420_000;
    rows.push((main, matched));
    let mut attention = pay("2026-02-07", 99_999, "ООО «Ромашка»", ROMASHKA_INN);
    attention.state = "attention";
    rows.push((main, attention));
    let mut ids = Vec::new();
    for (account, p) in &rows {
        ids.push(add_payment(app, *account, p).await);
    }
    Seeded { main, other, ids }
}

#[tokio::test]
async fn each_filter_narrows_the_list() {
    let app = TestApp::spawn().await;
    let s = seed(&app).await;
    let api = app.token_as("buh@agency.test", &[Role::Accountant]).await;
    let list = |q: &str| api.get(&format!("/api/v1/bank/payments?{q}"));
    let i = |n: usize| s.ids[n];

    let all = json(list(""), 200).await;
    assert_eq!(
        ids(&all),
        [i(7), i(6), i(4), i(3), i(5), i(2), i(1), i(0)],
        "newest first"
    );
    assert_eq!(
        all["totals"],
        body!({"count": 8, "capped": false, "incoming": 5_907_549, "outgoing": 1_200_000})
    );
    assert_eq!(all["items"][0]["url"], format!("/bank/payments/{}", i(7)));

    // A part of the name, in any case, finds every spelling; an exact INN only that payer.
    assert_eq!(
        ids(&json(
            list("payer=%D1%80%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B0"),
            200
        )
        .await),
        [i(7), i(4), i(1), i(0)]
    );
    assert_eq!(
        ids(&json(list(&format!("payer={ROMASHKA_INN}")), 200).await),
        [i(7), i(1), i(0)]
    );
    assert_eq!(
        ids(&json(list("payer=50010073"), 200).await),
        [i(6), i(2)],
        "a part of an INN"
    );
    // The text is looked for as typed: `%` and `_` are not wildcards.
    for wildcard in ["%25", "_", "%D1%80%D0%BE%D0%BC_%D1%88"] {
        assert_eq!(
            ids(&json(list(&format!("payer={wildcard}")), 200).await),
            Vec::<i64>::new(),
            "{wildcard}"
        );
    }
    // Dates in both spellings, inclusive.
    assert_eq!(
        ids(&json(list("from=15.01.2026&to=2026-01-25"), 200).await),
        [i(5), i(2), i(1)]
    );
    // Roubles with a comma or a dot.
    assert_eq!(
        ids(&json(list("amount_min=1000&amount_max=2+500%2C50"), 200).await),
        [i(1), i(0)]
    );
    assert_eq!(
        ids(&json(list("amount_min=4200.00"), 200).await),
        [i(6), i(3), i(5)]
    );
    assert_eq!(ids(&json(list("direction=outgoing"), 200).await), [i(5)]);
    assert_eq!(
        ids(&json(list(&format!("account={}", s.other)), 200).await),
        [i(3)]
    );
    assert_eq!(
        ids(&json(list(&format!("account={}&direction=incoming", s.main)), 200).await).len(),
        6
    );
    assert_eq!(ids(&json(list("state=matched"), 200).await), [i(6)]);
    assert_eq!(ids(&json(list("state=attention"), 200).await), [i(7)]);
    assert_eq!(
        ids(&json(list("state=unmatched"), 200).await),
        [i(7), i(4), i(3), i(2), i(1), i(0)]
    );
    // Together.
    let both = json(
        list(&format!(
            "payer={ROMASHKA_INN}&state=waiting&from=2026-01-12"
        )),
        200,
    )
    .await;
    assert_eq!(ids(&both), [i(1)]);
    assert_eq!(both["totals"]["incoming"], 250_050);
    assert!(both["next"].is_null());

    // Nobody without the bank's permission reads it.
    let dev = app.token_as("dev@agency.test", &[Role::Developer]).await;
    json(dev.get("/api/v1/bank/payments"), 403).await;
}

#[tokio::test]
async fn sorting_by_date_amount_and_payer() {
    let app = TestApp::spawn().await;
    let s = seed(&app).await;
    let api = app.token_as("buh@agency.test", &[Role::Accountant]).await;
    let i = |n: usize| s.ids[n];
    let sorted = |sort: &'static str| {
        let req = api.get(&format!("/api/v1/bank/payments?sort={sort}"));
        async move { ids(&json(req, 200).await) }
    };
    assert_eq!(
        sorted("date_asc").await,
        [i(0), i(1), i(2), i(5), i(3), i(4), i(6), i(7)]
    );
    assert_eq!(
        sorted("amount").await,
        [i(3), i(5), i(6), i(1), i(0), i(7), i(2), i(4)]
    );
    assert_eq!(
        sorted("amount_asc").await,
        [i(4), i(2), i(7), i(0), i(1), i(6), i(5), i(3)]
    );
    let by_payer = json(api.get("/api/v1/bank/payments?sort=payer"), 200).await;
    let payers: Vec<&str> = by_payer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["payer_name"].as_str().unwrap())
        .collect();
    // The database's collation orders punctuation its own way; the first letters agree.
    assert!(
        payers[0].starts_with("АО") && payers[7].starts_with("ООО"),
        "{payers:?}"
    );
    let mut desc = sorted("payer_desc").await;
    desc.reverse();
    assert_eq!(desc, ids(&by_payer), "the reverse order is the reverse");
}

#[tokio::test]
async fn keyset_paging_walks_every_row_once() {
    let app = TestApp::spawn().await;
    let account = add_account(&app, "40702810900000000001", None).await;
    // Many payments share a day, an amount or a payer, so the id must break the ties.
    let mut all = Vec::new();
    for n in 0..137_i64 {
        let day = format!("2026-01-{:02}", 1 + n % 9);
        let payer = ["ООО «Ромашка»", "ИП Василёк", "АО «Берёзка»"][(n % 3) as usize];
        all.push(
            add_payment(
                &app,
                account,
                &pay(&day, 10_000 * (1 + n % 4), payer, ROMASHKA_INN),
            )
            .await,
        );
    }
    // Every third needs attention: "unmatched" pages through two states at once.
    for id in all.iter().step_by(3) {
        sqlx::query("UPDATE bank_payments SET match_state = 'attention' WHERE id = $1")
            .bind(id)
            .execute(app.db.pool())
            .await
            .unwrap();
    }
    let api = app.token_as("buh@agency.test", &[Role::Accountant]).await;
    for sort in [
        "date",
        "date_asc",
        "amount",
        "amount_asc",
        "payer",
        "payer_desc",
        "date&state=unmatched",
        "amount_asc&state=unmatched",
        "payer&state=unmatched",
    ] {
        let whole = ids(&json(
            api.get(&format!("/api/v1/bank/payments?sort={sort}&limit=500")),
            200,
        )
        .await);
        assert_eq!(whole.len(), 137);
        if let Some((plain, _)) = sort.split_once('&') {
            // Every payment here is waiting or needs attention: the same rows, same order.
            let unfiltered = ids(&json(
                api.get(&format!("/api/v1/bank/payments?sort={plain}&limit=500")),
                200,
            )
            .await);
            assert_eq!(whole, unfiltered, "{sort}");
        }
        let mut walked = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut url = format!("/api/v1/bank/payments?sort={sort}&limit=10");
            if let Some(a) = &after {
                url.push_str(&format!("&after={}", urlencode(a)));
            }
            let page = json(api.get(&url), 200).await;
            walked.extend(ids(&page));
            pages += 1;
            match page["next"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => break,
            }
            assert!(pages < 20, "paging does not end");
        }
        assert_eq!(pages, 14, "{sort}");
        assert_eq!(
            walked, whole,
            "{sort}: pages in the same order as one long page"
        );
        let unique: HashSet<i64> = walked.iter().copied().collect();
        assert_eq!(unique.len(), 137, "{sort}: no row twice");
        assert_eq!(unique, all.iter().copied().collect::<HashSet<_>>());
    }
}

#[tokio::test]
async fn a_part_of_a_name_finds_the_same_payments_whether_few_or_thousands_match() {
    let app = TestApp::spawn().await;
    let account = add_account(&app, "40702810900000000001", None).await;
    // 2 100 payments from one payer: more than a page reads by counterparty, so the page
    // tests payments in its order instead. One statement, as an import of a long statement.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2100) \
         INSERT INTO bank_payments (account_id, op_key, source, direction, amount, op_date, payer_name, \
           payer_inn, search_text, match_state, created_at) \
         SELECT $1, 'bulk:' || i, '1c', 'incoming', 1000 + i % 700, \
           '2026-01-' || CASE WHEN i % 28 < 9 THEN '0' ELSE '' END || (1 + i % 28), \
           'ООО «Ромашка»', '7707083893', 'ооо «ромашка» 7707083893', 'waiting', 1 FROM n",
    )
    .bind(account)
    .execute(app.db.pool())
    .await
    .unwrap();
    // Two paid to a payee whose name holds the same part, three from a rare payer.
    for day in ["2026-01-03", "2026-01-20"] {
        let mut p = pay(day, 5_000, "ООО «Ромашка плюс»", "7712345678");
        p.direction = "outgoing";
        add_payment(&app, account, &p).await;
    }
    for (day, amount) in [
        ("2026-01-05", 300),
        ("2026-01-07", 100),
        ("2026-01-07", 200),
    ] {
        add_payment(&app, account, &pay(day, amount, "ИП Рогов", "500100732259")).await;
    }
    let api = app.token_as("buh@agency.test", &[Role::Accountant]).await;
    for (part, found, incoming, outgoing) in [
        (
            "ромаш",
            2_102,
            (1..=2100).map(|i| 1000 + i % 700).sum::<i64>(),
            10_000,
        ),
        ("рогов", 3, 600, 0),
    ] {
        // What the payer's text holds, by a plain scan: what every page must add up to.
        for sort in ["date", "amount_asc", "payer"] {
            let order = match sort {
                "date" => "op_date DESC, id DESC",
                "amount_asc" => "amount ASC, id ASC",
                _ => "payer_name ASC, id ASC",
            };
            let expected: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT id FROM bank_payments WHERE search_text LIKE $1 ORDER BY {order}"
            )))
            .bind(format!("%{part}%"))
            .fetch_all(app.db.pool())
            .await
            .unwrap();
            assert_eq!(expected.len(), found, "{part}");
            let query = format!("payer={}&sort={sort}", urlencode(part));
            let mut walked = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let mut url = format!("/api/v1/bank/payments?{query}&limit=500");
                if let Some(a) = &after {
                    url.push_str(&format!("&after={}", urlencode(a)));
                }
                let page = json(api.get(&url), 200).await;
                if walked.is_empty() {
                    assert_eq!(
                        page["totals"],
                        body!({"count": found, "capped": false, "incoming": incoming, "outgoing": outgoing}),
                        "{query}"
                    );
                }
                walked.extend(ids(&page));
                match page["next"].as_str() {
                    Some(next) => after = Some(next.to_owned()),
                    None => break,
                }
            }
            assert_eq!(walked, expected, "{query}: every payment once, in order");
        }
    }
    if app.db.backend() == shtab_core::db::Backend::Sqlite {
        // The rare payer's page reads its payments by counterparty; the common one's reads
        // the date index in order. Both counts read payments by counterparty.
        let plan = |part: &str| {
            let filter = RawFilter::from_query(&format!("payer={}", urlencode(part)))
                .parse()
                .unwrap();
            let db = app.db.clone();
            async move {
                let page = payment_list::query_plan(&db, &filter, None).await.unwrap();
                let count = payment_list::count_plan(&db, &filter).await.unwrap();
                (page.join(" | "), count.join(" | "))
            }
        };
        let (page, count) = plan("рогов").await;
        assert!(page.contains("bank_payments_search"), "{page}");
        assert!(count.contains("bank_payments_search"), "{count}");
        let (page, count) = plan("ромаш").await;
        assert!(page.contains("bank_payments_date"), "{page}");
        assert!(count.contains("bank_payments_search"), "{count}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn bad_filter_values_are_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let api = app.token_as("buh@agency.test", &[Role::Accountant]).await;
    for (query, field) in [
        ("from=31.02.2026", "from"),
        ("to=2026/01/01", "to"),
        ("from=2026-02-01&to=2026-01-01", "to"),
        ("amount_min=12abc", "amount_min"),
        ("amount_max=1%2C234", "amount_max"),
        ("direction=sideways", "direction"),
        ("account=first", "account"),
        ("state=paid", "state"),
        ("sort=random", "sort"),
        ("after=yesterday", "after"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("payer=%D0%A0%00", "payer"),
    ] {
        let answer = json(api.get(&format!("/api/v1/bank/payments?{query}")), 422).await;
        assert_eq!(bad_fields(&answer), [field], "{query}");
    }
    let answer = json(
        api.get("/api/v1/bank/payments?from=x&amount_min=y&sort=z"),
        422,
    )
    .await;
    assert_eq!(
        bad_fields(&answer),
        ["from", "amount_min", "sort"],
        "all at once"
    );

    // The page shows the filter again with the error next to the field.
    let web = app.login_as("buh2@agency.test", &[Role::Accountant]).await;
    let page = web
        .get("/bank/payments?from=31.02.2026&payer=%D0%A0%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B0")
        .await;
    assert_eq!(page.status(), 422);
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"from-error\""), "{html}");
    assert!(html.contains("value=\"31.02.2026\""), "typed text kept");
    assert!(html.contains("value=\"Ромашка\""), "the other fields kept");
    let csv = web.get("/bank/payments.csv?amount_min=abc").await;
    assert_eq!(csv.status(), 422);
    assert!(csv.text().await.unwrap().contains("amount_min"));
}

#[tokio::test]
async fn saved_filters_are_mine_or_shared_never_someone_elses_private_one() {
    let app = TestApp::spawn().await;
    seed(&app).await;
    let anna = app.token_as("anna@agency.test", &[Role::Accountant]).await;
    let boris = app.token_as("boris@agency.test", &[Role::Manager]).await;

    let private = json(
        anna.post("/api/v1/bank/filters").json(&body!({
            "name": "Ромашка, январь",
            "query": format!("payer={ROMASHKA_INN}&from=01.01.2026&to=31.01.2026&junk=1"),
        })),
        201,
    )
    .await;
    assert_eq!(
        private["query"],
        format!("payer={ROMASHKA_INN}&from=2026-01-01&to=2026-01-31"),
        "stored canonically"
    );
    assert_eq!(
        (private["mine"].as_bool(), private["shared"].as_bool()),
        (Some(true), Some(false))
    );
    let shared = json(
        anna.post("/api/v1/bank/filters")
            .json(&body!({"name": "Не разнесённые", "query": "state=unmatched", "shared": true})),
        201,
    )
    .await;
    let own = json(
        boris
            .post("/api/v1/bank/filters")
            .json(&body!({"name": "Крупные", "query": "amount_min=10000"})),
        201,
    )
    .await;

    // A name twice, no name, or a bad filter: nothing is saved.
    let again = json(
        anna.post("/api/v1/bank/filters")
            .json(&body!({"name": " Ромашка, январь ", "query": ""})),
        422,
    )
    .await;
    assert_eq!(bad_fields(&again), ["name"]);
    let unnamed = json(
        anna.post("/api/v1/bank/filters")
            .json(&body!({"name": " ", "query": ""})),
        422,
    )
    .await;
    assert_eq!(bad_fields(&unnamed), ["name"]);
    let broken = json(
        anna.post("/api/v1/bank/filters")
            .json(&body!({"name": "x", "query": "from=yesterday"})),
        422,
    )
    .await;
    assert_eq!(bad_fields(&broken), ["from"]);

    let names = |list: &Value| -> Vec<(String, bool)> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["name"].as_str().unwrap().to_owned(),
                    f["mine"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let annas = json(anna.get("/api/v1/bank/filters"), 200).await;
    assert_eq!(
        names(&annas),
        [
            ("Не разнесённые".to_owned(), true),
            ("Ромашка, январь".to_owned(), true)
        ],
        "Boris's filter is private"
    );
    let boriss = json(boris.get("/api/v1/bank/filters"), 200).await;
    assert_eq!(
        names(&boriss),
        [
            ("Крупные".to_owned(), true),
            ("Не разнесённые".to_owned(), false)
        ]
    );
    assert_eq!(boriss["items"][1]["url"], "/bank/payments?state=unmatched");
    assert_eq!(boriss["items"][1]["owner"], "anna");

    // Only the owner deletes; someone else's private filter does not exist for Boris.
    json(
        boris.delete(&format!("/api/v1/bank/filters/{}", shared["id"])),
        403,
    )
    .await;
    json(
        boris.delete(&format!("/api/v1/bank/filters/{}", private["id"])),
        404,
    )
    .await;
    let gone = boris
        .delete(&format!("/api/v1/bank/filters/{}", own["id"]))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    assert_eq!(
        names(&json(boris.get("/api/v1/bank/filters"), 200).await).len(),
        1
    );

    // Every save and delete is in the audit log.
    let logged: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, object_label FROM audit_log WHERE object_kind = 'bank_saved_filter' ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        logged,
        [
            (
                "bank.filter.create".to_owned(),
                "Ромашка, январь".to_owned()
            ),
            ("bank.filter.create".to_owned(), "Не разнесённые".to_owned()),
            ("bank.filter.create".to_owned(), "Крупные".to_owned()),
            ("bank.filter.delete".to_owned(), "Крупные".to_owned()),
        ]
    );

    // The page: saving from the form leads back to the same list; others see only shared.
    let web = app.login_as("vera@agency.test", &[Role::Accountant]).await;
    let saved = web
        .post_form(
            "/bank/filters",
            &[
                ("name", "Васильки"),
                ("query", "payer=%D0%B2%D0%B0%D1%81%D0%B8%D0%BB%D1%91%D0%BA"),
                ("shared", "1"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let to = saved.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        to.starts_with("/bank/payments?payer=") && to.ends_with("&notice=saved"),
        "{to}"
    );
    let html = web.get_text("/bank/payments").await;
    assert!(
        html.contains("Васильки") && html.contains("Не разнесённые"),
        "mine and shared"
    );
    assert!(
        !html.contains("Ромашка, январь"),
        "Anna's private filter is not listed"
    );
    let twice = web
        .post_form("/bank/filters", &[("name", "Васильки"), ("query", "")])
        .await;
    assert_eq!(twice.status(), 422);
    assert!(
        twice
            .text()
            .await
            .unwrap()
            .contains("id=\"filter-name-error\"")
    );
}

#[tokio::test]
async fn csv_export_has_the_filtered_rows_with_fields_quoted_as_excel_needs() {
    let app = TestApp::spawn().await;
    let account = add_account(&app, "40702810900000000001", None).await;
    let mut tricky = pay(
        "2026-01-10",
        123_456,
        "ООО \"Кавычки; и точка с запятой\"",
        ROMASHKA_INN,
    );
    tricky.purpose = "Оплата по счету № 7; аванс\nвторая строка \"в кавычках\"".into();
    add_payment(&app, account, &tricky).await;
    let mut formula = pay("2026-01-11", 5, "=HYPERLINK(\"http://evil\")", VASILEK_INN);
    formula.purpose = "+7 (495) звонить".into();
    add_payment(&app, account, &formula).await;
    add_payment(
        &app,
        account,
        &pay("2025-12-31", 10_000, "ООО «Вне фильтра»", "7736050003"),
    )
    .await;

    let web = app.login_as("buh@agency.test", &[Role::Accountant]).await;
    let response = web
        .get("/bank/payments.csv?from=2026-01-01&sort=date_asc")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"payments-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 with a BOM");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut lines = text.split("\r\n");
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("Дата;Номер документа;Дата документа;Направление;Сумма;Плательщик;"),
        "{header}"
    );
    let rest: Vec<&str> = lines.collect();
    assert_eq!(rest.len(), 3, "two rows and the end: {rest:?}");
    assert_eq!(rest[2], "");
    assert!(
        rest[0].starts_with(
            "10.01.2026;1;10.01.2026;incoming;1234,56;\"ООО \"\"Кавычки; и точка с запятой\"\"\";7707083893;"
        ),
        "{}",
        rest[0]
    );
    assert!(
        rest[0].contains(";\"Оплата по счету № 7; аванс\nвторая строка \"\"в кавычках\"\"\";waiting;0,00;40702810900000000001;"),
        "{}",
        rest[0]
    );
    assert!(
        rest[1].contains(";incoming;0,05;\"'=HYPERLINK(\"\"http://evil\"\")\";"),
        "a formula is defused: {}",
        rest[1]
    );
    assert!(rest[1].contains(";'+7 (495) звонить;"), "{}", rest[1]);
    assert!(!text.contains("Вне фильтра"));
    assert_eq!(header.split(';').count(), 18);
}

#[tokio::test]
async fn the_dashboard_adds_up_days_payers_unmatched_and_overdue() {
    let app = TestApp::spawn().await;
    let main = add_account(&app, "40702810900000000001", Some(150_000_000)).await;
    let today = "2026-02-10";
    let mut rows = vec![
        pay("2026-02-10", 100_000, "ООО «Ромашка»", ROMASHKA_INN),
        pay("2026-02-10", 50_000, "ООО Ромашка", ROMASHKA_INN),
        pay("2026-02-09", 700_000, "ИП Василёк Анна", VASILEK_INN),
        pay("2026-01-05", 9_900_000, "АО «Давно»", "7736050003"),
        pay("2026-02-11", 100, "Из будущего", "7704217370"),
    ];
    let mut out = pay("2026-02-10", 30_000, "ООО «Хостинг»", "7704217370");
    out.direction = "outgoing";
    out.state = "none";
    rows.push(out);
    rows[2].state = "matched";
    rows[2].allocated = 700_000;
    rows[1].state = "attention";
    rows[1].allocated = 20_000;
    for p in &rows {
        add_payment(&app, main, p).await;
    }
    add_invoice(&app, "1", 1_000_000, 0, "2026-02-01", "open").await;
    add_invoice(&app, "2", 500_000, 200_000, "2026-03-01", "partially_paid").await;
    add_invoice(&app, "3", 100_000, 100_000, "2026-01-01", "paid").await;
    add_invoice(&app, "4", 200_000, 0, "2026-01-01", "cancelled").await;

    let day = parse_day("today", today).unwrap();
    let d = dashboard::load(&app.db, Period::Day, day).await.unwrap();
    assert_eq!(d.buckets.len(), 30);
    let last = d.buckets[29];
    assert_eq!(
        (last.start, last.incoming, last.outgoing),
        (day, 150_000, 30_000)
    );
    assert_eq!(
        (d.buckets[28].incoming, d.buckets[28].outgoing),
        (700_000, 0)
    );
    assert!(
        d.buckets[..28].iter().all(|b| b.incoming == 0),
        "2026-01-05 is before the 30 days"
    );
    assert_eq!(
        d.top_payers.len(),
        2,
        "one payer per INN however its name is spelt"
    );
    assert_eq!(
        (d.top_payers[0].inn.as_str(), d.top_payers[0].total),
        (VASILEK_INN, 700_000)
    );
    assert_eq!(
        (
            d.top_payers[1].inn.as_str(),
            d.top_payers[1].total,
            d.top_payers[1].payments
        ),
        (ROMASHKA_INN, 150_000, 2)
    );
    // Waiting: 1 000, 99 000 and tomorrow's 1; attention: 500 less 200 allocated.
    assert_eq!(
        (d.unmatched.count, d.unmatched.amount),
        (4, 100_000 + 9_900_000 + 100 + 30_000)
    );
    assert_eq!(
        (d.receivables.count, d.receivables.amount),
        (2, 1_000_000 + 300_000)
    );
    assert_eq!((d.overdue.count, d.overdue.amount), (1, 1_000_000));
    assert_eq!(d.accounts[0].balance, Some(150_000_000));

    let month = dashboard::load(&app.db, Period::Month, day).await.unwrap();
    assert_eq!(month.buckets.len(), 12);
    assert_eq!(month.buckets[11].incoming, 150_000 + 700_000);
    assert_eq!(month.buckets[10].incoming, 9_900_000);
    assert_eq!(month.top_payers[0].inn, "7736050003");
    let week = dashboard::load(&app.db, Period::Week, day).await.unwrap();
    // 2026-02-10 is a Tuesday: its week began on Monday the 9th.
    assert_eq!(
        week.buckets[11].start,
        parse_day("x", "2026-02-09").unwrap()
    );
    assert_eq!(week.buckets[11].incoming, 850_000);

    // The API and the page, on the real today.
    let api = app.token_as("buh@agency.test", &[Role::Accountant]).await;
    let answer = json(api.get("/api/v1/bank/dashboard?period=week"), 200).await;
    assert_eq!(answer["buckets"].as_array().unwrap().len(), 12);
    assert_eq!(
        answer["receivables"],
        body!({"count": 2, "amount": 1_300_000})
    );
    assert_eq!(answer["accounts"][0]["balance"], 150_000_000);
    let bad = json(api.get("/api/v1/bank/dashboard?period=year"), 422).await;
    assert_eq!(bad_fields(&bad), ["period"]);
    let web = app.login_as("buh2@agency.test", &[Role::Accountant]).await;
    for period in ["", "?period=week", "?period=month", "?period=nonsense"] {
        let page = web.get(&format!("/bank{period}")).await;
        assert_eq!(page.status(), 200, "{period}");
        let html = page.text().await.unwrap();
        assert!(html.contains("<svg class=\"bank-chart\""), "{period}");
        assert!(html.contains("13 000,00 ₽"), "receivables on the page");
        assert!(html.contains("1 500 000,00 ₽"), "the balance");
    }
    let dev = app.login_as("dev@agency.test", &[Role::Developer]).await;
    assert_eq!(dev.get("/bank").await.status(), 403);
}

#[tokio::test]
async fn typical_filters_use_an_index_and_no_sort_on_sqlite() {
    let app = TestApp::spawn().await;
    if app.db.backend() != shtab_core::db::Backend::Sqlite {
        // PostgreSQL plans by table statistics; a test-sized table is always a seq scan.
        return;
    }
    for query in [
        "",
        "sort=date_asc",
        "sort=amount",
        "sort=payer",
        "from=2026-01-01&to=2026-01-31",
        "payer=7707083893",
        "state=unmatched",
        "state=waiting",
        "account=1",
        "payer=%D1%80%D0%BE%D0%BC",
    ] {
        let filter = RawFilter::from_query(query).parse().unwrap();
        let plan = payment_list::query_plan(&app.db, &filter, None)
            .await
            .unwrap()
            .join(" | ");
        assert!(
            plan.contains("USING INDEX")
                || plan.contains("USING COVERING INDEX")
                || plan.contains("USING INTEGER PRIMARY KEY"),
            "{query}: {plan}"
        );
        if query == "state=unmatched" {
            // Each state's page read in order from the state index; only the two pages
            // (a page each at most, `SCAN b0`/`b1`) are sorted to be merged.
            assert_eq!(
                plan.matches("USING INDEX bank_payments_state").count(),
                2,
                "{plan}"
            );
            let steps: Vec<&str> = plan.split(" | ").collect();
            for (i, step) in steps.iter().enumerate() {
                if step.contains("TEMP B-TREE") {
                    assert!(steps[i - 1].starts_with("SCAN b"), "{plan}");
                }
            }
        } else if query == "payer=%D1%80%D0%BE%D0%BC" {
            // Few payments hold the part: they are read by counterparty and only they sorted.
            assert!(plan.contains("bank_payments_search"), "{plan}");
        } else if !query.starts_with("payer=77") {
            assert!(
                !plan.contains("TEMP B-TREE"),
                "{query} sorts instead of reading in order: {plan}"
            );
        }
    }
}
