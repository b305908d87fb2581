//! What the agent accepts from the hub. Logins, groups and shells end up as arguments of
//! `useradd`/`usermod` and as file names, keys in `authorized_keys`: each is checked here
//! so that nothing unexpected reaches a command or a file.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error(
        "«{0}» is not a valid unix name: use 1–32 lower-case latin letters, digits, «_» or «-», starting with a letter or «_»"
    )]
    UnixName(String),
    #[error("«{0}» is reserved for the system")]
    Reserved(String),
    #[error("«{0}» is not an absolute path to a shell")]
    Shell(String),
    #[error("not a valid SSH public key: {0}")]
    Key(String),
    #[error("uid {0} is reserved for the system (use 1000 or more, not 65534)")]
    Uid(u32),
}

/// A login or group name that is safe everywhere: `[a-z_][a-z0-9_-]{0,31}`, as Debian's
/// `useradd` accepts by default, and not one of the system's own accounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnixName(String);

/// Accounts the hub must never touch, whatever it is told.
const RESERVED: &[&str] = &[
    "root",
    "daemon",
    "bin",
    "sys",
    "sync",
    "games",
    "man",
    "lp",
    "mail",
    "news",
    "uucp",
    "proxy",
    "www-data",
    "backup",
    "list",
    "irc",
    "nobody",
    "systemd-network",
    "systemd-resolve",
    "messagebus",
    "sshd",
    "postgres",
    "shtab",
];

impl UnixName {
    pub fn parse(input: &str) -> Result<UnixName, NameError> {
        let well_formed = (1..=32).contains(&input.len())
            && input
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
            && input
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !well_formed {
            return Err(NameError::UnixName(input.to_owned()));
        }
        if RESERVED.contains(&input) {
            return Err(NameError::Reserved(input.to_owned()));
        }
        Ok(UnixName(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnixName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A supplementary group: the same rules as a login, but system groups (`sudo`, `docker`,
/// `adm`) are what people are put in, so none is reserved.
pub fn validate_group(input: &str) -> Result<(), NameError> {
    match UnixName::parse(input) {
        Ok(_) | Err(NameError::Reserved(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// An absolute path of plain characters (`/bin/bash`); no spaces, quotes or `..`.
pub fn validate_shell(input: &str) -> Result<(), NameError> {
    let ok = input.starts_with('/')
        && input.len() <= 128
        && !input.contains("..")
        && input
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(NameError::Shell(input.to_owned()))
    }
}

/// The lowest uid the hub may give an account: below are the system's own (Debian's
/// `UID_MIN`).
pub const MIN_UID: u32 = 1000;

/// A uid for a person's account: not a system uid, not `nobody` (65534), not `(uid_t)-1`.
pub fn validate_uid(uid: u32) -> Result<(), NameError> {
    if uid < MIN_UID || uid == 65534 || uid == u32::MAX {
        return Err(NameError::Uid(uid));
    }
    Ok(())
}

/// One `authorized_keys` line holding a public key and nothing more: no options (a
/// `command=` or `from=` from the hub is refused, not passed on), no second line.
pub fn validate_key(line: &str) -> Result<(), NameError> {
    if line.contains(['\n', '\r', '\0']) {
        return Err(NameError::Key("the key spans several lines".into()));
    }
    ssh_key::PublicKey::from_openssh(line.trim())
        .map(|_| ())
        .map_err(|e| NameError::Key(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Account, AccountState, DesiredState};

    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfkPZbBLFlGygiyeA0GuHr4zJ3fctJV8jg4cEjUCLYZ alice@laptop";

    #[test]
    fn unix_names() {
        assert!(UnixName::parse("alice").is_ok());
        assert!(UnixName::parse("_svc-1").is_ok());
        for bad in [
            "",
            "Alice",
            "1alice",
            "al ice",
            "al;ice",
            "-rf",
            &"a".repeat(33),
            "../x",
        ] {
            assert!(
                matches!(UnixName::parse(bad), Err(NameError::UnixName(_))),
                "{bad:?} accepted"
            );
        }
        assert_eq!(
            UnixName::parse("root"),
            Err(NameError::Reserved("root".into()))
        );
        assert!(validate_group("sudo").is_ok());
        assert!(validate_group("Sudo").is_err());
    }

    #[test]
    fn uids() {
        assert!(validate_uid(20001).is_ok());
        for bad in [0, 999, 65534, u32::MAX] {
            assert_eq!(validate_uid(bad), Err(NameError::Uid(bad)));
        }
    }

    #[test]
    fn shells() {
        assert!(validate_shell("/bin/bash").is_ok());
        assert!(validate_shell("bash").is_err());
        assert!(validate_shell("/bin/sh -c id").is_err());
        assert!(validate_shell("/../../tmp/x").is_err());
    }

    #[test]
    fn keys_are_bare_single_lines() {
        assert!(validate_key(ED25519).is_ok());
        assert!(validate_key(&format!("command=\"id\" {ED25519}")).is_err());
        assert!(validate_key(&format!("{ED25519}\n{ED25519}")).is_err());
        assert!(validate_key("ssh-ed25519 AAAA").is_err());
    }

    #[test]
    fn state_round_trips_as_json() {
        let state = DesiredState {
            server: "web-1".into(),
            revision: "7".into(),
            accounts: vec![Account {
                login: "alice".into(),
                uid: 20001,
                full_name: "Alice".into(),
                shell: "/bin/bash".into(),
                groups: vec![],
                sudo: true,
                keys: vec![ED25519.into()],
                state: AccountState::Present,
            }],
            wireguard: None,
        };
        let json = serde_json::to_string(&state).unwrap();
        assert!(json.contains(r#""state":"present""#));
        assert_eq!(serde_json::from_str::<DesiredState>(&json).unwrap(), state);
    }
}
