//! Shtab inside the portal, as a local application, against the fake portal: installing
//! stores the tokens and the portal's member_id and binds the task tab, the events and the
//! robot once, however often the admin installs; the installation's token signs the events;
//! a forged installation and a removal without the token change nothing; removal drops the
//! tokens. The task tab shows the task's commits to a viewer the portal confirms and whose
//! Shtab roles allow it, in the portal's language, framed only by the portal; a forged or
//! expired AUTH_ID, another portal's member_id, a viewer without the rights or without an
//! account, a task hidden from them see nothing. The vendor-price robot sends the pipeline's
//! vendor e-mail once and answers the portal once, however often the call comes.

use serde_json::{Value, json};
use shtab_bitrix24::app::robots::RobotCalled;
use shtab_bitrix24::fake::{FakeInvoice, FakePortal, FakeTask, FakeUser, WEBHOOK_USER};
use shtab_core::audit::Actor;
use shtab_core::auth::Role;
use shtab_core::config::{Config, Secret, SmtpTls, SystemOfRecord};
use shtab_core::ports::NewDeal;
use shtab_core::robots;
use shtab_core::types::Kopecks;
use shtab_tenders::domain::{Law, RegNumber, SavedSearchSpec, Stage, TenderFacts};
use shtab_tenders::store::searches::{self, SearchInput};
use shtab_tenders::store::tenders;

use crate::smtp_sink::{SmtpSink, parse_mail};
use crate::tenders_portal::{FakePortal as Eis, FakeTender as EisTender};
use crate::testkit::TestApp;
use crate::vcs::{Forge, add_repository, drain, github_push, now_secs, post};
use crate::vcs_changes::push_of;

const CLIENT_ID: &str = "local.66f1c2a0b3d4e5.70414732";
const CLIENT_SECRET: &str = "app-s3cret-LJSl0lNB76B5YY6u";
const INSTALL: &str = "/hooks/bitrix24/app";
const TASK_TAB: &str = "/bitrix24/tabs/task";
const IVAN: &str = "ivan@agency.test";
const PETR: &str = "petr@agency.test";
const ANNA: &str = "anna@agency.test";
const WEB_URL: &str = "https://github.com/acme/site";
const VENDOR_PRICE: &str = "shtab_vendor_price";

/// The portal: its admin (1), Ivan (7, a developer in Shtab), Pyotr (8, an accountant),
/// Maria (9, no Shtab account), Anna (10, a manager); tasks 101 and 103, and 102 that nobody may see.
async fn fake_portal() -> FakePortal {
    let portal = FakePortal::start().await;
    portal.grant_scopes(&[
        "task",
        "tasks",
        "user",
        "im",
        "crm",
        "department",
        "placement",
        "bizproc",
    ]);
    portal.add_user(FakeUser::new(
        WEBHOOK_USER,
        "Ольга",
        "Смирнова",
        "olga@agency.test",
    ));
    portal.add_user(FakeUser::new(7, "Иван", "Петров", "Ivan@Agency.test"));
    portal.add_user(FakeUser::new(8, "Пётр", "Сидоров", PETR));
    portal.add_user(FakeUser::new(9, "Мария", "Иванова", "maria@agency.test"));
    portal.add_user(FakeUser::new(10, "Анна", "Кузнецова", ANNA));
    portal.add_task(FakeTask::new(101, "Checkout"));
    portal.add_task(FakeTask::new(103, "Docs"));
    let mut hidden = FakeTask::new(102, "Salaries");
    hidden.visible = false;
    portal.add_task(hidden);
    portal
}

/// A hub configured with the portal's local application (tasks and deals on the portal),
/// with Ivan and Pyotr as users.
async fn hub_with(
    portal: &FakePortal,
    adjust: impl FnOnce(&mut Config) + Send + 'static,
) -> TestApp {
    let (origin, oauth) = (portal.origin(), portal.oauth_url());
    let app = TestApp::spawn_with(move |c| {
        c.bitrix24.portal_url = origin;
        c.bitrix24.client_id = CLIENT_ID.into();
        c.bitrix24.client_secret = Secret::new(CLIENT_SECRET);
        c.bitrix24.oauth_url = oauth;
        c.systems.tasks = SystemOfRecord::Bitrix24;
        adjust(c);
    })
    .await;
    app.create_user(IVAN, "Ivan", &[Role::Developer]).await;
    app.create_user(PETR, "Pyotr", &[Role::Accountant]).await;
    app.create_user(ANNA, "Anna", &[Role::Manager]).await;
    app
}

