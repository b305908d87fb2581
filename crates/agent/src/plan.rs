//! From the checked state and what the server has now, the list of steps that make the
//! server match. Pure: it reads nothing and changes nothing, so `--dry-run` prints exactly
//! what a run would do.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use shtab_access_protocol::AccountState;

use crate::peek::Peek;
use crate::system::{LocalUser, Snapshot};
use crate::validate::{Checked, Wanted};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `useradd` with the hub's uid, a home, no password (`*`: key logins only).
    Create {
        login: String,
        uid: u32,
        gecos: String,
        shell: String,
        groups: Vec<String>,
    },
    /// `usermod` with these arguments before the login.
    Modify {
        login: String,
        args: Vec<String>,
    },
    /// Remember the login as managed (it existed already with the hub's uid).
    Adopt {
        login: String,
    },
    WriteFile {
        path: PathBuf,
        contents: String,
        mode: u32,
        /// Checked with `visudo -cf` before it is moved into place.
        sudoers: bool,
    },
    RemoveFile {
        path: PathBuf,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub target: String,
    pub action: &'static str,
    pub detail: String,
    pub op: Op,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub drift: Vec<String>,
    pub errors: Vec<String>,
}

/// What the plan needs to know besides the state and the accounts.
pub struct Inputs<'a> {
    pub snapshot: &'a Snapshot,
    /// Logins the agent manages now.
    pub managed: &'a BTreeSet<String>,
    /// The key lines each present login may hold (already without revoked keys).
    pub keys: &'a BTreeMap<String, Vec<String>>,
    /// What is at a managed file's path now (the agent's own keys files and drop-ins).
    pub current_file: &'a dyn Fn(&Path) -> Peek,
    /// What is at a path under a user's home (`home`, `relative`): the user controls it.
    pub home_file: &'a dyn Fn(&Path, &Path) -> Peek,
    pub keys_dir: &'a Path,
    pub sudoers_dir: &'a Path,
    /// The file names in `keys_dir`.
    pub keys_dir_files: &'a [String],
}

/// The contents of a managed file; `None` when there is none (see [`Peek::managed_contents`]).
fn current(inputs: &Inputs, path: &Path) -> Option<String> {
    (inputs.current_file)(path).managed_contents()
}

pub fn keys_file(keys_dir: &Path, login: &str) -> PathBuf {
    keys_dir.join(login)
}

/// One drop-in per account; no dot in the name, or sudo would ignore it.
pub fn sudoers_file(sudoers_dir: &Path, login: &str) -> PathBuf {
    sudoers_dir.join(format!("shtab-{login}"))
}

pub fn sudoers_line(login: &str) -> String {
    // The accounts have no password (keys only), so a password prompt could never be
    // answered.
    format!(
        "# Managed by shtab-agent: changes here are overwritten.\n{login} ALL=(ALL:ALL) NOPASSWD: ALL\n"
    )
}

pub fn plan(checked: &Checked, inputs: &Inputs) -> Plan {
    let mut plan = Plan::default();
    let in_state: BTreeSet<&str> = checked
        .accounts
        .iter()
        .map(|a| a.login.as_str())
        .chain(checked.skipped.iter().map(String::as_str))
        .collect();
    for wanted in &checked.accounts {
        match wanted.state {
            AccountState::Present => present(wanted, inputs, &mut plan),
            AccountState::Locked => lock(wanted.login.as_str(), inputs, &mut plan),
        }
    }
    // Accounts this agent manages that the hub no longer mentions: access was taken away.
    for login in inputs.managed {
        if !in_state.contains(login.as_str()) {
            lock(login, inputs, &mut plan);
        }
    }
    for name in inputs.keys_dir_files {
        if !name.starts_with('.')
            && !in_state.contains(name.as_str())
            && !inputs.managed.contains(name)
        {
            plan.drift.push(format!(
                "{}: a keys file for an account the hub does not manage",
                keys_file(inputs.keys_dir, name).display()
            ));
        }
    }
    for wanted in &checked.accounts {
        home_keys(wanted.login.as_str(), inputs, &mut plan);
    }
    plan
}

