//! The robot `bitrix24.users` against the fake portal: the portal's active employees become
//! people (matched by the remembered portal user id, else by e-mail in any case), their name,
//! work e-mail, phone and position kept in line; a leaver is listed "offboard?" and the access
//! managers told, with nothing revoked; an e-mail two people claim is a conflict; a second run
//! changes nothing.

use serde_json::json;
use shtab_bitrix24::fake::{FakePortal, FakeUser};
use shtab_core::auth::Role;
use shtab_core::config::Secret;
use shtab_core::ids::PersonId;
use shtab_core::people::{self, PersonStatus};
use shtab_core::robots::{self, RunRow};

use crate::testkit::TestApp;

async fn hub_on(portal: &FakePortal) -> TestApp {
    let webhook = portal.webhook_url();
    TestApp::spawn_with(move |c| c.bitrix24.webhook_url = Secret::new(webhook)).await
}

async fn run(app: &TestApp) -> RunRow {
    let set = shtab::server::robot_set(&app.db, &app.config);
    let run = robots::run_in_foreground(&app.db, &set, "bitrix24.users", None)
        .await
        .expect("the robot runs");
    assert_eq!(run.status, "done", "{:?}", run.error);
    run
}

fn counters(run: &RunRow) -> serde_json::Value {
    serde_json::from_str(&run.counters).unwrap()
}

async fn person_of(app: &TestApp, portal_user: u64) -> Option<PersonId> {
    sqlx::query_scalar::<_, i64>("SELECT person_id FROM bitrix24_people WHERE portal_user_id = $1")
        .bind(portal_user as i64)
        .fetch_optional(app.db.pool())
        .await
        .unwrap()
        .map(PersonId)
}

async fn audit_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE actor_label = 'bitrix24.users'")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

fn employee(id: u64, name: &str, last: &str, email: &str, phone: &str, position: &str) -> FakeUser {
    let mut u = FakeUser::new(id, name, last, email);
    u.phone = phone.into();
    u.position = position.into();
    u
}

#[tokio::test]
async fn the_portals_employees_become_people_and_a_second_run_changes_nothing() {
    let portal = FakePortal::start().await;
    portal.add_user(employee(
        1,
        "Ольга",
        "Смирнова",
        "olga@agency.test",
        "+7 900 111-22-33",
        "Директор",
    ));
    portal.add_user(employee(
        7,
        "Иван",
        "Петров",
        "Ivan.Petrov@Agency.test",
        "",
        "Разработчик",
    ));
    portal.add_user(employee(
        12,
        "Пётр",
        "Новый",
        "petr@agency.test",
        "+7 900 555-00-00",
        "",
    ));
    let mut gone_before = FakeUser::new(30, "Давно", "Ушедший", "old@agency.test");
    gone_before.active = false;
    portal.add_user(gone_before);
    let app = hub_on(&portal).await;
    // Ivan is already a person, under the address in lower case and with a second one.
    let ivan = app
        .add_person("Иван Петров (старое имя)", "ivan.petrov@agency.test")
        .await;

    let first = run(&app).await;
    assert_eq!(
        counters(&first),
        json!({"created": 2, "updated": 1, "matched": 1, "left": 0, "conflicts": 0}),
    );
    assert_eq!(
        person_of(&app, 7).await,
        Some(ivan),
        "matched by e-mail, case aside"
    );
    let ivan_now = people::get(&app.db, ivan).await.unwrap();
    assert_eq!(ivan_now.full_name, "Иван Петров");
    assert_eq!(ivan_now.position.as_deref(), Some("Разработчик"));
    let olga = people::get(&app.db, person_of(&app, 1).await.unwrap())
        .await
        .unwrap();
    assert_eq!(olga.full_name, "Ольга Смирнова");
    assert_eq!(olga.emails[0].as_str(), "olga@agency.test");
    assert_eq!(olga.phone.as_deref(), Some("+7 900 111-22-33"));
    assert_eq!(olga.position.as_deref(), Some("Директор"));
    assert_eq!(
        person_of(&app, 30).await,
        None,
        "an inactive user is no new person"
    );
    assert_eq!(people::count(&app.db).await.unwrap(), 3);
    assert_eq!(
        audit_count(&app).await,
        6,
        "two created, one updated, three given the Bitrix24 channel, as the robot"
    );

    // What Shtab asked: active employees, by id, without totals.
    let asked = portal.calls_of("user.get");
    assert_eq!(asked.len(), 1);
    let body = asked[0].body();
    assert_eq!(body["FILTER"]["ACTIVE"], json!(true), "{body}");
    assert_eq!(body["start"], json!(-1));
    assert_eq!(body["sort"], json!("ID"));

    let second = run(&app).await;
    assert_eq!(
        counters(&second),
        json!({"created": 0, "updated": 0, "matched": 0, "left": 0, "conflicts": 0}),
    );
    assert_eq!(
        audit_count(&app).await,
        6,
        "nothing changed the second time"
    );
    assert_eq!(people::count(&app.db).await.unwrap(), 3);
}

