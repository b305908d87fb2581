//! What operators and API clients rely on: `/healthz`, `/metrics`, request ids, JSON answers
//! for unknown API paths, surviving a database outage, and an OpenAPI document that
//! describes exactly the API that answers.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use shtab_core::audit::Actor;
use shtab_core::auth::{Role, tokens};

use crate::testkit::{ApiClient, TestApp, json, postgres_url};

#[tokio::test]
async fn healthz_answers_while_the_database_does() {
    let app = TestApp::spawn().await;
    let response = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap().trim(), "ok");
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_keeps_the_callers() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::new();
    for path in ["/healthz", "/login", "/api/v1/me", "/no-such-page"] {
        let response = http.get(app.url(path)).send().await.unwrap();
        let id = response
            .headers()
            .get("x-request-id")
            .unwrap_or_else(|| panic!("{path} answers without x-request-id"));
        assert!(!id.is_empty(), "{path}");
    }
    // A proxy's id is kept, so one request can be followed through both logs.
    let response = http
        .get(app.url("/healthz"))
        .header("x-request-id", "from-the-proxy-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "from-the-proxy-42");
}

#[tokio::test]
async fn an_unknown_api_path_is_a_json_404_and_an_unknown_page_is_a_page() {
    let app = TestApp::spawn().await;
    let api = app.token_as("robot@agency.test", &[Role::Admin]).await;
    let missing = json(api.get("/api/v1/no-such-thing"), 404).await;
    assert_eq!(missing["error"]["code"], "not_found");
    let anonymous = reqwest::get(app.url("/api/v1/no-such-thing"))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 404);
    assert!(
        anonymous.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );

    let admin = app.admin().await;
    let page = admin.get("/no-such-page").await;
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("Такой страницы нет."));
}

