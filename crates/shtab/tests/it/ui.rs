//! The pages as a person uses them, in headless Chromium: log in, add a person, find them,
//! read the audit log, use the layout on a phone, switch the language.
//!
//! Screenshots of the main steps go to `$CARGO_TARGET_TMPDIR/ui/`, to look at after a run.

use std::path::PathBuf;

use shtab_core::auth::Role;

use crate::browser::{self, Browser};
use crate::testkit::{PASSWORD, TestApp};

/// Starts the browser, or returns from the test with a note when there is none.
macro_rules! browser_or_skip {
    () => {
        match browser::browser().await {
            Some(b) => b,
            None => {
                eprintln!("skipped: no chromedriver");
                return;
            }
        }
    };
}

fn shot(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("ui")
        .join(format!("{name}.png"))
}

/// Logs in through the login form and waits for the page behind it; `shot_name` names a
/// screenshot of the filled-in form.
async fn log_in(b: &Browser, app: &TestApp, email: &str, shot_name: Option<&str>) {
    b.goto(&app.url("/login")).await;
    b.fill("#email", email).await;
    b.fill("#password", PASSWORD).await;
    if let Some(name) = shot_name {
        b.screenshot(shot(name)).await;
    }
    b.click_and_load("form[action='/login'] button[type=submit]")
        .await;
    // The layout of a logged-in page has the user menu; the login page has not.
    b.wait_for(".user-menu").await;
}

#[tokio::test]
async fn admin_adds_a_person_finds_them_and_sees_it_in_the_audit_log() {
    let b = browser_or_skip!();
    let app = TestApp::spawn().await;
    app.create_user("boss@agency.test", "Анна Начальникова", &[Role::Admin])
        .await;

    log_in(&b, &app, "boss@agency.test", Some("login")).await;
    b.screenshot(shot("home")).await;

    b.goto(&app.url("/people/new")).await;
    b.fill("[name=full_name]", "Ёлкина Дарья Сергеевна").await;
    b.fill("[name=emails]", "darya.yolkina@agency.test").await;
    b.fill("[name=position]", "Ведущий разработчик").await;
    b.screenshot(shot("person-new")).await;
    b.click_and_load("main form button[type=submit]").await;

    // The form leads to the new person's page.
    let url = b.current_url().await;
    let id = url
        .rsplit_once("/people/")
        .map(|(_, id)| id)
        .unwrap_or_else(|| panic!("after creating a person the browser is at {url}"));
    assert!(
        !id.is_empty() && id != "new",
        "after creating a person the browser is at {url}"
    );
    b.wait_for_text("h1", "Ёлкина Дарья Сергеевна").await;
    let page = b.text("main").await;
    assert!(page.contains("darya.yolkina@agency.test"), "{page}");
    assert!(page.contains("Ведущий разработчик"), "{page}");
    b.screenshot(shot("person-page")).await;

    // Live search: typing filters the list without submitting the form.
    b.goto(&app.url("/people")).await;
    b.wait_for_text("main", "Анна Начальникова").await;
    b.fill("input[name=q]", "ёлкин").await;
    let list = b.wait_for_text_without("main table", "Начальникова").await;
    assert!(list.contains("Ёлкина Дарья Сергеевна"), "{list}");
    assert_eq!(
        b.current_url().await,
        app.url("/people"),
        "the search swapped the list in place"
    );
    b.screenshot(shot("people-search")).await;

    b.goto(&app.url("/audit")).await;
    b.wait_for_text("main", "Добавлен человек").await;
    let rows = b.texts("main tr").await;
    let entry = rows
        .iter()
        .find(|row| row.contains("Добавлен человек") && row.contains("Ёлкина"))
        .unwrap_or_else(|| panic!("no person.create entry for the new person in {rows:#?}"));
    assert!(
        entry.contains("Анна Начальникова") || entry.contains("boss@agency.test"),
        "the entry names the admin who made it: {entry}"
    );
    b.screenshot(shot("audit")).await;
    b.close().await;
}

#[tokio::test]
async fn on_a_phone_the_menu_opens_from_the_toggle() {
    let b = browser_or_skip!();
    let app = TestApp::spawn().await;
    app.create_user("boss@agency.test", "Анна Начальникова", &[Role::Admin])
        .await;
    b.resize(390, 844).await;
    log_in(&b, &app, "boss@agency.test", Some("phone-login")).await;

    let width = b.eval("return window.innerWidth").await;
    assert!(
        width.as_u64().is_some_and(|w| w <= 420),
        "the viewport should be phone-sized, is {width}"
    );
    assert!(b.is_displayed(".nav-toggle-label").await, "☰ is shown");
    assert!(
        !b.is_displayed(".sidenav").await,
        "the navigation is folded away"
    );
    // Nothing sticks out sideways: the page does not scroll horizontally (measured against
    // the page's own width, which a vertical scrollbar narrows).
    let overflow = b
        .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert_eq!(
        overflow.as_i64(),
        Some(0),
        "the page is wider than the phone"
    );
    b.screenshot(shot("phone-closed")).await;

    b.click(".nav-toggle-label").await;
    let link = b.wait_displayed(".sidenav a[href='/people']").await;
    b.screenshot(shot("phone-open")).await;
    link.click().await.expect("click the people link");
    b.wait_for_text("h1", "Люди").await;
    assert_eq!(b.current_url().await, app.url("/people"));
    b.screenshot(shot("phone-people")).await;
    b.close().await;
}

