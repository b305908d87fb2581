//! Notifications end to end: e-mail into a real SMTP sink (Debian's aiosmtpd), an SMTP server
//! that is down (retried with backoff, then dead, while other jobs go on), Telegram against a
//! fake Bot API that answers the documented shapes (429 with `retry_after`), signed webhooks,
//! template edits that do not compile, and checked channel targets. Deliveries run through
//! `jobs::run_due`, so nothing depends on timing.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;
use shtab_core::audit::Actor;
use shtab_core::config::{Config, Secret, SmtpTls};
use shtab_core::ids::PersonId;
use shtab_core::jobs::{self, Job, JobContext, Registry};
use shtab_core::notify::{self, RawChannel};
use shtab_core::ports::{Message, Notifier};
use shtab_core::time::now_ms;

use crate::smtp_sink::{SmtpSink, assert_headers_of_real_mail, free_port, parse_mail};
use crate::testkit::{ApiClient, TestApp, json as json_of};

// ---------------------------------------------------------------------------------------
// Helpers

async fn set_channels(app: &TestApp, person: PersonId, channels: &[(&str, &str)]) {
    let raw: Vec<RawChannel> = channels
        .iter()
        .map(|(c, t)| RawChannel {
            channel: c.to_string(),
            target: t.to_string(),
            enabled: true,
        })
        .collect();
    notify::set_channels(&app.db, &Actor::system("test"), person, &raw, true)
        .await
        .unwrap();
}

async fn send(app: &TestApp, person: PersonId, template: &str, context: Value) -> Vec<i64> {
    let notifier = shtab_core::ports::builtin_notifier(&app.db, &app.config);
    notifier
        .send(
            person,
            &Message {
                template: template.into(),
                context,
                link: Some("/bank/payments/7".into()),
            },
        )
        .await
        .unwrap()
}

async fn delivery(app: &TestApp, id: i64) -> notify::Delivery {
    notify::get(&app.db, id).await.unwrap()
}

/// Makes a waiting job due now, as if its backoff had passed.
async fn force_due(app: &TestApp, job_id: i64) {
    sqlx::query("UPDATE jobs SET run_at = 0 WHERE id = $1 AND state = 'queued'")
        .bind(job_id)
        .execute(app.db.pool())
        .await
        .unwrap();
}

fn registry(config: &Config) -> Registry {
    notify::jobs(config)
}

async fn put(api: &ApiClient, path: &str, body: Value) -> (u16, Value) {
    let mut request = api.get(path).json(&body).build().unwrap();
    *request.method_mut() = reqwest::Method::PUT;
    let response = api.http.execute(request).await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn serve_fake(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

fn payment_context() -> Value {
    json!({"payer": "ООО «Ромашка»", "inn": "7707083893", "amount": "12 500,00",
           "date": "20.11.2026", "outcome": "partial", "invoice": "2024-117",
           "purpose": "Оплата по счёту 2024-117"})
}

// ---------------------------------------------------------------------------------------
// E-mail

#[tokio::test]
async fn an_email_reaches_a_real_smtp_server_with_the_rendered_russian_template() {
    let sink = SmtpSink::start().await;
    let port = sink.port;
    let app = TestApp::spawn_with(|c| {
        c.notify.email.smtp_host = "127.0.0.1".into();
        c.notify.email.smtp_port = port;
        c.notify.email.tls = SmtpTls::None;
        c.notify.email.from = "Штаб <shtab@agency.test>".into();
    })
    .await;
    let person = app.add_person("Иван Петров", "ivan@agency.test").await;
    set_channels(&app, person, &[("email", "Ivan.Petrov@Agency.test")]).await;

    let ids = send(
        &app,
        person,
        "bank.payment_needs_attention",
        payment_context(),
    )
    .await;
    assert_eq!(ids.len(), 1);
    let pending = delivery(&app, ids[0]).await;
    assert_eq!(pending.status, "pending", "queued, not sent by the caller");

    jobs::run_due(&app.db, &registry(&app.config))
        .await
        .unwrap();
    let sent = delivery(&app, ids[0]).await;
    assert_eq!(sent.status, "sent", "{:?}", sent.last_error);
    assert_eq!(sent.attempts, 1);
    assert!(sent.sent_at.is_some());

    let files = sink.messages();
    assert_eq!(files.len(), 1, "one message in the sink");
    let mail = parse_mail(&files[0]);
    assert_eq!(
        mail["subject"],
        "Платёж от ООО «Ромашка» на 12 500,00 ₽ требует внимания"
    );
    assert!(
        mail["to"]
            .as_str()
            .unwrap()
            .contains("ivan.petrov@agency.test"),
        "{mail}"
    );
    assert!(
        mail["from"].as_str().unwrap().contains("shtab@agency.test"),
        "{mail}"
    );
    assert_eq!(mail["content_type"], "text/plain");
    assert_eq!(mail["charset"], "utf-8");
    assert_headers_of_real_mail(&mail, "agency.test");
    let body = mail["body"].as_str().unwrap();
    assert!(
        body.contains("оплачивает счёт № 2024-117 частично."),
        "{body}"
    );
    assert!(
        body.contains(&format!("{}/bank/payments/7", app.base)),
        "the link is absolute: {body}"
    );
    assert_eq!(sent.subject, mail["subject"], "the log keeps what was sent");

    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("notify_deliveries_total{")
                && l.contains("channel=\"email\"")
                && l.contains("status=\"sent\"")),
        "deliveries are counted by channel and status"
    );
}