/// The sum of a counter's samples whose labels include all of `labels`.
fn sample_sum(metrics: &str, name: &str, labels: &[&str]) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter(|l| labels.iter().all(|label| l.contains(label)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_show_the_database_pool() {
    let app = TestApp::spawn().await;
    let api = app.token_as("admin@agency.test", &[Role::Admin]).await;
    let labels = [
        "method=\"GET\"",
        "route=\"/api/v1/people/{id}\"",
        "status=\"404\"",
    ];
    let metrics = || async {
        reqwest::get(app.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    // The recorder is the process's, shared with tests running alongside: count the rise.
    let before = sample_sum(&metrics().await, "http_requests_total", &labels);
    json(api.get("/api/v1/people/987654"), 404).await;
    let after = metrics().await;
    assert!(
        sample_sum(&after, "http_requests_total", &labels) >= before + 1.0,
        "the call is counted under its route pattern, not its path"
    );
    assert!(
        after
            .lines()
            .any(|l| l.starts_with("http_request_duration_seconds_bucket{")
                && l.contains("route=\"/api/v1/people/{id}\"")),
        "and timed"
    );
    assert!(
        !after.contains("/api/v1/people/987654"),
        "raw paths would make a series per id"
    );
    for gauge in [
        "db_pool_connections",
        "db_pool_idle_connections",
        "db_pool_max_connections",
    ] {
        assert!(
            after.lines().any(|l| l.starts_with(gauge)),
            "{gauge} is missing from:\n{after}"
        );
    }
}

/// Queues `n` jobs of `kind` straight in the table, as another hub process would.
async fn queue_jobs(app: &TestApp, kind: &str, n: usize) {
    for _ in 0..n {
        sqlx::query(
            "INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_at, created_at) \
             VALUES ($1, '{}', 'queued', 0, 3, 0, 0)",
        )
        .bind(kind)
        .execute(app.db.pool())
        .await
        .unwrap();
    }
}

/// The `jobs` gauge of `kind` in the queued state, as `/metrics` shows it now.
async fn queued_gauge(app: &TestApp, kind: &str) -> f64 {
    let text = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    sample_sum(
        &text,
        "jobs",
        &[&format!("kind=\"{kind}\""), "state=\"queued\""],
    )
}

#[tokio::test]
async fn metrics_take_their_database_counts_once_per_cache_window() {
    // A window no test outlasts, so what is observed is the cache, not the clock.
    let app = TestApp::spawn_with(|c| c.ops.metrics_cache_secs = 3600).await;
    // A kind of its own: the recorder is shared with the tests running alongside.
    let kind = format!(
        "test.metrics_{}",
        shtab_core::auth::random_token()[..8].to_lowercase()
    );
    queue_jobs(&app, &kind, 2).await;
    assert_eq!(queued_gauge(&app, &kind).await, 2.0);

    queue_jobs(&app, &kind, 3).await;
    let mut burst = Vec::new();
    for _ in 0..30 {
        let url = app.url("/metrics");
        let kind = kind.clone();
        burst.push(tokio::spawn(async move {
            let text = reqwest::get(url).await.unwrap().text().await.unwrap();
            sample_sum(
                &text,
                "jobs",
                &[&format!("kind=\"{kind}\""), "state=\"queued\""],
            )
        }));
    }
    for answer in burst {
        assert_eq!(
            answer.await.unwrap(),
            2.0,
            "the queue was not counted again within the window"
        );
    }

    // Without a window every request counts afresh: the same steps show the new jobs.
    let uncached = TestApp::spawn_with(|c| c.ops.metrics_cache_secs = 0).await;
    let kind = format!(
        "test.metrics_{}",
        shtab_core::auth::random_token()[..8].to_lowercase()
    );
    queue_jobs(&uncached, &kind, 2).await;
    assert_eq!(queued_gauge(&uncached, &kind).await, 2.0);
    queue_jobs(&uncached, &kind, 3).await;
    assert_eq!(queued_gauge(&uncached, &kind).await, 5.0);
}

/// Runs one statement on the test PostgreSQL server as its administrator.
async fn on_server(server: &str, sql: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(server).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await
        .expect(sql);
    let _ = conn.close().await;
}

/// Asks `path` until it answers `status`, for at most ten seconds.
async fn until_status(http: &reqwest::Client, url: &str, status: u16) -> reqwest::Response {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let response = http.get(url).send().await.unwrap();
        if response.status() == status || tokio::time::Instant::now() > deadline {
            return response;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// SQLite lives inside the process: there is no server that can go away while the file
/// stays open, so the outage is staged on PostgreSQL, by refusing connections to the
/// hub's database and cutting the ones it holds.
#[tokio::test]
async fn when_the_database_goes_away_requests_fail_cleanly_and_recover_without_a_restart() {
    let Some(server) = postgres_url() else {
        println!("skipped: needs PostgreSQL (set SHTAB_TEST_DATABASE_URL)");
        return;
    };
    let app = TestApp::spawn_with(|c| c.database.acquire_timeout_secs = 1).await;
    let admin = app.admin().await;
    let api = app.token_as("robot@agency.test", &[Role::Admin]).await;
    let database = app
        .config
        .database
        .url
        .expose()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let health = reqwest::Client::new();
    assert_eq!(
        health
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    on_server(
        &server,
        &format!("ALTER DATABASE {database} WITH ALLOW_CONNECTIONS false"),
    )
    .await;
    on_server(
        &server,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{database}' AND pid <> pg_backend_pid()"
        ),
    )
    .await;

    let down = until_status(&health, &app.url("/healthz"), 503).await;
    assert_eq!(down.status(), 503, "/healthz tells the database is away");
    let page = admin.get("/people").await;
    assert_eq!(page.status(), 503);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("База данных недоступна"),
        "the page says why, in the layout"
    );
    let call = json(api.get("/api/v1/people"), 503).await;
    assert_eq!(call["error"]["code"], "unavailable");

    on_server(
        &server,
        &format!("ALTER DATABASE {database} WITH ALLOW_CONNECTIONS true"),
    )
    .await;
    let up = until_status(&health, &app.url("/healthz"), 200).await;
    assert_eq!(up.status(), 200, "the hub reconnects by itself");
    assert_eq!(
        admin.get("/people").await.status(),
        200,
        "the session survived"
    );
    json(api.get("/api/v1/people"), 200).await;
}

/// The document's operations as `(METHOD, /api/v1/path)`.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("the document has paths") {
        for method in item.as_object().unwrap().keys() {
            if METHODS.contains(&method.to_uppercase().as_str()) {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Every `$ref` in `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Calls `path` with `method` and the token; a body-taking method sends `{}`.
async fn call(api: &ApiClient, method: &str, path: &str) -> reqwest::Response {
    let mut builder = api.get(path);
    if matches!(method, "POST" | "PUT" | "PATCH") {
        builder = builder.json(&serde_json::json!({}));
    }
    let mut request = builder.build().unwrap();
    *request.method_mut() = method.parse().unwrap();
    api.http.execute(request).await.unwrap()
}

/// Whether the router matched: its fallback is the only 404 that says "route not found".
async fn routed(response: reqwest::Response) -> Result<u16, String> {
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    let fallback = serde_json::from_str::<Value>(&body)
        .map(|v| v["error"]["message"] == "route not found")
        .unwrap_or(false);
    if status == 405 || fallback {
        Err(format!("{status} {body}"))
    } else {
        Ok(status)
    }
}

#[tokio::test]
async fn the_openapi_document_describes_exactly_the_api_that_answers() {
    let app = TestApp::spawn().await;
    // Path ids are 1: make them someone else's, so the calls below (revoking token 1,
    // deactivating person 1) do not cut off the caller halfway.
    let bystander = app
        .create_user("bystander@agency.test", "Bystander", &[Role::Developer])
        .await;
    tokens::create(&app.db, &Actor::system("test"), bystander.id, "bystander")
        .await
        .unwrap();
    let api = app.token_as("caller@agency.test", &[Role::Admin]).await;
    let doc: Value = reqwest::get(app.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let operations = documented(&doc);
    assert!(
        operations.contains(&("GET".into(), "/api/v1/audit".into())),
        "{operations:?}"
    );

    // Every problem, not just the first: one run shows all that needs fixing.
    let mut problems = Vec::new();
    let anonymous = reqwest::Client::new();
    for (method, path) in &operations {
        let concrete = fill_path_params(path);
        let op = &doc["paths"][path][method.to_lowercase()];

        // Documented: the router has it, and what it answers is described.
        match routed(call(&api, method, &concrete).await).await {
            Err(e) => problems.push(format!("{method} {path} is documented but not served: {e}")),
            Ok(status) if op["responses"].get(status.to_string()).is_none() => problems.push(
                format!("{method} {path} answered {status}, which the document does not list"),
            ),
            Ok(_) => {}
        }

        // Secured ones list 401 and really answer it to a caller without a token; the
        // others do not.
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        // Users' tokens for the API, servers' tokens for the agents' routes.
        let scheme = op["security"][0]
            .as_object()
            .and_then(|s| s.keys().next())
            .cloned()
            .unwrap_or_default();
        let expected = if path.starts_with("/agent/") {
            "server_token"
        } else {
            "bearer"
        };
        if secured && scheme != expected {
            problems.push(format!(
                "{method} {path} does not name the {expected} scheme"
            ));
        }
        if secured && op["responses"].get("401").is_none() {
            problems.push(format!("{method} {path} does not list 401"));
        }
        let without_token = anonymous
            .request(method.parse().unwrap(), app.url(&concrete))
            .send()
            .await
            .unwrap();
        if (without_token.status() == 401) != secured {
            problems.push(format!(
                "{method} {path} is {}secured but without a token answers {}",
                if secured { "" } else { "not " },
                without_token.status()
            ));
        }

        // Not documented: the router has none either.
        for other in METHODS {
            if !operations.contains(&(other.to_string(), path.clone())) {
                let status = call(&api, other, &concrete).await.status();
                if status != 405 {
                    problems.push(format!(
                        "{other} {path} answers {status} but is not documented"
                    ));
                }
            }
        }
    }

    // Every reference resolves, the error body's included.
    let mut all = Vec::new();
    refs(&doc, &mut all);
    if !all.iter().any(|r| r.ends_with("/ErrorBody")) {
        problems.push("no response refers to ErrorBody".into());
    }
    for r in BTreeSet::from_iter(all) {
        match r.strip_prefix('#') {
            Some(pointer) if doc.pointer(pointer).is_some() => {}
            _ => problems.push(format!("{r} does not resolve")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn the_api_docs_page_shows_every_operation_to_anyone_logged_in() {
    let app = TestApp::spawn().await;
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let to_login = stranger.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(to_login.status(), 303, "a page, so not a JSON 401");
    assert_eq!(to_login.headers()["location"], "/login?next=%2Fapi%2Fdocs");

    let developer = app.login_as("dev@agency.test", &[Role::Developer]).await;
    let page = developer.get("/api/docs").await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("<a href=\"/api/docs\" aria-current=\"page\">"),
        "in the layout's menu"
    );
    let doc: Value = reqwest::get(app.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (method, path) in documented(&doc) {
        let heading = format!("<span class=\"badge\">{method}</span> <code>{path}</code>");
        assert!(page.contains(&heading), "{method} {path} is on the page");
    }
    for shown in [
        "<code>actor_kind</code>",
        "user | token | robot | system",
        "<code>AuditList</code>",
        "<code>ErrorBody</code>",
        "href=\"/tokens\"",
        "Authorization: Bearer",
        "&#34;code&#34;: &#34;invalid&#34;",
        "<code>unavailable</code>&nbsp;503",
    ] {
        assert!(page.contains(shown), "the page shows {shown}");
    }

    let english = developer.post_form("/lang", &[("lang", "en")]).await;
    assert_eq!(english.status(), 303);
    let page = developer.get_text("/api/docs").await;
    assert!(page.contains("Authentication") && page.contains("Responses"));
}

fn fill_path_params(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push('1');
            }
            '}' => in_param = false,
            c if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

/// Routes the document cannot list cannot be found by calling either, since axum does not
/// tell its routes. So the sources are read: API routers (functions returning an
/// `OpenApiRouter`) may add routes only through `routes!`, which registers each handler
/// with its `#[utoipa::path]` description, and no other router may serve under `/api/v1`.
#[test]
fn api_routes_are_registered_only_together_with_their_description() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    collect_sources(&crates, &mut files);
    assert!(
        files.iter().any(|(p, _)| p.ends_with("audit/mod.rs")),
        "sources found"
    );
    let mut routers = 0;
    for (path, source) in &files {
        assert!(
            !source.contains(".route(\"/api/v1"),
            "{path}: a route under /api/v1 outside the documented API router"
        );
        for body in functions_returning(source, "-> OpenApiRouter") {
            routers += 1;
            for forbidden in [".route(", ".nest(", ".route_service(", ".nest_service("] {
                assert!(
                    !body.contains(forbidden),
                    "{path}: an API router adds a route with `{forbidden}…`, which leaves it out of the \
                     document; use `.routes(routes!(handler))`"
                );
            }
        }
    }
    assert!(routers >= 4, "the API routers were found ({routers})");
}

fn collect_sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() {
            // Tests may build routers any way they like; `target` is not ours.
            if !matches!(
                name.as_ref(),
                "tests" | "target" | "migrations" | "templates" | "assets"
            ) {
                collect_sources(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

/// The bodies of the functions whose signature contains `signature`, by matching braces.
fn functions_returning<'a>(source: &'a str, signature: &str) -> Vec<&'a str> {
    let mut bodies = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(signature) {
        let after = &rest[at..];
        let Some(open) = after.find('{') else { break };
        let mut depth = 0;
        let mut end = open;
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        bodies.push(&after[open..=end]);
        rest = &after[end..];
    }
    bodies
}