async fn install(portal: &FakePortal, app: &TestApp) -> (u16, Value) {
    portal
        .install_local_app(CLIENT_ID, CLIENT_SECRET, &app.url(INSTALL))
        .await
}

/// Installed, and people matched to portal users by the users robot.
async fn installed_hub(portal: &FakePortal) -> TestApp {
    let app = hub_with(portal, |_| {}).await;
    let (status, answer) = install(portal, &app).await;
    assert_eq!(status, 200, "{answer}");
    users_robot(&app).await;
    app
}

pub async fn users_robot(app: &TestApp) {
    let set = shtab::server::robot_set(&app.db, &app.config);
    let run = robots::run_in_foreground(&app.db, &set, "bitrix24.users", None)
        .await
        .unwrap();
    assert_eq!(run.status, "done", "{:?}", run.error);
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// (what, handler) pairs.
type Handlers = Vec<(String, String)>;

/// What the portal holds of Shtab: (placement, handler), (event, handler), robot codes.
fn bindings(portal: &FakePortal) -> (Handlers, Handlers, Vec<String>) {
    (
        sorted(
            portal
                .placements()
                .into_iter()
                .map(|p| (p.placement, p.handler))
                .collect(),
        ),
        sorted(portal.event_bindings()),
        sorted(portal.robots().into_iter().map(|r| r.code).collect()),
    )
}

async fn post_form(app: &TestApp, path: &str, body: String) -> (u16, Value) {
    let answer = reqwest::Client::new()
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or_default())
}

