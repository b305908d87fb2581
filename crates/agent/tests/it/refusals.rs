//! What the agent refuses: a wrong token, a dry run's changes, bad data from the hub.

use std::fs;

use shtab_access_protocol::AccountState;

use crate::host::{self, Agent, Logins};
use crate::hub::FakeHub;

#[test]
fn a_wrong_or_revoked_token_changes_nothing() {
    host::require_root_and_openssh();
    let _host = host::exclusive();
    let mut logins = Logins::default();
    let (login, uid) = logins.fresh();
    let hub = FakeHub::start("right");
    let agent = Agent::install();

    let wrong = agent.register(&hub.url, "wrong");
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("401"),
        "{}",
        host::text(&wrong)
    );
    assert!(
        !agent.config.exists(),
        "a refused registration wrote a config"
    );

    let ok = agent.register(&hub.url, "right");
    assert!(ok.status.success(), "{}", host::text(&ok));
    let registration = hub.shared.lock().unwrap().registrations[0].clone();
    assert_eq!(registration.agent_version, env!("CARGO_PKG_VERSION"));
    let mode = fs::metadata(&agent.config).unwrap().permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600,
        "the config holds the token"
    );

    // The hub revokes the server's token.
    hub.set_token("rotated");
    let key = host::keygen(agent.scratch.path(), "person");
    hub.serve(host::desired(
        1,
        vec![host::account(&login, uid, &[&key], AccountState::Present)],
    ));
    let run = agent.cmd(&["run"]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("refused this server's token (401)")
            && stderr.contains("nothing was changed"),
        "{}",
        host::text(&run)
    );
    assert!(host::passwd_line(&login).is_none());
    assert!(!agent.keys_file(&login).exists());
    assert!(!agent.state_dir.join("memory.json").exists());
    assert!(hub.reports().is_empty());
}

#[test]
fn a_dry_run_prints_the_plan_and_changes_nothing() {
    host::require_root_and_openssh();
    let _host = host::exclusive();
    let mut logins = Logins::default();
    let (login, uid) = logins.fresh();
    let hub = FakeHub::start("t");
    let agent = Agent::install();
    assert!(agent.register(&hub.url, "t").status.success());
    let key = host::keygen(agent.scratch.path(), "person");
    let mut account = host::account(&login, uid, &[&key], AccountState::Present);
    account.sudo = true;
    hub.serve(host::desired(7, vec![account]));

    let dry = agent.cmd(&["run", "--dry-run"]);
    assert!(dry.status.success(), "{}", host::text(&dry));
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(
        stdout.contains("revision 7: would apply 3 change(s)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{login}: create (uid {uid}, shell /bin/sh)")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{login}: keys (1 key(s))")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{login}: sudo (granted)")),
        "{stdout}"
    );
    assert!(host::passwd_line(&login).is_none());
    assert!(!agent.keys_file(&login).exists());
    assert!(!agent.sudoers_file(&login).exists());
    assert!(!agent.state_dir.join("memory.json").exists());
    assert!(hub.reports().is_empty(), "a dry run reported");
}

#[test]
fn invalid_names_keys_and_uids_from_the_hub_are_refused() {
    host::require_root_and_openssh();
    let _host = host::exclusive();
    let mut logins = Logins::default();
    let (good, good_uid) = logins.fresh();
    let (bad_key, bad_key_uid) = logins.fresh();
    let (bad_shell, bad_shell_uid) = logins.fresh();
    let (root_uid, _) = logins.fresh();
    let hub = FakeHub::start("t");
    let agent = Agent::install();
    assert!(agent.register(&hub.url, "t").status.success());
    let key = host::keygen(agent.scratch.path(), "person");

    let mut with_option = host::account(&bad_key, bad_key_uid, &[&key], AccountState::Present);
    with_option.keys = vec![format!("command=\"/bin/sh\" {}", key.public_line)];
    let mut with_shell = host::account(&bad_shell, bad_shell_uid, &[&key], AccountState::Present);
    with_shell.shell = "/bin/sh -c 'touch /tmp/pwned'".into();
    let as_root = host::account(&root_uid, 0, &[&key], AccountState::Present);
    let injected = host::account(
        "x;touch /tmp/shtab-pwned",
        40001,
        &[&key],
        AccountState::Present,
    );
    let reserved = host::account("root", 40002, &[&key], AccountState::Present);
    hub.serve(host::desired(
        1,
        vec![
            host::account(&good, good_uid, &[&key], AccountState::Present),
            with_option,
            with_shell,
            as_root,
            injected,
            reserved,
        ],
    ));

    let run = agent.cmd(&["run"]);
    assert!(!run.status.success(), "errors make the run fail");
    assert!(host::passwd_line(&good).is_some(), "{}", host::text(&run));
    for refused in [&bad_key, &bad_shell, &root_uid] {
        assert!(
            host::passwd_line(refused).is_none(),
            "{refused} was created"
        );
        assert!(!agent.keys_file(refused).exists());
    }
    assert!(!std::path::Path::new("/tmp/shtab-pwned").exists());
    assert!(!agent.keys_dir.join("root").exists());
    let report = hub.reports().pop().unwrap();
    assert_eq!(report.errors.len(), 5, "{:?}", report.errors);
    let errors = report.errors.join("\n");
    assert!(
        errors.contains(&format!(
            "{bad_key}: account skipped: not a valid SSH public key"
        )),
        "{errors}"
    );
    assert!(
        errors.contains(&format!("{bad_shell}: account skipped: «/bin/sh -c")),
        "{errors}"
    );
    assert!(errors.contains("uid 0 is reserved"), "{errors}");
    assert!(
        errors.contains("«x;touch /tmp/shtab-pwned» is not a valid unix name"),
        "{errors}"
    );
    assert!(errors.contains("«root» is reserved"), "{errors}");
}

#[test]
fn an_unreachable_hub_changes_nothing_and_says_so() {
    host::require_root_and_openssh();
    let _host = host::exclusive();
    let mut logins = Logins::default();
    let (login, uid) = logins.fresh();
    let mut hub = FakeHub::start("t");
    let agent = Agent::install();
    assert!(agent.register(&hub.url, "t").status.success());
    let key = host::keygen(agent.scratch.path(), "person");
    hub.serve(host::desired(
        1,
        vec![host::account(&login, uid, &[&key], AccountState::Present)],
    ));
    hub.stop();
    let run = agent.cmd(&["run"]);
    assert!(!run.status.success());
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("the hub cannot be reached"),
        "{}",
        host::text(&run)
    );
    assert!(host::passwd_line(&login).is_none());
    assert!(!agent.state_dir.join("memory.json").exists());
}
