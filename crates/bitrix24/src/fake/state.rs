//! What the fake portal holds: its users and tasks, what was written to them, the faults it
//! was told to answer with, and every request it received.

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use crate::client::params::Ordered;

/// The fake's incoming webhook: user 1, this code.
pub const WEBHOOK_USER: u64 = 1;
pub const WEBHOOK_CODE: &str = "k3y9webhook42";

#[derive(Debug, Clone, PartialEq)]
pub struct FakeUser {
    pub id: u64,
    pub active: bool,
    pub name: String,
    pub last_name: String,
    pub email: String,
    /// `PERSONAL_MOBILE`.
    pub phone: String,
    /// `WORK_PHONE`.
    pub work_phone: String,
    pub position: String,
    pub departments: Vec<u64>,
}

impl FakeUser {
    pub fn new(id: u64, name: &str, last_name: &str, email: &str) -> FakeUser {
        FakeUser {
            id,
            active: true,
            name: name.into(),
            last_name: last_name.into(),
            email: email.into(),
            phone: String::new(),
            work_phone: String::new(),
            position: String::new(),
            departments: vec![1],
        }
    }
}

/// A department of the company's structure (`department.get`).
#[derive(Debug, Clone, PartialEq)]
pub struct FakeDepartment {
    pub id: u64,
    pub name: String,
    /// None for the root (the company itself, department 1 on a real portal).
    pub parent: Option<u64>,
    pub head: Option<u64>,
}

impl FakeDepartment {
    pub fn new(id: u64, name: &str, parent: Option<u64>) -> FakeDepartment {
        FakeDepartment {
            id,
            name: name.into(),
            parent,
            head: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeTask {
    pub id: u64,
    pub title: String,
    pub created_by: u64,
    pub responsible_id: u64,
    /// 2 pending, 3 in progress, 4 awaiting control, 5 completed, 6 deferred.
    pub status: u8,
    /// False: the webhook's user cannot see it (`tasks.task.get` answers `result: []`).
    pub visible: bool,
}

impl FakeTask {
    pub fn new(id: u64, title: &str) -> FakeTask {
        FakeTask {
            id,
            title: title.into(),
            created_by: WEBHOOK_USER,
            responsible_id: WEBHOOK_USER,
            status: 2,
            visible: true,
        }
    }
}

/// A comment as `task.commentitem.add` or `tasks.task.chat.message.send` left it.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeComment {
    pub id: u64,
    pub task_id: u64,
    /// The comment's author: `AUTHOR_ID`, or the webhook's user for a chat message.
    pub author_id: u64,
    pub text: String,
    /// True when it went to the task's chat (`tasks.task.chat.message.send`).
    pub in_chat: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeElapsed {
    pub id: u64,
    pub task_id: u64,
    pub user_id: u64,
    pub seconds: u64,
    pub comment: String,
    pub created_date: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeNotification {
    pub id: u64,
    pub user_id: u64,
    pub message: String,
    pub tag: String,
}

/// A request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The parameters, in the order they came (a batch command's from its query string,
    /// every value a string).
    pub params: Ordered,
    /// The address's query string, if any (secrets must never be there).
    pub query: Option<String>,
    /// The batch command's label, for a command run inside a batch.
    pub in_batch: Option<String>,
}

impl Recorded {
    pub fn body(&self) -> serde_json::Value {
        self.params.to_value()
    }
}

/// A request the fake OAuth server's token address received (a refresh, or a code's
/// exchange).
#[derive(Debug, Clone)]
pub struct RecordedRefresh {
    /// The form body: `grant_type=refresh_token&client_id=…`.
    pub form: String,
    pub query: Option<String>,
}

/// An answer the fake gives instead of doing the method, once per queued fault.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 503 `QUERY_LIMIT_EXCEEDED`, the leaky bucket's answer.
    QueryLimit,
    /// 429 `OPERATION_TIME_LIMIT`, with `operating_reset_at` this far ahead.
    OperationTimeLimit { reset_in: Duration },
    /// An HTML page with this status (a proxy, a blocked batch).
    Html(u16),
    /// Any status and error body.
    Error {
        status: u16,
        code: serde_json::Value,
        description: String,
    },
}

pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: String,
    pub access_token: String,
    pub refresh_token: String,
    pub expired: HashSet<String>,
    pub serial: u64,
    /// Where the authorisation page sends the administrator back (the application's handler).
    pub handler_url: Option<String>,
    /// The portal user who authorised it (`user_id` in the token answers).
    pub user_id: u64,
}

/// The fake's own leaky bucket, when one is set.
pub struct Bucket {
    pub rate: f64,
    pub burst: f64,
    pub level: f64,
    pub at: Instant,
}

impl Bucket {
    /// Adds a request; false when the bucket overflows (the request is refused, not counted).
    pub fn admit(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.level = (self.level - elapsed * self.rate).max(0.0);
        self.at = now;
        if self.level + 1.0 > self.burst {
            return false;
        }
        self.level += 1.0;
        true
    }
}

#[derive(Default)]
pub struct State {
    pub users: Vec<FakeUser>,
    pub departments: Vec<FakeDepartment>,
    pub tasks: Vec<FakeTask>,
    pub comments: Vec<FakeComment>,
    pub elapsed: Vec<FakeElapsed>,
    pub notifications: Vec<FakeNotification>,
    pub next_id: u64,
    pub scopes: Vec<String>,
    pub faults: VecDeque<(Option<String>, Fault)>,
    /// (method, seconds used, reset in) reported in `time`.
    pub operating: Vec<(String, f64, f64)>,
    pub renamed_to: Option<String>,
    /// The new task card: `task.commentitem.add` refuses `AUTHOR_ID` of another user.
    pub refuse_author_id: bool,
    pub app: Option<OAuthApp>,
    pub bucket: Option<Bucket>,
    pub limited: u64,
    pub requests: Vec<Recorded>,
    /// Requests to the OAuth server's token address, refreshes and code exchanges alike.
    pub token_requests: Vec<RecordedRefresh>,
    /// Query strings the authorisation page was opened with.
    pub authorizations: Vec<String>,
    pub license: String,
    /// `http://127.0.0.1:{port}`, once the fake listens.
    pub origin: String,
    /// The portal's own id, as the OAuth server and events name it.
    pub member_id: String,
    /// How long the OAuth server takes to answer a token request.
    pub token_delay: Duration,
    pub deals: super::deals::DealsState,
    pub crm: super::crm_data::CrmData,
    /// The portal is down: every request is answered with a 503 page.
    pub down: bool,
    /// The installed local application's placements, events, robots and users' tokens.
    pub app_side: super::app::AppSide,
}

impl State {
    pub fn new() -> State {
        State {
            next_id: 3000,
            scopes: ["task", "tasks", "user", "im", "crm", "department"]
                .map(String::from)
                .to_vec(),
            license: "ru_project".into(),
            deals: super::deals::DealsState::new(),
            ..State::default()
        }
    }

    /// The portal's `domain` as the authorisation page gives it: host and port, no scheme.
    pub fn domain(&self) -> String {
        self.origin
            .split_once("://")
            .map_or(self.origin.as_str(), |(_, rest)| rest)
            .to_owned()
    }

    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The first queued fault for `method`, removed.
    pub fn take_fault(&mut self, method: &str) -> Option<Fault> {
        let at = self
            .faults
            .iter()
            .position(|(m, _)| m.as_deref().is_none_or(|m| m == method))?;
        self.faults.remove(at).map(|(_, f)| f)
    }
}
