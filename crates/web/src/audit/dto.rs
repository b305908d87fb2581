//! What the audit API reads and writes: its contract and its OpenAPI schemas.

use serde::{Deserialize, Serialize};
use shtab_core::audit::{ActorKind, AuditEntry, AuditPage};
use shtab_core::time::rfc3339_ms;
use utoipa::{IntoParams, ToSchema};

/// Who acted: `user`, a person on the pages; `token`, a program with a user's API token;
/// `robot`, one of the hub's robots; `system`, the command line on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ActorKindName {
    User,
    Token,
    Robot,
    System,
}

impl From<ActorKind> for ActorKindName {
    fn from(k: ActorKind) -> Self {
        match k {
            ActorKind::User => ActorKindName::User,
            ActorKind::Token => ActorKindName::Token,
            ActorKind::Robot => ActorKindName::Robot,
            ActorKind::System => ActorKindName::System,
        }
    }
}

/// The query, as text: each value is parsed by the handler, so an error names its
/// parameter (serde's would not). The documented types are what the values must be.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only entries made by this kind of actor.
    #[param(value_type = Option<ActorKindName>, inline)]
    pub actor_kind: Option<String>,
    /// Only entries made by this user, in person or with their tokens.
    #[param(value_type = Option<i64>)]
    pub actor_id: Option<String>,
    /// Only entries about this kind of object: `person`, `user`, `token`, `settings`, or a
    /// capability's own.
    #[param(example = "person")]
    pub object_kind: Option<String>,
    /// Only entries about the object with this id (with `object_kind`, one object).
    pub object_id: Option<String>,
    /// From this instant (RFC 3339), or from the start of this day (`YYYY-MM-DD`, in the
    /// hub's time zone).
    #[param(schema_with = crate::openapi::schemas::day_or_instant, example = "2026-03-01")]
    pub since: Option<String>,
    /// Before this instant (RFC 3339), or up to the end of this day (`YYYY-MM-DD`, in the
    /// hub's time zone, the day included).
    #[param(schema_with = crate::openapi::schemas::day_or_instant, example = "2026-03-31")]
    pub until: Option<String>,
    /// Entries older than this id: the previous page's `next_before_id`.
    #[param(value_type = Option<i64>)]
    pub before_id: Option<String>,
    /// Entries per page, 1–500; 50 when absent.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
}

/// Who made a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorBody {
    pub kind: ActorKindName,
    /// The user, for `user` and `token`.
    pub user_id: Option<i64>,
    /// The name at the time: a person's name (with the token's for `token`), a robot's.
    #[schema(example = "Иван Петров")]
    pub label: String,
}

/// One change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryBody {
    /// Grows with time: newer entries have larger ids.
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    pub actor: ActorBody,
    #[schema(example = "person.update")]
    pub action: String,
    #[schema(example = "person")]
    pub object_kind: String,
    #[schema(example = "42")]
    pub object_id: String,
    pub object_label: String,
    /// The fields that changed, each `{"before": …, "after": …}`; for an object created or
    /// removed, the fields' values. Instants (fields named `…_at`) are RFC 3339.
    #[schema(value_type = Object, example = json!({"position": {"before": "Developer", "after": "Lead"}}))]
    pub changes: serde_json::Value,
}

/// A page of entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    pub entries: Vec<AuditEntryBody>,
    /// Pass as `before_id` for the next (older) page; `null` on the last page.
    pub next_before_id: Option<i64>,
}

impl From<AuditEntry> for AuditEntryBody {
    fn from(e: AuditEntry) -> Self {
        AuditEntryBody {
            id: e.id,
            at: rfc3339_ms(e.at),
            actor: ActorBody {
                // Only `audit::record` writes the column, from an `ActorKind`; a row
                // edited by hand into something else reads as the system's.
                kind: ActorKind::parse(&e.actor_kind)
                    .unwrap_or(ActorKind::System)
                    .into(),
                user_id: e.actor_id,
                label: e.actor_label,
            },
            action: e.action,
            object_kind: e.object_kind,
            object_id: e.object_id,
            object_label: e.object_label,
            // Written by `Changes::to_json`, so always JSON; a hand-edited row shows as text.
            changes: match serde_json::from_str(&e.changes) {
                Ok(mut changes) => {
                    super::changes::show_instants(&mut changes, &rfc3339_ms);
                    changes
                }
                Err(_) => serde_json::Value::String(e.changes),
            },
        }
    }
}

impl From<AuditPage> for AuditList {
    fn from(p: AuditPage) -> Self {
        AuditList {
            entries: p.entries.into_iter().map(Into::into).collect(),
            next_before_id: p.next_before_id,
        }
    }
}
