//! The VPN gateway's peers. CI has no WireGuard kernel module, so `wg` is a recorder that
//! answers `wg show wg0 allowed-ips` from a file and logs every other call: what is tested
//! is which `wg` commands the agent runs, with what arguments.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use shtab_access_protocol::{AccountState, WireguardGateway, WireguardPeer};

use crate::host::{self, Agent, Logins};
use crate::hub::FakeHub;

const KEEP: &str = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
const NEW: &str = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=";
const GONE: &str = "gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA=";

fn gateway() -> WireguardGateway {
    let peer = |key: &str, ip: &str| WireguardPeer {
        public_key: key.into(),
        allowed_ips: vec![ip.into()],
        comment: "Тест".into(),
    };
    WireguardGateway {
        interface: "wg0".into(),
        peers: vec![
            peer(KEEP, "10.8.0.2/32"),
            peer(NEW, "10.8.0.3/32"),
            peer("not-a-key", "10.8.0.4/32"),
        ],
    }
}

#[test]
fn the_gateway_gets_exactly_the_hubs_peers() {
    host::require_root_and_openssh();
    let _host = host::exclusive();
    let mut logins = Logins::default();
    let (login, uid) = logins.fresh();
    let hub = FakeHub::start("t");
    let agent = Agent::install();
    assert!(agent.register(&hub.url, "t").status.success());
    let key = host::keygen(agent.scratch.path(), "person");
    let mut state = host::desired(
        1,
        vec![host::account(&login, uid, &[&key], AccountState::Present)],
    );
    state.wireguard = Some(gateway());
    hub.serve(state);

    let dir = agent.scratch.path();
    let log = dir.join("wg.log");
    let current = dir.join("wg.current");
    fs::write(
        &current,
        format!("{KEEP}\t10.8.0.2/32\n{GONE}\t10.8.0.9/32\n"),
    )
    .unwrap();
    let wg = dir.join("wg");
    fs::write(
        &wg,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\n[ \"$1\" = show ] && cat '{}'\nexit 0\n",
            log.display(),
            current.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&wg, fs::Permissions::from_mode(0o755)).unwrap();

    let run = agent.cmd_with_env(&["run"], &[("SHTAB_AGENT_WG", wg.to_str().unwrap())]);
    assert!(!run.status.success(), "the bad peer is an error");
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        format!(
            "show wg0 allowed-ips\nset wg0 peer {NEW} allowed-ips 10.8.0.3/32\nset wg0 peer {GONE} remove\n"
        )
    );
    let report = hub.reports().pop().unwrap();
    assert!(
        report
            .applied
            .iter()
            .any(|c| c.target == "wg0" && c.action == "peer")
    );
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.contains("peer «Тест» skipped: the public key is not base64")),
        "{:?}",
        report.errors
    );
    assert!(
        host::passwd_line(&login).is_some(),
        "accounts are applied too"
    );
}

#[test]
fn a_server_without_wg_reports_it_and_applies_the_accounts() {
    host::require_root_and_openssh();
    let _host = host::exclusive();
    let mut logins = Logins::default();
    let (login, uid) = logins.fresh();
    let hub = FakeHub::start("t");
    let agent = Agent::install();
    assert!(agent.register(&hub.url, "t").status.success());
    let key = host::keygen(agent.scratch.path(), "person");
    let mut state = host::desired(
        1,
        vec![host::account(&login, uid, &[&key], AccountState::Present)],
    );
    state.wireguard = Some(gateway());
    hub.serve(state);
    let run = agent.cmd_with_env(&["run"], &[("SHTAB_AGENT_WG", "/nonexistent/wg")]);
    assert!(!run.status.success());
    let report = hub.reports().pop().unwrap();
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.contains("`wg` is not installed")),
        "{:?}",
        report.errors
    );
    assert!(host::passwd_line(&login).is_some());
}
