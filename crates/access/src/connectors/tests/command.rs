//! The command connector against small shell scripts written for each test.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{permanent, retryable, work};
use crate::connectors::{Command, Connector, GrantWork};

const SECRET: &str = "hunter2-secret";

/// An executable `/bin/sh` script in `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn command_work(program: &Path, args: &[&str], previous: Value) -> GrantWork {
    work(
        "command",
        json!({ "program": program, "args": args, "timeout_secs": 10 }),
        SECRET,
        previous,
    )
}

#[tokio::test]
async fn the_program_gets_the_grant_on_stdin_and_the_secret_only_in_its_environment() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let program = script(
        dir.path(),
        "grant.sh",
        &format!(
            r#"cat > {out}/stdin.json
printf '%s\n' "$@" > {out}/argv.txt
env > {out}/env.txt
echo '{{"state": {{"account": "ivan"}}, "note": "account ivan created", "secret_for_person": "pw1"}}'"#
        ),
    );
    let applied = Command::new()
        .grant(&command_work(
            &program,
            &["--mode", "full name"],
            json!({ "n": 1 }),
        ))
        .await
        .unwrap();
    assert_eq!(applied.state, json!({ "account": "ivan" }));
    assert_eq!(applied.note, "account ivan created");
    assert_eq!(applied.secret_for_person.as_deref(), Some("pw1"));

    let stdin: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("stdin.json")).unwrap())
            .unwrap();
    assert_eq!(stdin["action"], "grant");
    assert_eq!(stdin["grant_id"], 7);
    assert_eq!(stdin["person"]["login"], "ivan.petrov");
    assert_eq!(stdin["person"]["email"], "ivan.petrov@agency.ru");
    assert_eq!(stdin["resource"]["connector"], "command");
    assert_eq!(stdin["previous"], json!({ "n": 1 }));
    assert!(
        !stdin.to_string().contains(SECRET),
        "the secret is not on stdin"
    );

    let argv = std::fs::read_to_string(dir.path().join("argv.txt")).unwrap();
    assert_eq!(
        argv, "--mode\nfull name\n",
        "arguments as given, no shell splitting"
    );
    let env = std::fs::read_to_string(dir.path().join("env.txt")).unwrap();
    assert!(env.lines().any(|l| l == format!("SHTAB_SECRET={SECRET}")));
    assert!(env.lines().any(|l| l == "SHTAB_ACTION=grant"));
    assert!(
        !env.lines().any(|l| l.starts_with("CARGO")),
        "the hub's own environment is withheld: {env}"
    );
}

#[tokio::test]
async fn plain_output_becomes_the_note_and_revoke_is_told_its_action() {
    let dir = tempfile::tempdir().unwrap();
    let program = script(
        dir.path(),
        "revoke.sh",
        r#"action=$(sed -n 's/.*"action":"\([a-z]*\)".*/\1/p')
echo "did $action for $SHTAB_ACTION"
echo "second line"
"#,
    );
    let revoked = Command::new()
        .revoke(&command_work(&program, &[], Value::Null))
        .await
        .unwrap();
    assert_eq!(revoked.note, "did revoke for revoke");
    assert_eq!(revoked.state, Value::Null);
    assert_eq!(revoked.secret_for_person, None);
}

#[tokio::test]
async fn a_failing_program_fails_the_grant_with_its_last_words_and_the_secret_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let program = script(
        dir.path(),
        "fail.sh",
        r#"cat > /dev/null
for i in 1 2 3 4 5 6 7; do echo "line $i" >&2; done
echo "token $SHTAB_SECRET rejected" >&2
exit 3"#,
    );
    let message = permanent(
        Command::new()
            .grant(&command_work(&program, &[], Value::Null))
            .await,
    );
    assert_eq!(
        message,
        format!(
            "{} failed with exit status 3: line 4 | line 5 | line 6 | line 7 | token *** rejected",
            program.display()
        )
    );

    let later = script(dir.path(), "later.sh", "echo 'server busy' >&2\nexit 75");
    let message = retryable(
        Command::new()
            .grant(&command_work(&later, &[], Value::Null))
            .await,
    );
    assert!(
        message.contains("asked to try again later (exit status 75): server busy"),
        "{message}"
    );
}

#[tokio::test]
async fn a_program_past_its_time_limit_is_stopped_and_retried() {
    let dir = tempfile::tempdir().unwrap();
    let program = script(dir.path(), "slow.sh", "exec sleep 30");
    let mut w = command_work(&program, &[], Value::Null);
    w.resource.settings["timeout_secs"] = json!(1);
    let message = retryable(Command::new().grant(&w).await);
    assert_eq!(
        message,
        format!(
            "{} did not finish within 1 s and was stopped",
            program.display()
        )
    );
}

#[test]
fn settings_name_the_wrong_field_and_the_program_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let program = script(dir.path(), "ok.sh", "exit 0");
    let c = Command::new();
    assert_eq!(
        c.check_settings(&json!({ "program": program, "args": ["-v"] })),
        Ok(())
    );

    let err = c
        .check_settings(&json!({ "program": "grant.sh" }))
        .unwrap_err();
    assert!(
        err.starts_with("program: «grant.sh» must be an absolute path"),
        "{err}"
    );
    let missing = dir.path().join("missing.sh");
    let err = c
        .check_settings(&json!({ "program": missing }))
        .unwrap_err();
    assert!(
        err.starts_with(&format!("program: cannot use «{}»", missing.display())),
        "{err}"
    );
    let plain = dir.path().join("plain.txt");
    std::fs::write(&plain, "x").unwrap();
    let err = c.check_settings(&json!({ "program": plain })).unwrap_err();
    assert!(err.ends_with("is not executable"), "{err}");
    let err = c
        .check_settings(&json!({ "program": program, "timeout_secs": 0 }))
        .unwrap_err();
    assert!(err.starts_with("timeout_secs: 0 is out of range"), "{err}");
    let err = c
        .check_settings(&json!({ "program": program, "args": "-v" }))
        .unwrap_err();
    assert_eq!(err, "args: expected a list of text, found \"-v\"");
}

#[tokio::test]
async fn a_program_that_cannot_start_fails_for_good() {
    let w = command_work(Path::new("/nonexistent/shtab-grant"), &[], Value::Null);
    let message = permanent(Command::new().grant(&w).await);
    assert!(
        message.starts_with("cannot start /nonexistent/shtab-grant"),
        "{message}"
    );
}
