//! Notifications in the Bitrix24 app, as a manager and the portal see them: the users robot
//! gives people synced from the portal the `bitrix24` channel (once: their choice stands); a
//! partial payment reaches the manager as one `im.notify.system.add` from the same template
//! as every channel, outside markup shown as typed; a limited portal is retried and sends
//! once; a user the portal does not have, one who left, or a webhook without `im` fails the
//! delivery saying why; a disabled channel sends nothing; without a portal the channel says
//! it is not configured. The person page and the people API link the portal profile and show
//! the departments the robot read.

use std::time::Duration;

use serde_json::{Value, json};
use shtab_bitrix24::fake::{FakeDepartment, FakePortal, FakeUser, Fault};
use shtab_core::auth::Role;
use shtab_core::config::Secret;
use shtab_core::ids::PersonId;
use shtab_core::notify::{self, Channel, PersonChannel};
use shtab_core::ports::Message;
use shtab_core::robots::{self, RunRow};
use shtab_core::time::now_ms;

use crate::bank_matching::{account, invoice, match_now, payment};
use crate::testkit::{TestApp, json as json_of};

const MARIA: u64 = 7;
const PAYER_INN: &str = "7707083893";

/// A portal with Maria (user 7, in Sales) and Oleg (user 8), and a hub on it. The bucket is
/// fast so that a 503's backoff is short; the portal's own limit is what the tests fake.
async fn hub() -> (FakePortal, TestApp) {
    let portal = FakePortal::start().await;
    portal.add_department(FakeDepartment::new(1, "Агентство", None));
    portal.add_department(FakeDepartment::new(5, "Продажи", Some(1)));
    let mut maria = FakeUser::new(MARIA, "Мария", "Менеджер", "maria@agency.test");
    maria.departments = vec![5, 1];
    portal.add_user(maria);
    portal.add_user(FakeUser::new(8, "Олег", "Разработчик", "oleg@agency.test"));
    let app = hub_on(&portal).await;
    (portal, app)
}

async fn hub_on(portal: &FakePortal) -> TestApp {
    let webhook = portal.webhook_url();
    TestApp::spawn_with(move |c| {
        c.bitrix24.webhook_url = Secret::new(webhook);
        c.bitrix24.rate = 1000;
    })
    .await
}

async fn sync(app: &TestApp) -> RunRow {
    let set = shtab::server::robot_set(&app.db, &app.config);
    let run = robots::run_in_foreground(&app.db, &set, "bitrix24.users", None)
        .await
        .expect("the robot runs");
    assert_eq!(run.status, "done", "{:?}", run.error);
    run
}

async fn person_of(app: &TestApp, portal_user: u64) -> PersonId {
    sqlx::query_scalar::<_, i64>("SELECT person_id FROM bitrix24_people WHERE portal_user_id = $1")
        .bind(portal_user as i64)
        .fetch_one(app.db.pool())
        .await
        .map(PersonId)
        .expect("matched by the users robot")
}

async fn channels(app: &TestApp, person: PersonId) -> Vec<PersonChannel> {
    notify::channels_of(&app.db, person).await.unwrap()
}

fn bitrix24(target: &str, enabled: bool) -> PersonChannel {
    PersonChannel {
        channel: Channel::Bitrix24,
        target: target.into(),
        enabled,
    }
}

/// Runs every due job the hub runs (the notifications' among them).
async fn drain(app: &TestApp) {
    crate::vcs::drain(app).await;
}

