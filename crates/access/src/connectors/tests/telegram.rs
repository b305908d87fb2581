//! Telegram: a fake Bot API (`POST /bot<token>/<method>`, `{"ok":…}` answers) for one chat.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{Fake, Seen, client, closed_port_url, permanent, retryable, work};
use crate::connectors::{Connector, GrantWork, Telegram};

const TOKEN: &str = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
const CHAT: i64 = -1001234567890;

#[derive(Default)]
struct Bot {
    links: Vec<Value>,
    /// user id → `member`, `left`, `kicked`…; users not here were never seen in the chat.
    members: HashMap<i64, String>,
}

fn failure(code: u16, description: &str) -> (u16, Value) {
    (
        code,
        json!({ "ok": false, "error_code": code, "description": description }),
    )
}

fn ok(result: Value) -> (u16, Value) {
    (200, json!({ "ok": true, "result": result }))
}

fn respond(bot: &mut Bot, req: &Seen) -> (u16, Value) {
    let Some((token, method)) = req
        .path
        .strip_prefix("/bot")
        .and_then(|rest| rest.split_once('/'))
    else {
        return failure(404, "Not Found");
    };
    if token != TOKEN {
        return failure(401, "Unauthorized");
    }
    if req.method != "POST" {
        return failure(405, "Method Not Allowed");
    }
    let body = &req.body;
    if body["chat_id"] != json!(CHAT) {
        return failure(400, "Bad Request: chat not found");
    }
    let user_id = body["user_id"].as_i64();
    match method {
        "createChatInviteLink" => {
            let link = json!({
                "invite_link": format!("https://t.me/+Zk9xW{}", bot.links.len() + 1),
                "creator": { "id": 987654, "is_bot": true, "first_name": "Shtab", "username": "shtab_bot" },
                "creates_join_request": body["creates_join_request"],
                "is_primary": false,
                "is_revoked": false,
                "name": body["name"],
                "member_limit": body["member_limit"],
            });
            bot.links.push(link.clone());
            ok(link)
        }
        "revokeChatInviteLink" => {
            match bot
                .links
                .iter_mut()
                .find(|l| l["invite_link"] == body["invite_link"])
            {
                Some(link) => {
                    link["is_revoked"] = json!(true);
                    ok(link.clone())
                }
                None => failure(400, "Bad Request: INVITE_HASH_EXPIRED"),
            }
        }
        "getChatMember" => match user_id.and_then(|id| bot.members.get(&id)) {
            Some(status) => ok(json!({
                "user": { "id": user_id, "is_bot": false, "first_name": "Иван" },
                "status": status,
            })),
            None => failure(400, "Bad Request: user not found"),
        },
        "banChatMember" => {
            bot.members.insert(user_id.unwrap(), "kicked".into());
            ok(json!(true))
        }
        "unbanChatMember" => {
            let id = user_id.unwrap();
            let banned = bot.members.get(&id).is_some_and(|s| s == "kicked");
            if banned || body["only_if_banned"] != json!(true) {
                bot.members.insert(id, "left".into());
            }
            ok(json!(true))
        }
        _ => failure(404, "Not Found"),
    }
}

fn settings(url: &str) -> Value {
    json!({ "chat_id": CHAT, "api_url": url })
}

fn grant_work(fake: &Fake<Bot>, previous: Value) -> GrantWork {
    work("telegram", settings(&fake.url), TOKEN, previous)
}

fn with_user(mut w: GrantWork, id: i64) -> GrantWork {
    w.person
        .chat_ids
        .insert("telegram_user_id".into(), json!(id));
    w
}