#[tokio::test]
async fn installing_twice_binds_everything_once_and_removal_drops_the_tokens() {
    let portal = fake_portal().await;
    let app = hub_with(&portal, |_| {}).await;
    // The settings page tells the admin the installation path and the scopes to grant.
    let admin = app.admin().await;
    let page = admin.get_text("/settings/bitrix24").await;
    assert!(page.contains(&app.url(INSTALL)), "{page}");
    assert!(page.contains("placement, bizproc"), "{page}");
    assert!(page.contains("id=\"not-installed\""), "{page}");

    let (status, answer) = install(&portal, &app).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "installed");
    let page = admin.get_text("/settings/bitrix24").await;
    assert!(page.contains("id=\"installed-at\""), "{page}");
    let expected_events: Vec<(String, String)> = sorted(
        [
            "ONTASKADD",
            "ONTASKUPDATE",
            "ONTASKDELETE",
            "ONCRMDEALADD",
            "ONCRMDEALUPDATE",
            "ONCRMDYNAMICITEMADD",
        ]
        .iter()
        .map(|e| ((*e).to_owned(), app.url("/hooks/bitrix24")))
        .chain([("ONAPPUNINSTALL".to_owned(), app.url(INSTALL))])
        .collect(),
    );
    let expected = (
        sorted(vec![
            ("TASK_VIEW_TAB".to_owned(), app.url(TASK_TAB)),
            (
                "CRM_DEAL_DETAIL_TAB".to_owned(),
                app.url("/bitrix24/tabs/deal"),
            ),
            (
                "CRM_SMART_INVOICE_DETAIL_TAB".to_owned(),
                app.url("/bitrix24/tabs/invoice"),
            ),
        ]),
        expected_events,
        vec!["shtab_tender_refresh".to_owned(), VENDOR_PRICE.to_owned()],
    );
    assert_eq!(bindings(&portal), expected);
    assert_eq!(answer["placements"], 3);
    assert_eq!(answer["robots"], 2);
    // The tab's title in both languages; the robot waits for Shtab's answer.
    let tab = portal
        .placements()
        .into_iter()
        .find(|p| p.placement == "TASK_VIEW_TAB")
        .unwrap();
    assert_eq!(tab.lang_all["ru"]["TITLE"], "Коммиты");
    assert_eq!(tab.lang_all["en"]["TITLE"], "Commits");
    let robot = portal
        .robots()
        .into_iter()
        .find(|r| r.code == VENDOR_PRICE)
        .unwrap();
    assert_eq!(robot.name["ru"], "Запросить согласование цены у вендора");
    assert_eq!(robot.use_subscription, "Y");
    assert_eq!(
        robot.handler,
        app.url("/hooks/bitrix24/robots/shtab_vendor_price")
    );
    // The tokens and the portal's identity are stored; the hub works with them.
    let member = portal.member_id();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM bitrix24_oauth WHERE member_id = '{member}'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM bitrix24_app WHERE removed_at IS NULL")
            .await,
        1
    );
    users_robot(&app).await;

    // Again (the admin reinstalls): fresh tokens, nothing bound twice, nothing refused.
    let (status, answer) = install(&portal, &app).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (&answer["placements"], &answer["events"], &answer["robots"]),
        (&json!(0), &json!(0), &json!(0))
    );
    assert_eq!(bindings(&portal), expected);
    let stored: String = sqlx::query_scalar("SELECT refresh_token FROM bitrix24_oauth")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(Some(stored), portal.current_tokens().map(|t| t.1));

    // The portal's events are signed with the installation's token: believed.
    let token = portal.application_token().expect("an application token");
    let event = portal.task_event_body("ONTASKUPDATE", 101, &token);
    let (status, answer) = post_form(&app, "/hooks/bitrix24", event).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "queued");

    // A forged installation (a token the portal never issued) stores nothing.
    let forged = portal.event_body(
        "ONAPPINSTALL",
        &[
            ("auth[member_id]", member.as_str()),
            ("auth[access_token]", "forged-access"),
            ("auth[refresh_token]", "forged-refresh"),
        ],
        "forged-app-token",
    );
    let (status, answer) = post_form(&app, INSTALL, forged).await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(answer["error"]["code"], "bad_token");
    // A live token, but of another application on the same portal: not ours to keep.
    let foreign = portal.foreign_app_token("local.0000000000000a.11111111");
    let forged = portal.event_body(
        "ONAPPINSTALL",
        &[
            ("auth[member_id]", member.as_str()),
            ("auth[access_token]", foreign.as_str()),
            ("auth[refresh_token]", "foreign-refresh"),
        ],
        "foreign-app-token",
    );
    let (status, answer) = post_form(&app, INSTALL, forged).await;
    assert_eq!(status, 401, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("another application"),
        "{answer}"
    );
    let token_now: String = sqlx::query_scalar("SELECT application_token FROM bitrix24_app")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(token_now, token);

    // A removal without the installation's token is refused; the tokens stay.
    let forged = portal.event_body("ONAPPUNINSTALL", &[("data[CLEAN]", "0")], "not-the-token");
    let (status, _) = post_form(&app, INSTALL, forged).await;
    assert_eq!(status, 401);
    assert_eq!(app.count("SELECT COUNT(*) FROM bitrix24_oauth").await, 1);

    // The admin removes the application: the portal says so, the tokens go.
    let (status, answer) = portal.uninstall_local_app().await.expect("bound");
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "removed");
    assert_eq!(app.count("SELECT COUNT(*) FROM bitrix24_oauth").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM bitrix24_app WHERE removed_at IS NOT NULL")
            .await,
        1
    );
    // Its events are no longer believed.
    let event = portal.task_event_body("ONTASKUPDATE", 101, &token);
    assert_eq!(post_form(&app, "/hooks/bitrix24", event).await.0, 401);

    // Installed again later: everything bound again, once.
    let (status, answer) = install(&portal, &app).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(bindings(&portal), expected);
}

/// A commit naming #101, pushed and linked.
async fn commit_naming_101(app: &TestApp) -> String {
    let forge = Forge::new();
    let repo = add_repository(app, "github", WEB_URL, &forge.clone_url()).await;
    let t = now_secs() + 5;
    let sha = forge.commit(IVAN, t, "Checkout total #101 @1h30m");
    forge.push_all();
    let body = push_of(&forge, WEB_URL, "main", &[&sha]);
    let (code, answer) = post(app, &github_push(&repo.webhook_secret, "d-1", body)).await;
    assert!(code == 200 || code == 202, "{code} {answer}");
    drain(app).await;
    sha
}

