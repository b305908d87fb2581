//! A grant lets the person in with their key; a lock or a removal takes them out again.

use std::fs;
use std::os::unix::fs::MetadataExt;

use shtab_access_protocol::AccountState;

use crate::host::{self, Agent, KeySource, Logins, Sshd};
use crate::hub::FakeHub;

#[test]
fn a_granted_key_logs_in_and_a_locked_account_is_refused() {
    host::require_root_and_openssh();
    let _host = host::exclusive();
    let mut logins = Logins::default();
    let (login, uid) = logins.fresh();
    let hub = FakeHub::start("token-1");
    let agent = Agent::install();
    let registered = agent.register(&hub.url, "token-1");
    assert!(registered.status.success(), "{}", host::text(&registered));
    let key = host::keygen(agent.scratch.path(), "person");
    let mut account = host::account(&login, uid, &[&key], AccountState::Present);
    account.sudo = true;
    hub.serve(host::desired(1, vec![account.clone()]));

    let run = agent.cmd(&["run"]);
    assert!(run.status.success(), "{}", host::text(&run));
    let passwd = host::passwd_line(&login).expect("the account was created");
    assert_eq!(
        passwd,
        format!("{login}:x:{uid}:{uid}:Тест Агентов:/home/{login}:/bin/sh")
    );
    // The managed key file: root-owned, 0644, exactly the hub's key.
    let keys_file = agent.keys_file(&login);
    let meta = fs::metadata(&keys_file).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o777), (0, 0o644));
    assert_eq!(
        fs::read_to_string(&keys_file).unwrap(),
        format!("{}\n", key.public_line)
    );
    // The remembered state (what `keys` answers from during an outage) is root's alone.
    let memory = fs::metadata(agent.state_dir.join("memory.json")).unwrap();
    assert_eq!((memory.uid(), memory.mode() & 0o777), (0, 0o600));
    let sudoers_meta = fs::metadata(agent.sudoers_file(&login)).unwrap();
    assert_eq!(sudoers_meta.mode() & 0o777, 0o440);
    let sudoers = fs::read_to_string(agent.sudoers_file(&login)).unwrap();
    assert!(sudoers.contains(&format!("{login} ALL=(ALL:ALL) NOPASSWD: ALL")));

    let sshd = Sshd::start(KeySource::ManagedFiles(&agent));
    assert!(sshd.login(&login, &key), "login refused:\n{}", sshd.log());

    let reports = hub.reports();
    let actions: Vec<_> = reports[0]
        .applied
        .iter()
        .map(|c| c.action.as_str())
        .collect();
    assert_eq!(reports[0].revision, "1");
    assert_eq!(actions, ["create", "keys", "sudo"]);
    assert!(reports[0].errors.is_empty(), "{:?}", reports[0].errors);

    // Nothing changed on the hub: a conditional request, 304, nothing applied.
    let again = agent.cmd(&["run"]);
    assert!(again.status.success(), "{}", host::text(&again));
    assert_eq!(hub.shared.lock().unwrap().not_modified, 1);
    assert_eq!(
        hub.shared
            .lock()
            .unwrap()
            .conditions
            .last()
            .unwrap()
            .as_deref(),
        Some("\"1\"")
    );
    assert!(hub.reports()[1].applied.is_empty());

    // Access taken away.
    account.state = AccountState::Locked;
    hub.serve(host::desired(2, vec![account]));
    let run = agent.cmd(&["run"]);
    assert!(run.status.success(), "{}", host::text(&run));
    assert!(!sshd.login(&login, &key), "a locked account logged in");
    assert!(!keys_file.exists());
    assert!(!agent.sudoers_file(&login).exists());
    let shadow = host::shadow_line(&login).unwrap();
    let fields: Vec<_> = shadow.split(':').collect();
    assert!(fields[1].starts_with('!'), "{shadow}");
    assert_eq!(fields[7], "1", "the account expires: {shadow}");
    // The home stays: the agency may need the files.
    assert!(fs::metadata(format!("/home/{login}")).is_ok());
    let last = hub.reports().pop().unwrap();
    assert_eq!(last.revision, "2");
    let actions: Vec<_> = last.applied.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["keys", "sudo", "lock"]);
}

#[test]
fn an_account_gone_from_the_state_is_locked_and_a_regrant_lets_it_back() {
    host::require_root_and_openssh();
    let _host = host::exclusive();
    let mut logins = Logins::default();
    let (login, uid) = logins.fresh();
    let (other, other_uid) = logins.fresh();
    let hub = FakeHub::start("token-2");
    let agent = Agent::install();
    assert!(agent.register(&hub.url, "token-2").status.success());
    let key = host::keygen(agent.scratch.path(), "person");
    let present = host::account(&login, uid, &[&key], AccountState::Present);
    let stays = host::account(&other, other_uid, &[&key], AccountState::Present);
    hub.serve(host::desired(1, vec![present.clone(), stays.clone()]));
    assert!(agent.cmd(&["run"]).status.success());
    let sshd = Sshd::start(KeySource::ManagedFiles(&agent));
    assert!(sshd.login(&login, &key), "{}", sshd.log());

    hub.serve(host::desired(2, vec![stays.clone()]));
    let run = agent.cmd(&["run"]);
    assert!(run.status.success(), "{}", host::text(&run));
    assert!(!sshd.login(&login, &key));
    assert!(sshd.login(&other, &key), "the other account was kept");

    hub.serve(host::desired(3, vec![present, stays]));
    let run = agent.cmd(&["run"]);
    assert!(run.status.success(), "{}", host::text(&run));
    assert!(sshd.login(&login, &key), "{}", sshd.log());
    let last = hub.reports().pop().unwrap();
    let actions: Vec<_> = last.applied.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["unlock", "keys"]);
}
