//! Each server's desired state, built from the grants, the people (their keys, whether they
//! left) and the VPN devices; and the SSH and VPN grants' states, which follow what the
//! agents report: a grant is applied (or revoked) once every server it reaches has reported
//! the revision that contains it.

use std::collections::HashMap;

use shtab_access_protocol::{DesiredState, WireguardGateway, validate_key};
use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::time::now_ms;

use super::devices;
use super::grants::{self, Grant};
use super::resources::{self, Resource};
use super::servers::{self, Server};
use crate::domain::grant::SshTarget;
use crate::domain::state::{SshGrantFacts, desired_state, peer};
use crate::domain::wireguard::VpnSettings;
use crate::domain::{GrantState, ResourceKind};

/// Everything the states are built from, read once.
pub struct Facts {
    resources: HashMap<i64, Resource>,
    ssh: Vec<SshGrantFacts>,
    ssh_grants: Vec<Grant>,
    vpn_grants: Vec<Grant>,
    devices: Vec<devices::Device>,
    active_people: std::collections::HashSet<i64>,
    names: HashMap<i64, String>,
}

impl Facts {
    pub async fn load(db: &Db) -> CoreResult<Facts> {
        let now = now_ms();
        let resources: HashMap<i64, Resource> = resources::list(db)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let people: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, full_name, status FROM people")
                .fetch_all(db.pool())
                .await?;
        let active_people = people
            .iter()
            .filter(|p| p.2 == "active")
            .map(|p| p.0)
            .collect::<std::collections::HashSet<_>>();
        let names = people
            .iter()
            .map(|p| (p.0, p.1.clone()))
            .collect::<HashMap<_, _>>();
        // `public_key` is stored as `algorithm base64`, as in `authorized_keys`.
        let key_rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT person_id, public_key, comment FROM person_ssh_keys ORDER BY id",
        )
        .fetch_all(db.pool())
        .await?;
        let mut keys: HashMap<i64, Vec<String>> = HashMap::new();
        for (person, key, comment) in key_rows {
            let line = if comment.is_empty() {
                key
            } else {
                format!("{key} {comment}")
            };
            // Checked again with the agent's own rules: what it would refuse is not sent.
            if validate_key(&line).is_ok() {
                keys.entry(person).or_default().push(line);
            }
        }
        let uids = grants::uids(db).await?;
        let active = |g: &Grant| {
            g.is_active()
                && g.expires_at.is_none_or(|e| e > now)
                && active_people.contains(&g.person_id)
        };
        let ssh_grants = grants::of_kind(db, ResourceKind::Ssh).await?;
        let ssh = ssh_grants
            .iter()
            .filter_map(|g| {
                let resource = resources.get(&g.resource_id)?;
                let uid = u32::try_from(*uids.get(&g.login)?).ok()?;
                Some(SshGrantFacts {
                    target: SshTarget {
                        target: resource.ssh_target(),
                    },
                    login: g.login.clone(),
                    uid,
                    full_name: g.person_name.clone(),
                    shell: g.shell.clone(),
                    groups: g.groups.clone(),
                    sudo: g.sudo,
                    keys: keys.get(&g.person_id).cloned().unwrap_or_default(),
                    active: active(g),
                })
            })
            .collect();
        let vpn_grants: Vec<Grant> = grants::of_kind(db, ResourceKind::Vpn).await?;
        let live_vpn: std::collections::HashSet<i64> = vpn_grants
            .iter()
            .filter(|g| active(g))
            .map(|g| g.id)
            .collect();
        let devices = devices::active(db)
            .await?
            .into_iter()
            .filter(|d| live_vpn.contains(&d.grant_id))
            .collect();
        Ok(Facts {
            resources,
            ssh,
            ssh_grants,
            vpn_grants,
            devices,
            active_people,
            names,
        })
    }

    /// The VPN resources whose gateway is `server`.
    fn gateway_of(&self, server: &str) -> Option<(&Resource, VpnSettings)> {
        self.resources
            .values()
            .filter(|r| r.kind == ResourceKind::Vpn)
            .find_map(|r| {
                let (settings, _) = VpnSettings::parse(&r.settings).ok()?;
                (settings.gateway == server).then_some((r, settings))
            })
    }

    pub fn state_of(&self, server: &Server) -> DesiredState {
        let gateway = self
            .gateway_of(&server.name)
            .map(|(r, settings)| WireguardGateway {
                interface: settings.interface,
                peers: self
                    .devices
                    .iter()
                    .filter(|d| d.resource_id == r.id && self.active_people.contains(&d.person_id))
                    .map(|d| {
                        let who = self.names.get(&d.person_id).cloned().unwrap_or_default();
                        peer(&d.public_key, &d.address, &format!("{who}: {}", d.name))
                    })
                    .collect(),
            });
        desired_state(&server.name, &server.groups, &self.ssh, gateway)
    }
}