#[tokio::test]
async fn switching_to_english_from_the_user_menu() {
    let b = browser_or_skip!();
    let app = TestApp::spawn().await;
    app.create_user("boss@agency.test", "Анна Начальникова", &[Role::Admin])
        .await;
    log_in(&b, &app, "boss@agency.test", None).await;
    b.wait_for_text(".sidenav", "Люди").await;

    b.click(".user-menu summary").await;
    b.wait_displayed(".user-menu form[action='/lang'] button")
        .await;
    b.screenshot(shot("user-menu")).await;
    b.click_and_load(".user-menu form[action='/lang'] button")
        .await;

    let nav = b.wait_for_text(".sidenav", "People").await;
    assert!(nav.contains("Settings"), "{nav}");
    assert!(!nav.contains("Люди"), "{nav}");
    // The choice is the user's: other pages, opened afresh, are in English too.
    b.goto(&app.url("/settings")).await;
    b.wait_for_text("h1", "Settings").await;
    b.click(".user-menu summary").await;
    b.wait_for_text(".user-menu .menu", "Log out").await;
    b.screenshot(shot("english")).await;
    b.close().await;
}

#[tokio::test]
async fn a_task_shows_its_commits_oldest_first_with_author_and_forge_link() {
    use shtab_core::ports::Tracker;

    let b = browser_or_skip!();
    let app = TestApp::spawn().await;
    app.create_user(
        "dev@agency.test",
        "Дмитрий Разработчиков",
        &[Role::Developer],
    )
    .await;
    let ivan = app.add_person("Иван Петров", "ivan@agency.test").await;
    let id = crate::tasks::add_task(&app, "Оплата картой", Some("PAY-7")).await;
    // As the vcs capability would: through the tracker port, the newer commit first.
    let tracker = shtab_core::tasks::BuiltinTracker::new(app.db.clone());
    let mut newer = crate::tasks::commit(
        "2222222222222222222222222222222222222222",
        "Handle declined cards PAY-7",
        1_700_000_200_000,
    );
    newer.author = Some(ivan);
    let older = crate::tasks::commit(
        "1111111111111111111111111111111111111111",
        "Add the payment form PAY-7\n\nBehind a feature flag for now.",
        1_700_000_100_000,
    );
    tracker.link_commit(&id.to_string(), &newer).await.unwrap();
    tracker.link_commit(&id.to_string(), &older).await.unwrap();

    log_in(&b, &app, "dev@agency.test", None).await;
    b.click_and_load(".sidenav a[href='/tasks']").await;
    b.wait_for_text("h1", "Задачи").await;
    b.click_and_load(&format!("#tasks-results a[href='/tasks/{id}']"))
        .await;
    b.wait_for_text("h1", "Оплата картой").await;

    let rows = b.texts("#commits tr.commit").await;
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert!(
        rows[0].contains("1111111") && rows[0].contains("Add the payment form PAY-7"),
        "the older commit comes first: {rows:#?}"
    );
    assert!(
        rows[0].contains("Ivan Petrov") && rows[0].contains("ivan@agency.test"),
        "an unmapped author by name and e-mail: {rows:#?}"
    );
    assert!(rows[0].contains("15.11.2023 01:15"), "{rows:#?}");
    assert!(
        rows[1].contains("2222222") && rows[1].contains("Handle declined cards PAY-7"),
        "{rows:#?}"
    );
    assert!(
        rows[1].contains("Иван Петров"),
        "a mapped author by their name: {rows:#?}"
    );
    assert!(
        !rows[0].contains("Behind a feature flag"),
        "the rest of the message stays folded: {rows:#?}"
    );

    // The hash opens the commit on the forge, in a new tab; nothing external is visited.
    let links = b
        .eval(
            "return [...document.querySelectorAll('#commits tr.commit td:first-child a')]\
             .map(a => [a.getAttribute('href'), a.target, a.rel])",
        )
        .await;
    assert_eq!(
        links,
        serde_json::json!([
            [
                "https://git.agency.test/backend/commit/1111111111111111111111111111111111111111",
                "_blank",
                "noopener noreferrer"
            ],
            [
                "https://git.agency.test/backend/commit/2222222222222222222222222222222222222222",
                "_blank",
                "noopener noreferrer"
            ]
        ])
    );
    let person = b
        .eval("return document.querySelector('#commits .commit-author a').getAttribute('href')")
        .await;
    assert_eq!(person, serde_json::json!(format!("/people/{ivan}")));
    b.click("#commits details summary").await;
    b.wait_for_text("#commits tr.commit", "Behind a feature flag for now.")
        .await;
    b.screenshot(shot("task-commits")).await;
    b.close().await;
}