async fn deliveries(app: &TestApp) -> Vec<notify::Delivery> {
    notify::list(
        &app.db,
        &notify::DeliveryFilter {
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

async fn tell(app: &TestApp, person: PersonId) -> Vec<i64> {
    shtab::server::notifier(&app.db, &app.config)
        .send(
            person,
            &Message {
                template: "notify.test".into(),
                context: json!({}),
                link: Some("/notifications/me".into()),
            },
        )
        .await
        .unwrap()
}

/// The notice `notify.test` makes for Maria (in Russian, the hub's default).
fn test_notice(app: &TestApp) -> String {
    format!(
        "[B][URL={}]Проверка уведомлений[/URL][/B]\nЗдравствуйте, Мария Менеджер!\n\
         Это проверочное сообщение от Штаба: канал работает.",
        app.url("/notifications/me")
    )
}

#[tokio::test]
async fn a_partial_payment_reaches_the_manager_in_the_bitrix24_app() {
    let (portal, app) = hub().await;
    sync(&app).await;
    let maria = person_of(&app, MARIA).await;
    assert_eq!(
        channels(&app, maria).await,
        vec![bitrix24("7", true)],
        "people synced from the portal get the channel, on"
    );

    let acc = account(&app).await;
    invoice(&app, "СЧ-7", PAYER_INN, 1_000_000, Some(maria)).await;
    // A payment's purpose is the payer's words: markup in it is shown, not obeyed.
    let pay = payment(
        &app,
        acc,
        PAYER_INN,
        400_000,
        "Аванс по сч. СЧ-7 [URL=https://evil.example]оплатить[/URL]",
    )
    .await;
    match_now(&app, &[pay]).await;
    drain(&app).await;

    let sent = portal.calls_of("im.notify.system.add");
    assert_eq!(sent.len(), 1, "{sent:?}");
    let expected = format!(
        "[B][URL={}]Платёж от ООО «Ромашка» на 4 000,00 ₽ требует внимания[/URL][/B]\n\
         Платёж от ООО «Ромашка» (ИНН 7707083893) на 4 000,00 ₽ от 02.02.2026 оплачивает счёт \
         № СЧ-7 частично.\nНазначение: Аванс по сч. СЧ-7 ［URL=https://evil.example]оплатить［/URL]",
        app.url(&format!("/bank/payments/{pay}"))
    );
    assert_eq!(
        sent[0].body(),
        json!({"USER_ID": 7, "MESSAGE": expected}),
        "the recipient is USER_ID, the message BB-code"
    );
    assert!(sent[0].query.is_none(), "nothing in the address");
    let notices = portal.notifications();
    assert_eq!(
        (notices.len(), notices[0].user_id),
        (1, MARIA),
        "{notices:?}"
    );

    let log = deliveries(&app).await;
    assert_eq!(log.len(), 1);
    let d = &log[0];
    assert_eq!(
        (d.channel.as_str(), d.target.as_str(), d.status.as_str()),
        ("bitrix24", "7", "sent")
    );
    assert_eq!((d.attempts, d.last_error.as_deref()), (1, None));
    assert_eq!(d.template_key, "bank.payment_needs_attention");
}

#[tokio::test]
async fn a_limited_portal_is_retried_and_the_notice_is_sent_once() {
    let (portal, app) = hub().await;
    sync(&app).await;
    let maria = person_of(&app, MARIA).await;

    // 503 QUERY_LIMIT_EXCEEDED: the call backs off and tries again.
    portal.fail_next(Some("im.notify.system.add"), Fault::QueryLimit);
    let ids = tell(&app, maria).await;
    drain(&app).await;
    assert_eq!(portal.calls_of("im.notify.system.add").len(), 2);
    let notices = portal.notifications();
    assert_eq!(notices.len(), 1, "sent once: {notices:?}");
    assert_eq!(notices[0].message, test_notice(&app));
    let d = notify::get(&app.db, ids[0]).await.unwrap();
    assert_eq!((d.status.as_str(), d.attempts), ("sent", 1));

    // 429 OPERATION_TIME_LIMIT for five minutes: the delivery waits for the portal, saying
    // why, and is not given up.
    portal.forget_requests();
    portal.fail_next(
        Some("im.notify.system.add"),
        Fault::OperationTimeLimit {
            reset_in: Duration::from_secs(300),
        },
    );
    let ids = tell(&app, maria).await;
    drain(&app).await;
    let d = notify::get(&app.db, ids[0]).await.unwrap();
    assert_eq!((d.status.as_str(), d.attempts), ("pending", 1));
    let error = d.last_error.unwrap_or_default();
    assert!(error.contains("OPERATION_TIME_LIMIT"), "{error}");
    let (state, run_at): (String, i64) =
        sqlx::query_as("SELECT state, run_at FROM jobs WHERE id = $1")
            .bind(d.job_id.unwrap())
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(state, "queued");
    assert!(
        run_at >= now_ms() + 200_000,
        "not before the portal's reset: {run_at}"
    );
    assert_eq!(portal.notifications().len(), 1, "nothing more went out");
}

#[tokio::test]
async fn a_user_the_portal_does_not_take_fails_the_delivery_saying_why() {
    let (portal, app) = hub().await;
    sync(&app).await;
    let oleg = person_of(&app, 8).await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;

    // A mistyped user id: the portal answers `result: false` and adds nothing.
    let put = json_of(
        api.put(&format!("/api/v1/people/{}/channels", oleg.0))
            .json(&json!({"channels": [{"channel": "bitrix24", "target": "99"}]})),
        200,
    )
    .await;
    assert_eq!(
        put["channels"],
        json!([{"channel": "bitrix24", "target": "99", "enabled": true}])
    );
    let ids = tell(&app, oleg).await;
    drain(&app).await;
    let d = notify::get(&app.db, ids[0]).await.unwrap();
    assert_eq!((d.status.as_str(), d.attempts), ("failed", 1));
    let error = d.last_error.unwrap_or_default();
    assert!(
        error.contains("Bitrix24 user 99") && error.contains("no such active user"),
        "{error}"
    );
    assert_eq!(portal.calls_of("im.notify.system.add").len(), 1);
    assert!(portal.notifications().is_empty());

    // A user who left the portal is not sent to at all.
    api.put(&format!("/api/v1/people/{}/channels", oleg.0))
        .json(&json!({"channels": [{"channel": "bitrix24", "target": "8"}]}))
        .send()
        .await
        .unwrap();
    portal.update_user(8, |u| u.active = false);
    sync(&app).await;
    let ids = tell(&app, oleg).await;
    drain(&app).await;
    let d = notify::get(&app.db, ids[0]).await.unwrap();
    assert_eq!(d.status, "failed");
    let error = d.last_error.unwrap_or_default();
    assert!(error.contains("no longer active"), "{error}");
    assert_eq!(portal.calls_of("im.notify.system.add").len(), 1);

    // A webhook without the `im` scope: failed, naming it, not retried.
    let maria = person_of(&app, MARIA).await;
    portal.grant_scopes(&["task", "user", "department"]);
    let ids = tell(&app, maria).await;
    drain(&app).await;
    let d = notify::get(&app.db, ids[0]).await.unwrap();
    assert_eq!((d.status.as_str(), d.attempts), ("failed", 1));
    let error = d.last_error.unwrap_or_default();
    assert!(error.contains("«im»"), "{error}");
    assert!(portal.notifications().is_empty());
}

#[tokio::test]
async fn a_persons_choice_stands_against_later_syncs_and_a_disabled_channel_sends_nothing() {
    let (portal, app) = hub().await;
    sync(&app).await;
    let maria = person_of(&app, MARIA).await;
    // Her account is her person (found by her e-mail).
    let api = app.token_as("maria@agency.test", &[Role::Developer]).await;

    // She switches the portal off and keeps e-mail.
    let put = json_of(
        api.put(&format!("/api/v1/people/{}/channels", maria.0))
            .json(&json!({"channels": [
                {"channel": "bitrix24", "target": "7", "enabled": false},
                {"channel": "email", "target": "maria@agency.test"}
            ]})),
        200,
    )
    .await;
    assert_eq!(put["channels"][0]["channel"], "email", "{put}");
    sync(&app).await;
    assert!(
        channels(&app, maria).await.contains(&bitrix24("7", false)),
        "a later sync leaves it off"
    );
    let ids = tell(&app, maria).await;
    drain(&app).await;
    assert_eq!(ids.len(), 1, "e-mail only");
    assert!(portal.calls_of("im.notify.system.add").is_empty());

    // Removed altogether, it is not given back either.
    json_of(
        api.put(&format!("/api/v1/people/{}/channels", maria.0))
            .json(&json!({"channels": [{"channel": "email", "target": "maria@agency.test"}]})),
        200,
    )
    .await;
    sync(&app).await;
    assert!(
        channels(&app, maria)
            .await
            .iter()
            .all(|c| c.channel != Channel::Bitrix24)
    );

    // Nobody else may point her messages elsewhere, on the portal or not.
    let oleg_api = app.token_as("oleg@agency.test", &[Role::Developer]).await;
    let r = oleg_api
        .put(&format!("/api/v1/people/{}/channels", maria.0))
        .json(&json!({"channels": [{"channel": "bitrix24", "target": "8"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        channels(&app, maria)
            .await
            .iter()
            .all(|c| c.channel != Channel::Bitrix24)
    );

    // A target that is no portal user id is refused, naming the field; nothing is saved.
    let refused = json_of(
        api.put(&format!("/api/v1/people/{}/channels", maria.0))
            .json(&json!({"channels": [{"channel": "bitrix24", "target": "maria"}]})),
        422,
    )
    .await;
    assert_eq!(refused["error"]["fields"][0]["field"], "bitrix24");
    assert_eq!(refused["error"]["fields"][0]["code"], "invalid_portal_user");
}

#[tokio::test]
async fn the_channels_page_shows_and_takes_the_bitrix24_user() {
    let (_portal, app) = hub().await;
    sync(&app).await;
    let maria = person_of(&app, MARIA).await;
    let user = app
        .create_user("maria@agency.test", "Мария Менеджер", &[Role::Developer])
        .await;
    assert_eq!(user.person_id, maria, "her account is her person");
    let web = app
        .login("maria@agency.test", crate::testkit::PASSWORD)
        .await;
    let page = web.get_text("/notifications/me").await;
    assert!(page.contains(">Битрикс24</label>"), "{page}");
    assert!(
        page.contains(r#"id="bitrix24" name="bitrix24" type="text" inputmode="numeric" value="7""#),
        "{page}"
    );
    assert!(
        page.contains("/company/personal/user/7/"),
        "the hint says where the number is"
    );

    let r = web
        .post_form(
            "/notifications/me",
            &[("bitrix24", "12"), ("bitrix24_enabled", "1")],
        )
        .await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    assert_eq!(channels(&app, maria).await, vec![bitrix24("12", true)]);
    let r = web
        .post_form("/notifications/me", &[("bitrix24", "12a")])
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("номер пользователя Битрикс24"), "{page}");
    assert_eq!(channels(&app, maria).await, vec![bitrix24("12", true)]);

    // In English.
    sqlx::query("UPDATE users SET locale = 'en' WHERE person_id = $1")
        .bind(maria.0)
        .execute(app.db.pool())
        .await
        .unwrap();
    let page = web.get_text("/notifications/me").await;
    assert!(page.contains(">Bitrix24</label>"), "{page}");
    assert!(page.contains("the Bitrix24 app"), "{page}");
}

#[tokio::test]
async fn without_a_portal_the_channel_says_it_is_not_configured() {
    let app = TestApp::spawn().await;
    let person = app.add_person("Мария Менеджер", "maria@agency.test").await;
    notify::set_channels(
        &app.db,
        &shtab_core::audit::Actor::system("test"),
        person,
        &[notify::RawChannel {
            channel: "bitrix24".into(),
            target: "7".into(),
            enabled: true,
        }],
        false,
    )
    .await
    .unwrap();
    let status = notify::channel_status(&app.config);
    assert_eq!(
        status.iter().find(|(c, _)| *c == Channel::Bitrix24),
        Some(&(
            Channel::Bitrix24,
            Some("bitrix24.webhook_url is not set (no portal is configured)")
        ))
    );
    let web = app.admin().await;
    let page = web.get_text("/notifications").await;
    assert!(
        page.contains("не задан параметр bitrix24.webhook_url"),
        "the log page says why: {page}"
    );

    let ids = tell(&app, person).await;
    drain(&app).await;
    let d = notify::get(&app.db, ids[0]).await.unwrap();
    assert_eq!(d.status, "failed");
    let error = d.last_error.unwrap_or_default();
    assert!(
        error.contains("bitrix24 channel is not configured"),
        "{error}"
    );
}

#[tokio::test]
async fn the_person_shows_their_portal_profile_and_departments() {
    let (portal, app) = hub().await;
    sync(&app).await;
    let maria = person_of(&app, MARIA).await;

    // The robot asked for the departments its users are in, by id.
    let asked = portal.calls_of("department.get");
    assert_eq!(asked.len(), 1);
    assert_eq!(
        asked[0].body(),
        json!({"ID": [1, 5], "sort": "ID", "order": "ASC"})
    );

    let api = app.token_as("viewer@agency.test", &[Role::Developer]).await;
    let body = json_of(api.get(&format!("/api/v1/people/{}", maria.0)), 200).await;
    let profile = format!("{}/company/personal/user/7/", portal.origin());
    assert_eq!(
        body["portal"],
        json!({"user_id": 7, "profile_url": profile, "departments": ["Продажи", "Агентство"],
               "left": false})
    );
    let web = app
        .login_as("viewer2@agency.test", &[Role::Developer])
        .await;
    let page = web.get_text(&format!("/people/{}", maria.0)).await;
    assert!(
        page.contains(&format!(
            r#"<a href="{profile}" rel="noopener noreferrer">Профиль на портале (ID 7)</a>"#
        )),
        "{page}"
    );
    assert!(page.contains("Продажи, Агентство"), "{page}");

    // A renamed department is renamed at the next run; a second run with nothing changed
    // writes nothing.
    portal.rename_department(5, "Отдел продаж");
    sync(&app).await;
    let body = json_of(api.get(&format!("/api/v1/people/{}", maria.0)), 200).await;
    assert_eq!(
        body["portal"]["departments"],
        json!(["Отдел продаж", "Агентство"])
    );

    // Without the `department` scope the run still syncs people, keeps the names it had and
    // says why in its log.
    portal.grant_scopes(&["task", "user", "im"]);
    let run = sync(&app).await;
    let log: Vec<(String, String)> =
        sqlx::query_as("SELECT level, message FROM robot_run_logs WHERE run_id = $1")
            .bind(run.id)
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert!(
        log.iter()
            .any(|(level, m)| level == "warn" && m.contains("«department»")),
        "{log:?}"
    );
    let body = json_of(api.get(&format!("/api/v1/people/{}", maria.0)), 200).await;
    assert_eq!(
        body["portal"]["departments"],
        json!(["Отдел продаж", "Агентство"])
    );

    // Someone the portal does not know has no profile; without a portal nobody has.
    let other = app.add_person("Внешний Подрядчик", "ext@agency.test").await;
    let body = json_of(api.get(&format!("/api/v1/people/{}", other.0)), 200).await;
    assert_eq!(body["portal"], Value::Null);
}
