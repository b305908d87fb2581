//! sshd asking `shtab-agent keys %u` (AuthorizedKeysCommand): logins go on during a hub
//! outage, and a key the agent saw revoked is never answered again.

use shtab_access_protocol::AccountState;

use crate::host::{self, Agent, KeySource, Logins, Sshd};
use crate::hub::FakeHub;

#[test]
fn logins_keep_working_with_the_hub_stopped_and_a_revoked_key_is_refused() {
    host::require_root_and_openssh();
    let _host = host::exclusive();
    let mut logins = Logins::default();
    let (login, uid) = logins.fresh();
    let mut hub = FakeHub::start("token-akc");
    let agent = Agent::install();
    assert!(agent.register(&hub.url, "token-akc").status.success());
    let laptop = host::keygen(agent.scratch.path(), "laptop");
    let phone = host::keygen(agent.scratch.path(), "phone");
    hub.serve(host::desired(
        1,
        vec![host::account(
            &login,
            uid,
            &[&laptop, &phone],
            AccountState::Present,
        )],
    ));
    let run = agent.cmd(&["run"]);
    assert!(run.status.success(), "{}", host::text(&run));

    let sshd = Sshd::start(KeySource::Command(&agent));
    assert!(sshd.login(&login, &laptop), "{}", sshd.log());
    assert!(sshd.login(&login, &phone), "{}", sshd.log());

    // The phone is lost: the hub revokes its key. No agent run happens; the next login
    // asks the hub through `keys` and sees the new revision.
    hub.serve(host::desired(
        2,
        vec![host::account(
            &login,
            uid,
            &[&laptop],
            AccountState::Present,
        )],
    ));
    assert!(!sshd.login(&login, &phone), "a revoked key logged in");
    assert!(sshd.login(&login, &laptop), "{}", sshd.log());

    // Hub outage: answers come from the cache, without the revoked key.
    hub.stop();
    assert!(
        sshd.login(&login, &laptop),
        "locked out by an outage:\n{}",
        sshd.log()
    );
    assert!(
        !sshd.login(&login, &phone),
        "a revoked key logged in from the cache"
    );

    let printed = agent.cmd(&["keys", &login]);
    assert!(printed.status.success());
    assert_eq!(
        String::from_utf8_lossy(&printed.stdout),
        format!("{}\n", laptop.public_line)
    );
    // Unknown and malformed users: exit 0, nothing printed.
    for user in ["nosuchuser", "Bad;Name", "root"] {
        let printed = agent.cmd(&["keys", user]);
        assert!(printed.status.success(), "{}", host::text(&printed));
        assert!(
            printed.stdout.is_empty(),
            "{user}: {}",
            host::text(&printed)
        );
    }
}

#[test]
fn a_rolled_back_hub_does_not_bring_a_revoked_key_back() {
    host::require_root_and_openssh();
    let _host = host::exclusive();
    let mut logins = Logins::default();
    let (login, uid) = logins.fresh();
    let hub = FakeHub::start("token-rb");
    let agent = Agent::install();
    assert!(agent.register(&hub.url, "token-rb").status.success());
    let laptop = host::keygen(agent.scratch.path(), "laptop");
    let phone = host::keygen(agent.scratch.path(), "phone");
    let both = host::account(&login, uid, &[&laptop, &phone], AccountState::Present);
    hub.serve(host::desired(1, vec![both.clone()]));
    assert!(agent.cmd(&["run"]).status.success());
    hub.serve(host::desired(
        2,
        vec![host::account(
            &login,
            uid,
            &[&laptop],
            AccountState::Present,
        )],
    ));
    assert!(agent.cmd(&["run"]).status.success());

    // A name the remembered state does not know gets nothing, without asking the hub
    // (sshd runs the command for every name a scanner tries).
    let asked = hub.shared.lock().unwrap().conditions.len();
    let printed = agent.cmd(&["keys", "stnosuchuser"]);
    assert!(printed.status.success() && printed.stdout.is_empty());
    assert_eq!(hub.shared.lock().unwrap().conditions.len(), asked);

    // The hub is restored from an old backup and serves revision 1 again.
    hub.serve(host::desired(1, vec![both]));
    let printed = agent.cmd(&["keys", &login]);
    assert_eq!(
        String::from_utf8_lossy(&printed.stdout),
        format!("{}\n", laptop.public_line)
    );
    let run = agent.cmd(&["run"]);
    assert!(!run.status.success());
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("revision 2 was already applied"),
        "{}",
        host::text(&run)
    );
    assert_eq!(
        std::fs::read_to_string(agent.keys_file(&login)).unwrap(),
        format!("{}\n", laptop.public_line)
    );
}
