//! The audit log as those who read it meet it: the page with its filters and paging, and
//! the same entries through `/api/v1/audit`.

use serde_json::{Value, json as body};
use shtab_core::audit::Actor;
use shtab_core::auth::{Role, users};
use shtab_core::settings;

use crate::testkit::{TestApp, WebClient, json};

const ADMIN: &str = "admin@agency.test";

/// The rows of the log's table, as text (tags dropped, spaces squeezed), newest first.
fn rows(page: &str) -> Vec<String> {
    let Some(start) = page.find("<tbody>") else {
        return Vec::new();
    };
    let end = start + page[start..].find("</tbody>").expect("the table ends");
    page[start..end].split("<tr>").skip(1).map(text).collect()
}

fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `href` of the pager link with this `rel`, unescaped as a browser would.
fn pager_link(page: &str, rel: &str) -> Option<String> {
    let marker = format!("\" rel=\"{rel}\"");
    let end = page.find(&marker)?;
    let start = page[..end].rfind("href=\"")? + "href=\"".len();
    Some(page[start..end].replace("&amp;", "&").replace("&#38;", "&"))
}

async fn user_id(app: &TestApp, email: &str) -> i64 {
    users::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email.as_deref() == Some(email))
        .unwrap_or_else(|| panic!("{email} is a user"))
        .id
        .0
}

async fn set_name(admin: &WebClient, name: &str) {
    let saved = admin
        .post_form("/settings", &[("organisation_name", name)])
        .await;
    assert_eq!(saved.status(), 303, "the settings form was not accepted");
}

/// The day an entry was made, where the agency is, as `YYYY-MM-DD` (the page shows
/// `DD.MM.YYYY HH:MM`).
fn day_of(row: &str) -> String {
    format!("{}-{}-{}", &row[6..10], &row[3..5], &row[..2])
}

#[tokio::test]
async fn a_settings_change_shows_who_made_it_and_what_was_before_and_after() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    set_name(&admin, "Рога и копыта").await;
    set_name(&admin, "Копыта и рога").await;

    let page = admin.get_text("/audit").await;
    let rows = rows(&page);
    // Newest first: the second change, then the first.
    assert!(
        rows[0].contains("admin")
            && rows[0].contains("Изменены настройки")
            && rows[0].contains("organisation_name: Рога и копыта → Копыта и рога"),
        "{rows:#?}"
    );
    assert!(
        rows[1].contains("organisation_name: — → Рога и копыта"),
        "an empty name reads as a dash: {rows:#?}"
    );
    assert!(
        page.contains(
            "<del><code>Рога и копыта</code></del> → <ins><code>Копыта и рога</code></ins>"
        )
    );

    let english = admin.post_form("/lang", &[("lang", "en")]).await;
    assert_eq!(english.status(), 303);
    let page = admin.get_text("/audit").await;
    assert!(page.contains("Audit log") && page.contains("What changed"));
}

#[tokio::test]
async fn the_page_filters_by_actor_object_and_date() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let admin_id = user_id(&app, ADMIN).await;
    set_name(&admin, "Рога и копыта").await;
    settings::set_organisation_name(&app.db, &Actor::robot("Робот выписок"), "Копыта")
        .await
        .unwrap();
    // Made on the command line: a person and their user.
    let olga = app
        .create_user("olga@agency.test", "Ольга Смирнова", &[Role::Developer])
        .await;

    let by_admin = rows(
        &admin
            .get_text(&format!("/audit?actor=user:{admin_id}"))
            .await,
    );
    assert_eq!(by_admin.len(), 1, "{by_admin:#?}");
    assert!(by_admin[0].contains("Рога и копыта"));

    let by_robots = rows(&admin.get_text("/audit?actor=robot").await);
    assert_eq!(by_robots.len(), 1, "{by_robots:#?}");
    assert!(by_robots[0].contains("Робот выписок") && by_robots[0].contains("робот"));

    let about_olga = admin
        .get_text(&format!(
            "/audit?object_kind=person&object_id={}",
            olga.person_id.0
        ))
        .await;
    let about_olga_rows = rows(&about_olga);
    assert_eq!(about_olga_rows.len(), 1, "{about_olga_rows:#?}");
    assert!(about_olga_rows[0].contains("Добавлен человек"));
    assert!(
        about_olga.contains(&format!("href=\"/people/{}\"", olga.person_id.0)),
        "a person links to their page"
    );
    let settings_only = rows(&admin.get_text("/audit?object_kind=settings").await);
    assert_eq!(settings_only.len(), 2, "{settings_only:#?}");

    let all = rows(&admin.get_text("/audit").await);
    let today = day_of(&all[0]);
    let on_the_day = rows(
        &admin
            .get_text(&format!("/audit?from={today}&to={today}"))
            .await,
    );
    assert_eq!(on_the_day.len(), all.len(), "`to` includes its whole day");
    let russian_dates = format!("{}.{}.{}", &today[8..10], &today[5..7], &today[..4]);
    let typed = rows(
        &admin
            .get_text(&format!("/audit?from={russian_dates}&to={russian_dates}"))
            .await,
    );
    assert_eq!(typed.len(), all.len(), "ДД.ММ.ГГГГ is a date too");
    let in_the_past = admin.get_text("/audit?from=2020-01-01&to=2020-12-31").await;
    assert!(rows(&in_the_past).is_empty());
    assert!(in_the_past.contains("Записей нет."));
    let up_to_the_past = rows(&admin.get_text("/audit?to=2020-12-31").await);
    assert!(up_to_the_past.is_empty());
    let since_the_past = rows(&admin.get_text("/audit?from=2020-01-01").await);
    assert_eq!(since_the_past.len(), all.len());

    let bad = admin.get_text("/audit?from=someday").await;
    assert!(
        bad.contains("aria-invalid=\"true\""),
        "the bad date is marked"
    );
    assert!(bad.contains("someday"), "and kept for correcting");
    assert!(
        rows(&bad).is_empty(),
        "nothing is shown for a filter that did not parse"
    );
}