fn csp(answer: &reqwest::Response) -> String {
    answer.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_task_tab_shows_the_commits_to_a_confirmed_viewer_with_the_rights_and_nothing_to_anyone_else()
 {
    let portal = fake_portal().await;
    let app = installed_hub(&portal).await;
    let sha = commit_naming_101(&app).await;
    let options = json!({"taskId": "101"});

    // Ivan opens task 101's tab on the portal (in Russian, the portal's default).
    let answer = portal
        .open_placement("TASK_VIEW_TAB", &options, 7, "ru")
        .await;
    assert!(answer.headers().get("set-cookie").is_none());
    let status = answer.status();
    let policy = csp(&answer);
    let html = answer.text().await.unwrap();
    assert_eq!(status, 200, "{html}");
    assert!(
        policy.contains(&format!("frame-ancestors {}", portal.origin())),
        "{policy}"
    );
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(html.contains(&format!("{WEB_URL}/commit/{sha}")), "{html}");
    assert!(html.contains(&sha[..9]), "{html}");
    assert!(html.contains("Checkout total #101 @1h30m"), "{html}");
    assert!(html.contains("main"), "{html}");
    assert!(html.contains("Открыть в Штабе"), "{html}");
    // The time it logged on the task («@1h30m»).
    assert!(
        text_of(&html).contains("Время по коммитам: 1 ч 30 мин"),
        "{html}"
    );
    // The portal was asked who the viewer is and whether they see the task, with their own
    // token.
    let asked = portal.calls_of("user.current");
    assert_eq!(asked.len(), 1);

    // In English when the portal speaks English.
    let answer = portal
        .open_placement("TASK_VIEW_TAB", &options, 7, "en")
        .await;
    let html = answer.text().await.unwrap();
    assert!(html.contains("Open in Shtab"), "{html}");
    assert!(html.contains(&sha[..9]));

    // A task of the portal's that no commit names: an empty tab, not an error.
    let answer = portal
        .open_placement("TASK_VIEW_TAB", &json!({"taskId": 103}), 7, "ru")
        .await;
    assert_eq!(answer.status(), 200);
    let html = answer.text().await.unwrap();
    assert!(html.contains("Ни один коммит"), "{html}");

    let refused = |status: u16| {
        let sha = sha.clone();
        move |(got, html): (u16, String)| {
            assert_eq!(got, status, "{html}");
            assert!(!html.contains(&sha[..9]), "nothing shown: {html}");
        }
    };

    // Pyotr is an accountant in Shtab: tasks are not his to read.
    refused(403)(opened(&portal, "TASK_VIEW_TAB", &options, 8, "ru").await);
    // Maria has no Shtab account.
    refused(403)(opened(&portal, "TASK_VIEW_TAB", &options, 9, "ru").await);
    // A task the portal hides from Ivan.
    let (status, html) = opened(&portal, "TASK_VIEW_TAB", &json!({"taskId": "102"}), 7, "ru").await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("не видна"), "{html}");

    // A forged AUTH_ID, an expired one, another portal's member_id: refused, nothing shown.
    let (url, form) = portal.placement_request("TASK_VIEW_TAB", &options, 7, "ru");
    let http = reqwest::Client::new();
    refused(401)(
        read(
            http.post(&url)
                .form(&with(&form, "AUTH_ID", "forged-token"))
                .send()
                .await
                .unwrap(),
        )
        .await,
    );
    let auth_id = form.iter().find(|(k, _)| k == "AUTH_ID").unwrap().1.clone();
    portal.expire_viewer_token(&auth_id);
    refused(401)(read(http.post(&url).form(&form).send().await.unwrap()).await);
    let (url, form) = portal.placement_request("TASK_VIEW_TAB", &options, 7, "ru");
    let other = with(&form, "member_id", "b9d1c6b3710f85df22e9377d6c4f0000");
    let calls_before = portal.calls_of("user.current").len();
    refused(403)(read(http.post(&url).form(&other).send().await.unwrap()).await);
    assert_eq!(
        portal.calls_of("user.current").len(),
        calls_before,
        "another portal's member_id is refused before its token is tried"
    );
    // No AUTH_ID at all.
    let bare: Vec<(String, String)> = form
        .iter()
        .filter(|(k, _)| k != "AUTH_ID")
        .cloned()
        .collect();
    refused(400)(read(http.post(&url).form(&bare).send().await.unwrap()).await);

    // Removed from the portal: the tab shows nothing any more.
    let (url, form) = portal.placement_request("TASK_VIEW_TAB", &options, 7, "ru");
    portal.uninstall_local_app().await.expect("bound");
    refused(409)(read(http.post(&url).form(&form).send().await.unwrap()).await);
}

/// `form` with `key` set to `value`.
fn with(form: &[(String, String)], key: &str, value: &str) -> Vec<(String, String)> {
    form.iter()
        .map(|(k, v)| (k.clone(), if k == key { value } else { v }.to_owned()))
        .collect()
}

