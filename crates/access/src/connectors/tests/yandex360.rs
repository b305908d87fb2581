//! Yandex 360: a fake directory API (`/directory/v1/org/{orgId}/users`) that pages its user
//! list and answers errors as `{"code":…,"message":…,"details":[]}`.

use serde_json::{Value, json};

use super::{Fake, Seen, client, closed_port_url, permanent, retryable, work};
use crate::connectors::{Connector, GrantWork, Yandex360};

const TOKEN: &str = "y0_AgAAAAB0ZXN0dG9rZW5fZm9yX3NodGFi";
const ORG: &str = "7654321";
const USERS: &str = "/directory/v1/org/7654321/users";

struct Directory {
    users: Vec<Value>,
    /// The server's own page size, whatever `perPage` asks for.
    page_cap: usize,
}

fn error(status: u16, code: i64, message: &str) -> (u16, Value) {
    (
        status,
        json!({ "code": code, "message": message, "details": [] }),
    )
}

fn user(id: u64, nickname: &str, enabled: bool) -> Value {
    json!({
        "id": id.to_string(), "nickname": nickname, "departmentId": 1,
        "email": format!("{nickname}@agency.ru"),
        "name": { "first": nickname, "last": "", "middle": "" },
        "gender": "", "position": "", "avatarId": "", "about": "", "birthday": "",
        "contacts": [], "aliases": [], "groups": [], "externalId": "",
        "isAdmin": false, "isRobot": false, "isDismissed": false, "isEnabled": enabled,
        "timezone": "Europe/Moscow", "language": "ru",
        "createdAt": "2026-11-24T10:00:00Z", "updatedAt": "2026-11-24T10:00:00Z"
    })
}

fn query(req: &Seen, key: &str) -> Option<usize> {
    req.query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v.parse().ok())
}

fn respond(d: &mut Directory, req: &Seen) -> (u16, Value) {
    if req.header("authorization") != Some(&format!("OAuth {TOKEN}")) {
        return error(401, 16, "Unauthenticated");
    }
    let Some(rest) = req.path.strip_prefix(USERS) else {
        return error(403, 7, "no access to this organization");
    };
    match (req.method.as_str(), rest) {
        ("GET", "") => {
            let page = query(req, "page").unwrap_or(1).max(1);
            let per_page = query(req, "perPage").unwrap_or(10).min(d.page_cap);
            let pages = d.users.len().div_ceil(per_page).max(1);
            let users: Vec<Value> = d
                .users
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .cloned()
                .collect();
            (
                200,
                json!({ "users": users, "page": page, "pages": pages, "perPage": per_page, "total": d.users.len() }),
            )
        }
        ("POST", "") => {
            let nickname = req.body["nickname"].as_str().unwrap_or("");
            if d.users.iter().any(|u| u["nickname"] == nickname) {
                return error(409, 6, "nickname already taken");
            }
            if req.body["password"].as_str().is_none_or(|p| p.len() < 8) {
                return error(400, 3, "password is too weak");
            }
            let mut created = user(1_130_000_000_000_100 + d.users.len() as u64, nickname, true);
            created["name"] = req.body["name"].clone();
            created["departmentId"] = req.body["departmentId"].clone();
            d.users.push(created.clone());
            (200, created)
        }
        ("PATCH", id) => {
            let id = id.trim_start_matches('/');
            match d.users.iter_mut().find(|u| u["id"] == id) {
                Some(u) => {
                    if let Some(enabled) = req.body.get("isEnabled") {
                        u["isEnabled"] = enabled.clone();
                    }
                    (200, u.clone())
                }
                None => error(404, 5, "user not found"),
            }
        }
        _ => error(404, 5, "not found"),
    }
}

fn directory() -> Directory {
    Directory {
        users: vec![
            user(1_130_000_000_000_001, "anna", true),
            user(1_130_000_000_000_002, "boris", true),
        ],
        page_cap: 2,
    }
}

fn settings(url: &str) -> Value {
    json!({ "org_id": 7654321, "domain": "agency.ru", "api_url": url })
}

fn grant_work(fake: &Fake<Directory>, previous: Value) -> GrantWork {
    work("yandex360", settings(&fake.url), TOKEN, previous)
}