#[tokio::test]
async fn a_person_stays_matched_by_portal_id_when_their_email_changes() {
    let portal = FakePortal::start().await;
    portal.add_user(employee(
        5,
        "Анна",
        "Смирнова",
        "anna@agency.test",
        "",
        "Дизайнер",
    ));
    let app = hub_on(&portal).await;
    run(&app).await;
    let anna = person_of(&app, 5).await.unwrap();

    // On the portal she marries and changes her address, position and phone (her work line
    // only: no mobile).
    portal.update_user(5, |u| {
        u.last_name = "Кузнецова".into();
        u.email = "anna.k@agency.test".into();
        u.position = "Арт-директор".into();
        u.work_phone = "+7 495 000-00-01".into();
    });
    let run2 = run(&app).await;
    assert_eq!(counters(&run2)["created"], 0);
    assert_eq!(counters(&run2)["updated"], 1);
    let now = people::get(&app.db, anna).await.unwrap();
    assert_eq!(now.full_name, "Анна Кузнецова");
    let emails: Vec<&str> = now.emails.iter().map(|e| e.as_str()).collect();
    assert_eq!(
        emails,
        ["anna.k@agency.test", "anna@agency.test"],
        "the old address is kept"
    );
    assert_eq!(now.phone.as_deref(), Some("+7 495 000-00-01"));
    assert_eq!(now.position.as_deref(), Some("Арт-директор"));
    assert_eq!(people::count(&app.db).await.unwrap(), 1);

    // Her next address is one a colleague already has: the rest is kept in line, the address
    // stays the colleague's, and the page shows the conflict.
    let boris = app.add_person("Борис", "boris@agency.test").await;
    portal.update_user(5, |u| {
        u.email = "BORIS@agency.test".into();
        u.position = "Руководитель студии".into();
    });
    let r = run(&app).await;
    assert_eq!(counters(&r)["updated"], 1);
    assert_eq!(counters(&r)["conflicts"], 1);
    let now = people::get(&app.db, anna).await.unwrap();
    assert_eq!(now.position.as_deref(), Some("Руководитель студии"));
    assert!(!now.emails.iter().any(|e| e.as_str() == "boris@agency.test"));
    let boris_now = people::get(&app.db, boris).await.unwrap();
    assert_eq!(boris_now.emails[0].as_str(), "boris@agency.test");
    let page = app.admin().await.get_text("/settings/bitrix24").await;
    assert!(
        page.contains("новый адрес с портала уже указан у другого человека"),
        "{page}"
    );
}

