//! `GET /api/v1/access/ansible/inventory`: the servers as Ansible's dynamic inventory
//! (`groups → hosts`, `_meta.hostvars` with each host's accounts, keys and WireGuard peers),
//! for a playbook that applies the same desired state as the agents. Authenticated with a
//! Shtab API token of a user who may read access (`Authorization: Bearer …`).

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
        let desired = facts.state_of(&s);
        if s.groups.is_empty() {
            groups
                .entry("ungrouped".into())
                .or_default()
                .push(s.name.clone());
        }
        for g in &s.groups {
            groups.entry(g.clone()).or_default().push(s.name.clone());
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
