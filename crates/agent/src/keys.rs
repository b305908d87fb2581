//! `shtab-agent keys USER`, OpenSSH's `AuthorizedKeysCommand`: the user's keys, asked of
//! the hub with a short timeout and answered from the remembered state when the hub is
//! unreachable, so an outage does not lock people out. A key seen revoked is never printed
//! again (see `memory`), and only logins this agent created or took over get keys.

use std::time::Duration;

use shtab_access_protocol::UnixName;

use crate::config::Settings;
use crate::hub::{Fetched, Hub};
use crate::memory::Store;

/// The lines to print for `login`. Never fails: sshd reads an empty answer as "no key",
/// and what went wrong is said on stderr (sshd's log).
pub fn keys(settings: &Settings, login: &str, timeout: Duration) -> Vec<String> {
    if UnixName::parse(login).is_err() {
        return Vec::new();
    }
    let store = Store::new(&settings.state_dir);
    let mut memory = match store.read() {
        Ok(memory) => memory,
        Err(e) => {
            eprintln!("shtab-agent keys: {e:#}");
            return Vec::new();
        }
    };
    // Accounts exist on this server only after a run took them from a state, which is
    // then remembered: a login the remembered state does not know has no keys, and the hub
    // is not bothered for every name a scanner tries.
    // Only a login this agent created or took over: a local account of the same name that
    // it refused to adopt (another uid) is not the hub's to open.
    let known = memory
        .state
        .as_ref()
        .is_some_and(|s| s.accounts.iter().any(|a| a.login == login));
    if !known || !memory.managed.contains(login) {
        return Vec::new();
    }
    let hub = Hub::new(&settings.hub, &settings.token, timeout);
    let etag = memory.state.as_ref().and(memory.etag.as_deref());
    match hub.state(etag) {
        Ok(Fetched::NotModified) => {}
        Ok(Fetched::State { state, etag }) => {
            let taken = store.lock().and_then(|mut locked| {
                locked.memory.accept(state, etag)?;
                locked.save()?;
                Ok(locked.memory.clone())
            });
            match taken {
                Ok(newer) => memory = newer,
                Err(e) => eprintln!("shtab-agent keys: the hub's state was not taken: {e:#}"),
            }
        }
        Err(e) => eprintln!("shtab-agent keys: answering from the cache: {e}"),
    }
    memory.keys_for(login)
}