#[tokio::test]
async fn older_entries_are_a_link_away_and_each_page_keeps_the_filter() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let robot = Actor::robot("Робот");
    for i in 0..55 {
        settings::set_organisation_name(&app.db, &robot, &format!("Название {i}"))
            .await
            .unwrap();
    }

    let first = admin.get_text("/audit?actor=robot").await;
    let first_rows = rows(&first);
    assert_eq!(first_rows.len(), 50);
    assert!(first_rows[0].contains("Название 54"));
    assert!(
        pager_link(&first, "first").is_none(),
        "this is the newest page"
    );
    let older = pager_link(&first, "next").expect("a link to older entries");
    assert!(older.contains("actor=robot") && older.contains("before_id="));

    let second = admin.get_text(&older).await;
    let second_rows = rows(&second);
    assert_eq!(second_rows.len(), 5);
    assert!(second_rows[4].contains("— → Название 0"));
    assert!(pager_link(&second, "next").is_none(), "nothing is older");
    assert_eq!(
        pager_link(&second, "first").as_deref(),
        Some("/audit?actor=robot")
    );
}

#[tokio::test]
async fn the_api_returns_the_same_entries_with_the_same_filters() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let admin_id = user_id(&app, ADMIN).await;
    set_name(&admin, "Рога и копыта").await;
    settings::set_organisation_name(&app.db, &Actor::robot("Робот выписок"), "Копыта")
        .await
        .unwrap();
    let api = app.token_as("auditor@agency.test", &[Role::Manager]).await;
    // A change made through the API is the token's, in its user's name.
    let created = json(
        api.post("/api/v1/people").json(&body!({
            "full_name": "Пётр Иванов",
            "emails": ["petr@agency.test"],
        })),
        201,
    )
    .await;
    let petr = created["id"].as_i64().unwrap();

    let all = json(api.get("/api/v1/audit"), 200).await;
    let entries = all["entries"].as_array().unwrap();
    let page = admin.get_text("/audit").await;
    assert_eq!(entries.len(), rows(&page).len());
    for (entry, row) in entries.iter().zip(rows(&page)) {
        assert!(
            row.contains(entry["object_label"].as_str().unwrap()),
            "{entry} vs {row}"
        );
    }
    assert_eq!(entries[0]["action"], "person.create");
    assert_eq!(entries[0]["actor"]["kind"], "token");
    assert_eq!(entries[0]["object_id"], petr.to_string());
    assert!(
        entries[0]["actor"]["label"]
            .as_str()
            .unwrap()
            .contains("test"),
        "the token is named: {}",
        entries[0]["actor"]
    );
    assert!(all["next_before_id"].is_null());

    let by_admin = json(api.get(&format!("/api/v1/audit?actor_id={admin_id}")), 200).await;
    let by_admin = by_admin["entries"].as_array().unwrap();
    assert_eq!(by_admin.len(), 1);
    assert_eq!(
        by_admin[0]["actor"],
        body!({"kind": "user", "user_id": admin_id, "label": "admin"})
    );
    assert_eq!(
        by_admin[0]["changes"],
        body!({"organisation_name": {"before": "", "after": "Рога и копыта"}})
    );

    let robots = json(api.get("/api/v1/audit?actor_kind=robot"), 200).await;
    assert_eq!(robots["entries"].as_array().unwrap().len(), 1);
    assert_eq!(robots["entries"][0]["actor"]["user_id"], Value::Null);

    let about_petr = json(
        api.get(&format!(
            "/api/v1/audit?object_kind=person&object_id={petr}"
        )),
        200,
    )
    .await;
    assert_eq!(about_petr["entries"].as_array().unwrap().len(), 1);

    // Dates are days where the agency is; instants are instants.
    let today = day_of(&rows(&page)[0]).to_string();
    let on_the_day = json(
        api.get(&format!("/api/v1/audit?since={today}&until={today}")),
        200,
    )
    .await;
    assert_eq!(on_the_day["entries"], all["entries"]);
    let in_the_past = json(
        api.get("/api/v1/audit?since=2020-01-01&until=2020-12-31"),
        200,
    )
    .await;
    assert_eq!(in_the_past["entries"], body!([]));
    let newest_at = entries[0]["at"].as_str().unwrap().to_string();
    let before_newest = json(
        api.get("/api/v1/audit")
            .query(&[("until", newest_at.as_str())]),
        200,
    )
    .await;
    assert!(
        before_newest["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["id"] != entries[0]["id"]),
        "an instant `until` is exclusive"
    );

    // Paging: one at a time, older and older, the same entries in the same order.
    let mut paged = Vec::new();
    let mut next = String::from("/api/v1/audit?limit=1");
    loop {
        let page = json(api.get(&next), 200).await;
        paged.extend(page["entries"].as_array().unwrap().iter().cloned());
        match page["next_before_id"].as_i64() {
            Some(id) => next = format!("/api/v1/audit?limit=1&before_id={id}"),
            None => break,
        }
    }
    assert_eq!(&paged, entries);
}

