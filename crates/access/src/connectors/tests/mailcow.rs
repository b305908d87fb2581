//! Mailcow: a fake of `/api/v1/{get,add,edit}/mailbox` that, like Mailcow, reports refusals
//! with HTTP 200 and `[{"type":"danger",…}]`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Fake, Seen, client, closed_port_url, permanent, retryable, work};
use crate::connectors::{Connector, GrantWork, Mailcow};

const KEY: &str = "A1B2C3-D4E5F6-A7B8C9-D0E1F2-A3B4C5";
const DOMAIN: &str = "agency.ru";
const ADDRESS: &str = "ivan.petrov@agency.ru";

#[derive(Default)]
struct Server {
    /// address → `active` ("1"/"0") and the password it was created with.
    mailboxes: BTreeMap<String, (String, String)>,
    /// Mailboxes this key may see but not change (a domain administrator's key elsewhere).
    locked: bool,
}

fn result(kind: &str, action: &str, msg: Value) -> Value {
    json!([{ "type": kind, "log": ["mailbox", action, "mailbox", {}], "msg": msg }])
}

fn respond(s: &mut Server, req: &Seen) -> (u16, Value) {
    if req.header("x-api-key") != Some(KEY) {
        return (
            401,
            json!({ "type": "error", "msg": "authentication failed" }),
        );
    }
    let body = &req.body;
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", path) if path.starts_with("/api/v1/get/mailbox/") => {
            let address = path.trim_start_matches("/api/v1/get/mailbox/");
            match s.mailboxes.get(address) {
                Some((active, _)) => (
                    200,
                    json!({
                        "username": address, "active": active.parse::<i64>().unwrap(),
                        "active_int": active.parse::<i64>().unwrap(), "domain": DOMAIN,
                        "name": "Иван Петров", "local_part": "ivan.petrov",
                        "quota": 3_221_225_472i64, "messages": 0, "is_relayed": 0
                    }),
                ),
                None => (200, json!({})),
            }
        }
        ("POST", "/api/v1/add/mailbox") => {
            let domain = body["domain"].as_str().unwrap_or("");
            if domain != DOMAIN {
                return (
                    200,
                    result("danger", "add", json!(["domain_not_found", domain])),
                );
            }
            if body["password"] != body["password2"] {
                return (200, result("danger", "add", json!("password_mismatch")));
            }
            let address = format!("{}@{domain}", body["local_part"].as_str().unwrap());
            if s.mailboxes.contains_key(&address) {
                return (
                    200,
                    result("danger", "add", json!(["object_exists", address])),
                );
            }
            let password = body["password"].as_str().unwrap().to_owned();
            s.mailboxes.insert(
                address.clone(),
                (body["active"].as_str().unwrap().to_owned(), password),
            );
            (
                200,
                result("success", "add", json!(["mailbox_added", address])),
            )
        }
        ("POST", "/api/v1/edit/mailbox") => {
            let mut out = Vec::new();
            for item in body["items"].as_array().unwrap() {
                let address = item.as_str().unwrap();
                match s.mailboxes.get_mut(address) {
                    Some(_) if s.locked => {
                        out.push(result("danger", "edit", json!("access_denied"))[0].clone())
                    }
                    Some((active, _)) => {
                        *active = body["attr"]["active"].as_str().unwrap().to_owned();
                        out.push(
                            result("success", "edit", json!(["mailbox_modified", address]))[0]
                                .clone(),
                        );
                    }
                    None => out.push(result("danger", "edit", json!("access_denied"))[0].clone()),
                }
            }
            (200, Value::Array(out))
        }
        _ => (404, json!({ "type": "error", "msg": "route not found" })),
    }
}

fn settings(url: &str) -> Value {
    json!({ "url": url, "domain": DOMAIN, "quota_mb": 3072 })
}

fn grant_work(fake: &Fake<Server>, previous: Value) -> GrantWork {
    work("mailcow", settings(&fake.url), KEY, previous)
}

#[tokio::test]
async fn a_grant_creates_the_mailbox_with_a_password_handed_out_once() {
    let fake = Fake::start(Server::default(), respond).await;
    let mc = Mailcow::new(client());

    let applied = mc.grant(&grant_work(&fake, Value::Null)).await.unwrap();
    let seen = fake.take();
    let lines: Vec<String> = seen.iter().map(Seen::line).collect();
    assert_eq!(
        lines,
        [
            format!("GET /api/v1/get/mailbox/{ADDRESS}"),
            "POST /api/v1/add/mailbox".into()
        ]
    );
    assert!(seen.iter().all(|r| r.header("x-api-key") == Some(KEY)));
    let password = applied.secret_for_person.clone().expect("a first password");
    assert!(password.len() >= 20);
    assert_eq!(
        seen[1].body,
        json!({
            "local_part": "ivan.petrov", "domain": DOMAIN, "name": "Иван Петров",
            "password": password, "password2": password, "active": "1",
            "force_pw_update": "1", "quota": "3072"
        })
    );
    assert_eq!(applied.note, format!("mailbox {ADDRESS} created"));
    assert!(!applied.note.contains(&password) && !applied.state.to_string().contains(&password));
    assert_eq!(applied.state, json!({ "mailbox": ADDRESS, "active": true }));

    let again = mc
        .grant(&grant_work(&fake, applied.state.clone()))
        .await
        .unwrap();
    assert_eq!(again.note, format!("mailbox {ADDRESS} is active"));
    assert_eq!(
        again.secret_for_person, None,
        "the password is handed out once"
    );
    assert_eq!(fake.take().len(), 1, "only looked");
    fake.with(|s| assert_eq!(s.mailboxes[ADDRESS].1, password));
}

