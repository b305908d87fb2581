//! A Bitrix24 local application authorised from `/settings/bitrix24`, against the fake portal
//! and its OAuth server: the button sends the admin to the portal with a state bound to their
//! session, the callback exchanges the code (secrets in a form body) and stores the tokens
//! only when they are for the configured portal; the page then shows whose they are, never
//! the tokens; the hub's robot, tracker and check work with them and refresh them once; two
//! hubs on one database refreshing at once end with one working pair. A non-admin, an API
//! token, a forged, replayed, foreign or expired state and another portal's code store nothing.

use std::sync::Arc;
use std::time::Duration;

use shtab_bitrix24::client::{
    AppCredentials, Client, ClientConfig, Credentials, Grant, PortalOrigin, RateLimit,
    RefreshClaim, TokenStore, Tokens,
};
use shtab_bitrix24::fake::{FakePortal, FakeTask, FakeUser, WEBHOOK_USER};
use shtab_bitrix24::store::{DbTokenStore, oauth as connections};
use shtab_core::audit::Actor;
use shtab_core::auth::Role;
use shtab_core::config::{Secret, SystemOfRecord};
use shtab_core::robots;
use shtab_core::time::now_ms;

use crate::testkit::{TestApp, WebClient, json};

const CLIENT_ID: &str = "local.66f1c2a0b3d4e5.70414732";
const CLIENT_SECRET: &str = "app-s3cret-LJSl0lNB76B5YY6u";
const CALLBACK: &str = "/settings/bitrix24/oauth/callback";

/// A hub configured with the portal's local application, which the portal has installed with
/// the hub's callback as its handler.
async fn hub_with_app(portal: &FakePortal) -> TestApp {
    let (origin, oauth) = (portal.origin(), portal.oauth_url());
    let app = TestApp::spawn_with(move |c| {
        c.bitrix24.portal_url = origin;
        c.bitrix24.client_id = CLIENT_ID.into();
        c.bitrix24.client_secret = Secret::new(CLIENT_SECRET);
        c.bitrix24.oauth_url = oauth;
        c.systems.tasks = SystemOfRecord::Bitrix24;
    })
    .await;
    portal.install_app(CLIENT_ID, CLIENT_SECRET);
    portal.set_app_handler(&app.url(CALLBACK));
    app
}

