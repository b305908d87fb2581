//! The audit log: who changed what, when, and how. Every change goes through [`record`] in
//! the same transaction as the change itself, so there is no change without its entry.

mod store;

use serde::Serialize;

pub use store::{AuditEntry, AuditFilter, AuditPage, list, object_kinds, record, record_many};

use crate::ids::UserId;

/// Who is acting. Robots act in their own name; API calls in the name of the token's user,
/// with the token named, so a leaked token's doings can be told apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub user_id: Option<UserId>,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    User,
    Token,
    Robot,
    /// The command line on the server (`shtab user add …`, `shtab demo`).
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Token => "token",
            ActorKind::Robot => "robot",
            ActorKind::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<ActorKind> {
        Some(match s {
            "user" => ActorKind::User,
            "token" => ActorKind::Token,
            "robot" => ActorKind::Robot,
            "system" => ActorKind::System,
            _ => return None,
        })
    }
}

impl Actor {
    pub fn user(id: UserId, label: impl Into<String>) -> Actor {
        Actor {
            kind: ActorKind::User,
            user_id: Some(id),
            label: label.into(),
        }
    }

    pub fn token(user: UserId, label: impl Into<String>) -> Actor {
        Actor {
            kind: ActorKind::Token,
            user_id: Some(user),
            label: label.into(),
        }
    }

    pub fn robot(name: impl Into<String>) -> Actor {
        Actor {
            kind: ActorKind::Robot,
            user_id: None,
            label: name.into(),
        }
    }

    pub fn system(what: impl Into<String>) -> Actor {
        Actor {
            kind: ActorKind::System,
            user_id: None,
            label: what.into(),
        }
    }
}

/// What an entry says about the object: the fields that changed, each with its value before
/// and after (`null` where there was none). Secrets never go in here.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Changes(serde_json::Map<String, serde_json::Value>);

impl Changes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `field` only when the value really changed.
    pub fn diff<T: Serialize + PartialEq>(
        &mut self,
        field: &str,
        before: &T,
        after: &T,
    ) -> &mut Self {
        if before != after {
            self.0.insert(
                field.to_string(),
                serde_json::json!({ "before": before, "after": after }),
            );
        }
        self
    }

    /// Records a value for a created (or removed) object.
    pub fn set<T: Serialize>(&mut self, field: &str, value: &T) -> &mut Self {
        self.0.insert(
            field.to_string(),
            serde_json::to_value(value).unwrap_or_default(),
        );
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_json(&self) -> String {
        serde_json::Value::Object(self.0.clone()).to_string()
    }
}

/// One change about to be recorded.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: String,
    /// The object's name as people know it; the action says what happened to it.
    pub object_label: String,
    pub changes: Changes,
}