#[tokio::test]
async fn a_grant_creates_a_one_person_invite_link_and_a_repeat_hands_out_the_same() {
    let fake = Fake::start(Bot::default(), respond).await;
    let tg = Telegram::new(client());

    let first = tg.grant(&grant_work(&fake, Value::Null)).await.unwrap();
    let seen = fake.take();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        seen[0].line(),
        format!("POST /bot{TOKEN}/createChatInviteLink")
    );
    assert_eq!(seen[0].header("content-type"), Some("application/json"));
    assert_eq!(
        seen[0].body,
        json!({ "chat_id": CHAT, "name": "Иван Петров", "member_limit": 1, "creates_join_request": false })
    );
    assert_eq!(first.note, "invite link https://t.me/+Zk9xW1");
    assert_eq!(first.state["invite_link"], "https://t.me/+Zk9xW1");
    assert_eq!(first.secret_for_person, None);

    let again = tg
        .grant(&grant_work(&fake, first.state.clone()))
        .await
        .unwrap();
    assert_eq!(again, first, "the same link, nothing new created");
    assert!(fake.take().is_empty());
    assert_eq!(fake.with(|b| b.links.len()), 1);
}

#[tokio::test]
async fn a_grant_for_someone_already_in_the_chat_creates_no_link() {
    let fake = Fake::start(Bot::default(), respond).await;
    fake.with(|b| b.members.insert(42, "member".into()));
    let tg = Telegram::new(client());
    let applied = tg
        .grant(&with_user(grant_work(&fake, Value::Null), 42))
        .await
        .unwrap();
    assert_eq!(applied.note, "already a member of the Telegram chat");
    let seen = fake.take();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].line(), format!("POST /bot{TOKEN}/getChatMember"));
    assert_eq!(seen[0].body, json!({ "chat_id": CHAT, "user_id": 42 }));
    assert!(fake.with(|b| b.links.is_empty()));
}

#[tokio::test]
async fn a_revoke_revokes_the_link_and_removes_a_known_member_who_may_come_back_later() {
    let fake = Fake::start(Bot::default(), respond).await;
    let tg = Telegram::new(client());
    let granted = tg
        .grant(&with_user(grant_work(&fake, Value::Null), 42))
        .await
        .unwrap();
    let link = granted.state["invite_link"].as_str().unwrap().to_owned();
    fake.with(|b| b.members.insert(42, "member".into()));
    fake.take();

    let revoked = tg
        .revoke(&with_user(grant_work(&fake, granted.state.clone()), 42))
        .await
        .unwrap();
    let seen = fake.take();
    let lines: Vec<String> = seen.iter().map(Seen::line).collect();
    assert_eq!(
        lines,
        [
            "revokeChatInviteLink",
            "getChatMember",
            "banChatMember",
            "unbanChatMember"
        ]
        .map(|m| format!("POST /bot{TOKEN}/{m}"))
    );
    assert_eq!(
        seen[0].body,
        json!({ "chat_id": CHAT, "invite_link": link })
    );
    assert_eq!(
        seen[2].body,
        json!({ "chat_id": CHAT, "user_id": 42, "revoke_messages": false })
    );
    assert_eq!(
        seen[3].body,
        json!({ "chat_id": CHAT, "user_id": 42, "only_if_banned": true })
    );
    assert_eq!(revoked.note, "invite link revoked; removed from the chat");
    assert_eq!(revoked.state["revoked"], true);
    assert_eq!(fake.with(|b| b.links[0]["is_revoked"].clone()), true);
    assert_eq!(
        fake.with(|b| b.members[&42].clone()),
        "left",
        "out, not banned: a later grant can invite them again"
    );

    let again = tg
        .revoke(&with_user(grant_work(&fake, revoked.state.clone()), 42))
        .await
        .unwrap();
    assert_eq!(again.note, "not in the chat");
    let lines: Vec<String> = fake.take().iter().map(Seen::line).collect();
    assert_eq!(lines, [format!("POST /bot{TOKEN}/getChatMember")]);

    // Granting again after a revoke hands out a fresh link.
    let regrant = tg
        .grant(&with_user(grant_work(&fake, again.state.clone()), 42))
        .await
        .unwrap();
    assert_eq!(regrant.state["invite_link"], "https://t.me/+Zk9xW2");
}

