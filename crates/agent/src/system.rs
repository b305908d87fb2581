//! What the server has now: local accounts from `/etc/passwd`, `/etc/shadow` and
//! `/etc/group` (the files `useradd`/`usermod` maintain), and running those tools.
//! Commands get their arguments as a list; nothing goes through a shell.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use anyhow::{Context, bail};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalUser {
    pub login: String,
    pub uid: u32,
    pub gecos: String,
    pub home: String,
    pub shell: String,
    /// Supplementary groups (the primary group is not listed).
    pub groups: BTreeSet<String>,
    /// `usermod -L`: the password field starts with `!`.
    pub password_locked: bool,
    /// The password field without a leading `!` is empty: `usermod -U` would refuse.
    pub password_empty: bool,
    /// `usermod -e`: the account expired (sshd refuses expired accounts for every kind of
    /// authentication, keys included).
    pub expired: bool,
}

impl LocalUser {
    pub fn locked(&self) -> bool {
        self.password_locked || self.expired
    }
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub users: BTreeMap<String, LocalUser>,
    pub uids: BTreeMap<u32, String>,
    pub groups: BTreeSet<String>,
}

/// Where the account files live (tests of the parser point elsewhere).
pub struct AccountFiles {
    pub passwd: &'static str,
    pub shadow: &'static str,
    pub group: &'static str,
}

pub const SYSTEM_FILES: AccountFiles = AccountFiles {
    passwd: "/etc/passwd",
    shadow: "/etc/shadow",
    group: "/etc/group",
};

fn days_since_epoch() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (secs / 86_400) as i64
}

pub fn snapshot(files: &AccountFiles) -> anyhow::Result<Snapshot> {
    let read =
        |path: &str| std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"));
    let passwd = read(files.passwd)?;
    let shadow = read(files.shadow)?;
    let group = read(files.group)?;
    Ok(parse(&passwd, &shadow, &group, days_since_epoch()))
}

fn parse(passwd: &str, shadow: &str, group: &str, today: i64) -> Snapshot {
    let mut members: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut groups = BTreeSet::new();
    for line in group.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 4 {
            continue;
        }
        groups.insert(fields[0].to_owned());
        for member in fields[3].split(',').filter(|m| !m.is_empty()) {
            members
                .entry(member)
                .or_default()
                .insert(fields[0].to_owned());
        }
    }
    let mut passwords: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    for line in shadow.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() >= 8 {
            passwords.insert(fields[0], (fields[1], fields[7]));
        }
    }
    let mut snapshot = Snapshot {
        groups,
        ..Snapshot::default()
    };
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 7 {
            continue;
        }
        let Ok(uid) = fields[2].parse::<u32>() else {
            continue;
        };
        let (password, expire) = passwords.get(fields[0]).copied().unwrap_or(("", ""));
        let user = LocalUser {
            login: fields[0].to_owned(),
            uid,
            gecos: fields[4].to_owned(),
            home: fields[5].to_owned(),
            shell: fields[6].to_owned(),
            groups: members.remove(fields[0]).unwrap_or_default(),
            password_locked: password.starts_with('!'),
            password_empty: password.trim_start_matches('!').is_empty(),
            expired: expire.parse::<i64>().is_ok_and(|day| day <= today),
        };
        snapshot
            .uids
            .entry(uid)
            .or_insert_with(|| user.login.clone());
        snapshot.users.insert(user.login.clone(), user);
    }
    snapshot
}

/// Runs `program` with `args`; a failure carries the tool's own message.
pub fn run(program: &str, args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new(program)
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .with_context(|| format!("cannot run {program}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!(
            "{program} {} failed ({}): {}",
            args.join(" "),
            output.status,
            stderr.trim()
        );
    }
    Ok(())
}

/// `program`'s standard output, for the read-only tools (`wg show`).
pub fn output(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new(program)
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .with_context(|| format!("cannot run {program}"))?;
    if !output.status.success() {
        bail!(
            "{program} {} failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Whether `program` can be found on `PATH` (visudo and wg are optional).
pub fn installed(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path)
            .any(|dir| std::fs::metadata(dir.join(program)).is_ok_and(|m| m.is_file()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_accounts_groups_and_locks() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\n\
                      alice:x:20001:20001:Alice A:/home/alice:/bin/bash\n\
                      bob:x:20002:20002::/home/bob:/bin/sh\n";
        let shadow = "root:*:19000:0:99999:7:::\n\
                      alice:*:19000:0:99999:7:::\n\
                      bob:!*:19000:0:99999:7::1:\n";
        let group = "sudo:x:27:alice\nadm:x:4:bob,alice\nalice:x:20001:\n";
        let s = parse(passwd, shadow, group, 20000);
        let alice = &s.users["alice"];
        assert_eq!(alice.uid, 20001);
        assert_eq!(alice.gecos, "Alice A");
        assert_eq!(
            alice.groups,
            BTreeSet::from(["adm".to_owned(), "sudo".to_owned()])
        );
        assert!(!alice.locked());
        assert!(!alice.password_empty);
        let bob = &s.users["bob"];
        assert!(bob.password_locked && bob.expired && !bob.password_empty);
        assert_eq!(s.uids[&20002], "bob");
        assert!(s.groups.contains("adm"));
    }
}
