//! Resources and grants: the kinds of resource, a grant's lifecycle, and which servers an
//! SSH resource reaches.

use serde::{Deserialize, Serialize};
use shtab_core::FieldError;

/// What a resource is, which decides who carries its grants out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    /// A chat or a mailbox, carried out by a connector (`telegram`, `mailcow`, …).
    Connector,
    /// The WireGuard VPN: its gateway's agent applies the peers.
    Vpn,
    /// A server or a group of servers: their agents apply the accounts.
    Ssh,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 3] = [
        ResourceKind::Connector,
        ResourceKind::Vpn,
        ResourceKind::Ssh,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Connector => "connector",
            ResourceKind::Vpn => "vpn",
            ResourceKind::Ssh => "ssh",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<ResourceKind, FieldError> {
        ResourceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| FieldError::new(field, "invalid_kind", "must be connector, vpn or ssh"))
    }
}

/// Whether the person should have the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Desired {
    Present,
    Absent,
}

impl Desired {
    pub fn as_str(self) -> &'static str {
        match self {
            Desired::Present => "present",
            Desired::Absent => "absent",
        }
    }

    pub fn parse(s: &str) -> Desired {
        if s == "absent" {
            Desired::Absent
        } else {
            Desired::Present
        }
    }
}

/// Where a grant stands in the outside world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GrantState {
    /// Granted here, not yet carried out (or not yet reported by the agent).
    Pending,
    Applied,
    /// The last attempt failed; `error` says why. Retried unless the failure is permanent.
    Failed,
    /// Revoked here, not yet taken back out there.
    Revoking,
    Revoked,
}

impl GrantState {
    pub const ALL: [GrantState; 5] = [
        GrantState::Pending,
        GrantState::Applied,
        GrantState::Failed,
        GrantState::Revoking,
        GrantState::Revoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantState::Pending => "pending",
            GrantState::Applied => "applied",
            GrantState::Failed => "failed",
            GrantState::Revoking => "revoking",
            GrantState::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> GrantState {
        GrantState::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .unwrap_or(GrantState::Pending)
    }
}

/// Which servers an SSH resource reaches: a server by name or a group of servers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshTarget {
    /// A server's name or one of the servers' group names.
    pub target: String,
}

impl SshTarget {
    pub fn reaches(&self, server_name: &str, server_groups: &[String]) -> bool {
        self.target == server_name || server_groups.contains(&self.target)
    }
}

/// Splits a comma- or space-separated list, dropping empty items and repeats.
pub fn split_list(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in s
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if !out.iter().any(|o| o == item) {
            out.push(item.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_reaches_a_server_by_name_or_group() {
        let t = SshTarget {
            target: "web".into(),
        };
        assert!(t.reaches("web", &[]));
        assert!(t.reaches("app1", &["db".into(), "web".into()]));
        assert!(!t.reaches("app1", &["db".into()]));
    }

    #[test]
    fn lists_split_on_commas_and_spaces_once_each() {
        assert_eq!(split_list(" a, b c,,a "), vec!["a", "b", "c"]);
    }
}
