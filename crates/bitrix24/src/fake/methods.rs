//! The methods the fake answers, in the portal's shapes (`bitrix24-rest.md` §6–7): ids as
//! strings in legacy and task methods, camelCase under `result.task(s)`, `result: []` for a
//! task the webhook's user cannot see, positional parameters for `task.*` legacy methods.

use serde_json::{Value, json};

use super::state::{
    FakeComment, FakeDepartment, FakeElapsed, FakeNotification, FakeTask, FakeUser, State,
    WEBHOOK_USER,
};
use crate::client::errors::scope_of;
use crate::client::params::Ordered;

/// A method's success: `result`, and `total`/`next` for lists.
pub struct Success {
    pub result: Value,
    pub total: Option<u64>,
    pub next: Option<u64>,
}

/// A method's refusal: the HTTP status and the error body.
pub struct Refusal {
    pub status: u16,
    pub body: Value,
}

pub type Outcome = Result<Success, Refusal>;

pub(super) fn ok(result: Value) -> Outcome {
    Ok(Success {
        result,
        total: None,
        next: None,
    })
}

pub fn refuse(status: u16, code: impl Into<Value>, description: &str) -> Refusal {
    Refusal {
        status,
        body: json!({"error": code.into(), "error_description": description}),
    }
}

/// Methods every webhook may call, whatever its scopes.
fn needs_no_scope(method: &str) -> bool {
    matches!(
        method,
        "scope" | "profile" | "app.info" | "batch" | "methods" | "server.time"
    ) || method.starts_with("event.")
}

