//! `GET /api/v1/access/ansible/inventory`: the servers as Ansible's dynamic inventory
//! (`groups → hosts`, `_meta.hostvars` with each host's accounts, keys and WireGuard peers),
//! for a playbook that applies the same desired state as the agents. Authenticated with a
//! Shtab API token of a user who may read access (`Authorization: Bearer …`). Each host's
//! `shtab_revision` is the number its agent is served; group names are made identifiers
//! (`front-end` → `front_end`), as Ansible wants them.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::{ApiError, ApiErrors, ErrorBody};

use crate::store::{desired, servers};

/// Ansible dynamic inventory of the managed servers.
#[utoipa::path(get, path = "/access/ansible/inventory", tag = "access", security(("bearer" = [])),
    responses(ApiErrors, (status = 200, description = "Ansible's JSON inventory: groups with hosts, and `_meta.hostvars`", body = Object),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn inventory(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Value>, ApiError> {
    user.require(Permission::AccessRead)?;
    let facts = desired::Facts::load(&state.db).await?;
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut hostvars = serde_json::Map::new();
    for s in servers::list(&state.db).await? {
        // The number the server's agent is served, not the hash: one revision everywhere.
        let desired = desired::number(&state.db, &s, facts.state_of(&s))
            .await?
            .state;
        if s.groups.is_empty() {
            groups
                .entry("ungrouped".into())
                .or_default()
                .push(s.name.clone());
        }
        for g in &s.groups {
            let hosts = groups.entry(ansible_group(g)).or_default();
            if !hosts.contains(&s.name) {
                hosts.push(s.name.clone());
            }
        }
        let address = if s.address.is_empty() {
            s.name.clone()
        } else {
            s.address.clone()
        };
        hostvars.insert(
            s.name.clone(),
            json!({
                "ansible_host": address,
                "shtab_revision": desired.revision,
                "shtab_accounts": desired.accounts,
                "shtab_wireguard": desired.wireguard,
            }),
        );
    }
    let mut out = serde_json::Map::new();
    out.insert(
        "all".into(),
        json!({ "children": groups.keys().collect::<Vec<_>>() }),
    );
    for (g, hosts) in groups {
        out.insert(g, json!({ "hosts": hosts }));
    }
    out.insert("_meta".into(), json!({ "hostvars": hostvars }));
    Ok(Json(Value::Object(out)))
}

/// A server group as an Ansible group name. Ansible wants a Python identifier (it warns
/// about `front-end` and may refuse it in a later version), so `-` and `.` become `_`;
/// names Ansible keeps for itself get a `shtab_` prefix.
fn ansible_group(group: &str) -> String {
    let name: String = group
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if matches!(name.as_str(), "all" | "ungrouped") || name.starts_with("_meta") {
        format!("shtab_{name}")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::ansible_group;

    #[test]
    fn group_names_are_identifiers_ansible_does_not_warn_about() {
        assert_eq!(ansible_group("front-end"), "front_end");
        assert_eq!(ansible_group("web"), "web");
        assert_eq!(ansible_group("all"), "shtab_all");
        assert_eq!(ansible_group("ungrouped"), "shtab_ungrouped");
    }
}
