//! Access for the demo company: three servers (records only: no agent ever reports for
//! them), an SSH group of two of them, a VPN, and a chat behind the command connector with a
//! program that does nothing (`/bin/true`). Grants in every state, made by the access
//! store's own functions: pending (waiting for the agents), applied, failed, revoking and
//! revoked; and one person offboarded, which revokes their grants and marks them left.
//!
//! The outcomes a connector or an agent would report are recorded as they would record them
//! ([`grants::record_attempt`], [`grants::set_state`]); nothing is run or contacted.

use serde_json::json;
use shtab_access::domain::GrantState;
use shtab_access::store::grants::{self, RawGrant};
use shtab_access::store::resources::{self, RawResource};
use shtab_access::store::servers::{self, RawServer};
use shtab_core::audit::Actor;
use shtab_core::config::Config;
use shtab_core::db::Db;

use super::ledger::{self, kind};

/// The harmless program behind the demo chat.
const CHAT_PROGRAM: &str = "/bin/true";
/// Who leaves the company in the demo.
const LEAVER: &str = "andrey.lebedev";

#[derive(Debug, Default)]
pub struct Added {
    pub servers: usize,
    pub resources: usize,
    pub grants: usize,
    pub offboarded: usize,
}

/// How a demo grant ends up.
#[derive(Clone, Copy)]
enum Outcome {
    /// Left as created: the agents have not reported yet, or the connector not run.
    Pending,
    Applied,
    Failed(&'static str),
    /// Revoked here, not yet taken back out there.
    Revoking,
    /// Applied, then revoked and taken back.
    Revoked,
}

/// (person, resource index, login, sudo, outcome)
const GRANTS: &[(&str, usize, &str, bool, Outcome)] = &[
    ("pavel.volkov", 0, "pvolkov", true, Outcome::Applied),
    ("alexey.mikhailov", 0, "amikhailov", false, Outcome::Applied),
    ("ivan.fedorov", 0, "ifedorov", false, Outcome::Pending),
    ("maxim.egorov", 0, "megorov", false, Outcome::Revoking),
    ("maria.novikova", 1, "", false, Outcome::Applied),
    ("dmitry.kuznetsov", 1, "", false, Outcome::Pending),
    ("alexey.mikhailov", 2, "", false, Outcome::Applied),
    ("maria.novikova", 2, "", false, Outcome::Applied),
    (
        "natalia.alekseeva",
        2,
        "",
        false,
        Outcome::Failed("the chat answered 503 Service Unavailable"),
    ),
    ("tatiana.morozova", 2, "", false, Outcome::Revoked),
    (LEAVER, 2, "", false, Outcome::Applied),
];

pub async fn load(db: &Db, config: &Config, actor: &Actor) -> anyhow::Result<Added> {
    let mut added = Added::default();
    if ledger::has(db, kind::RESOURCE).await? {
        return Ok(added);
    }
    for (name, address, groups) in [
        ("web-1", "10.20.0.11", "web"),
        ("web-2", "10.20.0.12", "web"),
        ("vpn-gw", "10.20.0.1", "vpn"),
    ] {
        let raw = RawServer {
            name: name.into(),
            address: address.into(),
            groups: groups.into(),
        };
        let (server, _agent_token) = servers::create(db, actor, &raw).await?;
        ledger::record(db, kind::SERVER, server.id).await?;
        added.servers += 1;
    }
    let mut made = Vec::new();
    for (name, kind_name, connector, settings) in [
        ("Веб-серверы (SSH)", "ssh", "", json!({"target": "web"})),
        (
            "VPN офиса",
            "vpn",
            "",
            json!({
                "endpoint": "vpn.demo-agency.ru:51820",
                "server_public_key": "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",
                "subnet": "10.88.0.0/24",
                "dns": "10.88.0.1",
                "gateway": "vpn-gw",
            }),
        ),
        (
            "Рабочий чат",
            "connector",
            "command",
            json!({"program": CHAT_PROGRAM}),
        ),
    ] {
        let raw = RawResource {
            name: name.into(),
            kind: kind_name.into(),
            connector: connector.into(),
            settings: settings.to_string(),
            secret: String::new(),
        };
        let resource = resources::create(db, actor, &raw, true).await?;
        ledger::record(db, kind::RESOURCE, resource.id).await?;
        added.resources += 1;
        made.push(resource);
    }
    let refused = config.access.refused_logins();
    for (local, resource, login, sudo, outcome) in GRANTS {
        let Some(person) = shtab_core::demo::person(db, local).await? else {
            continue;
        };
        let raw = RawGrant {
            person_id: person.0,
            resource_id: made[*resource].id,
            login: (*login).into(),
            sudo: *sudo,
            reason: "Демо-компания".into(),
            ..Default::default()
        };
        let grant = grants::create(db, actor, &raw, &refused).await?;
        ledger::record(db, kind::GRANT, grant.id).await?;
        added.grants += 1;
        let agents = made[*resource].kind != shtab_access::domain::ResourceKind::Connector;
        match outcome {
            Outcome::Pending => {}
            Outcome::Applied => applied(db, grant.id, agents).await?,
            Outcome::Failed(why) => {
                grants::record_attempt(db, &grant, Err((*why).to_string()), None).await?;
            }
            Outcome::Revoking => {
                applied(db, grant.id, agents).await?;
                grants::revoke(db, actor, grant.id, "revoked").await?;
            }
            Outcome::Revoked => {
                applied(db, grant.id, agents).await?;
                let revoked = grants::revoke(db, actor, grant.id, "revoked").await?;
                grants::record_attempt(db, &revoked, Ok((json!(null), String::new())), None)
                    .await?;
            }
        }
    }
    if let Some(leaver) = shtab_core::demo::person(db, LEAVER).await? {
        let left_on = super::today(config) - chrono::Duration::days(3);
        shtab_access::offboarding::offboard(db, actor, leaver.0, left_on).await?;
        // The chat connector took the grant back.
        for grant in grants::for_person(db, leaver.0).await? {
            if grant.state == GrantState::Revoking {
                grants::record_attempt(db, &grant, Ok((json!(null), String::new())), None).await?;
            }
        }
        added.offboarded = 1;
    }
    Ok(added)
}

/// Records a grant as carried out: by the connector (its answer), or by the agents (their
/// report sets the state).
async fn applied(db: &Db, id: i64, agents: bool) -> anyhow::Result<()> {
    if agents {
        grants::set_state(db, id, GrantState::Applied).await?;
    } else {
        let grant = grants::get(db, id).await?;
        grants::record_attempt(db, &grant, Ok((json!(null), String::new())), None).await?;
    }
    Ok(())
}