/// A job kind that always works, to show other jobs go on while SMTP is down.
#[derive(Serialize, Deserialize)]
struct Ping;

impl Job for Ping {
    const KIND: &'static str = "test.ping";
}

#[tokio::test]
async fn an_smtp_server_that_is_down_is_retried_with_backoff_and_ends_dead() {
    let closed = free_port();
    let app = TestApp::spawn_with(|c| {
        c.notify.email.smtp_host = "127.0.0.1".into();
        c.notify.email.smtp_port = closed;
        c.notify.email.tls = SmtpTls::None;
        c.notify.email.from = "shtab@agency.test".into();
    })
    .await;
    let person = app.add_person("Ольга Сидорова", "olga@agency.test").await;
    set_channels(&app, person, &[("email", "olga@agency.test")]).await;
    let started = now_ms();
    let ids = send(&app, person, "notify.test", json!({})).await;
    let registry = registry(&app.config).register(|_: Ping, _: JobContext| async { Ok(()) });
    let ping = jobs::enqueue(&app.db, &Ping).await.unwrap();

    jobs::run_due(&app.db, &registry).await.unwrap();
    let d = delivery(&app, ids[0]).await;
    assert_eq!(d.status, "pending", "waiting for another attempt");
    assert_eq!(d.attempts, 1);
    assert!(
        d.last_error.as_deref().is_some_and(|e| e.contains("SMTP")),
        "{:?}",
        d.last_error
    );
    let job = jobs::get(&app.db, d.job_id.unwrap()).await.unwrap();
    assert_eq!(job.state, "queued");
    assert!(
        job.run_at >= started + 10_000,
        "backoff: the next attempt is at least 10 s later"
    );
    assert_eq!(
        jobs::get(&app.db, ping).await.unwrap().state,
        "done",
        "the other job ran"
    );

    for _ in 1..notify::Deliver::MAX_ATTEMPTS {
        force_due(&app, job.id).await;
        jobs::run_due(&app.db, &registry).await.unwrap();
    }
    let d = delivery(&app, ids[0]).await;
    assert_eq!(d.status, "dead");
    assert_eq!(d.attempts, notify::Deliver::MAX_ATTEMPTS);
    assert_eq!(jobs::get(&app.db, job.id).await.unwrap().state, "dead");

    // The log shows it, and a retry queues it again.
    let admin = app.admin().await;
    let page = admin.get_text("/notifications?status=dead").await;
    assert!(
        page.contains("Ольга Сидорова") && page.contains("не доставлено"),
        "{page}"
    );
    let response = admin
        .post_form(&format!("/notifications/deliveries/{}/retry", d.id), &[])
        .await;
    assert_eq!(response.status(), 303);
    let again = delivery(&app, d.id).await;
    assert_eq!(again.status, "pending");
    assert_ne!(again.job_id, d.job_id, "a new job");

    // A worker that dies on the last attempt never records it; the queue gives the job up,
    // and the log shows that rather than "pending" for ever.
    sqlx::query(
        "UPDATE jobs SET state = 'running', lease_until = 1, attempts = max_attempts WHERE id = $1",
    )
    .bind(again.job_id.unwrap())
    .execute(app.db.pool())
    .await
    .unwrap();
    jobs::recover_expired(&app.db, now_ms()).await.unwrap();
    let orphaned = delivery(&app, d.id).await;
    assert_eq!(orphaned.status, "dead");
    assert!(
        orphaned
            .last_error
            .unwrap()
            .contains("stopped before finishing")
    );
}