#[tokio::test]
async fn a_revoke_disables_the_mailbox_keeping_it_and_a_grant_re_activates_it() {
    let fake = Fake::start(Server::default(), respond).await;
    let mc = Mailcow::new(client());
    let granted = mc.grant(&grant_work(&fake, Value::Null)).await.unwrap();
    fake.take();

    let revoked = mc
        .revoke(&grant_work(&fake, granted.state.clone()))
        .await
        .unwrap();
    let seen = fake.take();
    assert_eq!(seen[1].line(), "POST /api/v1/edit/mailbox");
    assert_eq!(
        seen[1].body,
        json!({ "items": [ADDRESS], "attr": { "active": "0" } })
    );
    assert_eq!(
        revoked.note,
        format!("mailbox {ADDRESS} disabled; its mail is kept")
    );
    fake.with(|s| assert_eq!(s.mailboxes[ADDRESS].0, "0", "disabled, not deleted"));

    let again = mc
        .revoke(&grant_work(&fake, revoked.state.clone()))
        .await
        .unwrap();
    assert_eq!(
        again.note,
        format!("mailbox {ADDRESS} is disabled; its mail is kept")
    );
    assert_eq!(fake.take().len(), 1, "only looked");

    let regrant = mc
        .grant(&grant_work(&fake, again.state.clone()))
        .await
        .unwrap();
    assert_eq!(
        regrant.note,
        format!("mailbox {ADDRESS} re-activated (its password is unchanged)")
    );
    assert_eq!(regrant.secret_for_person, None);
    assert_eq!(
        fake.take()[1].body,
        json!({ "items": [ADDRESS], "attr": { "active": "1" } })
    );

    fake.with(|s| s.mailboxes.clear());
    let gone = mc
        .revoke(&grant_work(&fake, regrant.state.clone()))
        .await
        .unwrap();
    assert_eq!(
        gone.note,
        format!("no mailbox {ADDRESS}; nothing to disable")
    );
}

#[tokio::test]
async fn a_danger_answer_with_http_200_fails_the_grant_with_mailcows_words() {
    let fake = Fake::start(Server::default(), respond).await;
    let mc = Mailcow::new(client());
    let other_domain = work(
        "mailcow",
        json!({ "url": fake.url, "domain": "elsewhere.ru" }),
        KEY,
        Value::Null,
    );
    let message = permanent(mc.grant(&other_domain).await);
    assert_eq!(
        message,
        "Mailcow refused to create ivan.petrov@elsewhere.ru: danger domain_not_found elsewhere.ru"
    );
    assert!(fake.with(|s| s.mailboxes.is_empty()));
}

#[tokio::test]
async fn a_danger_answer_to_disabling_fails_the_revoke() {
    let fake = Fake::start(Server::default(), respond).await;
    let mc = Mailcow::new(client());
    let granted = mc.grant(&grant_work(&fake, Value::Null)).await.unwrap();
    fake.with(|s| s.locked = true);
    let message = permanent(mc.revoke(&grant_work(&fake, granted.state)).await);
    assert_eq!(
        message,
        format!("Mailcow refused to disable {ADDRESS}: danger access_denied")
    );
    fake.with(|s| {
        assert_eq!(
            s.mailboxes[ADDRESS].0, "1",
            "still active, and the revoke says so"
        )
    });
}

#[tokio::test]
async fn a_refused_key_fails_for_good_and_an_outage_is_retried() {
    let fake = Fake::start(Server::default(), respond).await;
    let mc = Mailcow::new(client());
    let wrong = work(
        "mailcow",
        settings(&fake.url),
        "read-only-or-wrong",
        Value::Null,
    );
    let message = permanent(mc.grant(&wrong).await);
    assert!(
        message.contains("Mailcow refused the credentials (HTTP 401: authentication failed)"),
        "{message}"
    );
    assert!(!message.contains("read-only-or-wrong"));

    fake.outage(503, "Service Unavailable");
    let message = retryable(mc.revoke(&grant_work(&fake, Value::Null)).await);
    assert!(message.contains("HTTP 503"), "{message}");
    fake.restore();

    retryable(
        mc.grant(&work(
            "mailcow",
            settings(&closed_port_url()),
            KEY,
            Value::Null,
        ))
        .await,
    );

    let mut odd = grant_work(&fake, Value::Null);
    odd.person.login = "../admin".into();
    let message = permanent(mc.grant(&odd).await);
    assert!(message.contains("cannot be a mailbox name"), "{message}");
}

#[test]
fn settings_name_the_wrong_field() {
    let mc = Mailcow::new(client());
    assert_eq!(
        mc.check_settings(&settings("https://mail.agency.ru")),
        Ok(())
    );
    let err = mc
        .check_settings(&json!({ "url": "https://mail.agency.ru", "domain": "agency" }))
        .unwrap_err();
    assert!(err.starts_with("domain:"), "{err}");
    let err = mc
        .check_settings(
            &json!({ "url": "https://mail.agency.ru", "domain": DOMAIN, "quota_mb": -1 }),
        )
        .unwrap_err();
    assert_eq!(
        err,
        "quota_mb: expected a whole number of 0 or more, found -1"
    );
    let err = mc.check_settings(&json!({ "domain": DOMAIN })).unwrap_err();
    assert_eq!(err, "url: required");
}