async fn fake_portal() -> FakePortal {
    let portal = FakePortal::start().await;
    let mut owner = FakeUser::new(WEBHOOK_USER, "Ольга", "Смирнова", "olga@agency.test");
    owner.position = "Директор".into();
    portal.add_user(owner);
    portal.add_user(FakeUser::new(7, "Иван", "Петров", "ivan@agency.test"));
    portal.add_task(FakeTask::new(101, "Лендинг"));
    portal
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// A browser that is not the hub's session (the portal's pages).
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Presses "Authorise" and lets the portal agree: returns the address the hub sent the admin
/// to, and the one the portal sends them back to (the callback, with code and state).
async fn to_portal_and_back(web: &WebClient, portal: &FakePortal) -> (String, String) {
    let start = web.post_form("/settings/bitrix24/oauth/start", &[]).await;
    assert_eq!(start.status(), 303, "{:?}", start.text().await);
    let authorize = location(&start);
    let mut at_portal = reqwest::Url::parse(&authorize).unwrap();
    // Another portal's page, when the test plays a forged flow.
    let origin = reqwest::Url::parse(&portal.origin()).unwrap();
    at_portal.set_port(origin.port()).unwrap();
    let answer = browser().get(at_portal).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    (authorize, location(&answer))
}

async fn authorise(web: &WebClient, portal: &FakePortal) -> reqwest::Response {
    let (_, back) = to_portal_and_back(web, portal).await;
    web.http.get(back).send().await.unwrap()
}

async fn stored_connections(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM bitrix24_oauth")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn stored_refresh_token(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT refresh_token FROM bitrix24_oauth")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

fn query_pairs(url: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A form body's fields, in order.
fn form_pairs(form: &str) -> Vec<(String, String)> {
    query_pairs(&format!("http://form.invalid/?{form}"))
}

fn with_pair(url: &str, key: &str, value: &str) -> String {
    let mut parsed = reqwest::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = query_pairs(url)
        .into_iter()
        .map(|(k, v)| {
            if k == key {
                (k, value.to_owned())
            } else {
                (k, v)
            }
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

/// No secret of the application in any address the hub or the portal were sent to.
fn assert_no_secret_in_addresses(portal: &FakePortal) {
    for r in portal.http_requests() {
        assert_eq!(r.query, None, "{} had a query string", r.method);
    }
    for r in portal.token_requests() {
        assert_eq!(r.query, None, "a token request had a query string");
    }
    for a in portal.authorizations() {
        assert!(!a.contains(CLIENT_SECRET), "{a}");
    }
}

#[tokio::test]
async fn an_admin_authorises_the_application_and_the_page_shows_whose_tokens_not_the_tokens() {
    let portal = fake_portal().await;
    let app = hub_with_app(&portal).await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;

    let before = json(api.get("/api/v1/bitrix24/status"), 200).await;
    assert_eq!(before["mode"], "application");
    assert_eq!(before["configured"], true);
    assert_eq!(before["connection"]["authorised"], false);
    assert_eq!(before["connection"]["handler_url"], app.url(CALLBACK));
    // Asking before anyone authorised says so, without a request to the portal.
    let check = json(api.post("/api/v1/bitrix24/check"), 200).await;
    assert_eq!(check["check"]["ok"], false);
    assert_eq!(check["last_error"]["kind"], "not_connected", "{check}");
    assert!(portal.http_requests().is_empty());

    let web = app.admin().await;
    let page = web.get_text("/settings/bitrix24").await;
    assert!(page.contains("Авторизовать"), "{page}");
    assert!(page.contains(&app.url(CALLBACK)));

    let (authorize, back) = to_portal_and_back(&web, &portal).await;
    // The portal's page, with the application's id and the state: nothing else.
    let pairs = query_pairs(&authorize);
    assert!(authorize.starts_with(&format!("{}/oauth/authorize/?", portal.origin())));
    assert_eq!(
        pairs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["client_id", "state"]
    );
    assert_eq!(pairs[0].1, CLIENT_ID);
    assert!(pairs[1].1.len() >= 32, "an unguessable state");
    let code = query_pairs(&back)
        .into_iter()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1;

    let done = web.http.get(&back).send().await.unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(location(&done), "/settings/bitrix24");

    // The code went to the OAuth server in a form body, with the secret.
    let exchanges = portal.token_requests();
    assert_eq!(exchanges.len(), 1);
    let form: Vec<(String, String)> = form_pairs(&exchanges[0].form);
    assert_eq!(
        form,
        [
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", code.as_str()),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    // Then the hub asked whose tokens these are, with the new access token in the body.
    let asked: Vec<String> = portal.calls().iter().map(|c| c.method.clone()).collect();
    assert_eq!(asked, ["profile", "scope"]);
    assert!(
        portal
            .http_requests()
            .iter()
            .all(|r| r.body()["auth"] == "access-1")
    );
    assert_no_secret_in_addresses(&portal);
    assert_eq!(stored_refresh_token(&app).await, "refresh-1");

    let status = json(api.get("/api/v1/bitrix24/status"), 200).await;
    let c = &status["connection"];
    assert_eq!(c["authorised"], true, "{status}");
    assert_eq!(c["member_id"], portal.member_id());
    assert_eq!(c["portal_user_id"], 1);
    assert_eq!(
        c["scopes"],
        serde_json::json!(["task", "tasks", "user", "im", "crm", "department"])
    );
    assert_eq!(c["authorised_by"], "admin");
    let now_ms = now_ms();
    assert!(c["expires_at"].as_i64().unwrap() > now_ms + 3_000_000);
    assert_eq!(status["check"]["owner"]["name"], "Ольга Смирнова");
    assert_eq!(status["missing_scopes"], serde_json::json!([]));

    let page = web.get_text("/settings/bitrix24").await;
    assert!(page.contains("Чьи токены"), "{page}");
    assert!(page.contains("Ольга Смирнова (ID 1, администратор портала)"));
    assert!(page.contains("Авторизовать заново"));
    assert!(page.contains("Отключить"));
    for secret in ["access-1", "refresh-1", CLIENT_SECRET, code.as_str()] {
        assert!(!page.contains(secret), "the page shows {secret}");
        assert!(
            !status.to_string().contains(secret),
            "the status shows {secret}"
        );
    }

    // Who did it is in the audit log, without any token.
    let audit: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT action, actor_label, changes FROM audit_log WHERE object_kind = 'bitrix24_portal'",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].0, "bitrix24.connect");
    assert_eq!(audit[0].1, "admin");
    assert!(audit[0].2.contains(&portal.member_id()));
    assert!(!audit[0].2.contains("access-1") && !audit[0].2.contains("refresh-1"));
}

#[tokio::test]
async fn the_robot_the_tracker_and_the_check_use_the_tokens_and_refresh_them_once() {
    let portal = fake_portal().await;
    let app = hub_with_app(&portal).await;
    let web = app.admin().await;
    assert_eq!(authorise(&web, &portal).await.status(), 303);
    portal.forget_requests();

    // The hour is over: the first call refreshes, the rest use the new pair.
    portal.expire_access_token();
    let set = shtab::server::robot_set(&app.db, &app.config);
    let run = robots::run_in_foreground(&app.db, &set, "bitrix24.users", None)
        .await
        .expect("the robot runs");
    assert_eq!(run.status, "done", "{:?}", run.error);
    let person: Option<i64> =
        sqlx::query_scalar("SELECT person_id FROM bitrix24_people WHERE portal_user_id = 7")
            .fetch_optional(app.db.pool())
            .await
            .unwrap();
    assert!(person.is_some(), "the portal's employee became a person");

    let tracker = shtab::server::tracker(&app.db, &app.config);
    let task = tracker.find_task("#101").await.unwrap().expect("task 101");
    assert_eq!(task.title, "Лендинг");
    tracker
        .comment("101", None, "Собрано на стенде")
        .await
        .unwrap();
    assert_eq!(portal.comments(101).len(), 1);

    let refreshes = portal.refreshes();
    assert_eq!(refreshes.len(), 1, "one refresh for all of it");
    let form: Vec<(String, String)> = form_pairs(&refreshes[0].form);
    assert!(form.contains(&("refresh_token".into(), "refresh-1".into())));
    assert!(form.contains(&("client_secret".into(), CLIENT_SECRET.into())));
    // The rotated pair is in the database; the old one is dead.
    let (access, refresh) = portal.current_tokens().unwrap();
    assert_eq!(refresh, "refresh-2");
    assert_eq!(stored_refresh_token(&app).await, refresh);
    let requests = portal.http_requests();
    assert_eq!(requests[0].body()["auth"], "access-1", "refused as expired");
    assert!(requests[1..].iter().all(|r| r.body()["auth"] == access));
    assert_no_secret_in_addresses(&portal);

    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let check = json(api.post("/api/v1/bitrix24/check"), 200).await;
    assert_eq!(check["check"]["ok"], true, "{check}");
    assert!(check["connection"]["refreshed_at"].as_i64().is_some());
    assert_eq!(portal.refreshes().len(), 1);
}

#[tokio::test]
async fn a_non_admin_or_an_api_token_can_neither_authorise_nor_disconnect() {
    let portal = fake_portal().await;
    let app = hub_with_app(&portal).await;
    let admin = app.admin().await;
    let (_, back) = to_portal_and_back(&admin, &portal).await;
    let callback_path = back.trim_start_matches(&app.base).to_owned();

    let manager = app.login_as("manager@agency.test", &[Role::Manager]).await;
    let start = manager
        .post_form("/settings/bitrix24/oauth/start", &[])
        .await;
    assert_eq!(start.status(), 403);
    assert_eq!(manager.get(&callback_path).await.status(), 403);
    assert_eq!(
        manager
            .post_form("/settings/bitrix24/oauth/disconnect", &[])
            .await
            .status(),
        403
    );

    let token = app.token_as("boss@agency.test", &[Role::Admin]).await;
    for refused in [
        token
            .post("/settings/bitrix24/oauth/start")
            .send()
            .await
            .unwrap(),
        token.get(&callback_path).send().await.unwrap(),
        token
            .post("/settings/bitrix24/oauth/disconnect")
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(refused.status(), 403, "an API token opens no page");
    }
    assert!(portal.token_requests().is_empty(), "no code was exchanged");
    assert_eq!(stored_connections(&app).await, 0);

    // The admin's own state was not used up by any of that.
    let done = admin.http.get(&back).send().await.unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(stored_connections(&app).await, 1);
    let refused = manager
        .post_form("/settings/bitrix24/oauth/disconnect", &[])
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(stored_connections(&app).await, 1);
}

#[tokio::test]
async fn a_forged_foreign_replayed_or_expired_state_is_refused_and_nothing_stored() {
    let portal = fake_portal().await;
    let app = hub_with_app(&portal).await;
    let admin = app.admin().await;

    // A state the hub never gave.
    let forged = format!(
        "{CALLBACK}?code=code-x&state=forged-state-000000000000000000000000&domain={}",
        portal.origin().trim_start_matches("http://")
    );
    let answer = admin.get(&forged).await;
    assert_eq!(answer.status(), 400);
    let page = answer.text().await.unwrap();
    assert!(
        page.contains("Авторизация не принята, ничего не сохранено"),
        "{page}"
    );
    assert!(page.contains("ссылка неизвестна"), "{page}");

    // Another admin's browser delivering this admin's code and state.
    let (_, back) = to_portal_and_back(&admin, &portal).await;
    let other = app.login_as("second@agency.test", &[Role::Admin]).await;
    assert_eq!(other.http.get(&back).send().await.unwrap().status(), 400);
    assert!(portal.token_requests().is_empty(), "nothing was exchanged");
    assert_eq!(stored_connections(&app).await, 0);

    // The admin's own: accepted once, refused when replayed.
    assert_eq!(admin.http.get(&back).send().await.unwrap().status(), 303);
    assert_eq!(admin.http.get(&back).send().await.unwrap().status(), 400);
    assert_eq!(
        portal.token_requests().len(),
        1,
        "the replay exchanged nothing"
    );

    // A state past its ten minutes.
    let (_, late) = to_portal_and_back(&admin, &portal).await;
    sqlx::query("UPDATE bitrix24_oauth_states SET expires_at = $1")
        .bind(now_ms() - 1)
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(admin.http.get(&late).send().await.unwrap().status(), 400);
    assert_eq!(portal.token_requests().len(), 1);
    assert_eq!(stored_refresh_token(&app).await, "refresh-1");
}

#[tokio::test]
async fn a_code_for_another_portal_is_refused_and_nothing_stored() {
    let portal = fake_portal().await;
    let app = hub_with_app(&portal).await;
    // Another portal where someone installed an application with the same id.
    let theirs = fake_portal().await;
    theirs.install_app(CLIENT_ID, CLIENT_SECRET);
    theirs.set_app_handler(&app.url(CALLBACK));
    let admin = app.admin().await;

    // The portal says it is another: refused before any exchange.
    let (_, back) = to_portal_and_back(&admin, &theirs).await;
    let answer = admin.http.get(&back).send().await.unwrap();
    assert_eq!(answer.status(), 400);
    let page = answer.text().await.unwrap();
    assert!(page.contains("код выдан для другого портала"), "{page}");
    assert!(portal.token_requests().is_empty() && theirs.token_requests().is_empty());

    // The address tampered to name ours: the OAuth server's answer still names theirs.
    let (_, back) = to_portal_and_back(&admin, &theirs).await;
    let ours = portal.origin().trim_start_matches("http://").to_owned();
    let tampered = with_pair(
        &with_pair(&back, "domain", &ours),
        "member_id",
        &portal.member_id(),
    );
    let answer = admin.http.get(&tampered).send().await.unwrap();
    assert_eq!(answer.status(), 400);
    let page = answer.text().await.unwrap();
    assert!(page.contains(&theirs.origin()), "{page}");
    assert_eq!(portal.token_requests().len(), 1, "exchanged, then refused");
    assert_eq!(stored_connections(&app).await, 0);
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let status = json(api.get("/api/v1/bitrix24/status"), 200).await;
    assert_eq!(status["connection"]["authorised"], false);
}

#[tokio::test]
async fn disconnecting_drops_the_tokens_and_the_portal_is_not_called_again() {
    let portal = fake_portal().await;
    let app = hub_with_app(&portal).await;
    let admin = app.admin().await;
    assert_eq!(authorise(&admin, &portal).await.status(), 303);
    portal.forget_requests();

    let done = admin
        .post_form("/settings/bitrix24/oauth/disconnect", &[])
        .await;
    assert_eq!(done.status(), 303);
    assert_eq!(stored_connections(&app).await, 0);
    let page = admin.get_text("/settings/bitrix24").await;
    assert!(page.contains("Приложение ещё не авторизовано"), "{page}");
    assert!(
        !page.contains("Ольга Смирнова"),
        "the last check went with the tokens"
    );

    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let check = json(api.post("/api/v1/bitrix24/check"), 200).await;
    assert_eq!(check["last_error"]["kind"], "not_connected", "{check}");
    assert_eq!(check["connection"]["authorised"], false);
    assert!(portal.http_requests().is_empty(), "no call without tokens");

    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE object_kind = 'bitrix24_portal' ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(actions, ["bitrix24.connect", "bitrix24.disconnect"]);

    // Authorising again works as the first time.
    assert_eq!(authorise(&admin, &portal).await.status(), 303);
    assert_eq!(stored_connections(&app).await, 1);
}

/// A client as another hub process builds it: its own pool on the database, its own lock.
fn hub_client(portal: &FakePortal, db: shtab_core::db::Db) -> Client {
    let origin = PortalOrigin::parse(&portal.origin()).unwrap();
    let credentials = Credentials::App(AppCredentials {
        store: Arc::new(DbTokenStore::new(db, &origin, CLIENT_ID)),
        portal: origin,
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
        oauth_url: portal.oauth_url(),
    });
    let config = ClientConfig {
        limit: RateLimit {
            rate: 1000.0,
            burst: 1000.0,
        },
        timeout: Duration::from_secs(10),
        backoff_base: Duration::ZERO,
        ..ClientConfig::default()
    };
    Client::new(credentials, config).unwrap()
}

/// Stores the portal's first pair as the hub's connection.
async fn connect_first_pair(app: &TestApp, portal: &FakePortal) -> Tokens {
    let (access, refresh) = portal.current_tokens().unwrap();
    let tokens = Tokens {
        access_token: Secret::new(access),
        refresh_token: Secret::new(refresh),
        expires_at: now_ms() / 1000 + 3600,
        scope: "task,user".into(),
    };
    let grant = Grant {
        tokens: tokens.clone(),
        member_id: portal.member_id(),
        portal: Some(PortalOrigin::parse(&portal.origin()).unwrap()),
        portal_user_id: Some(1),
    };
    connections::connect(
        &app.db,
        &Actor::system("test"),
        &PortalOrigin::parse(&portal.origin()).unwrap(),
        CLIENT_ID,
        &grant,
    )
    .await
    .unwrap();
    tokens
}

#[tokio::test]
async fn two_hubs_refreshing_at_once_end_with_one_working_pair() {
    let portal = fake_portal().await;
    let app = hub_with_app(&portal).await;
    connect_first_pair(&app, &portal).await;
    let second_pool = shtab_core::db::connect(&app.config).await.unwrap();
    let one = hub_client(&portal, app.db.clone());
    let two = hub_client(&portal, second_pool);

    // Both hubs' tokens are refused at once, and the OAuth server takes its time: without a
    // lease both would spend the same refresh token and one would be left with a dead pair.
    portal.expire_access_token();
    portal.delay_token_answers(Duration::from_millis(300));
    let mut calls = Vec::new();
    for client in [&one, &two, &one, &two] {
        let c = client.clone();
        calls.push(tokio::spawn(async move {
            c.call("user.current", &()).await.map(|_| ())
        }));
    }
    for call in calls {
        call.await
            .unwrap()
            .expect("every call of both hubs succeeds");
    }
    assert_eq!(portal.refreshes().len(), 1, "one refresh across both hubs");
    let (access, refresh) = portal.current_tokens().unwrap();
    assert_eq!(stored_refresh_token(&app).await, refresh);
    let lease: Option<String> = sqlx::query_scalar("SELECT lease_holder FROM bitrix24_oauth")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(lease, None, "the lease was given back");

    // A third hub starts with the stored pair and needs no refresh.
    portal.forget_requests();
    hub_client(&portal, app.db.clone())
        .call("profile", &())
        .await
        .unwrap();
    assert_eq!(portal.http_requests()[0].body()["auth"], access);
    assert_eq!(portal.refreshes().len(), 1);
}

#[tokio::test]
async fn a_refresh_lease_is_one_hubs_until_it_finishes_or_runs_out() {
    let portal = fake_portal().await;
    let app = hub_with_app(&portal).await;
    let read = connect_first_pair(&app, &portal).await;
    let origin = PortalOrigin::parse(&portal.origin()).unwrap();
    let one = DbTokenStore::new(app.db.clone(), &origin, CLIENT_ID);
    let two = DbTokenStore::new(
        shtab_core::db::connect(&app.config).await.unwrap(),
        &origin,
        CLIENT_ID,
    );
    let minute = Duration::from_secs(60);

    let RefreshClaim::Granted(lease) = one.claim_refresh(&read, minute).await.unwrap() else {
        panic!("the first claim is granted")
    };
    assert_eq!(
        two.claim_refresh(&read, minute).await.unwrap(),
        RefreshClaim::Busy
    );
    // The first hub stopped half-way; its lease runs out.
    sqlx::query("UPDATE bitrix24_oauth SET lease_until = $1")
        .bind(now_ms() - 1)
        .execute(app.db.pool())
        .await
        .unwrap();
    let RefreshClaim::Granted(taken_over) = two.claim_refresh(&read, minute).await.unwrap() else {
        panic!("a lease that ran out can be claimed")
    };
    let fresh = Tokens {
        access_token: Secret::new("access-9"),
        refresh_token: Secret::new("refresh-9"),
        ..read.clone()
    };
    assert!(
        two.finish_refresh(&taken_over, &read, &fresh)
            .await
            .unwrap()
    );
    // The first hub, back, finds the pair it read gone: it stores nothing over the new one.
    assert!(!one.finish_refresh(&lease, &read, &read).await.unwrap());
    assert_eq!(
        one.claim_refresh(&read, minute).await.unwrap(),
        RefreshClaim::Changed
    );
    assert_eq!(one.load().await.unwrap(), Some(fresh));
    // Giving back someone else's lease does nothing.
    let RefreshClaim::Granted(mine) = one
        .claim_refresh(&one.load().await.unwrap().unwrap(), minute)
        .await
        .unwrap()
    else {
        panic!("the new pair can be claimed")
    };
    two.abandon_refresh(&lease).await.unwrap();
    let holder: Option<String> = sqlx::query_scalar("SELECT lease_holder FROM bitrix24_oauth")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(holder.as_deref(), Some(mine.0.as_str()));
}

#[tokio::test]
async fn the_status_names_the_mode_and_what_an_application_lacks() {
    let portal = fake_portal().await;
    let webhook = portal.webhook_url();
    let with_webhook =
        TestApp::spawn_with(move |c| c.bitrix24.webhook_url = Secret::new(webhook)).await;
    let api = with_webhook
        .token_as("boss@agency.test", &[Role::Admin])
        .await;
    let status = json(api.get("/api/v1/bitrix24/status"), 200).await;
    assert_eq!(status["mode"], "webhook");
    assert!(status.get("connection").is_none());
    let page = with_webhook
        .admin()
        .await
        .get_text("/settings/bitrix24")
        .await;
    assert!(
        page.contains("Чей вебхук") && !page.contains("oauth/start"),
        "{page}"
    );

    let (origin, hook) = (portal.origin(), portal.webhook_url());
    let both = TestApp::spawn_with(move |c| {
        c.bitrix24.webhook_url = Secret::new(hook);
        c.bitrix24.portal_url = origin;
        c.bitrix24.client_id = CLIENT_ID.into();
    })
    .await;
    let api = both.token_as("boss@agency.test", &[Role::Admin]).await;
    let status = json(api.get("/api/v1/bitrix24/status"), 200).await;
    assert_eq!(status["configured"], false);
    assert!(
        status["problem"].as_str().unwrap().contains("keep one"),
        "{status}"
    );
}