#[tokio::test]
async fn the_api_refuses_malformed_parameters_naming_them() {
    let app = TestApp::spawn().await;
    let api = app.token_as("auditor@agency.test", &[Role::Admin]).await;
    for (query, names) in [
        ("since=yesterday", "since"),
        ("until=2026-02-30", "until"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=many", "limit"),
        ("actor_kind=alien", "actor_kind"),
        ("actor_id=admin", "actor_id"),
        ("before_id=x", "before_id"),
    ] {
        let error = json(api.get(&format!("/api/v1/audit?{query}")), 400).await;
        assert_eq!(error["error"]["code"], "bad_request", "{query}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{query}: {message}");
    }
}

#[tokio::test]
async fn only_those_who_may_read_the_log_see_it() {
    let app = TestApp::spawn().await;
    let developer = app.login_as("dev@agency.test", &[Role::Developer]).await;
    assert_eq!(developer.get("/audit").await.status(), 403);
    assert!(
        !developer.get_text("/").await.contains("href=\"/audit\""),
        "the menu does not offer it"
    );
    let developer_api = app
        .token_as("dev-api@agency.test", &[Role::Developer])
        .await;
    let refused = json(developer_api.get("/api/v1/audit"), 403).await;
    assert_eq!(refused["error"]["code"], "forbidden");

    let manager = app.login_as("anna@agency.test", &[Role::Manager]).await;
    assert_eq!(manager.get("/audit").await.status(), 200);

    let stranger = WebClient::new(&app.base);
    let to_login = stranger.get("/audit?actor=robot").await;
    assert_eq!(to_login.status(), 303);
    assert!(
        to_login.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next=%2Faudit")
    );
    let anonymous = reqwest::get(app.url("/api/v1/audit")).await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn offboarding_logs_every_token_session_and_device_it_ends_with_dates_readable() {
    use crate::access::{admin_api, grant, resource, vpn_settings};

    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    // Иван can log in, has a token and a VPN device.
    let ivan_user = app
        .create_user("ivan@agency.test", "Иван Петров", &[Role::Developer])
        .await;
    let ivan = ivan_user.person_id.0;
    app.login("ivan@agency.test", crate::testkit::PASSWORD)
        .await;
    let (token, _) = shtab_core::auth::tokens::create(
        &app.db,
        &Actor::system("test"),
        ivan_user.id,
        "laptop script",
    )
    .await
    .unwrap();
    let vpn = resource(
        &api,
        body!({"name": "VPN", "kind": "vpn", "settings": vpn_settings("10.8.0.0/24")}),
    )
    .await;
    let vpn_grant = grant(
        &api,
        body!({"person_id": ivan, "resource_id": vpn, "expires_at": "2027-01-15T12:00:00Z"}),
    )
    .await;
    let device = json(
        api.post("/api/v1/access/devices")
            .json(&body!({"grant_id": vpn_grant["id"], "name": "laptop"})),
        201,
    )
    .await;
    let device_id = device["device"]["id"].as_i64().expect("the device's id");
    let session_started: i64 =
        sqlx::query_scalar("SELECT created_at FROM sessions WHERE user_id = $1")
            .bind(ivan_user.id.0)
            .fetch_one(app.db.pool())
            .await
            .unwrap();

    json(
        api.post(&format!("/api/v1/access/people/{ivan}/offboard"))
            .json(&body!({})),
        200,
    )
    .await;

    let entries = |kind: &'static str| {
        let api = &api;
        async move {
            json(api.get(&format!("/api/v1/audit?object_kind={kind}")), 200).await["entries"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let tokens = entries("token").await;
    let revoked: Vec<&Value> = tokens
        .iter()
        .filter(|e| e["action"] == "token.revoke")
        .collect();
    assert_eq!(revoked.len(), 1, "{tokens:?}");
    assert_eq!(revoked[0]["object_id"], token.id.to_string());
    assert_eq!(revoked[0]["object_label"], "laptop script (Иван Петров)");

    let users = entries("user").await;
    let ended: Vec<&Value> = users
        .iter()
        .filter(|e| e["action"] == "session.end")
        .collect();
    assert_eq!(ended.len(), 1, "{users:?}");
    assert_eq!(ended[0]["object_id"], ivan_user.id.0.to_string());
    // Instants in the values are RFC 3339 in the API, as every instant there is.
    assert_eq!(
        ended[0]["changes"]["created_at"],
        shtab_core::time::rfc3339_ms(session_started),
        "{}",
        ended[0]
    );

    let devices = entries("access_device").await;
    let device_revoked: Vec<&Value> = devices
        .iter()
        .filter(|e| e["action"] == "access.device.revoke")
        .collect();
    assert_eq!(device_revoked.len(), 1, "{devices:?}");
    assert_eq!(device_revoked[0]["object_id"], device_id.to_string());

    // Each effect was written with its entry: the database agrees with the log.
    let live_sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE user_id = $1")
        .bind(ivan_user.id.0)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(live_sessions, 0);

    // The page shows the session's start as a date where the agency is, not as a number.
    let admin = app.login_as(ADMIN, &[Role::Admin]).await;
    let page = admin.get_text("/audit?object_kind=user").await;
    let shown = shtab_core::robots::format_in_zone(session_started, "Europe/Moscow").unwrap();
    let row = rows(&page)
        .into_iter()
        .find(|r| r.contains("Завершён сеанс входа"))
        .unwrap_or_else(|| panic!("no session.end row: {page}"));
    assert!(row.contains(&shown), "{row}");
    assert!(!row.contains(&session_started.to_string()), "{row}");
}

#[tokio::test]
async fn a_grants_end_shows_as_a_date_on_the_page_and_in_the_api() {
    use crate::access::{admin_api, grant, resource};

    let app = TestApp::spawn().await;
    let api = admin_api(&app).await;
    let ivan = crate::access::person(&api, "Иван Петров", "ivan@agency.test", &[]).await;
    let web = resource(
        &api,
        body!({"name": "Web", "kind": "ssh", "settings": {"target": "web"}}),
    )
    .await;
    grant(
        &api,
        body!({"person_id": ivan, "resource_id": web, "login": "ivan", "expires_at": "2027-01-15T12:00:00Z"}),
    )
    .await;
    let log = json(api.get("/api/v1/audit?object_kind=access_grant"), 200).await;
    let entry = &log["entries"][0];
    assert_eq!(entry["action"], "access.grant", "{log}");
    assert_eq!(
        entry["changes"]["expires_at"], "2027-01-15T12:00:00+00:00",
        "{entry}"
    );

    let admin = app.login_as(ADMIN, &[Role::Admin]).await;
    let page = admin.get_text("/audit?object_kind=access_grant").await;
    let row = rows(&page).into_iter().next().expect("the grant's row");
    assert!(row.contains("expires_at: 15.01.2027 15:00"), "{row}");
    assert!(!row.contains("1800014400000"), "{row}");
}