#[tokio::test]
async fn an_accountant_filters_payments_saves_the_filter_and_reopens_it_from_the_dashboard() {
    let b = browser_or_skip!();
    let app = TestApp::spawn().await;
    app.create_user("buh@agency.test", "Бухгалтер Ольга", &[Role::Accountant])
        .await;
    let account: i64 = sqlx::query_scalar(
        "INSERT INTO bank_accounts (number, bic, balance, balance_at, created_at, updated_at) \
         VALUES ('40702810900000000001', '044525974', 25000000, 1, 1, 1) RETURNING id",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    // Today where the hub is, so the dashboard's last 30 days hold the payments.
    let now = shtab_core::time::format_ms(shtab_core::time::now_ms(), app.config.time_zone());
    // `DD.MM.YYYY HH:MM`.
    let today_ru = now[..10].to_string();
    let today = format!(
        "{}-{}-{}",
        &today_ru[6..10],
        &today_ru[3..5],
        &today_ru[..2]
    );
    let today = today.as_str();
    for (n, (amount, payer, inn)) in [
        (100_000_i64, "ООО «Ромашка»", "7707083893"),
        (250_050, "ООО «Ромашка»", "7707083893"),
        (30_000, "ИП Василёк Анна", "500100732259"),
        (5_000_000, "АО «Берёзка»", "7736050003"),
    ]
    .into_iter()
    .enumerate()
    {
        // As the importer stores an incoming payment still waiting for its invoice.
        sqlx::query(
            "INSERT INTO bank_payments (account_id, op_key, source, direction, amount, op_date, \
               payer_name, payer_inn, purpose, search_text, match_state, created_at) \
             VALUES ($1, $2, '1c', 'incoming', $3, $4, $5, $6, 'Оплата по счету', $7, 'waiting', 1)",
        )
        .bind(account)
        .bind(format!("ui:{n}"))
        .bind(amount)
        .bind(today)
        .bind(payer)
        .bind(inn)
        .bind(format!("{payer} {inn}").to_lowercase())
        .execute(app.db.pool())
        .await
        .unwrap();
    }

    log_in(&b, &app, "buh@agency.test", None).await;
    b.click_and_load(".sidenav a[href='/bank']").await;
    b.wait_for("svg.bank-chart").await;
    b.click_and_load(".page-header a[href='/bank/payments']")
        .await;
    assert_eq!(b.texts("#payments-results tr.payment").await.len(), 4);

    b.fill("#payer", "ромашка").await;
    b.click_and_load("#apply-filter").await;
    let rows = b.texts("#payments-results tr.payment").await;
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert!(
        rows.iter().all(|r| r.contains("ООО «Ромашка»")),
        "{rows:#?}"
    );
    // The same day: the later one (by id) first.
    assert!(
        rows[0].contains(&today_ru) && rows[0].contains("2 500,50"),
        "{rows:#?}"
    );
    b.wait_for_text("#payments-summary", "Найдено: 2").await;

    b.fill("#filter-name", "Ромашка").await;
    b.click_and_load("#save-filter button[type=submit]").await;
    b.wait_for_text(".flash-ok", "Фильтр сохранён").await;
    assert_eq!(
        b.texts("#payments-results tr.payment").await,
        rows,
        "the same list after saving"
    );
    b.screenshot(shot("bank-payments")).await;

    b.click_and_load(".page-header a[href='/bank']").await;
    b.wait_for_text("#balances", "250 000,00 ₽").await;
    b.wait_for_text("#top-payers", "АО «Берёзка»").await;
    b.screenshot(shot("bank-dashboard")).await;

    b.goto(&app.url("/bank/payments")).await;
    assert_eq!(b.texts("#payments-results tr.payment").await.len(), 4);
    b.click_and_load("#my-filters a.saved-filter").await;
    assert_eq!(b.texts("#payments-results tr.payment").await, rows);
    let payer = b
        .eval("return document.querySelector('#payer').value")
        .await;
    assert_eq!(payer, serde_json::json!("ромашка"));
    b.close().await;
}

/// The deal board (tenders CRM): dragging deals between stages.
mod deals;

/// People & access: granting and revoking on a person's access page.
mod access;

/// The header's search: `/`, typing, grouped results.
mod search;

/// The demo company on every page of the navigation.
mod tour;
