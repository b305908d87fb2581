//! The API keeps its own contract: what the OpenAPI document says is what the server
//! does. Each test pins one way they once disagreed (found by schemathesis, which
//! `.ci/schemathesis` runs against the whole document).

use serde_json::{Value, json};
use shtab_core::auth::Role;

use crate::testkit::{TestApp, json};

async fn document(app: &TestApp) -> Value {
    reqwest::get(app.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The schema `reference` (`#/components/schemas/X`) points to.
fn resolve<'d>(doc: &'d Value, reference: &Value) -> &'d Value {
    let pointer = reference
        .as_str()
        .and_then(|r| r.strip_prefix('#'))
        .unwrap_or_else(|| panic!("not a local reference: {reference}"));
    doc.pointer(pointer)
        .unwrap_or_else(|| panic!("{pointer} does not resolve"))
}

fn property_names(schema: &Value) -> Vec<String> {
    let mut names: Vec<String> = schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// The error body's `fields[].field`.
fn error_fields(body: &Value) -> Vec<&str> {
    body["error"]["fields"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["field"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_responsible_person_who_does_not_exist_is_a_field_error_not_a_500() {
    let app = TestApp::spawn().await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let search = |name: &str, responsible: i64| {
        json!({
            "name": name,
            "spec": {"keywords": ["охрана"]},
            "responsible": responsible,
        })
    };

    let refused = json(
        api.post("/api/v1/tenders/searches")
            .json(&search("Охрана", 987_654)),
        422,
    )
    .await;
    assert_eq!(refused["error"]["code"], "invalid");
    assert_eq!(error_fields(&refused), ["responsible"], "{refused}");
    let list = json(api.get("/api/v1/tenders/searches"), 200).await;
    assert_eq!(list["items"], json!([]), "nothing was written");

    // The same when an existing search is changed.
    let person = app.add_person("Ирина Сергеева", "irina@agency.test").await;
    let created = json(
        api.post("/api/v1/tenders/searches")
            .json(&search("Охрана", person.0)),
        201,
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    let refused = json(
        api.put(&format!("/api/v1/tenders/searches/{id}"))
            .json(&search("Охрана", 987_654)),
        422,
    )
    .await;
    assert_eq!(error_fields(&refused), ["responsible"], "{refused}");
    let kept = json(api.get(&format!("/api/v1/tenders/searches/{id}")), 200).await;
    assert_eq!(kept["responsible"], person.0);
}

/// A refusal that is not a handler's own still answers the API's JSON error.
async fn json_error(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.text().await.unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{status} answered {content_type:?}: {body}"
    );
    let body: Value = serde_json::from_str(&body).unwrap();
    assert!(
        body["error"]["code"].is_string() && body["error"]["message"].is_string(),
        "{body}"
    );
    (status, body)
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_and_a_wrong_content_type_415_always_in_json() {
    let app = TestApp::spawn().await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let too_large = format!("{{\"full_name\": \"{}\"}}", "я".repeat(17 * 1024 * 1024));

    // A JSON body and a file body (read by different extractors) are refused alike.
    for path in ["/api/v1/people", "/api/v1/people/import"] {
        let response = api
            .post(path)
            .header("content-type", "application/json")
            .body(too_large.clone())
            .send()
            .await
            .unwrap();
        let (status, body) = json_error(response).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (413, Some("payload_too_large")),
            "{path}: {body}"
        );
    }

    let response = api
        .post("/api/v1/people")
        .header("content-type", "text/plain")
        .body(r#"{"full_name": "Иван Петров"}"#)
        .send()
        .await
        .unwrap();
    let (status, body) = json_error(response).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (415, Some("unsupported_media_type")),
        "{body}"
    );

    // A method the route lacks, and a query that does not parse, are JSON too.
    let response = api.delete("/api/v1/people").send().await.unwrap();
    let allow = response.headers().get("allow").cloned();
    let (status, _) = json_error(response).await;
    assert_eq!(status, 405);
    assert!(allow.is_some(), "405 says what is allowed");
    let response = reqwest::Client::new()
        .post(app.url("/hooks/github?repository=abc"))
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, _) = json_error(response).await;
    assert_eq!(status, 400);

    // And the document says so for every operation that takes a body.
    let doc = document(&app).await;
    let op = &doc["paths"]["/api/v1/people"]["post"];
    for status in ["413", "415"] {
        assert!(
            op["responses"][status]["content"]["application/json"].is_object(),
            "POST /api/v1/people lists {status}"
        );
    }
}

#[tokio::test]
async fn bodies_are_read_as_the_document_describes_them() {
    let app = TestApp::spawn().await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let person = app.add_person("Ирина Сергеева", "irina@agency.test").await;

    // JSON Schema's integer: 7.0 is one.
    let task = json(
        api.post("/api/v1/tasks")
            .json(&json!({"title": "Вёрстка", "assignee_id": person.0 as f64})),
        201,
    )
    .await;
    assert_eq!(task["assignee_id"], person.0);

    // An object is described; an array is not one (serde would read it as the struct).
    let id = task["id"].as_i64().unwrap();
    let refused = json(
        api.patch(&format!("/api/v1/tasks/{id}"))
            .json(&json!([null, null])),
        400,
    )
    .await;
    assert_eq!(refused["error"]["code"], "bad_request");

    // An optional body may be absent or null.
    let left = json(
        api.post(&format!("/api/v1/people/{}/deactivate", person.0))
            .header("content-type", "application/json")
            .body("null"),
        200,
    )
    .await;
    assert_eq!(left["status"], "left");
}

#[tokio::test]
async fn query_parameters_are_declared_in_the_query_and_path_ones_in_the_path() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;

    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(parameters) = op["parameters"].as_array() else {
                continue;
            };
            for p in parameters {
                let (name, place) = (p["name"].as_str().unwrap(), p["in"].as_str().unwrap());
                let in_template = path.contains(&format!("{{{name}}}"));
                if (place == "path") != in_template {
                    problems.push(format!("{method} {path}: {name} is declared in {place}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let parameter = |path: &str, method: &str, name: &str| -> Value {
        doc["paths"][path][method]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path} has parameters"))
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{method} {path} declares {name}"))
            .clone()
    };
    for name in ["status", "channel", "person_id", "before_id", "limit"] {
        let p = parameter("/api/v1/notifications/deliveries", "get", name);
        assert_eq!(
            (p["in"].as_str(), p["required"].as_bool()),
            (Some("query"), Some(false)),
            "{name}"
        );
    }
    let status = parameter("/api/v1/notifications/deliveries", "get", "status");
    assert_eq!(
        status["schema"]["enum"],
        json!(["pending", "sent", "failed", "dead"])
    );
    let limit = parameter("/api/v1/notifications/deliveries", "get", "limit");
    assert_eq!(
        (
            limit["schema"]["minimum"].as_i64(),
            limit["schema"]["maximum"].as_i64()
        ),
        (Some(1), Some(500))
    );
    assert_eq!(
        parameter("/api/v1/access/grants", "get", "person_id")["in"],
        "query"
    );
    let limit = parameter("/api/v1/repositories/{id}/deliveries", "get", "limit");
    assert_eq!(
        (
            limit["in"].as_str(),
            limit["schema"]["minimum"].as_i64(),
            limit["schema"]["maximum"].as_i64()
        ),
        (Some("query"), Some(1), Some(200))
    );

    // And the server refuses what the document does not allow, rather than clamping it.
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    for query in ["limit=501", "limit=0", "status=PENDING", "channel=sms"] {
        let refused = json(
            api.get(&format!("/api/v1/notifications/deliveries?{query}")),
            400,
        )
        .await;
        assert_eq!(refused["error"]["code"], "bad_request", "{query}");
    }
    json(
        api.get("/api/v1/notifications/deliveries?limit=500&status=sent&channel=email"),
        200,
    )
    .await;

    // An integer parameter given as a number with a zero fraction is that integer, as JSON
    // Schema (and so the document) has it; a fraction is refused naming the parameter.
    let as_integer = json(api.get("/api/v1/tasks?assignee_id=33&limit=2"), 200).await;
    let as_decimal = json(api.get("/api/v1/tasks?assignee_id=33.0&limit=2e0"), 200).await;
    assert_eq!(as_decimal, as_integer);
    let refused = json(api.get("/api/v1/tasks?assignee_id=33.5"), 400).await;
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("assignee_id"), "{refused}");

    // The paged lists say their ranges, and hold to them.
    for (path, max) in [
        ("/api/v1/people", 500),
        ("/api/v1/tasks", 500),
        ("/api/v1/invoices", 500),
        ("/api/v1/bank/imports", 500),
        ("/api/v1/deals", 5000),
    ] {
        let limit = parameter(path, "get", "limit");
        assert_eq!(limit["schema"]["maximum"].as_i64(), Some(max), "{path}");
        let over = format!("{path}?limit={}", max + 1);
        let refused = json(api.get(&over), 400).await;
        assert_eq!(refused["error"]["code"], "bad_request", "{over}");
        json(api.get(&format!("{path}?limit={max}")), 200).await;
    }
    for path in ["/api/v1/people", "/api/v1/tasks", "/api/v1/invoices"] {
        assert_eq!(
            parameter(path, "get", "offset")["schema"]["minimum"].as_i64(),
            Some(0)
        );
        json(api.get(&format!("{path}?offset=-1")), 400).await;
    }
}

#[tokio::test]
async fn each_answer_has_the_shape_its_schema_names() {
    let app = TestApp::spawn().await;
    let api = app.token_as("boss@agency.test", &[Role::Admin]).await;
    let repository = json(
        api.post("/api/v1/repositories").json(&json!({
            "name": "Client website",
            "forge": "github",
            "clone_url": "https://github.com/acme/app.git",
            "web_url": "https://github.com/acme/app",
        })),
        201,
    )
    .await;
    let id = repository["id"].as_i64().unwrap();
    let doc = document(&app).await;

    // Two lists of deliveries, of webhooks and of notifications: each its own schema.
    for (path, concrete) in [
        (
            "/api/v1/repositories/{id}/deliveries",
            format!("/api/v1/repositories/{id}/deliveries"),
        ),
        (
            "/api/v1/notifications/deliveries",
            "/api/v1/notifications/deliveries".to_string(),
        ),
    ] {
        let answer = json(api.get(&concrete), 200).await;
        let schema = resolve(
            &doc,
            &doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
                ["$ref"],
        );
        let mut keys: Vec<String> = answer.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, property_names(schema), "GET {path}: {answer}");
    }
}

#[tokio::test]
async fn the_routes_other_programs_call_are_in_the_document() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    for path in ["/agent/v1/register", "/agent/v1/state", "/agent/v1/report"] {
        let item = &doc["paths"][path];
        let op = item["post"].as_object().or(item["get"].as_object());
        let op = op.unwrap_or_else(|| panic!("{path} is documented"));
        let scheme = op["security"][0]
            .as_object()
            .unwrap()
            .keys()
            .next()
            .unwrap()
            .clone();
        assert!(
            doc["components"]["securitySchemes"][&scheme].is_object(),
            "{path} names a server-token scheme that exists ({scheme})"
        );
        assert!(op["responses"]["401"].is_object(), "{path} lists 401");
    }
    for forge in ["github", "gitlab", "gitea"] {
        let op = &doc["paths"][format!("/hooks/{forge}")]["post"];
        assert!(op.is_object(), "/hooks/{forge} is documented");
        assert!(op["responses"]["202"].is_object() && op["responses"]["401"].is_object());
        assert!(op.get("security").is_none(), "the signature, not a token");
    }
}
