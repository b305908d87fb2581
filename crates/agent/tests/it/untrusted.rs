//! A managed user owns their home: what they put at `~/.ssh/authorized_keys` — a FIFO, a
//! link to `/dev/zero` — must neither stop a run nor be read, and a revocation still applies.

use std::fs;
use std::os::unix::fs::symlink;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shtab_access_protocol::AccountState;

use crate::host::{self, Agent, Logins};
use crate::hub::FakeHub;

/// `shtab-agent run` with its address space capped (a read of `/dev/zero` ends in an
/// allocation failure instead of taking the machine's memory), given up after `limit`:
/// a run blocked on a FIFO never ends by itself.
fn run_guarded(agent: &Agent, limit: Duration) -> Option<std::process::Output> {
    let mut child = Command::new("sh")
        .args(["-c", "ulimit -v 1048576; exec \"$@\"", "sh"])
        .arg(&agent.bin)
        .arg("--config")
        .arg(&agent.config)
        .arg("run")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run shtab-agent");
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_fifo_and_a_link_in_homes_do_not_stop_the_revocation() {
    host::require_root_and_openssh();
    let _host = host::exclusive();
    let mut logins = Logins::default();
    let (fifo_owner, fifo_uid) = logins.fresh();
    let (link_owner, link_uid) = logins.fresh();
    let hub = FakeHub::start("t-untrusted");
    let agent = Agent::install();
    assert!(agent.register(&hub.url, "t-untrusted").status.success());
    let laptop = host::keygen(agent.scratch.path(), "laptop");
    let phone = host::keygen(agent.scratch.path(), "phone");
    let fifo_account = host::account(&fifo_owner, fifo_uid, &[&laptop], AccountState::Present);
    let link_account = host::account(
        &link_owner,
        link_uid,
        &[&laptop, &phone],
        AccountState::Present,
    );
    hub.serve(host::desired(
        1,
        vec![fifo_account.clone(), link_account.clone()],
    ));
    let run = agent.cmd(&["run"]);
    assert!(run.status.success(), "{}", host::text(&run));

    // What the users could do themselves, planted as root: a FIFO nobody writes to, and a
    // link to an endless device.
    let fifo = format!("/home/{fifo_owner}/.ssh/authorized_keys");
    fs::create_dir_all(format!("/home/{fifo_owner}/.ssh")).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let link = format!("/home/{link_owner}/.ssh/authorized_keys");
    fs::create_dir_all(format!("/home/{link_owner}/.ssh")).unwrap();
    symlink("/dev/zero", &link).unwrap();

    // Access is taken away: one person's grant is revoked, the other's phone key is.
    let mut revoked = fifo_account;
    revoked.state = AccountState::Locked;
    let without_phone = host::account(&link_owner, link_uid, &[&laptop], AccountState::Present);
    hub.serve(host::desired(2, vec![revoked, without_phone]));
    let run = run_guarded(&agent, Duration::from_secs(120))
        .expect("the run never finished: it is blocked on the FIFO in a home");
    assert!(run.status.success(), "{}", host::text(&run));

    assert!(
        !agent.keys_file(&fifo_owner).exists(),
        "the revoked account kept its keys"
    );
    let shadow = host::shadow_line(&fifo_owner).unwrap();
    let fields: Vec<_> = shadow.split(':').collect();
    assert!(
        fields[1].starts_with('!') && fields[7] == "1",
        "not locked: {shadow}"
    );
    assert_eq!(
        fs::read_to_string(agent.keys_file(&link_owner)).unwrap(),
        format!("{}\n", laptop.public_line),
        "the revoked key is still there"
    );
    let report = hub.reports().pop().unwrap();
    assert_eq!(report.revision, "2");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(
        report.drift.contains(&format!(
            "{fifo_owner}: {fifo} is a FIFO; not read (keys there are outside the hub's control)"
        )),
        "{:?}",
        report.drift
    );
    assert!(
        report
            .drift
            .contains(&format!("{link_owner}: {link} is a symbolic link; not read (keys there are outside the hub's control)")),
        "{:?}",
        report.drift
    );
    // Planted things are the user's: the agent did not touch them.
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}
