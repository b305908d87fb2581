//! Checks every account of a desired state before anything acts on it. A bad login, uid,
//! shell, group, name or key skips that account with an error in the report; it never
//! reaches a command or a file.

use std::collections::{BTreeMap, BTreeSet};

use shtab_access_protocol::{
    AccountState, DesiredState, UnixName, validate_group, validate_key, validate_shell,
    validate_uid,
};

/// An account that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub login: UnixName,
    pub uid: u32,
    pub gecos: String,
    pub shell: String,
    pub groups: Vec<String>,
    pub sudo: bool,
    pub state: AccountState,
}

#[derive(Debug, Default)]
pub struct Checked {
    pub accounts: Vec<Wanted>,
    /// Well-formed logins of accounts skipped for another reason: they are still in the
    /// state, so they are neither created nor treated as gone.
    pub skipped: BTreeSet<String>,
    pub errors: Vec<String>,
}

pub fn check(state: &DesiredState) -> Checked {
    let mut checked = Checked::default();
    let mut uids: BTreeMap<u32, String> = BTreeMap::new();
    let mut logins = BTreeSet::new();
    for account in &state.accounts {
        let login = match UnixName::parse(&account.login) {
            Ok(login) => login,
            Err(e) => {
                checked
                    .errors
                    .push(format!("account skipped: {}", printable(&e.to_string())));
                continue;
            }
        };
        if !logins.insert(login.as_str().to_owned()) {
            checked.errors.push(format!(
                "{login}: listed twice in the state; only the first is applied"
            ));
            continue;
        }
        let problems = problems(account, &mut uids);
        // A lock needs nothing but a valid login: a broken field must not keep a person in.
        if problems.is_empty() || account.state == AccountState::Locked {
            checked.accounts.push(Wanted {
                login,
                uid: account.uid,
                gecos: account.full_name.clone(),
                shell: account.shell.clone(),
                groups: account.groups.clone(),
                sudo: account.sudo,
                state: account.state,
            });
        } else {
            checked.errors.push(format!(
                "{login}: account skipped: {}",
                printable(&problems.join("; "))
            ));
            checked.skipped.insert(login.as_str().to_owned());
        }
    }
    checked
}

fn problems(
    account: &shtab_access_protocol::Account,
    uids: &mut BTreeMap<u32, String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(e) = validate_uid(account.uid) {
        problems.push(e.to_string());
    } else if let Some(other) = uids.get(&account.uid) {
        problems.push(format!("uid {} is also given to {other}", account.uid));
    } else {
        uids.insert(account.uid, account.login.clone());
    }
    if let Err(e) = validate_shell(&account.shell) {
        problems.push(e.to_string());
    }
    for group in &account.groups {
        if let Err(e) = validate_group(group) {
            problems.push(format!("group: {e}"));
        }
    }
    if let Err(reason) = validate_gecos(&account.full_name) {
        problems.push(reason);
    }
    for key in &account.keys {
        if let Err(e) = validate_key(key) {
            problems.push(e.to_string());
        }
    }
    problems
}

/// The GECOS field sits between colons in `/etc/passwd`; `useradd -c` refuses `:`, `,`
/// (field separators), `=` and control characters.
fn validate_gecos(name: &str) -> Result<(), String> {
    if name.chars().count() > 200 {
        return Err("the full name is longer than 200 characters".into());
    }
    if name
        .chars()
        .any(|c| c.is_control() || matches!(c, ':' | ',' | '=' | '\\'))
    {
        return Err(format!(
            "the full name «{}» contains «:», «,», «=», «\\» or a control character",
            printable(name)
        ));
    }
    Ok(())
}

/// Hub text quoted in a message, without anything that would break a log line.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(300)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shtab_access_protocol::Account;

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfkPZbBLFlGygiyeA0GuHr4zJ3fctJV8jg4cEjUCLYZ alice@laptop";

    fn account(login: &str, uid: u32) -> Account {
        Account {
            login: login.into(),
            uid,
            full_name: "Алиса Иванова".into(),
            shell: "/bin/bash".into(),
            groups: vec!["adm".into()],
            sudo: false,
            keys: vec![KEY.into()],
            state: AccountState::Present,
        }
    }

    fn state(accounts: Vec<Account>) -> DesiredState {
        DesiredState {
            server: "web-1".into(),
            revision: "1".into(),
            accounts,
            wireguard: None,
        }
    }

    #[test]
    fn bad_fields_skip_the_account_with_a_reason() {
        let mut bad_key = account("bob", 20002);
        bad_key.keys.push(format!("command=\"id\" {KEY}"));
        let mut bad_shell = account("carol", 20003);
        bad_shell.shell = "/bin/sh -c id".into();
        let mut bad_name = account("dave", 20004);
        bad_name.full_name = "x:0:0".into();
        let root_uid = account("eve", 0);
        let checked = check(&state(vec![
            account("alice", 20001),
            bad_key,
            bad_shell,
            bad_name,
            root_uid,
            account("Robert'); DROP", 20005),
            account("root", 20006),
            account("alice", 20007),
        ]));
        let logins: Vec<_> = checked.accounts.iter().map(|a| a.login.as_str()).collect();
        assert_eq!(logins, ["alice"]);
        assert_eq!(checked.errors.len(), 7, "{:?}", checked.errors);
        assert!(checked.errors[0].contains("bob") && checked.errors[0].contains("SSH public key"));
        assert!(checked.errors[3].contains("uid 0"));
        assert!(checked.skipped.contains("carol"));
    }

    #[test]
    fn a_lock_applies_even_when_other_fields_are_bad() {
        let mut locked = account("alice", 20001);
        locked.state = AccountState::Locked;
        locked.keys = vec!["garbage".into()];
        let checked = check(&state(vec![locked]));
        assert_eq!(checked.accounts.len(), 1);
        assert!(checked.errors.is_empty());
    }
}