pub async fn for_server(db: &Db, server: &Server) -> CoreResult<DesiredState> {
    Ok(Facts::load(db).await?.state_of(server))
}

/// A server's state as everyone is shown it: the agent, the inventory, the pages.
pub struct Numbered {
    /// The state, its `revision` the number (`"4"`).
    pub state: DesiredState,
    /// The hash the number stands for (what "in sync" is decided on).
    pub hash: String,
}

/// Gives `state` (as built, its revision a hash) the number agents know it by, numbering it
/// if it is new: the agent, the Ansible inventory and the pages all show the same revision.
pub async fn number(db: &Db, server: &Server, mut state: DesiredState) -> CoreResult<Numbered> {
    let hash = std::mem::take(&mut state.revision);
    state.revision = servers::number_state(db, server.id, &hash)
        .await?
        .to_string();
    Ok(Numbered { state, hash })
}

/// The numbered state of one server.
pub async fn numbered(db: &Db, server: &Server) -> CoreResult<Numbered> {
    number(db, server, for_server(db, server).await?).await
}

/// Moves SSH and VPN grants to applied (or revoked) when every server they reach runs the
/// current revision. Called after every change and every report; cheap for an agency's
/// scale (a few hundred grants, tens of servers).
pub async fn sync_agent_grants(db: &Db) -> CoreResult<()> {
    let facts = Facts::load(db).await?;
    let servers = servers::list(db).await?;
    let in_sync: HashMap<&str, bool> = servers
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                !s.applied_revision.is_empty() && facts.state_of(s).revision == s.applied_revision,
            )
        })
        .collect();
    let decide = |targets: Vec<&str>, g: &Grant| -> Option<GrantState> {
        let all = targets
            .iter()
            .all(|t| in_sync.get(t).copied().unwrap_or(false));
        match g.state {
            GrantState::Pending if !targets.is_empty() && all => Some(GrantState::Applied),
            GrantState::Revoking if targets.is_empty() || all => Some(GrantState::Revoked),
            _ => None,
        }
    };
    for g in &facts.ssh_grants {
        let Some(resource) = facts.resources.get(&g.resource_id) else {
            continue;
        };
        let target = SshTarget {
            target: resource.ssh_target(),
        };
        let targets = servers
            .iter()
            .filter(|s| target.reaches(&s.name, &s.groups))
            .map(|s| s.name.as_str())
            .collect();
        if let Some(state) = decide(targets, g) {
            grants::set_state(db, g.id, state).await?;
        }
    }
    for g in &facts.vpn_grants {
        let Some(resource) = facts.resources.get(&g.resource_id) else {
            continue;
        };
        let gateway = VpnSettings::parse(&resource.settings)
            .map(|(s, _)| s.gateway)
            .unwrap_or_default();
        let targets = servers
            .iter()
            .filter(|s| s.name == gateway)
            .map(|s| s.name.as_str())
            .collect();
        if let Some(state) = decide(targets, g) {
            grants::set_state(db, g.id, state).await?;
        }
    }
    Ok(())
}
