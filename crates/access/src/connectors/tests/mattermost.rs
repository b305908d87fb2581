//! Mattermost: a fake API v4 with users, one team's members and channel members.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::{Fake, Seen, client, closed_port_url, permanent, retryable, work};
use crate::connectors::{Connector, GrantWork, Mattermost};

const TOKEN: &str = "xq7tdm1c3fgbtbnb6dn4nmyrdo";
const TEAM: &str = "hb4y5nkkwbrhbmwa1jqsmyw3ac";
const CH1: &str = "7jdhq1ghb7rp7meuhq7eunzt5e";
const CH2: &str = "9xbbbjw8xtyqiqcn9aqbpn3xzh";
const IVAN: &str = "u8hxm4kggjf5pdxj8wqmzpgdby";

#[derive(Default)]
struct Server {
    /// e-mail → user.
    users: BTreeMap<String, Value>,
    /// user id → `delete_at` of their team membership (0 while a member).
    team: BTreeMap<String, i64>,
    channels: BTreeSet<(String, String)>,
}

fn error(status: u16, id: &str, message: &str) -> (u16, Value) {
    (
        status,
        json!({ "id": id, "message": message, "detailed_error": "", "request_id": "fk9bqg3qojbzfq3pmxtt8a5kfw", "status_code": status }),
    )
}

fn team_member(user: &str, delete_at: i64) -> Value {
    json!({
        "team_id": TEAM, "user_id": user, "roles": "team_user", "delete_at": delete_at,
        "scheme_guest": false, "scheme_user": true, "scheme_admin": false, "explicit_roles": ""
    })
}

fn respond(s: &mut Server, req: &Seen) -> (u16, Value) {
    if req.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
        return error(
            401,
            "api.context.session_expired.app_error",
            "Invalid or expired session, please login again.",
        );
    }
    let parts: Vec<&str> = req.path.trim_start_matches("/api/v4/").split('/').collect();
    match (req.method.as_str(), parts.as_slice()) {
        ("GET", ["users", "email", email]) => match s.users.get(*email) {
            Some(user) => (200, user.clone()),
            None => error(
                404,
                "app.user.missing_account.const",
                "Unable to find the user.",
            ),
        },
        ("POST", ["teams", team, "members"]) if *team == TEAM => {
            assert_eq!(req.body["team_id"], TEAM);
            let user = req.body["user_id"].as_str().unwrap().to_owned();
            s.team.insert(user.clone(), 0);
            (201, team_member(&user, 0))
        }
        ("GET", ["teams", team, "members", user]) if *team == TEAM => match s.team.get(*user) {
            Some(delete_at) => (200, team_member(user, *delete_at)),
            None => error(
                404,
                "app.team.get_member.missing.app_error",
                "A team member with that ID could not be found.",
            ),
        },
        ("DELETE", ["teams", team, "members", user]) if *team == TEAM => {
            s.team.insert(user.to_string(), 1_700_000_000_000);
            s.channels.retain(|(_, u)| u != user);
            (200, json!({ "status": "OK" }))
        }
        ("POST", ["channels", channel, "members"]) => {
            if ![CH1, CH2].contains(channel) {
                return error(
                    404,
                    "app.channel.get.existing.app_error",
                    "Unable to find the existing channel.",
                );
            }
            let user = req.body["user_id"].as_str().unwrap().to_owned();
            s.channels.insert((channel.to_string(), user.clone()));
            (
                201,
                json!({ "channel_id": channel, "user_id": user, "roles": "channel_user", "msg_count": 0, "mention_count": 0 }),
            )
        }
        _ => error(
            404,
            "api.context.404.app_error",
            "Sorry, we could not find the page.",
        ),
    }
}

fn server_with_ivan() -> Server {
    let mut s = Server::default();
    s.users.insert(
        "ivan.petrov@agency.ru".into(),
        json!({
            "id": IVAN, "create_at": 1_690_000_000_000i64, "update_at": 1_690_000_000_000i64,
            "delete_at": 0, "username": "ivan.petrov", "auth_service": "",
            "email": "ivan.petrov@agency.ru", "nickname": "", "first_name": "Иван",
            "last_name": "Петров", "position": "", "roles": "system_user", "locale": "ru"
        }),
    );
    s
}

fn settings(url: &str) -> Value {
    json!({ "url": url, "team_id": TEAM, "channel_ids": [CH1, CH2] })
}

fn grant_work(fake: &Fake<Server>, previous: Value) -> GrantWork {
    work("mattermost", settings(&fake.url), TOKEN, previous)
}

#[tokio::test]
async fn a_grant_finds_the_user_by_email_and_adds_them_to_the_team_and_channels() {
    let fake = Fake::start(server_with_ivan(), respond).await;
    let mm = Mattermost::new(client());

    let applied = mm.grant(&grant_work(&fake, Value::Null)).await.unwrap();
    let seen = fake.take();
    let lines: Vec<String> = seen.iter().map(Seen::line).collect();
    assert_eq!(
        lines,
        [
            "GET /api/v4/users/email/ivan.petrov@agency.ru".to_owned(),
            format!("POST /api/v4/teams/{TEAM}/members"),
            format!("POST /api/v4/channels/{CH1}/members"),
            format!("POST /api/v4/channels/{CH2}/members"),
        ]
    );
    assert!(
        seen.iter()
            .all(|r| r.header("authorization") == Some(&format!("Bearer {TOKEN}")))
    );
    assert_eq!(seen[1].body, json!({ "team_id": TEAM, "user_id": IVAN }));
    assert_eq!(seen[2].body, json!({ "user_id": IVAN }));
    assert_eq!(
        applied.note,
        "@ivan.petrov is in the Mattermost team and 2 channel(s)"
    );
    assert_eq!(applied.state["user_id"], IVAN);
    fake.with(|s| {
        assert_eq!(s.team.get(IVAN), Some(&0));
        assert_eq!(s.channels.len(), 2);
    });

    // Mattermost answers 201 for someone already in: the repeat changes nothing.
    let again = mm
        .grant(&grant_work(&fake, applied.state.clone()))
        .await
        .unwrap();
    assert_eq!(again, applied);
    fake.with(|s| assert_eq!(s.channels.len(), 2));
}