#[tokio::test]
async fn a_grant_creates_the_user_with_a_first_password_and_a_repeat_finds_it() {
    let fake = Fake::start(directory(), respond).await;
    let ya = Yandex360::new(client());

    let applied = ya.grant(&grant_work(&fake, Value::Null)).await.unwrap();
    let seen = fake.take();
    let lines: Vec<String> = seen.iter().map(Seen::line).collect();
    assert_eq!(lines, [format!("GET {USERS}"), format!("POST {USERS}")]);
    assert!(
        seen.iter()
            .all(|r| r.header("authorization") == Some(&format!("OAuth {TOKEN}")))
    );
    assert_eq!(seen[0].query, "page=1&perPage=1000");
    let password = applied.secret_for_person.clone().expect("a first password");
    assert_eq!(
        seen[1].body,
        json!({
            "nickname": "ivan.petrov", "departmentId": 1,
            "name": { "first": "Иван", "last": "Петров", "middle": "" },
            "password": password, "passwordChangeRequired": true
        })
    );
    assert_eq!(applied.note, "mailbox ivan.petrov@agency.ru created");
    assert_eq!(applied.state["user_id"], "1130000000000102");
    assert!(!applied.state.to_string().contains(&password));

    // The directory pages by two: the new user is on page 2.
    let again = ya
        .grant(&grant_work(&fake, applied.state.clone()))
        .await
        .unwrap();
    assert_eq!(again.note, "mailbox ivan.petrov@agency.ru is active");
    assert_eq!(again.secret_for_person, None);
    let seen = fake.take();
    let queries: Vec<&str> = seen.iter().map(|r| r.query.as_str()).collect();
    assert_eq!(queries, ["page=1&perPage=1000", "page=2&perPage=1000"]);
    assert!(seen.iter().all(|r| r.method == "GET"));
    assert_eq!(fake.with(|d| d.users.len()), 3);
}

#[tokio::test]
async fn a_revoke_disables_the_user_and_a_grant_enables_it_again() {
    let fake = Fake::start(directory(), respond).await;
    let ya = Yandex360::new(client());
    let granted = ya.grant(&grant_work(&fake, Value::Null)).await.unwrap();
    let id = granted.state["user_id"].as_str().unwrap().to_owned();
    fake.take();

    let revoked = ya
        .revoke(&grant_work(&fake, granted.state.clone()))
        .await
        .unwrap();
    let seen = fake.take();
    let last = seen.last().unwrap();
    assert_eq!(last.line(), format!("PATCH {USERS}/{id}"));
    assert_eq!(last.body, json!({ "isEnabled": false }));
    assert_eq!(
        revoked.note,
        "mailbox ivan.petrov@agency.ru disabled; its mail is kept"
    );
    assert_eq!(fake.with(|d| d.users[2]["isEnabled"].clone()), false);

    let again = ya
        .revoke(&grant_work(&fake, revoked.state.clone()))
        .await
        .unwrap();
    assert_eq!(
        again.note,
        "mailbox ivan.petrov@agency.ru is disabled; its mail is kept"
    );
    assert!(
        fake.take().iter().all(|r| r.method == "GET"),
        "nothing changed"
    );

    let regrant = ya
        .grant(&grant_work(&fake, again.state.clone()))
        .await
        .unwrap();
    assert_eq!(
        regrant.note,
        "mailbox ivan.petrov@agency.ru re-enabled (its password is unchanged)"
    );
    assert_eq!(
        fake.take().last().unwrap().body,
        json!({ "isEnabled": true })
    );

    let mut stranger = grant_work(&fake, Value::Null);
    stranger.person.login = "nobody".into();
    let nothing = ya.revoke(&stranger).await.unwrap();
    assert_eq!(
        nothing.note,
        "no Yandex 360 user nobody@agency.ru; nothing to disable"
    );
}

#[tokio::test]
async fn refusals_carry_yandexs_message_and_outages_are_retried() {
    let fake = Fake::start(directory(), respond).await;
    let ya = Yandex360::new(client());
    let wrong = work("yandex360", settings(&fake.url), "y0_wrong", Value::Null);
    let message = permanent(ya.grant(&wrong).await);
    assert!(
        message.contains("Yandex 360 refused the credentials (HTTP 401: Unauthenticated)"),
        "{message}"
    );
    assert!(!message.contains("y0_wrong"));

    let other_org = work(
        "yandex360",
        json!({ "org_id": 1, "domain": "agency.ru", "api_url": fake.url }),
        TOKEN,
        Value::Null,
    );
    let message = permanent(ya.revoke(&other_org).await);
    assert!(
        message.contains("HTTP 403: no access to this organization"),
        "{message}"
    );

    fake.outage(
        500,
        r#"{"code":13,"message":"internal error","details":[]}"#,
    );
    let message = retryable(ya.grant(&grant_work(&fake, Value::Null)).await);
    assert!(message.contains("HTTP 500: internal error"), "{message}");
    fake.restore();

    retryable(
        ya.grant(&work(
            "yandex360",
            settings(&closed_port_url()),
            TOKEN,
            Value::Null,
        ))
        .await,
    );
}

#[test]
fn settings_name_the_wrong_field() {
    let ya = Yandex360::new(client());
    assert_eq!(
        ya.check_settings(&json!({ "org_id": ORG, "domain": "agency.ru" })),
        Ok(())
    );
    let err = ya
        .check_settings(&json!({ "org_id": "my org", "domain": "agency.ru" }))
        .unwrap_err();
    assert!(
        err.starts_with("org_id: expected the organisation's number"),
        "{err}"
    );
    let err = ya.check_settings(&json!({ "org_id": 5 })).unwrap_err();
    assert_eq!(err, "domain: required");
    let err = ya
        .check_settings(&json!({ "org_id": 5, "domain": "agency.ru", "department_id": "x" }))
        .unwrap_err();
    assert!(err.starts_with("department_id:"), "{err}");
}