#[tokio::test]
async fn a_delivery_sent_after_a_failed_attempt_shows_no_error() {
    let closed = free_port();
    let app = TestApp::spawn_with(|c| {
        c.notify.email.smtp_host = "127.0.0.1".into();
        c.notify.email.smtp_port = closed;
        c.notify.email.tls = SmtpTls::None;
        c.notify.email.from = "shtab@agency.test".into();
    })
    .await;
    let person = app.add_person("Ольга Сидорова", "olga@agency.test").await;
    set_channels(&app, person, &[("email", "olga@agency.test")]).await;
    let ids = send(&app, person, "notify.test", json!({})).await;
    jobs::run_due(&app.db, &registry(&app.config))
        .await
        .unwrap();
    let failed = delivery(&app, ids[0]).await;
    assert_eq!(failed.status, "pending");
    assert!(failed.last_error.is_some());

    // The SMTP server is back (here: the worker is told where it now is).
    let sink = SmtpSink::start().await;
    let mut config = (*app.config).clone();
    config.notify.email.smtp_port = sink.port;
    force_due(&app, failed.job_id.unwrap()).await;
    jobs::run_due(&app.db, &registry(&config)).await.unwrap();
    let sent = delivery(&app, ids[0]).await;
    assert_eq!(sent.status, "sent");
    assert_eq!(sent.attempts, 2);
    assert_eq!(
        sent.last_error, None,
        "an error of an earlier attempt is not shown"
    );
    let files = sink.messages();
    assert_eq!(files.len(), 1);
    assert_headers_of_real_mail(&parse_mail(&files[0]), "agency.test");
    let api = app
        .token_as("admin-api@agency.test", &[shtab_core::auth::Role::Admin])
        .await;
    let log = json_of(api.get("/api/v1/notifications/deliveries"), 200).await;
    let listed = &log["deliveries"][0];
    assert_eq!(listed["status"], "sent", "{log}");
    assert!(listed["last_error"].is_null(), "{log}");
}

// ---------------------------------------------------------------------------------------
// Telegram

#[derive(Clone, Default)]
struct FakeBot {
    requests: Arc<Mutex<Vec<(String, Value)>>>,
    throttled_once: Arc<Mutex<bool>>,
}

async fn bot_api(
    axum::extract::State(bot): axum::extract::State<FakeBot>,
    uri: Uri,
    body: Bytes,
) -> axum::response::Response {
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    bot.requests
        .lock()
        .unwrap()
        .push((uri.path().to_string(), request.clone()));
    if !uri.path().ends_with("/sendMessage") || !uri.path().starts_with("/bot123456:TEST-token/") {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"ok": false, "error_code": 404, "description": "Not Found"})),
        )
            .into_response();
    }
    if request["chat_id"] == json!(42) {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"ok": false, "error_code": 400,
                              "description": "Bad Request: chat not found"})),
        )
            .into_response();
    }
    {
        let mut throttled = bot.throttled_once.lock().unwrap();
        if !*throttled {
            *throttled = true;
            return (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(json!({"ok": false, "error_code": 429,
                                  "description": "Too Many Requests: retry after 3",
                                  "parameters": {"retry_after": 3}})),
            )
                .into_response();
        }
    }
    axum::Json(json!({"ok": true, "result": {
        "message_id": 101,
        "from": {"id": 123456, "is_bot": true, "first_name": "Shtab", "username": "shtab_bot"},
        "chat": {"id": request["chat_id"], "first_name": "Иван", "type": "private"},
        "date": 1_700_000_000,
        "text": request["text"],
    }}))
    .into_response()
}