/// Keys in a home directory are outside the hub's control: with sshd set up as the README
/// says they are ignored, otherwise they would survive a revocation. The file is the
/// user's: what is not a plain file is reported without being read.
fn home_keys(login: &str, inputs: &Inputs, plan: &mut Plan) {
    if let Some(user) = inputs.snapshot.users.get(login)
        && !user.home.is_empty()
    {
        let relative = Path::new(".ssh/authorized_keys");
        let path = Path::new(&user.home).join(relative);
        match (inputs.home_file)(Path::new(&user.home), relative) {
            Peek::Missing => {}
            Peek::Text(text) if text.trim().is_empty() => {}
            Peek::Text(_) => plan.drift.push(format!(
                "{login}: {} holds keys the hub does not manage",
                path.display()
            )),
            Peek::NotRead(why) => plan.drift.push(format!(
                "{login}: {} is {why}; not read (keys there are outside the hub's control)",
                path.display()
            )),
        }
    }
}

fn present(wanted: &Wanted, inputs: &Inputs, plan: &mut Plan) {
    let login = wanted.login.as_str();
    let snapshot = inputs.snapshot;
    let (groups, missing): (Vec<String>, Vec<String>) = wanted
        .groups
        .iter()
        .cloned()
        .partition(|g| snapshot.groups.contains(g));
    for group in missing {
        plan.drift.push(format!(
            "{login}: group {group} does not exist on this server"
        ));
    }
    match snapshot.users.get(login) {
        None => {
            if let Some(holder) = snapshot.uids.get(&wanted.uid) {
                plan.errors.push(format!(
                    "{login}: not created: uid {} belongs to {holder} on this server",
                    wanted.uid
                ));
                return;
            }
            plan.steps.push(Step {
                target: login.to_owned(),
                action: "create",
                detail: format!("uid {}, shell {}", wanted.uid, wanted.shell),
                op: Op::Create {
                    login: login.to_owned(),
                    uid: wanted.uid,
                    gecos: wanted.gecos.clone(),
                    shell: wanted.shell.clone(),
                    groups,
                },
            });
        }
        Some(user) => {
            if !inputs.managed.contains(login) {
                if user.uid != wanted.uid {
                    plan.errors.push(format!(
                        "{login}: a local account with uid {} exists that shtab-agent does not manage (the hub says uid {}); not touched",
                        user.uid, wanted.uid
                    ));
                    return;
                }
                plan.steps.push(Step {
                    target: login.to_owned(),
                    action: "adopt",
                    detail: "the existing account now follows the hub".into(),
                    op: Op::Adopt {
                        login: login.to_owned(),
                    },
                });
            }
            modify(wanted, user, groups, plan);
        }
    }
    keys(login, inputs, plan);
    sudo(login, wanted.sudo, inputs, plan);
}

fn modify(wanted: &Wanted, user: &LocalUser, groups: Vec<String>, plan: &mut Plan) {
    let login = wanted.login.as_str();
    if user.uid != wanted.uid {
        plan.drift.push(format!(
            "{login}: uid is {} here, the hub says {}; left as is (changing it would re-own files)",
            user.uid, wanted.uid
        ));
    }
    let mut args = Vec::new();
    let mut what = Vec::new();
    if user.shell != wanted.shell {
        args.extend(["-s".to_owned(), wanted.shell.clone()]);
        what.push(format!("shell {}", wanted.shell));
    }
    if user.gecos != wanted.gecos {
        args.extend(["-c".to_owned(), wanted.gecos.clone()]);
        what.push("full name".to_owned());
    }
    let want: BTreeSet<String> = groups.into_iter().collect();
    if user.groups != want {
        args.extend([
            "-G".to_owned(),
            want.iter().cloned().collect::<Vec<_>>().join(","),
        ]);
        what.push(format!(
            "groups {}",
            want.iter().cloned().collect::<Vec<_>>().join(",")
        ));
    }
    if !args.is_empty() {
        plan.steps.push(Step {
            target: login.to_owned(),
            action: "update",
            detail: what.join(", "),
            op: Op::Modify {
                login: login.to_owned(),
                args,
            },
        });
    }
    if user.locked() {
        let mut args = vec!["-e".to_owned(), String::new()];
        if user.password_locked {
            // `usermod -U` refuses to leave an empty password; `*` means "no password".
            if user.password_empty {
                args.extend(["-p".to_owned(), "*".to_owned()]);
            } else {
                args.push("-U".to_owned());
            }
        }
        plan.steps.push(Step {
            target: login.to_owned(),
            action: "unlock",
            detail: String::new(),
            op: Op::Modify {
                login: login.to_owned(),
                args,
            },
        });
    }
}