/// A page's visible text, roughly: its tags dropped.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// `placement` of the card `options` as the portal opens it for `user` in `lang`: the
/// status and the page.
async fn opened(
    portal: &FakePortal,
    placement: &str,
    options: &Value,
    user: u64,
    lang: &str,
) -> (u16, String) {
    read(portal.open_placement(placement, options, user, lang).await).await
}

async fn read(answer: reqwest::Response) -> (u16, String) {
    (answer.status().as_u16(), answer.text().await.unwrap())
}

#[tokio::test]
async fn the_deal_tab_shows_the_tender_to_a_manager_and_nothing_to_others() {
    let sink = SmtpSink::start().await;
    let portal = fake_portal().await;
    let app = deals_hub(&portal, &sink).await;
    users_robot(&app).await;
    let deal = tender_deal(&app).await;
    // The tender the deal was made for, found by a saved search, seen twice.
    let search = searches::create(
        &app.db,
        &Actor::system("test"),
        &SearchInput {
            name: "Охрана зданий".into(),
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
    let in_50_hours = shtab_core::time::now_ms() + 50 * 3_600_000 + 60_000;
    let deadline =
        shtab_tenders::domain::time::parse_instant(&shtab_core::time::rfc3339_ms(in_50_hours))
            .unwrap();
    let mut facts = TenderFacts {
        region: Some("77".into()),
        deadline: Some(deadline),
        ..tender_facts(
            REG,
            "Оказание услуг по охране зданий",
            ("ГБУ «Жилищник района Арбат»", "7704869733"),
            123_456_789,
        )
    };
    let mut tx = app.db.begin().await.unwrap();
    tenders::store(&mut tx, &facts, "feed", Some(search.id), 1_000)
        .await
        .unwrap();
    facts.title = "Оказание услуг по охране зданий (изменения)".into();
    facts.notice_version = Some(2);
    tenders::store(&mut tx, &facts, "notice", Some(search.id), 2_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let options = json!({"ID": deal.to_string()});

    // Anna, a manager, opens the deal's tab «Тендер».
    let (status, html) = opened(&portal, "CRM_DEAL_DETAIL_TAB", &options, 10, "ru").await;
    assert_eq!(status, 200, "{html}");
    let text = text_of(&html);
    assert!(
        text.contains("Оказание услуг по охране зданий (изменения)"),
        "{text}"
    );
    assert!(text.contains(REG), "{text}");
    assert!(text.contains("ГБУ «Жилищник района Арбат»"), "{text}");
    assert!(text.contains("1 234 567,89 RUB"), "{text}");
    assert!(text.contains("осталось 2 дн."), "{text}");
    assert!(text.contains("Подача заявок"), "{text}");
    assert!(
        text.contains("Охрана зданий"),
        "the search that found it: {text}"
    );
    assert!(text.contains("версия 1"), "its history: {text}");
    assert!(
        html.contains(&format!(
            "https://zakupki.gov.ru/epz/order/notice/ea20/view/documents.html?regNumber={REG}"
        )),
        "{html}"
    );

    // In English on an English portal.
    let (_, html) = opened(&portal, "CRM_DEAL_DETAIL_TAB", &options, 10, "en").await;
    assert!(text_of(&html).contains("Applications close"), "{html}");

    // Ivan is a developer: tenders are not his; a deal the portal does not have shows
    // nothing either.
    let (status, html) = opened(&portal, "CRM_DEAL_DETAIL_TAB", &options, 7, "ru").await;
    assert_eq!(status, 403);
    assert!(!html.contains(REG), "{html}");
    let (status, html) = opened(
        &portal,
        "CRM_DEAL_DETAIL_TAB",
        &json!({"ID": "999999"}),
        10,
        "ru",
    )
    .await;
    assert_eq!(status, 403, "{html}");
    assert!(html.contains("не видна"), "{html}");
}

/// What Shtab knows of a 44-FZ tender `reg` accepting applications, first version, with its
/// (customer, INN) and maximum price in kopecks.
fn tender_facts(reg: &str, title: &str, (customer, inn): (&str, &str), max: i64) -> TenderFacts {
    TenderFacts {
        reg_number: RegNumber::parse(reg).unwrap(),
        law: Law::Fz44,
        title: title.into(),
        url: format!(
            "https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber={reg}"
        ),
        customer: Some(customer.into()),
        customer_inn: Some(inn.into()),
        region: None,
        max_price: Some(Kopecks(max)),
        currency: Some("RUB".into()),
        published_at: None,
        deadline: None,
        okpd2: vec![],
        platform: None,
        stage: Some(Stage::Submission),
        notice_version: Some(1),
        cancelled: false,
        feed_updated: None,
    }
}

/// A payment of ООО «Ромашка» (6 000,00) from an imported statement: its id.
async fn bank_payment(app: &TestApp) -> i64 {
    use crate::bitrix24_invoices::{accountant, doc, import_as, payment_id, statement};
    let api = accountant(app).await;
    import_as(
        &api,
        &statement(&[doc("17", "6000.00", "Оплата по счёту № 17")]),
    )
    .await;
    payment_id(app, "17").await
}

#[tokio::test]
async fn the_invoice_tab_shows_the_allocated_payments_and_what_is_left_to_an_accountant() {
    let portal = fake_portal().await;
    let app = installed_hub(&portal).await;
    let invoice = 501;
    portal.add_invoice(FakeInvoice::new(invoice, "17", Kopecks(1_000_000), 2, 5));
    // The bank's payment and what Shtab applied of it to the invoice.
    let payment = bank_payment(&app).await;
    sqlx::query(
        "INSERT INTO bitrix24_invoice_payments (invoice_id, payment_id, amount, state, version, \
         updated_at) VALUES ($1, $2, 600000, 'applied', 1, 0)",
    )
    .bind(invoice as i64)
    .bind(payment.to_string())
    .execute(app.db.pool())
    .await
    .unwrap();
    let options = json!({"ID": invoice.to_string()});

    let (status, html) = opened(&portal, "CRM_SMART_INVOICE_DETAIL_TAB", &options, 8, "ru").await;
    assert_eq!(status, 200, "{html}");
    let text = text_of(&html);
    assert!(text.contains("10 000,00"), "the total: {text}");
    assert!(text.contains("6 000,00"), "paid: {text}");
    assert!(text.contains("4 000,00"), "left: {text}");
    assert!(text.contains("ООО «Ромашка» (ИНН 7707083893)"), "{text}");
    assert!(text.contains("Оплата по счёту № 17"), "{text}");
    assert!(
        html.contains(&app.url(&format!("/bank/payments/{payment}"))),
        "{html}"
    );
    assert!(html.contains(&app.url("/bank/payments")), "{html}");

    // Ivan (a developer) may not read the bank; an invoice the portal does not have.
    let (status, html) = opened(&portal, "CRM_SMART_INVOICE_DETAIL_TAB", &options, 7, "ru").await;
    assert_eq!(status, 403);
    assert!(!html.contains("Ромашка"), "{html}");
    let (status, _) = opened(
        &portal,
        "CRM_SMART_INVOICE_DETAIL_TAB",
        &json!({"ID": 999999}),
        8,
        "ru",
    )
    .await;
    assert_eq!(status, 403);
}

/// A hub whose deals live on the portal too, with an SMTP sink for the vendor e-mail.
async fn deals_hub(portal: &FakePortal, sink: &SmtpSink) -> TestApp {
    deals_hub_with(portal, sink, |_| {}).await
}

async fn deals_hub_with(
    portal: &FakePortal,
    sink: &SmtpSink,
    adjust: impl FnOnce(&mut Config) + Send + 'static,
) -> TestApp {
    let port = sink.port;
    let app = hub_with(portal, move |c| {
        c.systems.deals = SystemOfRecord::Bitrix24;
        c.notify.email.smtp_host = "127.0.0.1".into();
        c.notify.email.smtp_port = port;
        c.notify.email.tls = SmtpTls::None;
        c.notify.email.from = "Штаб <shtab@agency.test>".into();
        adjust(c);
    })
    .await;
    let (status, answer) = install(portal, &app).await;
    assert_eq!(status, 200, "{answer}");
    shtab::server::portal_deals(&app.db, &app.config)
        .expect("a portal")
        .create_category(&Actor::system("test"))
        .await
        .expect("the category is created");
    app
}

const REG: &str = "0373100038724000012";

async fn tender_deal(app: &TestApp) -> u64 {
    deal_for(app, REG).await
}

/// A portal deal made for the tender `reg`, as the tenders pipeline makes it.
async fn deal_for(app: &TestApp, reg: &str) -> u64 {
    let fields = json!({
        "reg_number": reg,
        "tender_url": format!("https://zakupki.gov.ru/epz/order/notice/ea20/view/common-info.html?regNumber={reg}"),
        "customer": "ГБУ «Жилищник района Арбат»",
        "customer_inn": "7704869733",
        "max_price": 123_456_789,
        "currency": "RUB",
        "deadline": "2026-12-01T10:00:00+03:00",
        "law": "44-FZ",
        "okpd2": ["62.01.11.000"],
        "recommended_price": 110_000_050,
        "vendor_email": "partners@vendor.test",
    });
    let deal = NewDeal {
        pipeline: "tenders".into(),
        stage: String::new(),
        title: format!("Закупка № {reg}"),
        responsible: None,
        fields: fields.as_object().unwrap().clone(),
        external_key: reg.into(),
    };
    shtab::server::crm(&app.db, &app.config)
        .create_deal(&deal, &Actor::robot("tenders.searches"))
        .await
        .expect("the deal is created")
        .id
        .parse()
        .unwrap()
}

#[tokio::test]
async fn the_vendor_price_robot_emails_the_vendor_once_and_answers_the_portal_once() {
    let sink = SmtpSink::start().await;
    let portal = fake_portal().await;
    let app = deals_hub(&portal, &sink).await;
    let deal = tender_deal(&app).await;
    let robot_jobs = format!(
        "SELECT COUNT(*) FROM jobs WHERE kind = '{}'",
        <RobotCalled as shtab_core::jobs::Job>::KIND
    );

    // A call signed with another token: refused, nothing queued.
    let token = portal.application_token().unwrap();
    let forged = portal
        .event_body("x", &[], "not-the-token")
        .replace("event=x&", "event_token=forged&document_id%5B2%5D=DEAL_1&");
    let (status, answer) =
        post_form(&app, "/hooks/bitrix24/robots/shtab_vendor_price", forged).await;
    assert_eq!(status, 401, "{answer}");
    assert_eq!(app.count(&robot_jobs).await, 0);
    assert_ne!(token, "not-the-token");
    // Signed, but a robot Shtab does not have, or not about a deal: refused, nothing queued.
    let signed = |document: &str| {
        portal.event_body("x", &[], &token).replace(
            "event=x&",
            &format!("event_token=t-1&document_id%5B2%5D={document}&"),
        )
    };
    let (status, answer) = post_form(
        &app,
        "/hooks/bitrix24/robots/shtab_unknown",
        signed("DEAL_1"),
    )
    .await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (404, &json!("unknown_robot"))
    );
    let (status, answer) = post_form(
        &app,
        "/hooks/bitrix24/robots/shtab_vendor_price",
        signed("LEAD_1"),
    )
    .await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (400, &json!("invalid_call"))
    );
    assert_eq!(app.count(&robot_jobs).await, 0);

    // The deal's automation rule runs the robot; the portal's queue posts the call twice.
    let (status, answer, event_token) = portal.run_robot(VENDOR_PRICE, deal, &[]).await;
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("queued")),
        "{answer}"
    );
    assert_eq!(
        portal
            .repeat_robot_call(VENDOR_PRICE, deal, &event_token)
            .await,
        200
    );
    assert_eq!(
        app.count(&robot_jobs).await,
        1,
        "one job for one event token"
    );
    drain(&app).await;

    let mails: Vec<Value> = sink.messages().iter().map(|m| parse_mail(m)).collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0]["to"]
            .as_str()
            .unwrap()
            .contains("partners@vendor.test")
    );
    assert_eq!(
        mails[0]["subject"],
        format!("Согласование цены: закупка № {REG}")
    );
    let sends = portal.event_sends();
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert_eq!(sends[0].event_token, event_token);
    assert_eq!(sends[0].return_values["result"], "done");
    assert!(
        sends[0].log_message.contains("partners@vendor.test"),
        "{}",
        sends[0].log_message
    );

    // The hub answered and crashed before recording it: the job runs again, sends no second
    // e-mail, and the portal's refusal of a second answer ends it.
    sqlx::query("UPDATE bitrix24_robot_calls SET answered_at = NULL")
        .execute(app.db.pool())
        .await
        .unwrap();
    let mut tx = app.db.begin().await.unwrap();
    shtab_core::jobs::enqueue_in(
        &mut tx,
        &RobotCalled {
            event_token: event_token.clone(),
        },
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    drain(&app).await;
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(portal.event_sends().len(), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM bitrix24_robot_calls WHERE answered_at IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'crm.send_deal_email'")
            .await,
        1
    );
}