#[tokio::test]
async fn a_leaver_is_listed_and_the_access_managers_told_once_with_nothing_revoked() {
    let portal = FakePortal::start().await;
    portal.add_user(employee(1, "Ольга", "Смирнова", "olga@agency.test", "", ""));
    portal.add_user(employee(
        9,
        "Сергей",
        "Уходящий",
        "sergey@agency.test",
        "",
        "",
    ));
    let app = hub_on(&portal).await;
    let web = app.admin().await; // an access manager, who reads e-mail
    let admin = people::find_by_email(
        &app.db,
        &shtab_core::types::Email::parse("email", "admin@agency.test").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    shtab_core::notify::set_channels(
        &app.db,
        &shtab_core::audit::Actor::system("test"),
        admin,
        &[shtab_core::notify::RawChannel {
            channel: "email".into(),
            target: "admin@agency.test".into(),
            enabled: true,
        }],
        true,
    )
    .await
    .unwrap();
    run(&app).await;
    let sergey = person_of(&app, 9).await.unwrap();

    // Sergey is made inactive on the portal.
    portal.update_user(9, |u| u.active = false);
    for expected_left in [1, 0] {
        assert_eq!(counters(&run(&app).await)["left"], expected_left);
    }
    let person = people::get(&app.db, sergey).await.unwrap();
    assert_eq!(
        person.status,
        PersonStatus::Active,
        "nothing revoked or deactivated"
    );
    let told: Vec<(i64, String)> = sqlx::query_as(
        "SELECT person_id, subject FROM notify_deliveries WHERE template_key = 'bitrix24.user_left'",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(told.len(), 1, "told once: {told:?}");
    assert_eq!(told[0].0, admin.0);
    assert!(told[0].1.contains("Сергей Уходящий"), "{told:?}");

    let page = web.get_text("/settings/bitrix24").await;
    assert!(page.contains("Ушли с портала — уволить?"), "{page}");
    assert!(page.contains(&format!("/access/people/{}/offboard", sergey.0)));
    assert!(page.contains("Сергей Уходящий"));

    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let status = crate::testkit::json(api.get("/api/v1/bitrix24/status"), 200).await;
    assert_eq!(status["departed"][0]["person_id"], sergey.0, "{status}");
    assert_eq!(status["departed"][0]["portal_user_id"], 9);
    assert_eq!(status["departed"][0]["full_name"], "Сергей Уходящий");

    // He comes back: off the list, and nobody is told again.
    portal.update_user(9, |u| u.active = true);
    assert_eq!(counters(&run(&app).await)["left"], 0);
    let page = web.get_text("/settings/bitrix24").await;
    assert!(page.contains("Никто не ушёл."), "{page}");
}

#[tokio::test]
async fn an_email_two_people_claim_is_a_conflict_not_a_guess() {
    let portal = FakePortal::start().await;
    portal.add_user(employee(3, "Общий", "Первый", "team@agency.test", "", ""));
    portal.add_user(employee(4, "Общий", "Второй", "TEAM@agency.test", "", ""));
    portal.add_user(employee(6, "Мария", "Иванова", "maria@agency.test", "", ""));
    let app = hub_on(&portal).await;
    let team = app.add_person("Команда", "team@agency.test").await;

    let r = run(&app).await;
    assert_eq!(counters(&r)["conflicts"], 2);
    assert_eq!(counters(&r)["created"], 1);
    assert_eq!(person_of(&app, 3).await, None);
    assert_eq!(person_of(&app, 4).await, None);
    let untouched = people::get(&app.db, team).await.unwrap();
    assert_eq!(untouched.full_name, "Команда");

    let page = app.admin().await.get_text("/settings/bitrix24").await;
    assert!(page.contains("Конфликты e-mail"), "{page}");
    assert!(page.contains("адрес у нескольких пользователей портала"));
    assert!(page.contains("Общий Второй (4)"));
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let status = crate::testkit::json(api.get("/api/v1/bitrix24/status"), 200).await;
    assert_eq!(
        status["conflicts"],
        json!([
            {"portal_user_id": 3, "portal_name": "Общий Первый", "email": "team@agency.test", "reason": "shared_by_portal_users"},
            {"portal_user_id": 4, "portal_name": "Общий Второй", "email": "TEAM@agency.test", "reason": "shared_by_portal_users"},
        ])
    );

    // The same conflicts again: nothing else changes.
    let again = run(&app).await;
    assert_eq!(
        counters(&again),
        json!({"created": 0, "updated": 0, "matched": 0, "left": 0, "conflicts": 2}),
    );

    // A second portal account with Maria's address: she is already someone else's match.
    let maria = person_of(&app, 6).await.unwrap();
    portal.add_user(employee(8, "Мария", "Дубль", "Maria@agency.test", "", ""));
    let r = run(&app).await;
    assert_eq!(counters(&r)["conflicts"], 3);
    assert_eq!(person_of(&app, 8).await, None);
    assert_eq!(person_of(&app, 6).await, Some(maria));
    let page = app
        .login("admin@agency.test", crate::testkit::PASSWORD)
        .await
        .get_text("/settings/bitrix24")
        .await;
    assert!(
        page.contains("уже сопоставлен другому пользователю портала"),
        "{page}"
    );
}

#[tokio::test]
async fn the_robot_exists_only_with_a_portal_and_only_robot_managers_run_it() {
    let app = TestApp::spawn().await;
    let set = shtab::server::robot_set(&app.db, &app.config);
    assert!(set.get("bitrix24.users").is_none());

    let portal = FakePortal::start().await;
    let app = hub_on(&portal).await;
    let set = shtab::server::robot_set(&app.db, &app.config);
    assert!(set.get("bitrix24.users").is_some());
    let dev = app.token_as("dev@agency.test", &[Role::Developer]).await;
    let r = dev
        .post("/api/v1/robots/bitrix24.users/run")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(portal.calls().is_empty());
}

#[tokio::test]
async fn without_the_user_scope_the_run_fails_naming_it_and_changes_nothing() {
    let portal = FakePortal::start().await;
    portal.add_user(employee(1, "Ольга", "Смирнова", "olga@agency.test", "", ""));
    portal.grant_scopes(&["task", "im"]);
    let app = hub_on(&portal).await;
    let set = shtab::server::robot_set(&app.db, &app.config);
    let r = robots::run_in_foreground(&app.db, &set, "bitrix24.users", None)
        .await
        .unwrap();
    assert_eq!(r.status, "failed");
    let error = r.error.unwrap_or_default();
    assert!(
        error.contains("«user»") && error.contains("user.get"),
        "{error}"
    );
    assert_eq!(people::count(&app.db).await.unwrap(), 0);
}
