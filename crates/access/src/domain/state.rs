//! What one server should look like: the accounts its grants give (merged per login), the
//! accounts to lock because every grant of theirs was taken away, and the WireGuard peers
//! when it is the VPN gateway. The revision is a hash of all of it, so it changes exactly
//! when something the agent applies changes.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use shtab_access_protocol::{Account, AccountState, DesiredState, WireguardGateway, WireguardPeer};

use super::grant::SshTarget;

/// An SSH grant as the state needs it.
#[derive(Debug, Clone)]
pub struct SshGrantFacts {
    pub target: SshTarget,
    pub login: String,
    pub uid: u32,
    pub full_name: String,
    pub shell: String,
    pub groups: Vec<String>,
    pub sudo: bool,
    /// The person's keys as `authorized_keys` lines (already checked).
    pub keys: Vec<String>,
    /// Granted, not expired, and the person has not left.
    pub active: bool,
}

/// The state of server `name` in `server_groups`, given every SSH grant there is (active
/// or not) and the gateway's peers if it is one.
pub fn desired_state(
    name: &str,
    server_groups: &[String],
    grants: &[SshGrantFacts],
    gateway: Option<WireguardGateway>,
) -> DesiredState {
    let mut by_login: BTreeMap<&str, Vec<&SshGrantFacts>> = BTreeMap::new();
    for g in grants
        .iter()
        .filter(|g| g.target.reaches(name, server_groups))
    {
        by_login.entry(g.login.as_str()).or_default().push(g);
    }
    let accounts = by_login
        .into_iter()
        .map(|(login, grants)| {
            let active: Vec<&&SshGrantFacts> = grants.iter().filter(|g| g.active).collect();
            let first = grants[0];
            match active.first() {
                Some(a) => {
                    let mut groups: Vec<String> =
                        active.iter().flat_map(|g| g.groups.clone()).collect();
                    groups.sort();
                    groups.dedup();
                    let mut keys = a.keys.clone();
                    keys.sort();
                    keys.dedup();
                    Account {
                        login: login.to_string(),
                        uid: a.uid,
                        full_name: a.full_name.clone(),
                        shell: a.shell.clone(),
                        groups,
                        sudo: active.iter().any(|g| g.sudo),
                        keys,
                        state: AccountState::Present,
                    }
                }
                None => Account {
                    login: login.to_string(),
                    uid: first.uid,
                    full_name: first.full_name.clone(),
                    shell: first.shell.clone(),
                    groups: Vec::new(),
                    sudo: false,
                    keys: Vec::new(),
                    state: AccountState::Locked,
                },
            }
        })
        .collect();
    let wireguard = gateway.map(|mut g| {
        g.peers.sort_by(|a, b| a.public_key.cmp(&b.public_key));
        g
    });
    let mut state = DesiredState {
        server: name.to_string(),
        revision: String::new(),
        accounts,
        wireguard,
    };
    state.revision = revision(&state);
    state
}

/// A stable hash of everything but the revision itself.
pub fn revision(state: &DesiredState) -> String {
    let mut unrevised = state.clone();
    unrevised.revision.clear();
    let json = serde_json::to_vec(&unrevised).expect("the state serializes");
    let digest = Sha256::digest(&json);
    hex::encode(&digest[..16])
}

/// A gateway's peer for a device.
pub fn peer(public_key: &str, address: &str, comment: &str) -> WireguardPeer {
    WireguardPeer {
        public_key: public_key.to_string(),
        allowed_ips: vec![format!("{address}/32")],
        comment: comment.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(login: &str, target: &str, sudo: bool, active: bool) -> SshGrantFacts {
        SshGrantFacts {
            target: SshTarget {
                target: target.into(),
            },
            login: login.into(),
            uid: 20000,
            full_name: "Иван".into(),
            shell: "/bin/bash".into(),
            groups: vec!["dev".into()],
            sudo,
            keys: vec!["ssh-ed25519 AAAA ivan".into()],
            active,
        }
    }

    #[test]
    fn grants_merge_per_login_and_revoked_ones_lock() {
        let grants = vec![
            grant("ivan", "web", false, true),
            grant("ivan", "app1", true, true),
            grant("olga", "web", false, false),
            grant("petr", "db", false, true),
        ];
        let s = desired_state("app1", &["web".into()], &grants, None);
        assert_eq!(s.accounts.len(), 2);
        assert_eq!(s.accounts[0].login, "ivan");
        assert!(s.accounts[0].sudo);
        assert_eq!(s.accounts[0].state, AccountState::Present);
        assert_eq!(s.accounts[1].login, "olga");
        assert_eq!(s.accounts[1].state, AccountState::Locked);
        assert!(s.accounts[1].keys.is_empty());
    }

    #[test]
    fn the_revision_is_stable_and_follows_changes() {
        let grants = vec![grant("ivan", "web", false, true)];
        let a = desired_state("web", &[], &grants, None);
        let b = desired_state("web", &[], &grants, None);
        assert_eq!(a.revision, b.revision);
        let c = desired_state("web", &[], &[grant("ivan", "web", false, false)], None);
        assert_ne!(a.revision, c.revision);
        assert_eq!(revision(&a), a.revision);
    }
}
