//! What unauthenticated webhook traffic costs: a loop of forged calls to a known repository
//! leaves only the newest few refusals in the log (the rest counted on the repository), and
//! a body declared larger than the forge ever sends is refused before it is read (one
//! that only grows past the cap is cut off: see the unit tests of `shtab_vcs::web::hooks`).

use std::time::Duration;

use serde_json::{Value, json};
use shtab_core::audit::Actor;
use shtab_core::auth::Role;
use shtab_vcs::domain::repository::RawRepositoryInput;
use shtab_vcs::domain::signature::sign_github;
use shtab_vcs::store::deliveries::REJECTED_KEPT;
use shtab_vcs::store::{Repository, repositories};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::testkit::{TestApp, json as expect_json};

const WEB_URL: &str = "https://github.com/acme/app";
const MIB: usize = 1024 * 1024;

async fn add_repository(app: &TestApp) -> Repository {
    let input = RawRepositoryInput {
        name: "App".into(),
        forge: "github".into(),
        web_url: WEB_URL.into(),
        ..Default::default()
    }
    .parse()
    .expect("valid repository");
    repositories::create(&app.db, &Actor::system("test"), &input)
        .await
        .expect("create repository")
}

/// An empty push of the test repository, as GitHub shapes it.
fn push_body() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "ref": "refs/heads/main", "before": "0".repeat(40), "after": "1".repeat(40),
        "repository": {"html_url": WEB_URL, "full_name": "acme/app"},
        "commits": []
    }))
    .unwrap()
}

async fn post_github(app: &TestApp, secret: &str, delivery: &str) -> (u16, Value) {
    let body = push_body();
    let response = reqwest::Client::new()
        .post(app.url("/hooks/github"))
        .header("content-type", "application/json")
        .header("X-GitHub-Event", "push")
        .header("X-GitHub-Delivery", delivery)
        .header("X-Hub-Signature-256", sign_github(secret.as_bytes(), &body))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn rejected_ids(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT claimed_id FROM vcs_deliveries WHERE status = 'rejected' ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_loop_of_forged_calls_keeps_the_newest_refusals_and_counts_the_rest() {
    let app = TestApp::spawn().await;
    let repository = add_repository(&app).await;
    let extra = 7;
    let calls = REJECTED_KEPT as usize + extra;
    for n in 0..calls {
        let (status, answer) = post_github(&app, "a guessed secret", &format!("forged-{n}")).await;
        assert_eq!(status, 401, "{answer}");
    }
    let kept = rejected_ids(&app).await;
    let newest: Vec<String> = (extra..calls).map(|n| format!("forged-{n}")).collect();
    assert_eq!(kept, newest, "the newest refusals stay, in order");

    let api = app.token_as("dev@agency.test", &[Role::Developer]).await;
    let seen = expect_json(
        api.get(&format!("/api/v1/repositories/{}", repository.id)),
        200,
    )
    .await;
    assert_eq!(seen["rejected_dropped"], extra as i64);
    let listed = expect_json(
        api.get(&format!(
            "/api/v1/repositories/{}/deliveries?limit=200",
            repository.id
        )),
        200,
    )
    .await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        REJECTED_KEPT as usize
    );

    let manager = app.login_as("boss@agency.test", &[Role::Manager]).await;
    let page = manager
        .get_text(&format!("/repositories/{}", repository.id))
        .await;
    assert!(
        page.contains(&format!("посчитаны, но не хранятся: {extra}")),
        "{page}"
    );

    // The genuine forge is not crowded out: its delivery is taken and kept.
    let (status, answer) = post_github(&app, &repository.webhook_secret, "genuine-1").await;
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("ignored")),
        "{answer}"
    );
    let accepted: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM vcs_deliveries WHERE claimed_id = 'genuine-1' AND status <> 'rejected'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(accepted, 1);
    // One more forgery drops one more old refusal, never an accepted delivery.
    post_github(&app, "a guessed secret", "forged-last").await;
    assert_eq!(rejected_ids(&app).await.len(), REJECTED_KEPT as usize);
    let seen = expect_json(
        api.get(&format!("/api/v1/repositories/{}", repository.id)),
        200,
    )
    .await;
    assert_eq!(seen["rejected_dropped"], extra as i64 + 1);
}

/// Sends only the head of a POST declaring `length` bytes and reads the answer, without
/// ever sending the body.
async fn declare_only(app: &TestApp, path: &str, length: usize) -> String {
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n",
        app.addr
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // The answer must come while the body is still owed; the bound only turns a hang
    // (the old behaviour: waiting for 25 MiB that never come) into a failure.
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "{path}: no answer while the body was owed");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_body_larger_than_the_forge_sends_is_refused_before_it_is_read() {
    let app = TestApp::spawn().await;
    add_repository(&app).await;
    for path in ["/hooks/github", "/hooks/gitlab", "/hooks/gitea"] {
        let answer = declare_only(&app, path, 25 * MIB + 1).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(answer.contains("\"payload_too_large\""), "{path}: {answer}");
    }

    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vcs_deliveries")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0);
}
