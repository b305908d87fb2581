//! What the agent remembers between runs, in one 0600 file under the state directory:
//! the last good desired state (so `keys` answers during a hub outage), the keys seen
//! revoked (never answered again), and the accounts the agent manages (so an account
//! that vanished from the state is locked, not forgotten).
//!
//! Every change happens under an exclusive lock on a lock file, so `run` and many
//! concurrent `keys` never lose each other's updates.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use shtab_access_protocol::{AccountState, DesiredState};

use crate::files;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Memory {
    /// The newest state accepted from the hub.
    #[serde(default)]
    pub state: Option<DesiredState>,
    /// Its ETag, sent back as `If-None-Match`.
    #[serde(default)]
    pub etag: Option<String>,
    /// Per login, the keys (`type base64`, without comment) taken away in some state.
    #[serde(default)]
    pub revoked: BTreeMap<String, BTreeSet<String>>,
    /// Logins this agent created or took over.
    #[serde(default)]
    pub managed: BTreeSet<String>,
}

/// How a fetched state relates to the remembered one.
#[derive(Debug, PartialEq, Eq)]
pub enum Accepted {
    /// Newer (or the first): it replaced the remembered state.
    Newer,
    /// The very revision already remembered.
    Same,
}

/// The identity of a key line: its type and base64 body, without the comment, so a key
/// re-sent with another comment is still the same key.
pub fn key_id(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Revisions are compared as numbers when both are numbers (the hub counts them); two
/// revisions that are not numbers can only be told equal or different.
fn is_older(candidate: &str, current: &str) -> bool {
    match (candidate.parse::<u64>(), current.parse::<u64>()) {
        (Ok(a), Ok(b)) => a < b,
        _ => false,
    }
}

fn is_strictly_newer(candidate: &str, current: &str) -> bool {
    match (candidate.parse::<u64>(), current.parse::<u64>()) {
        (Ok(a), Ok(b)) => a > b,
        _ => false,
    }
}

/// The keys each login holds in `state` (only accounts that are present).
fn granted(state: &DesiredState) -> BTreeMap<&str, BTreeSet<String>> {
    let mut map: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for account in &state.accounts {
        if account.state == AccountState::Present {
            map.entry(&account.login)
                .or_default()
                .extend(account.keys.iter().map(|k| key_id(k)));
        }
    }
    map
}

impl Memory {
    /// Takes `state` as the newest one, recording every key it takes away. An older
    /// revision is refused: a replayed or rolled-back answer must not bring keys back.
    pub fn accept(
        &mut self,
        state: DesiredState,
        etag: Option<String>,
    ) -> anyhow::Result<Accepted> {
        let Some(current) = &self.state else {
            self.state = Some(state);
            self.etag = etag;
            return Ok(Accepted::Newer);
        };
        if current.revision == state.revision {
            self.etag = etag.or(self.etag.take());
            return Ok(Accepted::Same);
        }
        if is_older(&state.revision, &current.revision) {
            anyhow::bail!(
                "the hub answered revision {} but revision {} was already applied; keeping the newer one",
                state.revision,
                current.revision
            );
        }
        let before = granted(current);
        let after = granted(&state);
        for (login, keys) in &before {
            let kept = after.get(login);
            for key in keys {
                if kept.is_none_or(|k| !k.contains(key)) {
                    self.revoked
                        .entry((*login).to_owned())
                        .or_default()
                        .insert(key.clone());
                }
            }
        }
        // A key granted again in a revision that is provably newer is a new decision of
        // the hub; without a provable order a revocation stays.
        if is_strictly_newer(&state.revision, &current.revision) {
            for (login, keys) in &after {
                if let Some(revoked) = self.revoked.get_mut(*login) {
                    revoked.retain(|k| !keys.contains(k));
                }
            }
            self.revoked.retain(|_, keys| !keys.is_empty());
        }
        self.state = Some(state);
        self.etag = etag;
        Ok(Accepted::Newer)
    }

    /// The key lines `login` may log in with now: granted by the newest state and never
    /// seen revoked since.
    pub fn keys_for(&self, login: &str) -> Vec<String> {
        let Some(state) = &self.state else {
            return Vec::new();
        };
        let revoked = self.revoked.get(login);
        let mut seen = BTreeSet::new();
        state
            .accounts
            .iter()
            .filter(|a| a.login == login && a.state == AccountState::Present)
            .flat_map(|a| a.keys.iter())
            .filter(|k| shtab_access_protocol::validate_key(k).is_ok())
            .filter(|k| revoked.is_none_or(|r| !r.contains(&key_id(k))))
            .filter(|k| seen.insert(key_id(k)))
            .map(|k| k.trim().to_owned())
            .collect()
    }
}

/// The memory file and its lock, in the state directory.
pub struct Store {
    dir: PathBuf,
}

/// Held while reading, changing and writing the memory.
pub struct Locked {
    _lock: File,
    path: PathBuf,
    pub memory: Memory,
}

impl Store {
    pub fn new(dir: &Path) -> Store {
        Store {
            dir: dir.to_owned(),
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.join("memory.json")
    }

    /// Reads without locking (a reader sees a whole file thanks to the atomic rename).
    pub fn read(&self) -> anyhow::Result<Memory> {
        parse(&self.path())
    }

    /// Locks the memory for a read-modify-write.
    pub fn lock(&self) -> anyhow::Result<Locked> {
        files::ensure_dir(&self.dir, 0o700)?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(self.dir.join("lock"))
            .with_context(|| format!("cannot open the lock in {}", self.dir.display()))?;
        lock.lock()
            .with_context(|| format!("cannot lock {}", self.dir.display()))?;
        let path = self.path();
        let memory = parse(&path)?;
        Ok(Locked {
            _lock: lock,
            path,
            memory,
        })
    }
}

impl Locked {
    pub fn save(&self) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(&self.memory)?;
        files::write_atomic(&self.path, &json, 0o600)
    }
}

fn parse(path: &Path) -> anyhow::Result<Memory> {
    match files::read_if_present(path)? {
        None => Ok(Memory::default()),
        Some(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is damaged; remove it to start afresh", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shtab_access_protocol::Account;

    const K1: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfkPZbBLFlGygiyeA0GuHr4zJ3fctJV8jg4cEjUCLYZ alice@laptop";
    const K2: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEvL6D1IICPr1YyVO2I41fDhtihSSWXSGM3C+Z9MAwqa alice@phone";

    fn state(revision: &str, keys: &[&str]) -> DesiredState {
        DesiredState {
            server: "web-1".into(),
            revision: revision.into(),
            accounts: vec![Account {
                login: "alice".into(),
                uid: 20001,
                full_name: "Alice".into(),
                shell: "/bin/bash".into(),
                groups: vec![],
                sudo: false,
                keys: keys.iter().map(|k| (*k).to_owned()).collect(),
                state: AccountState::Present,
            }],
            wireguard: None,
        }
    }

    #[test]
    fn a_revoked_key_is_not_answered_even_from_an_older_state() {
        let mut memory = Memory::default();
        memory.accept(state("1", &[K1, K2]), None).unwrap();
        assert_eq!(memory.keys_for("alice").len(), 2);
        memory.accept(state("2", &[K1]), None).unwrap();
        assert_eq!(memory.keys_for("alice"), vec![K1.to_owned()]);
        // A rolled-back hub answering revision 1 again is refused.
        assert!(memory.accept(state("1", &[K1, K2]), None).is_err());
        assert_eq!(memory.keys_for("alice"), vec![K1.to_owned()]);
        // Revisions that cannot be ordered: accepted, but the revocation stays.
        memory.accept(state("x", &[K1, K2]), None).unwrap();
        assert_eq!(memory.keys_for("alice"), vec![K1.to_owned()]);
    }

    #[test]
    fn a_key_granted_again_in_a_newer_revision_is_answered() {
        let mut memory = Memory::default();
        memory.accept(state("1", &[K1]), None).unwrap();
        memory.accept(state("2", &[]), None).unwrap();
        assert!(memory.keys_for("alice").is_empty());
        memory
            .accept(
                state("3", &[&K1.replace("alice@laptop", "new comment")]),
                None,
            )
            .unwrap();
        assert_eq!(memory.keys_for("alice").len(), 1);
        assert!(memory.revoked.is_empty());
    }

    #[test]
    fn locked_and_unknown_accounts_have_no_keys() {
        let mut memory = Memory::default();
        let mut locked = state("1", &[K1]);
        locked.accounts[0].state = AccountState::Locked;
        memory.accept(locked, None).unwrap();
        assert!(memory.keys_for("alice").is_empty());
        assert!(memory.keys_for("bob").is_empty());
    }
}
