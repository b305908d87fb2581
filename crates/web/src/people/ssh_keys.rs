//! Who may change a person's SSH keys, and what follows a change. Keys are access: they are
//! served at once to every server the person's SSH grants reach, so changing them needs
//! `access_manage` — or is people changing their own keys from their own session (a token
//! is not enough: it may have leaked). The same rule holds on the form and the API.

use shtab_core::FieldError;
use shtab_core::auth::Permission;
use shtab_core::ids::PersonId;
use shtab_core::people::{self, KeyChange, Person, PersonInput, SshKeysInImport, StoredSshKey};

use crate::auth::CurrentUser;
use crate::state::AppState;

/// Why a change of keys is refused, for the API's answer and the form's field error.
pub const REFUSAL: &str =
    "changing SSH keys needs access_manage, or must be your own keys from your own session";

/// Whether `user` may change the keys of `person` (`None`: a person not created yet).
pub fn may_change(user: &CurrentUser, person: Option<PersonId>) -> bool {
    user.can(Permission::AccessManage)
        || (person == Some(user.user().person_id) && user.session().is_some())
}

/// An import adds new people only, so only `access_manage` lets it give keys.
pub fn in_import(user: &CurrentUser) -> SshKeysInImport {
    if may_change(user, None) {
        SshKeysInImport::Allowed
    } else {
        SshKeysInImport::Refused
    }
}

/// What the save would do to the keys, or the refusal when it changes them and `user` may
/// not. Saving the keys as they are is always fine (the form sends them back unchanged).
pub fn check(
    user: &CurrentUser,
    person: Option<PersonId>,
    before: &[StoredSshKey],
    after: &PersonInput,
) -> Result<KeyChange, FieldError> {
    let change = KeyChange::between(before, after);
    if change.is_empty() || may_change(user, person) {
        Ok(change)
    } else {
        tracing::warn!(
            user = user.user().id.0,
            person = ?person,
            "SSH key change refused"
        );
        Err(FieldError::new(
            "ssh_keys",
            "ssh_keys_need_access_manage",
            REFUSAL,
        ))
    }
}

/// After a save that added keys: the access managers hear of it when the person's keys
/// reach servers. The save stands whatever happens here; a notice that cannot be queued is
/// logged.
pub async fn after_save(state: &AppState, user: &CurrentUser, person: &Person, change: &KeyChange) {
    if change.added.is_empty() {
        return;
    }
    if let Err(e) = people::tell_access_managers(
        &state.db,
        state.notifier.as_ref(),
        state.server_access.as_ref(),
        person,
        &change.added,
        &user.actor().label,
    )
    .await
    {
        tracing::error!(error = %e, person = person.id.0, "cannot tell the access managers of a new SSH key");
    }
}
