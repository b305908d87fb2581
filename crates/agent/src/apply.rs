//! Carries out a plan's steps one by one; a failed step is an error in the report and the
//! others still run.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;
use shtab_access_protocol::Change;

use crate::files;
use crate::plan::{Op, Step};
use crate::system;

#[derive(Debug, Default)]
pub struct Outcome {
    pub applied: Vec<Change>,
    pub errors: Vec<String>,
}

/// Applies `steps`; logins created or adopted are added to `managed`.
pub fn apply(steps: &[Step], managed: &mut BTreeSet<String>) -> Outcome {
    let mut outcome = Outcome::default();
    // When creating an account failed, its files are not written either.
    let mut failed = BTreeSet::new();
    for step in steps {
        if failed.contains(&step.target) {
            continue;
        }
        match execute(&step.op, managed) {
            Ok(()) => outcome.applied.push(Change {
                target: step.target.clone(),
                action: step.action.to_owned(),
                detail: step.detail.clone(),
            }),
            Err(e) => {
                if matches!(step.op, Op::Create { .. }) {
                    failed.insert(step.target.clone());
                }
                outcome
                    .errors
                    .push(format!("{}: {} failed: {e:#}", step.target, step.action));
            }
        }
    }
    outcome
}

fn execute(op: &Op, managed: &mut BTreeSet<String>) -> anyhow::Result<()> {
    match op {
        Op::Create {
            login,
            uid,
            gecos,
            shell,
            groups,
        } => {
            let uid = uid.to_string();
            let groups = groups.join(",");
            let mut args = vec![
                "--create-home",
                "--uid",
                &uid,
                "--shell",
                shell,
                "--comment",
                gecos,
                // No password, not locked: keys are the only way in.
                "--password",
                "*",
            ];
            if !groups.is_empty() {
                args.extend(["--groups", &groups]);
            }
            args.extend(["--", login]);
            system::run("useradd", &args)?;
            managed.insert(login.clone());
            Ok(())
        }
        Op::Modify { login, args } => {
            let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
            all.extend(["--", login]);
            system::run("usermod", &all)
        }
        Op::Adopt { login } => {
            managed.insert(login.clone());
            Ok(())
        }
        Op::WriteFile {
            path,
            contents,
            mode,
            sudoers,
        } => {
            let dir = path.parent().context("a managed file needs a directory")?;
            if *sudoers {
                if !dir.is_dir() {
                    anyhow::bail!("{} does not exist: is sudo installed?", dir.display());
                }
                files::write_atomic_checked(path, contents.as_bytes(), *mode, check_sudoers)
            } else {
                // sshd checks every directory up to / is root-owned and not writable by
                // others before it reads a key file.
                files::ensure_dir(dir, 0o755)?;
                files::write_atomic(path, contents.as_bytes(), *mode)
            }
        }
        Op::RemoveFile { path } => files::remove_if_present(path).map(|_| ()),
    }
}

/// A broken sudoers drop-in can lock everyone out of sudo, so it is checked before it is
/// moved into place (when `visudo` is there to check it).
fn check_sudoers(temp: &Path) -> anyhow::Result<()> {
    if system::installed("visudo") {
        let temp = temp.to_str().context("the sudoers path is not UTF-8")?;
        system::run("visudo", &["-c", "-q", "-f", temp])?;
    }
    Ok(())
}
