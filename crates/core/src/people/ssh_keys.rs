//! SSH keys are access: a key on a person is served at once to every server their SSH
//! grants reach, sudo included. Who may change them is decided where the caller is known
//! (the web layer knows sessions from tokens); here are the change itself and the notice the
//! access managers get when a key is added to someone whose keys reach servers.

use serde_json::json;

use super::domain::{Person, PersonInput, StoredSshKey};
use crate::auth::{Permission, Role, users};
use crate::db::Db;
use crate::error::CoreResult;
use crate::ports::{Message, Notifier, ServerAccess};

/// The template of the notice.
pub const KEY_ADDED_TEMPLATE: &str = "people.ssh_key_added";

/// What a save does to a person's keys, by fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyChange {
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl KeyChange {
    /// From the keys stored now (none for a new person) to the ones about to be saved.
    pub fn between(before: &[StoredSshKey], after: &PersonInput) -> KeyChange {
        let after: Vec<&str> = after.ssh_keys.iter().map(|k| k.fingerprint()).collect();
        KeyChange {
            added: after
                .iter()
                .filter(|fp| !before.iter().any(|k| k.fingerprint == **fp))
                .map(|fp| fp.to_string())
                .collect(),
            removed: before
                .iter()
                .filter(|k| !after.contains(&k.fingerprint.as_str()))
                .map(|k| k.fingerprint.clone())
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// When keys were added to `person` and their SSH grants reach servers, tells every active
/// user who manages access (a key nobody expected is how an account gets taken over).
/// Returns how many were told.
pub async fn tell_access_managers(
    db: &Db,
    notifier: &dyn Notifier,
    access: &dyn ServerAccess,
    person: &Person,
    added: &[String],
    changed_by: &str,
) -> CoreResult<usize> {
    if added.is_empty() {
        return Ok(0);
    }
    let grants = access.ssh_grants(person.id).await?;
    if grants.is_empty() {
        return Ok(0);
    }
    let message = Message {
        template: KEY_ADDED_TEMPLATE.into(),
        context: json!({
            "person": person.full_name,
            "fingerprints": added.join("\n"),
            "grants": grants.join("\n"),
            "changed_by": changed_by,
        }),
        link: Some(format!("/people/{}", person.id)),
    };
    let managers: Vec<_> = users::list(db)
        .await?
        .into_iter()
        .filter(|u| u.is_active() && Role::grants(&u.roles, Permission::AccessManage))
        .collect();
    for manager in &managers {
        notifier.send(manager.person_id, &message).await?;
    }
    Ok(managers.len())
}