#[tokio::test]
async fn telegram_messages_honour_429_retry_after_and_refusals_fail_for_good() {
    let bot = FakeBot::default();
    let addr = serve_fake(Router::new().fallback(bot_api).with_state(bot.clone())).await;
    let app = TestApp::spawn_with(|c| {
        c.notify.telegram.bot_token = Secret::new("123456:TEST-token");
        c.notify.telegram.api_url = format!("http://{addr}");
    })
    .await;
    let ivan = app.add_person("Иван Петров", "ivan@agency.test").await;
    set_channels(&app, ivan, &[("telegram", "123456789")]).await;
    let ids = send(
        &app,
        ivan,
        "bank.payment_needs_attention",
        payment_context(),
    )
    .await;
    let registry = registry(&app.config);

    let before = now_ms();
    jobs::run_due(&app.db, &registry).await.unwrap();
    let d = delivery(&app, ids[0]).await;
    assert_eq!(d.status, "pending");
    let error = d.last_error.clone().unwrap();
    assert!(
        error.contains("429") && error.contains("retry after 3"),
        "{error}"
    );
    assert!(
        !error.contains("TEST-token"),
        "the token never shows: {error}"
    );
    let job = jobs::get(&app.db, d.job_id.unwrap()).await.unwrap();
    assert_eq!(job.state, "queued");
    let wait = job.run_at - before;
    assert!(
        (2_500..=5_000).contains(&wait),
        "the next attempt waits retry_after (3 s), not the backoff: {wait} ms"
    );

    force_due(&app, job.id).await;
    jobs::run_due(&app.db, &registry).await.unwrap();
    let d = delivery(&app, ids[0]).await;
    assert_eq!(d.status, "sent", "{:?}", d.last_error);
    assert_eq!(d.attempts, 2);

    let requests = bot.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    let (path, body) = &requests[1];
    assert_eq!(path, "/bot123456:TEST-token/sendMessage");
    assert_eq!(body["chat_id"], json!(123456789));
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with("Платёж от ООО «Ромашка» на 12 500,00 ₽ требует внимания\n\n"),
        "{text}"
    );
    assert!(
        text.contains("оплачивает счёт № 2024-117 частично"),
        "{text}"
    );

    // 400 "chat not found": sending again cannot help.
    let lost = app.add_person("Пётр Лосев", "petr@agency.test").await;
    set_channels(&app, lost, &[("telegram", "42")]).await;
    let ids = send(&app, lost, "notify.test", json!({})).await;
    jobs::run_due(&app.db, &registry).await.unwrap();
    let d = delivery(&app, ids[0]).await;
    assert_eq!(d.status, "failed");
    assert!(d.last_error.unwrap().contains("chat not found"));
    assert_eq!(
        jobs::get(&app.db, d.job_id.unwrap()).await.unwrap().state,
        "failed"
    );
}

// ---------------------------------------------------------------------------------------
// Webhook

#[tokio::test]
async fn webhooks_are_signed_with_hmac_sha256_of_the_raw_body() {
    const SECRET: &str = "webhook-signing-secret";
    type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;
    let received: Received = Arc::default();
    let store = received.clone();
    let receiver = Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let store = store.clone();
            async move {
                let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
                mac.update(&body);
                let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
                let valid = headers
                    .get("x-shtab-signature")
                    .is_some_and(|v| v.as_bytes() == expected.as_bytes());
                store.lock().unwrap().push((headers, body));
                if valid {
                    StatusCode::NO_CONTENT
                } else {
                    StatusCode::UNAUTHORIZED
                }
            }
        }),
    );
    let addr = serve_fake(receiver).await;
    let app = TestApp::spawn_with(|c| {
        c.notify.webhook.signing_secret = Secret::new(SECRET);
    })
    .await;
    let person = app.add_person("Анна Кузнецова", "anna@agency.test").await;
    set_channels(&app, person, &[("webhook", &format!("http://{addr}/hook"))]).await;
    let ids = send(
        &app,
        person,
        "robot.failed",
        json!({"robot": "bank.statements", "error": "timeout"}),
    )
    .await;
    jobs::run_due(&app.db, &registry(&app.config))
        .await
        .unwrap();

    let d = delivery(&app, ids[0]).await;
    assert_eq!(d.status, "sent", "{:?}", d.last_error);
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let body: Value = serde_json::from_slice(&received[0].1).unwrap();
    assert_eq!(body["delivery_id"], ids[0]);
    assert_eq!(body["template"], "robot.failed");
    assert_eq!(
        body["subject"],
        "Робот «bank.statements» завершился с ошибкой"
    );
    assert_eq!(received[0].0["content-type"], "application/json");
}

#[tokio::test]
async fn a_channel_that_is_not_configured_fails_for_good_and_the_page_says_so() {
    let app = TestApp::spawn().await;
    let person = app.add_person("Анна Кузнецова", "anna@agency.test").await;
    set_channels(&app, person, &[("webhook", "https://hooks.agency.test/x")]).await;
    let ids = send(&app, person, "notify.test", json!({})).await;
    jobs::run_due(&app.db, &registry(&app.config))
        .await
        .unwrap();
    let d = delivery(&app, ids[0]).await;
    assert_eq!(d.status, "failed");
    assert!(d.last_error.unwrap().contains("not configured"));

    let api = app
        .token_as("admin-api@agency.test", &[shtab_core::auth::Role::Admin])
        .await;
    let list = json_of(
        api.get("/api/v1/notifications/deliveries?status=failed&channel=webhook"),
        200,
    )
    .await;
    assert_eq!(list["deliveries"][0]["id"], ids[0]);
    assert_eq!(list["deliveries"][0]["status"], "failed");
    json_of(api.get("/api/v1/notifications/deliveries?status=lost"), 400).await;

    let admin = app.admin().await;
    let page = admin.get_text("/notifications").await;
    assert!(page.contains("не настроен"), "channel status shown");
    assert!(
        page.contains("не задан параметр notify.webhook.signing_secret"),
        "and why"
    );
}