/// How many times the page's frame has loaded (its empty page, then the placement).
async fn frame_loads(b: &crate::browser::Browser) -> u64 {
    b.eval("return window.frameLoads || 0")
        .await
        .as_u64()
        .unwrap_or(0)
}

/// Waits until the page's frame has loaded the placement (or the browser's refusal of it).
async fn wait_for_placement(b: &crate::browser::Browser) {
    for _ in 0..200 {
        if frame_loads(b).await >= 2 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the frame never loaded the placement");
}

#[tokio::test]
async fn the_portal_frames_the_task_tab_in_a_browser_and_another_site_cannot() {
    let Some(b) = crate::browser::browser().await else {
        eprintln!("skipped: no chromedriver");
        return;
    };
    let portal = fake_portal().await;
    let app = installed_hub(&portal).await;
    let sha = commit_naming_101(&app).await;
    let options = json!({"taskId": "101"});

    // The portal's task card: its page posts the placement into an iframe.
    let card = portal.frame_page("TASK_VIEW_TAB", &options, 7, "ru");
    b.goto(&card).await;
    wait_for_placement(&b).await;
    b.client().enter_frame(0).await.unwrap();
    let text = b.wait_for_text(".commits", &sha[..9]).await;
    assert!(text.contains("Checkout total #101 @1h30m"), "{text}");
    b.client().enter_parent_frame().await.unwrap();

    // The same frame on another site (another origin): the hub answers, the browser
    // refuses to show it.
    let elsewhere = FakePortal::start().await;
    let asked = portal.calls_of("user.current").len();
    let page = elsewhere.serve_page(&portal.frame_html_for("TASK_VIEW_TAB", &options, 7, "ru"));
    b.goto(&page).await;
    wait_for_placement(&b).await;
    assert_eq!(
        portal.calls_of("user.current").len(),
        asked + 1,
        "the hub was asked for the tab"
    );
    b.client().enter_frame(0).await.unwrap();
    let shown = b
        .eval("return document.body ? document.body.innerText : ''")
        .await;
    let shown = shown.as_str().unwrap_or_default().to_owned();
    assert!(!shown.contains(&sha[..9]), "{shown}");
    let commits = b
        .client()
        .find_all(fantoccini::Locator::Css(".commit"))
        .await
        .unwrap();
    assert!(commits.is_empty(), "the refused frame shows no commit");
    b.close().await;
}

#[tokio::test]
async fn the_tender_refresh_robot_writes_what_the_notice_changed_to_the_deal() {
    let sink = SmtpSink::start().await;
    let eis = Eis::default();
    let mut tender = EisTender::new(1, "Оказание услуг по охране зданий");
    tender.price = "500000.00".into();
    eis.set(vec![tender.clone()]);
    let addr = eis.serve().await;
    let portal = fake_portal().await;
    let app = deals_hub_with(&portal, &sink, move |c| {
        c.tenders.portal_url = format!("http://{addr}");
    })
    .await;
    let deal = deal_for(&app, &tender.reg).await;
    // What Shtab knew of the tender: the price before the notice changed it.
    let facts = tender_facts(
        &tender.reg,
        &tender.title,
        (&tender.customer, &tender.inn),
        44_166_667,
    );
    let mut tx = app.db.begin().await.unwrap();
    tenders::store(&mut tx, &facts, "feed", None, 1_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let (status, answer, event_token) = portal.run_robot("shtab_tender_refresh", deal, &[]).await;
    assert_eq!(status, 200, "{answer}");
    drain(&app).await;

    assert_eq!(eis.notice_requests(), 1);
    let stored = tenders::by_reg_number(&app.db, &tender.reg)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.facts.max_price, Some(Kopecks(50_000_000)));
    let on_portal = shtab::server::crm(&app.db, &app.config)
        .get_deal(&deal.to_string())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        on_portal.fields["max_price"],
        json!(50_000_000),
        "{on_portal:?}"
    );
    let sends = portal.event_sends();
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert_eq!(sends[0].event_token, event_token);
    assert_eq!(sends[0].return_values["result"], "done");
    assert!(
        sends[0].log_message.contains("max_price"),
        "{}",
        sends[0].log_message
    );

    // A deal Shtab did not make from a tender: answered, saying so.
    let (_, _, other_token) = portal.run_robot("shtab_tender_refresh", 777_777, &[]).await;
    drain(&app).await;
    let sends = portal.event_sends();
    assert_eq!(sends.len(), 2);
    assert_eq!(sends[1].event_token, other_token);
    assert_eq!(sends[1].return_values["result"], "failed");
}