#[tokio::test]
async fn a_revoke_without_the_persons_telegram_id_says_they_may_still_be_in_the_chat() {
    let fake = Fake::start(Bot::default(), respond).await;
    let tg = Telegram::new(client());
    let granted = tg.grant(&grant_work(&fake, Value::Null)).await.unwrap();
    let revoked = tg
        .revoke(&grant_work(&fake, granted.state.clone()))
        .await
        .unwrap();
    assert!(
        revoked
            .note
            .starts_with("invite link revoked; their Telegram user id is unknown"),
        "{}",
        revoked.note
    );
    // A link someone revoked by hand, and a grant that never handed anything out.
    fake.with(|b| b.links.clear());
    let gone = tg
        .revoke(&grant_work(&fake, granted.state.clone()))
        .await
        .unwrap();
    assert!(
        gone.note.starts_with("invite link was already gone"),
        "{}",
        gone.note
    );
    let nothing = tg.revoke(&grant_work(&fake, Value::Null)).await.unwrap();
    assert_eq!(nothing.note, "nothing was handed out");
}

#[tokio::test]
async fn a_refused_token_or_a_wrong_chat_fails_for_good_naming_telegrams_reason() {
    let fake = Fake::start(Bot::default(), respond).await;
    let tg = Telegram::new(client());

    let wrong = work(
        "telegram",
        settings(&fake.url),
        "999:wrong-token",
        Value::Null,
    );
    let message = permanent(tg.grant(&wrong).await);
    assert!(
        message.contains("Telegram refused the credentials (HTTP 401: Unauthorized)"),
        "{message}"
    );
    assert!(!message.contains("wrong-token"));

    let other_chat = work(
        "telegram",
        json!({ "chat_id": -100999, "api_url": fake.url }),
        TOKEN,
        Value::Null,
    );
    let message = permanent(tg.grant(&other_chat).await);
    assert!(
        message.contains("HTTP 400: Bad Request: chat not found"),
        "{message}"
    );
    assert!(!message.contains(TOKEN));
}

#[tokio::test]
async fn flood_control_an_outage_or_no_answer_is_retried() {
    let fake = Fake::start(Bot::default(), respond).await;
    let tg = Telegram::new(client());
    fake.outage(
        429,
        r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}"#,
    );
    let message = retryable(tg.grant(&grant_work(&fake, Value::Null)).await);
    assert!(
        message.contains("HTTP 429: Too Many Requests: retry after 5 (retry after 5 s)"),
        "{message}"
    );

    fake.outage(502, "<html>Bad Gateway</html>");
    let message = retryable(tg.grant(&grant_work(&fake, Value::Null)).await);
    assert!(message.contains("HTTP 502"), "{message}");
    fake.restore();

    let down = work("telegram", settings(&closed_port_url()), TOKEN, Value::Null);
    let message = retryable(tg.revoke(&with_user(down, 42)).await);
    assert!(message.starts_with("cannot reach Telegram"), "{message}");
    assert!(!message.contains(TOKEN), "{message}");
}

#[test]
fn settings_are_checked_field_by_field() {
    let tg = Telegram::new(client());
    assert_eq!(tg.check_settings(&json!({ "chat_id": -100123 })), Ok(()));
    assert_eq!(tg.check_settings(&json!({ "chat_id": "-100123" })), Ok(()));
    assert_eq!(
        tg.check_settings(&json!({ "chat_id": "@agency_team" })),
        Ok(())
    );
    let err = tg
        .check_settings(&json!({ "chat_id": "agency team" }))
        .unwrap_err();
    assert!(err.starts_with("chat_id: expected"), "{err}");
    let err = tg.check_settings(&json!({})).unwrap_err();
    assert_eq!(err, "chat_id: required");
    let err = tg
        .check_settings(&json!({ "chat_id": 1, "api_url": "ftp://x" }))
        .unwrap_err();
    assert!(err.starts_with("api_url:"), "{err}");
    let err = tg
        .check_settings(&json!({ "chat_id": 1, "chat": 2 }))
        .unwrap_err();
    assert_eq!(
        err,
        "chat: not a Telegram setting (expected chat_id, api_url)"
    );
}