fn keys(login: &str, inputs: &Inputs, plan: &mut Plan) {
    let path = keys_file(inputs.keys_dir, login);
    let lines = inputs.keys.get(login).cloned().unwrap_or_default();
    let current = current(inputs, &path);
    if lines.is_empty() {
        if current.is_some() {
            plan.steps.push(Step {
                target: login.to_owned(),
                action: "keys",
                detail: "no keys".into(),
                op: Op::RemoveFile { path },
            });
        }
        return;
    }
    let contents = lines.join("\n") + "\n";
    if current.as_deref() != Some(contents.as_str()) {
        plan.steps.push(Step {
            target: login.to_owned(),
            action: "keys",
            detail: format!("{} key(s)", lines.len()),
            op: Op::WriteFile {
                path,
                contents,
                // Root-owned and world-readable: sshd's StrictModes accepts it and the
                // user cannot change it.
                mode: 0o644,
                sudoers: false,
            },
        });
    }
}

fn sudo(login: &str, wanted: bool, inputs: &Inputs, plan: &mut Plan) {
    let path = sudoers_file(inputs.sudoers_dir, login);
    let current = current(inputs, &path);
    let contents = sudoers_line(login);
    if wanted && current.as_deref() != Some(contents.as_str()) {
        plan.steps.push(Step {
            target: login.to_owned(),
            action: "sudo",
            detail: "granted".into(),
            op: Op::WriteFile {
                path,
                contents,
                mode: 0o440,
                sudoers: true,
            },
        });
    } else if !wanted && current.is_some() {
        plan.steps.push(Step {
            target: login.to_owned(),
            action: "sudo",
            detail: "removed".into(),
            op: Op::RemoveFile { path },
        });
    }
}