// ---------------------------------------------------------------------------------------
// Templates and channels

#[tokio::test]
async fn a_template_that_does_not_compile_is_a_field_error_and_a_good_one_is_used() {
    let app = TestApp::spawn().await;
    let api = app
        .token_as("admin-api@agency.test", &[shtab_core::auth::Role::Admin])
        .await;
    let builtin = json_of(
        api.get("/api/v1/notifications/templates/notify.test/ru"),
        200,
    )
    .await;
    assert_eq!(builtin["customised"], false);
    json_of(api.get("/api/v1/notifications/templates/no.such/ru"), 404).await;
    json_of(
        api.get("/api/v1/notifications/templates/notify.test/de"),
        404,
    )
    .await;

    let (status, body) = put(
        &api,
        "/api/v1/notifications/templates/notify.test/ru",
        json!({"subject": "Проверка", "body": "Привет, {{ person_name "}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "body");
    assert_eq!(body["error"]["fields"][0]["code"], "invalid_template");

    let (status, body) = put(
        &api,
        "/api/v1/notifications/templates/notify.test/ru",
        json!({"subject": "Проверка для {{ person_name }}", "body": "Всё работает, {{ person_name }}."}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["customised"], true);
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'notify.template.update' AND object_id = 'notify.test/ru'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // The page: a broken template shows the error next to the field; a preview renders.
    let admin = app.admin().await;
    let list = admin.get_text("/notifications/templates").await;
    assert!(
        list.contains("/notifications/templates/bank.payment_needs_attention/en")
            && list.contains("изменён"),
        "{list}"
    );
    let form = admin
        .get_text("/notifications/templates/notify.test/ru")
        .await;
    assert!(
        form.contains("Проверка для Иван Петров"),
        "the preview of the stored text: {form}"
    );
    let response = admin
        .post_form(
            "/notifications/templates/notify.test/ru",
            &[("subject", "{% if %}"), ("body", "ok")],
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("id=\"subject-error\"") && page.contains("шаблон не компилируется"),
        "{page}"
    );
    let response = admin
        .post_form(
            "/notifications/templates/notify.test/ru",
            &[
                ("subject", "Тема"),
                ("body", "Привет, {{ person_name }}!"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Привет, Иван Петров!")
    );

    // A message uses the edited text in the person's language.
    let person = app.add_person("Мария Орлова", "maria@agency.test").await;
    set_channels(&app, person, &[("email", "maria@agency.test")]).await;
    let ids = send(&app, person, "notify.test", json!({})).await;
    let d = delivery(&app, ids[0]).await;
    assert_eq!(d.subject, "Проверка для Мария Орлова");
    assert_eq!(d.body, "Всё работает, Мария Орлова.");
}

#[tokio::test]
async fn a_template_that_does_not_render_or_has_no_key_is_refused_and_sends_go_on() {
    let app = TestApp::spawn().await;
    let api = app
        .token_as("admin-api@agency.test", &[shtab_core::auth::Role::Admin])
        .await;
    // Compiles, but the filter exists only when it renders.
    let (status, body) = put(
        &api,
        "/api/v1/notifications/templates/notify.test/ru",
        json!({"subject": "Проверка", "body": "Здравствуйте!\n{{ person_name | nosuchfilter }}"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let field = &body["error"]["fields"][0];
    assert_eq!(field["field"], "body", "{body}");
    assert_eq!(field["code"], "template_does_not_render", "{body}");
    let message = field["message"].as_str().unwrap();
    assert!(
        message.contains("line 2") && message.contains("filter"),
        "{message}"
    );
    let (status, body) = put(
        &api,
        "/api/v1/notifications/templates/crm.deal_stage_entered/en",
        json!({"subject": "{{ deal | nosuchfilter }}", "body": "Fine."}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "subject", "{body}");
    // A key Shtab never sends is not a template.
    let (status, body) = put(
        &api,
        "/api/v1/notifications/templates/no.such/ru",
        json!({"subject": "Тема", "body": "Текст"}),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notify_templates")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0, "nothing was written");

    // The page shows the error, with its line, next to the field.
    let admin = app.admin().await;
    let response = admin
        .post_form(
            "/notifications/templates/notify.test/ru",
            &[
                ("subject", "Тема"),
                ("body", "Привет!\n{{ person_name | nosuchfilter }}"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("id=\"body-error\"")
            && page.contains("шаблон не отображается с примером данных")
            && page.contains("line 2"),
        "{page}"
    );

    // Sending goes on with the built-in text, even past a broken version stored before
    // saving checked rendering.
    sqlx::query(
        "INSERT INTO notify_templates (key, locale, subject, body, updated_at) \
         VALUES ('notify.test', 'ru', 'Тема', '{{ person_name | nosuchfilter }}', 0)",
    )
    .execute(app.db.pool())
    .await
    .unwrap();
    let person = app.add_person("Мария Орлова", "maria@agency.test").await;
    set_channels(&app, person, &[("email", "maria@agency.test")]).await;
    let ids = send(&app, person, "notify.test", json!({})).await;
    let d = delivery(&app, ids[0]).await;
    assert_eq!(d.subject, "Проверка уведомлений");
    assert!(d.body.contains("Мария Орлова"), "{}", d.body);
}

#[tokio::test]
async fn a_persons_channels_are_checked_and_only_they_or_an_admin_change_them() {
    let app = TestApp::spawn().await;
    let api = app
        .token_as("admin-api@agency.test", &[shtab_core::auth::Role::Admin])
        .await;
    let person = app.add_person("Иван Петров", "ivan@agency.test").await;
    let path = format!("/api/v1/people/{}/channels", person.0);

    let (status, body) = put(
        &api,
        &path,
        json!({"channels": [
            {"channel": "email", "target": "not an address"},
            {"channel": "telegram", "target": "@ivan"},
            {"channel": "webhook", "target": "ftp://hooks.agency.test"},
        ]}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let codes: Vec<(String, String)> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().into(),
                f["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            ("email".into(), "invalid_email".into()),
            ("telegram".into(), "invalid_chat_id".into()),
            ("webhook".into(), "invalid_url".into()),
        ]
    );
    assert_eq!(
        json_of(api.get(&path), 200).await["channels"],
        json!([]),
        "nothing written"
    );

    let (status, body) = put(
        &api,
        &path,
        json!({"channels": [
            {"channel": "telegram", "target": " 123456789 "},
            {"channel": "email", "target": "Ivan@Agency.test", "enabled": false},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json_of(api.get(&path), 200).await["channels"],
        json!([
            {"channel": "email", "target": "ivan@agency.test", "enabled": false},
            {"channel": "telegram", "target": "123456789", "enabled": true},
        ])
    );
    // Only enabled channels get messages.
    assert_eq!(send(&app, person, "notify.test", json!({})).await.len(), 1);

    // A developer edits their own channels on their page, not someone else's.
    let dev = app
        .login_as("dev@agency.test", &[shtab_core::auth::Role::Developer])
        .await;
    assert_eq!(
        dev.get(&format!("/notifications/people/{}", person.0))
            .await
            .status(),
        403
    );
    let response = dev
        .post_form(
            "/notifications/me",
            &[("telegram", "abc"), ("telegram_enabled", "1")],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"telegram-error\"")
    );
    let response = dev
        .post_form(
            "/notifications/me",
            &[("telegram", "987654"), ("telegram_enabled", "1")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let page = dev.get_text("/notifications/me").await;
    assert!(page.contains("value=\"987654\""), "{page}");
    // The hub calls webhook addresses itself, so only an admin may point one anywhere.
    let response = dev
        .post_form(
            "/notifications/me",
            &[
                ("telegram", "987654"),
                ("telegram_enabled", "1"),
                ("webhook", "http://127.0.0.1:6379/"),
                ("webhook_enabled", "1"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"webhook-error\"")
    );
    let (status, body) = put(
        &api,
        &path,
        json!({"channels": [{"channel": "webhook", "target": "https://hooks.agency.test/ivan"}]}),
    )
    .await;
    assert_eq!(status, 200, "an admin may: {body}");
    // The test button queues a message to oneself.
    let response = dev.post_form("/notifications/test", &[]).await;
    assert_eq!(response.headers()["location"], "/notifications/me?sent=1");
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'notify.channels.update'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(audited, 3);
}