#[tokio::test]
async fn a_revoke_removes_them_from_the_team_and_a_repeat_finds_nothing_to_do() {
    let fake = Fake::start(server_with_ivan(), respond).await;
    let mm = Mattermost::new(client());
    let granted = mm.grant(&grant_work(&fake, Value::Null)).await.unwrap();
    fake.take();

    let revoked = mm
        .revoke(&grant_work(&fake, granted.state.clone()))
        .await
        .unwrap();
    let lines: Vec<String> = fake.take().iter().map(Seen::line).collect();
    assert_eq!(
        lines,
        [
            format!("GET /api/v4/teams/{TEAM}/members/{IVAN}"),
            format!("DELETE /api/v4/teams/{TEAM}/members/{IVAN}"),
        ]
    );
    assert_eq!(
        revoked.note,
        "removed from the Mattermost team and its channels"
    );
    fake.with(|s| {
        assert_ne!(s.team[IVAN], 0);
        assert!(s.channels.is_empty());
    });

    let again = mm
        .revoke(&grant_work(&fake, revoked.state.clone()))
        .await
        .unwrap();
    assert_eq!(again.note, "not in the Mattermost team");
    let lines: Vec<String> = fake.take().iter().map(Seen::line).collect();
    assert_eq!(lines, [format!("GET /api/v4/teams/{TEAM}/members/{IVAN}")]);

    // Never granted (no state): found by e-mail, never in the team.
    fake.with(|s| s.team.clear());
    let never = mm.revoke(&grant_work(&fake, Value::Null)).await.unwrap();
    assert_eq!(never.note, "not in the Mattermost team");
}

#[tokio::test]
async fn a_person_without_a_mattermost_user_fails_the_grant_but_not_the_revoke() {
    let fake = Fake::start(Server::default(), respond).await;
    let mm = Mattermost::new(client());
    let message = permanent(mm.grant(&grant_work(&fake, Value::Null)).await);
    assert!(
        message.starts_with("no Mattermost user with e-mail ivan.petrov@agency.ru"),
        "{message}"
    );
    let revoked = mm.revoke(&grant_work(&fake, Value::Null)).await.unwrap();
    assert_eq!(
        revoked.note,
        "no Mattermost user for this person; nothing to remove"
    );
}

#[tokio::test]
async fn a_refused_token_fails_for_good_and_an_outage_is_retried() {
    let fake = Fake::start(server_with_ivan(), respond).await;
    let mm = Mattermost::new(client());
    let wrong = work(
        "mattermost",
        settings(&fake.url),
        "not-the-token",
        Value::Null,
    );
    let message = permanent(mm.grant(&wrong).await);
    assert!(
        message.contains(
            "Mattermost refused the credentials (HTTP 401: Invalid or expired session, please login again.)"
        ),
        "{message}"
    );
    assert!(!message.contains("not-the-token"));

    let missing_channel = work(
        "mattermost",
        json!({ "url": fake.url, "team_id": TEAM, "channel_ids": ["aaaaaaaaaaaaaaaaaaaaaaaaaa"] }),
        TOKEN,
        Value::Null,
    );
    let message = permanent(mm.grant(&missing_channel).await);
    assert!(
        message.contains("HTTP 404: Unable to find the existing channel."),
        "{message}"
    );

    fake.outage(
        500,
        r#"{"id":"app.x","message":"We encountered an error.","status_code":500}"#,
    );
    let message = retryable(mm.revoke(&grant_work(&fake, Value::Null)).await);
    assert!(
        message.contains("HTTP 500: We encountered an error."),
        "{message}"
    );

    let down = work(
        "mattermost",
        settings(&closed_port_url()),
        TOKEN,
        Value::Null,
    );
    retryable(mm.grant(&down).await);
}

#[test]
fn settings_name_the_wrong_field() {
    let mm = Mattermost::new(client());
    assert_eq!(
        mm.check_settings(&settings("https://chat.agency.ru")),
        Ok(())
    );
    let err = mm
        .check_settings(&json!({ "url": "https://chat.agency.ru", "team_id": "developers" }))
        .unwrap_err();
    assert!(
        err.starts_with("team_id: expected a Mattermost id"),
        "{err}"
    );
    let err = mm
        .check_settings(&json!({ "url": "https://chat.agency.ru", "team_id": TEAM, "channel_ids": [CH1, "town-square"] }))
        .unwrap_err();
    assert!(err.starts_with("channel_ids[1]:"), "{err}");
    let err = mm
        .check_settings(&json!({ "url": "chat.agency.ru", "team_id": TEAM }))
        .unwrap_err();
    assert!(err.starts_with("url:"), "{err}");
}
