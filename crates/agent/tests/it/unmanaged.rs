//! The agent acts only on accounts it created or took over: a local account of the same
//! name that it refused to adopt (another uid, a `deploy` of the server's own) is neither
//! opened to sshd through `keys` nor locked when the hub revokes a grant of that name.

use shtab_access_protocol::AccountState;

use crate::host::{self, Agent, KeySource, Logins, Sshd};
use crate::hub::FakeHub;

#[test]
fn a_local_account_the_agent_refused_is_neither_answered_nor_locked() {
    host::require_root_and_openssh();
    let _host = host::exclusive();
    let mut logins = Logins::default();
    let (local, hub_uid) = logins.fresh();
    let (managed, managed_uid) = logins.fresh();
    let (_, local_uid) = host::fresh_login();
    // The server's own account, made by hand with another uid than the hub's.
    let made = std::process::Command::new("useradd")
        .args([
            "--no-create-home",
            "--shell",
            "/bin/sh",
            "--password",
            "*",
            "--uid",
        ])
        .arg(local_uid.to_string())
        .args(["--", &local])
        .status()
        .unwrap();
    assert!(made.success());
    let before = host::shadow_line(&local).unwrap();

    let hub = FakeHub::start("t-unmanaged");
    let agent = Agent::install();
    assert!(agent.register(&hub.url, "t-unmanaged").status.success());
    let key = host::keygen(agent.scratch.path(), "person");
    let granted = host::account(&local, hub_uid, &[&key], AccountState::Present);
    let other = host::account(&managed, managed_uid, &[&key], AccountState::Present);
    hub.serve(host::desired(1, vec![granted.clone(), other.clone()]));
    let run = agent.cmd(&["run"]);
    assert!(!run.status.success(), "the refusal is an error");
    let report = hub.reports().pop().unwrap();
    assert!(
        report.errors.iter().any(|e| e.starts_with(&format!(
            "{local}: a local account with uid {local_uid} exists that shtab-agent does not manage"
        ))),
        "{:?}",
        report.errors
    );

    // sshd asks for the keys of both: only the agent's own account gets the hub's key.
    let printed = agent.cmd(&["keys", &local]);
    assert!(
        printed.status.success() && printed.stdout.is_empty(),
        "{}",
        host::text(&printed)
    );
    let printed = agent.cmd(&["keys", &managed]);
    assert_eq!(
        String::from_utf8_lossy(&printed.stdout),
        format!("{}\n", key.public_line)
    );
    let sshd = Sshd::start(KeySource::Command(&agent));
    assert!(
        !sshd.login(&local, &key),
        "the hub's key opened the server's own account"
    );
    assert!(sshd.login(&managed, &key), "{}", sshd.log());

    // The grant is revoked: the hub says "locked"; the local account stays as it was.
    let mut revoked = granted;
    revoked.state = AccountState::Locked;
    hub.serve(host::desired(2, vec![revoked, other]));
    let run = agent.cmd(&["run"]);
    assert!(run.status.success(), "{}", host::text(&run));
    assert_eq!(
        host::shadow_line(&local).unwrap(),
        before,
        "the local account was locked"
    );
    let report = hub.reports().pop().unwrap();
    assert!(
        report.drift.contains(&format!(
            "{local}: a local account shtab-agent does not manage; not locked"
        )),
        "{:?}",
        report.drift
    );
}