/// Keys first (that is what lets a person in), then sudo, then the account itself.
fn lock(login: &str, inputs: &Inputs, plan: &mut Plan) {
    let keys = keys_file(inputs.keys_dir, login);
    if current(inputs, &keys).is_some() {
        plan.steps.push(Step {
            target: login.to_owned(),
            action: "keys",
            detail: "removed".into(),
            op: Op::RemoveFile { path: keys },
        });
    }
    sudo(login, false, inputs, plan);
    let Some(user) = inputs.snapshot.users.get(login) else {
        return;
    };
    // Only an account this agent created or took over: a local `deploy` it refused to
    // adopt (another uid) is the server's own, whatever the hub calls its grants.
    if !inputs.managed.contains(login) {
        plan.drift.push(format!(
            "{login}: a local account shtab-agent does not manage; not locked"
        ));
        return;
    }
    if !(user.password_locked && user.expired) {
        plan.steps.push(Step {
            target: login.to_owned(),
            action: "lock",
            detail: "password locked, account expired".into(),
            op: Op::Modify {
                login: login.to_owned(),
                args: vec!["-L".into(), "-e".into(), "1".into()],
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::check;
    use shtab_access_protocol::{Account, DesiredState};

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfkPZbBLFlGygiyeA0GuHr4zJ3fctJV8jg4cEjUCLYZ alice@laptop";

    fn describe(step: &Step) -> String {
        if step.detail.is_empty() {
            format!("{}: {}", step.target, step.action)
        } else {
            format!("{}: {} ({})", step.target, step.action, step.detail)
        }
    }

    fn account(login: &str, state: AccountState) -> Account {
        Account {
            login: login.into(),
            uid: 20001,
            full_name: "Alice".into(),
            shell: "/bin/bash".into(),
            groups: vec!["adm".into(), "nosuch".into()],
            sudo: true,
            keys: vec![KEY.into()],
            state,
        }
    }

    fn run(accounts: Vec<Account>, snapshot: &Snapshot, managed: &[&str], files: &[&str]) -> Plan {
        let state = DesiredState {
            server: "s".into(),
            revision: "1".into(),
            accounts,
            wireguard: None,
        };
        let checked = check(&state);
        let keys: BTreeMap<String, Vec<String>> = checked
            .accounts
            .iter()
            .map(|a| (a.login.as_str().to_owned(), vec![KEY.to_owned()]))
            .collect();
        let managed: BTreeSet<String> = managed.iter().map(|s| (*s).to_owned()).collect();
        let files: BTreeSet<PathBuf> = files.iter().map(PathBuf::from).collect();
        let current = move |p: &Path| {
            if files.contains(p) {
                Peek::Text("old".to_owned())
            } else {
                Peek::Missing
            }
        };
        let home = |home: &Path, relative: &Path| current(&home.join(relative));
        plan(
            &checked,
            &Inputs {
                snapshot,
                managed: &managed,
                keys: &keys,
                current_file: &current,
                home_file: &home,
                keys_dir: Path::new("/k"),
                sudoers_dir: Path::new("/s"),
                keys_dir_files: &["stray".to_owned()],
            },
        )
    }

    fn snapshot_with(user: Option<LocalUser>) -> Snapshot {
        let mut s = Snapshot::default();
        s.groups.insert("adm".into());
        if let Some(u) = user {
            s.uids.insert(u.uid, u.login.clone());
            s.users.insert(u.login.clone(), u);
        }
        s
    }

    fn alice(uid: u32) -> LocalUser {
        LocalUser {
            login: "alice".into(),
            uid,
            gecos: "Alice".into(),
            home: "/home/alice".into(),
            shell: "/bin/sh".into(),
            groups: BTreeSet::from(["adm".to_owned()]),
            password_locked: true,
            password_empty: true,
            expired: true,
        }
    }

    #[test]
    fn a_new_account_is_created_with_keys_and_sudo() {
        let p = run(
            vec![account("alice", AccountState::Present)],
            &snapshot_with(None),
            &[],
            &[],
        );
        let actions: Vec<_> = p.steps.iter().map(|s| s.action).collect();
        assert_eq!(actions, ["create", "keys", "sudo"]);
        assert_eq!(
            p.drift,
            [
                "alice: group nosuch does not exist on this server",
                "/k/stray: a keys file for an account the hub does not manage"
            ]
        );
    }

    #[test]
    fn a_managed_locked_account_is_unlocked_and_updated() {
        let p = run(
            vec![account("alice", AccountState::Present)],
            &snapshot_with(Some(alice(20001))),
            &["alice"],
            &["/home/alice/.ssh/authorized_keys"],
        );
        assert!(
            p.drift
                .iter()
                .any(|d| d.contains("/home/alice/.ssh/authorized_keys holds keys"))
        );
        let described: Vec<_> = p.steps.iter().map(describe).collect();
        assert_eq!(
            described,
            [
                "alice: update (shell /bin/bash)",
                "alice: unlock",
                "alice: keys (1 key(s))",
                "alice: sudo (granted)"
            ]
        );
        assert_eq!(
            p.steps[1].op,
            Op::Modify {
                login: "alice".into(),
                args: vec!["-e".into(), String::new(), "-p".into(), "*".into()]
            }
        );
    }

    #[test]
    fn an_unmanaged_account_with_another_uid_is_not_touched() {
        let p = run(
            vec![account("alice", AccountState::Present)],
            &snapshot_with(Some(alice(1000))),
            &[],
            &[],
        );
        assert!(p.steps.is_empty());
        assert!(p.errors[0].contains("does not manage"));
    }

    #[test]
    fn gone_and_locked_accounts_lose_keys_sudo_and_login() {
        let mut user = alice(20001);
        user.password_locked = false;
        user.expired = false;
        let p = run(
            vec![],
            &snapshot_with(Some(user)),
            &["alice"],
            &[
                "/k/alice",
                "/s/shtab-alice",
                "/home/alice/.ssh/authorized_keys",
            ],
        );
        let actions: Vec<_> = p.steps.iter().map(|s| s.action).collect();
        assert_eq!(actions, ["keys", "sudo", "lock"]);
        // Already locked: nothing more to do.
        let p = run(
            vec![account("alice", AccountState::Locked)],
            &snapshot_with(Some(alice(20001))),
            &["alice"],
            &[],
        );
        assert!(p.steps.is_empty());
    }

    #[test]
    fn a_local_account_the_agent_does_not_manage_is_not_locked() {
        let mut user = alice(1000);
        user.password_locked = false;
        user.expired = false;
        let p = run(
            vec![account("alice", AccountState::Locked)],
            &snapshot_with(Some(user)),
            &[],
            &["/k/alice"],
        );
        // Its keys file in the agent's own directory goes; the account itself is untouched.
        let described: Vec<_> = p.steps.iter().map(describe).collect();
        assert_eq!(described, ["alice: keys (removed)"]);
        assert!(
            p.drift.contains(
                &"alice: a local account shtab-agent does not manage; not locked".to_owned()
            ),
            "{:?}",
            p.drift
        );
    }
}