pub fn dispatch(state: &mut State, method: &str, params: &Ordered) -> Outcome {
    if !needs_no_scope(method) && !state.scopes.iter().any(|s| s == scope_of(method)) {
        return Err(refuse(
            403,
            "insufficient_scope",
            "The request requires higher privileges than provided by the webhook token",
        ));
    }
    let named = params.to_value();
    if let Some(outcome) = super::app::dispatch(state, method, &named) {
        return outcome;
    }
    if super::crm::handles(method, &named) {
        return super::crm::dispatch(state, method, &named);
    }
    match method {
        "scope" => ok(json!(state.scopes)),
        "profile" => ok(profile(state)),
        // A local application's CODE is its client_id (`local.…`).
        "app.info" => ok(json!({
            "ID": 0, "CODE": state.app.as_ref().map_or("", |a| a.client_id.as_str()),
            "VERSION": 1, "STATUS": "L", "INSTALLED": true,
            "PAYMENT_EXPIRED": "N", "DAYS": null, "LICENSE": state.license,
            "LICENSE_TYPE": "project", "LICENSE_FAMILY": "project"
        })),
        "user.current" => match state.users.iter().find(|u| u.id == WEBHOOK_USER) {
            Some(u) => ok(user_json(u)),
            None => ok(profile(state)),
        },
        "user.get" => user_get(state, &named),
        "department.get" => department_get(state, &named),
        "tasks.task.list" => task_list(state, &named),
        "tasks.task.get" => {
            let id = as_u64(named.get("taskId"));
            match state.tasks.iter().find(|t| Some(t.id) == id && t.visible) {
                Some(t) => ok(json!({"task": task_json(t)})),
                // Missing or hidden: not an error, an empty list.
                None => ok(json!([])),
            }
        }
        "task.commentitem.add" => comment_add(state, params),
        "tasks.task.chat.message.send" => chat_send(state, &named),
        "tasks.task.complete" => {
            let id = as_u64(named.get("taskId"));
            match state
                .tasks
                .iter_mut()
                .find(|t| Some(t.id) == id && t.visible)
            {
                Some(t) => {
                    t.status = 5;
                    let t = t.clone();
                    ok(json!({"task": task_json(&t)}))
                }
                None => Err(refuse(
                    400,
                    "ERROR_CORE",
                    "Task not found or not accessible",
                )),
            }
        }
        "task.elapseditem.add" => elapsed_add(state, params),
        "im.notify.system.add" | "im.notify.personal.add" => notify(state, &named),
        m if super::deals::handles(m) => super::deals::dispatch(&mut state.deals, m, params),
        _ => Err(refuse(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")),
    }
}

fn profile(state: &State) -> Value {
    let name = state
        .users
        .iter()
        .find(|u| u.id == WEBHOOK_USER)
        .map_or(("Webhook", "Owner"), |u| {
            (u.name.as_str(), u.last_name.as_str())
        });
    json!({"ID": WEBHOOK_USER.to_string(), "ADMIN": true, "NAME": name.0, "LAST_NAME": name.1,
           "PERSONAL_GENDER": "", "TIME_ZONE": "", "TIME_ZONE_OFFSET": 10800})
}

/// A number the caller may have sent as a number or (from a query string) as text.
pub fn as_u64(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn as_i64(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `ID` as one id, a list, or a PHP list (`{"0":"1","1":"2"}`).
fn id_set(v: Option<&Value>) -> Option<Vec<u64>> {
    match v? {
        Value::Array(items) => Some(items.iter().filter_map(|i| as_u64(Some(i))).collect()),
        Value::Object(map) => Some(map.values().filter_map(|i| as_u64(Some(i))).collect()),
        one => as_u64(Some(one)).map(|id| vec![id]),
    }
}

/// Offset paging as the portal does it: 50 a page; `start=-1` skips counting (`total` 0).
pub(super) fn page<T: Clone>(
    all: Vec<T>,
    start: Option<i64>,
) -> (Vec<T>, Option<u64>, Option<u64>) {
    match start {
        Some(-1) => (all.into_iter().take(50).collect(), Some(0), None),
        _ => {
            let from = usize::try_from(start.unwrap_or(0).max(0)).unwrap_or(0);
            let total = all.len();
            let items: Vec<T> = all.into_iter().skip(from).take(50).collect();
            let next = (from + 50 < total).then_some((from + 50) as u64);
            (items, Some(total as u64), next)
        }
    }
}

pub(super) fn user_json(u: &FakeUser) -> Value {
    json!({"ID": u.id.to_string(), "ACTIVE": u.active, "NAME": u.name, "LAST_NAME": u.last_name,
           "SECOND_NAME": "", "EMAIL": u.email, "PERSONAL_MOBILE": u.phone, "WORK_PHONE": u.work_phone,
           "WORK_POSITION": u.position, "UF_DEPARTMENT": u.departments, "USER_TYPE": "employee",
           "IS_ONLINE": "N"})
}

fn user_get(state: &State, named: &Value) -> Outcome {
    // Filter keys may sit under FILTER or at the top level.
    let filter = named
        .get("FILTER")
        .or_else(|| named.get("filter"))
        .unwrap_or(named);
    let ids = id_set(filter.get("ID"));
    let after = as_u64(filter.get(">ID"));
    let email = filter
        .get("EMAIL")
        .and_then(Value::as_str)
        .map(str::to_lowercase);
    let active = filter
        .get("ACTIVE")
        .map(|a| matches!(a, Value::Bool(true)) || a == "Y" || a == "1" || a == "true");
    let mut users: Vec<&FakeUser> = state
        .users
        .iter()
        .filter(|u| ids.as_ref().is_none_or(|ids| ids.contains(&u.id)))
        .filter(|u| after.is_none_or(|a| u.id > a))
        .filter(|u| email.as_ref().is_none_or(|e| u.email.to_lowercase() == *e))
        .filter(|u| active.is_none_or(|a| u.active == a))
        .collect();
    users.sort_by_key(|u| u.id);
    if named
        .get("order")
        .and_then(Value::as_str)
        .is_some_and(|o| o.eq_ignore_ascii_case("desc"))
    {
        users.reverse();
    }
    let (items, total, next) = page(users, as_i64(named.get("start")));
    Ok(Success {
        result: Value::Array(items.into_iter().map(user_json).collect()),
        total,
        next,
    })
}

/// As the docs show it: `ID`, `PARENT` and `UF_HEAD` as strings, `SORT` a number; `PARENT`
/// and `UF_HEAD` absent when there is none.
fn department_json(d: &FakeDepartment) -> Value {
    let mut v = json!({"ID": d.id.to_string(), "NAME": d.name, "SORT": 500});
    if let Some(parent) = d.parent {
        v["PARENT"] = json!(parent.to_string());
    }
    if let Some(head) = d.head {
        v["UF_HEAD"] = json!(head.to_string());
    }
    v
}

/// `department.get`: filters at the top level (`ID` one id or a list, `PARENT`), `sort` and
/// `order`, offset paging by 50.
fn department_get(state: &State, named: &Value) -> Outcome {
    let ids = id_set(named.get("ID"));
    let parent = as_u64(named.get("PARENT"));
    let mut found: Vec<&FakeDepartment> = state
        .departments
        .iter()
        .filter(|d| ids.as_ref().is_none_or(|ids| ids.contains(&d.id)))
        .filter(|d| parent.is_none_or(|p| d.parent == Some(p)))
        .collect();
    found.sort_by_key(|d| d.id);
    if named
        .get("order")
        .and_then(Value::as_str)
        .is_some_and(|o| o.eq_ignore_ascii_case("desc"))
    {
        found.reverse();
    }
    let (items, total, next) = page(found, as_i64(named.get("start")));
    Ok(Success {
        result: Value::Array(items.into_iter().map(department_json).collect()),
        total,
        next,
    })
}

pub fn task_json(t: &FakeTask) -> Value {
    json!({
        "id": t.id.to_string(), "title": t.title, "description": "", "createdBy": t.created_by.to_string(),
        "responsibleId": t.responsible_id.to_string(), "status": t.status.to_string(),
        "deadline": null, "group": [], "chatId": (t.id + 9000).to_string(),
        "creator": {"id": t.created_by.to_string(), "name": "", "link": format!("/company/personal/user/{}/", t.created_by)},
        "responsible": {"id": t.responsible_id.to_string(), "name": "", "link": format!("/company/personal/user/{}/", t.responsible_id)}
    })
}

fn task_list(state: &State, named: &Value) -> Outcome {
    let filter = named.get("filter").cloned().unwrap_or(Value::Null);
    let ids = id_set(filter.get("ID"));
    let after = as_u64(filter.get(">ID"));
    let mut tasks: Vec<&FakeTask> = state
        .tasks
        .iter()
        .filter(|t| t.visible)
        .filter(|t| ids.as_ref().is_none_or(|ids| ids.contains(&t.id)))
        .filter(|t| after.is_none_or(|a| t.id > a))
        .collect();
    tasks.sort_by_key(|t| t.id);
    let (items, total, next) = page(tasks, as_i64(named.get("start")));
    Ok(Success {
        result: json!({"tasks": items.into_iter().map(task_json).collect::<Vec<_>>()}),
        total,
        next,
    })
}

/// `task.commentitem.add`: positional, `TASKID` then `FIELDS`, whatever the keys say.
fn comment_add(state: &mut State, params: &Ordered) -> Outcome {
    let pos = params.positional();
    let task_id = pos
        .first()
        .map(|p| p.to_value())
        .and_then(|v| as_u64(Some(&v)));
    let fields = pos.get(1).map(|p| p.to_value()).unwrap_or(Value::Null);
    let Some(task_id) = task_id else {
        return Err(refuse(
            400,
            "ERROR_CORE",
            "Wrong task ID (the first parameter)",
        ));
    };
    if !state.tasks.iter().any(|t| t.id == task_id && t.visible) {
        return Err(refuse(
            400,
            "ERROR_CORE",
            "Action failed: task not found or not accessible",
        ));
    }
    let text = fields
        .get("POST_MESSAGE")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if text.is_empty() {
        return Err(refuse(400, "ERROR_CORE", "POST_MESSAGE is required"));
    }
    let author_id = as_u64(fields.get("AUTHOR_ID")).unwrap_or(WEBHOOK_USER);
    if state.refuse_author_id && author_id != WEBHOOK_USER {
        return Err(refuse(400, "ERROR_CORE", "Access denied"));
    }
    let id = state.id();
    state.comments.push(FakeComment {
        id,
        task_id,
        author_id,
        text,
        in_chat: false,
    });
    ok(json!(id))
}

fn chat_send(state: &mut State, named: &Value) -> Outcome {
    let fields = named.get("fields").cloned().unwrap_or(Value::Null);
    let task_id = as_u64(fields.get("taskId"));
    let text = fields
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let Some(task_id) = task_id.filter(|id| state.tasks.iter().any(|t| t.id == *id && t.visible))
    else {
        return Err(Refusal {
            status: 400,
            body: json!({"error": {"code": "BITRIX_REST_V3_EXCEPTION_ENTITYNOTFOUNDEXCEPTION",
                                    "message": "Task not found", "validation": [{"message": "not found", "field": "taskId"}]}}),
        });
    };
    let id = state.id();
    state.comments.push(FakeComment {
        id,
        task_id,
        author_id: WEBHOOK_USER,
        text,
        in_chat: true,
    });
    ok(json!({"result": true}))
}

/// `task.elapseditem.add`: positional, `TASKID` then `ARFIELDS`.
fn elapsed_add(state: &mut State, params: &Ordered) -> Outcome {
    let pos = params.positional();
    let task_id = pos
        .first()
        .map(|p| p.to_value())
        .and_then(|v| as_u64(Some(&v)));
    let fields = pos.get(1).map(|p| p.to_value()).unwrap_or(Value::Null);
    let Some(task_id) = task_id.filter(|id| state.tasks.iter().any(|t| t.id == *id && t.visible))
    else {
        return Err(refuse(
            400,
            "ERROR_CORE",
            "Action failed: task not found or not accessible",
        ));
    };
    let Some(seconds) = as_u64(fields.get("SECONDS")) else {
        return Err(refuse(400, "ERROR_CORE", "SECONDS is required"));
    };
    let id = state.id();
    state.elapsed.push(FakeElapsed {
        id,
        task_id,
        user_id: as_u64(fields.get("USER_ID")).unwrap_or(WEBHOOK_USER),
        seconds,
        comment: fields
            .get("COMMENT_TEXT")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        created_date: fields
            .get("CREATED_DATE")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
    });
    ok(json!(id))
}

fn notify(state: &mut State, named: &Value) -> Outcome {
    // The recipient is USER_ID; `TO` is what older copies took, and a trap.
    let Some(user_id) = as_u64(named.get("USER_ID")) else {
        return Err(refuse(400, "USER_ID_EMPTY", "Recipient ID not specified"));
    };
    let message = named
        .get("MESSAGE")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if message.is_empty() {
        return Err(refuse(400, "MESSAGE_EMPTY", "Message text is empty"));
    }
    // The portal adds no notice for a user it does not have, and says only `false`.
    if !state.users.iter().any(|u| u.id == user_id) {
        return ok(json!(false));
    }
    let id = state.id();
    state.notifications.push(FakeNotification {
        id,
        user_id,
        message,
        tag: named
            .get("TAG")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
    });
    ok(json!(id))
}
