//! Anything else: a program on the hub, run with the grant as JSON on stdin.
//!
//! The program is started directly (no shell) with the configured arguments; hub data never
//! reaches its command line. Its environment is emptied except `PATH`, `LANG`, `LC_ALL` and
//! `TZ`, so the hub's own secrets do not leak into it; it gets `SHTAB_ACTION` (`grant` or
//! `revoke`) and the resource's secret as `SHTAB_SECRET`. On stdin:
//!
//! ```json
//! {"action": "grant", "grant_id": 7, "person": {"id": 3, "full_name": "…", "email": "…",
//!  "login": "ivan.petrov", "chat_ids": {}}, "resource": {"id": 2, "name": "…",
//!  "connector": "command", "settings": {…}}, "previous": null}
//! ```
//!
//! Exit 0 means done: stdout is either `{"state": …, "note": "…", "secret_for_person": "…"}`
//! (all optional) or plain text whose first line becomes the note. Exit 75 (`EX_TEMPFAIL`)
//! asks to be retried later, as does running past the time limit (the program is killed);
//! any other status fails the grant with the last lines of stderr.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use super::http::{Fields, redact, shown_detail};
use super::{Applied, Connector, ConnectorError, GrantWork};

const DEFAULT_TIMEOUT_SECS: u64 = 60;
const MAX_TIMEOUT_SECS: u64 = 3600;
/// sysexits.h `EX_TEMPFAIL`: "try again later".
const EXIT_TEMPFAIL: i32 = 75;
/// How many of stderr's last lines a failed grant shows.
const STDERR_LINES: usize = 5;
/// The hub's variables a program may reasonably need; everything else is withheld.
const PASSED_ENV: [&str; 4] = ["PATH", "LANG", "LC_ALL", "TZ"];

#[derive(Default)]
pub struct Command;

impl Command {
    pub fn new() -> Self {
        Command
    }
}

struct Settings {
    program: String,
    args: Vec<String>,
    timeout: Duration,
}

/// The resource form's check: the settings, and that the program can be run at all.
pub(super) fn check(settings: &Value) -> Result<(), String> {
    let settings = parse_settings(settings)?;
    check_program(&settings.program)
}

fn parse_settings(value: &Value) -> Result<Settings, String> {
    let fields = Fields::new("command", value, &["program", "args", "timeout_secs"])?;
    let program = fields.required_text("program")?;
    if !Path::new(&program).is_absolute() {
        return Err(format!(
            "program: «{program}» must be an absolute path such as /usr/local/bin/grant-access \
             (no shell runs it, so PATH lookups and pipes do not apply)"
        ));
    }
    if program.contains('\0') {
        return Err("program: contains a NUL character".into());
    }
    let args = fields.text_list("args")?;
    if let Some(i) = args.iter().position(|a| a.contains('\0')) {
        return Err(format!("args[{i}]: contains a NUL character"));
    }
    let secs = fields
        .count("timeout_secs")?
        .unwrap_or(DEFAULT_TIMEOUT_SECS);
    if !(1..=MAX_TIMEOUT_SECS).contains(&secs) {
        return Err(format!(
            "timeout_secs: {secs} is out of range (1 to {MAX_TIMEOUT_SECS} seconds)"
        ));
    }
    Ok(Settings {
        program,
        args,
        timeout: Duration::from_secs(secs),
    })
}

/// Whether `program` can be run at all, for the settings form: a typo is caught on save,
/// not at the first grant.
fn check_program(program: &str) -> Result<(), String> {
    let meta = std::fs::metadata(program)
        .map_err(|e| format!("program: cannot use «{program}» on the hub: {e}"))?;
    if !meta.is_file() {
        return Err(format!("program: «{program}» is not a file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o111 == 0 {
            return Err(format!("program: «{program}» is not executable"));
        }
    }
    Ok(())
}

/// The last lines of stderr, the ones that usually say what went wrong.
fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(STDERR_LINES)..].join(" | ")
}

/// A successful run's stdout as what was applied.
fn applied(stdout: &[u8], program: &str, secret: &str) -> Applied {
    let text = String::from_utf8_lossy(stdout);
    if let Ok(Value::Object(answer)) = serde_json::from_str::<Value>(text.trim()) {
        return Applied {
            state: answer.get("state").cloned().unwrap_or(Value::Null),
            note: redact(
                answer.get("note").and_then(Value::as_str).unwrap_or("done"),
                secret,
            ),
            secret_for_person: answer
                .get("secret_for_person")
                .and_then(Value::as_str)
                .map(str::to_owned),
        };
    }
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    Applied {
        state: Value::Null,
        note: redact(
            &first.map_or_else(|| format!("{program} finished"), str::to_owned),
            secret,
        ),
        secret_for_person: None,
    }
}

impl Command {
    async fn run(&self, work: &GrantWork, action: &str) -> Result<Applied, ConnectorError> {
        let settings =
            parse_settings(&work.resource.settings).map_err(ConnectorError::Permanent)?;
        let program = settings.program.as_str();
        let secret = work.resource.secret.as_str();
        let input = serde_json::to_vec(&json!({
            "action": action,
            "grant_id": work.grant_id,
            "person": work.person,
            // `ResourceInfo` never serialises its secret.
            "resource": work.resource,
            "previous": work.previous,
        }))
        .map_err(|e| ConnectorError::Permanent(format!("cannot write the grant as JSON: {e}")))?;

        let mut command = tokio::process::Command::new(program);
        command.args(&settings.args).env_clear();
        for key in PASSED_ENV {
            if let Some(value) = std::env::var_os(key) {
                command.env(key, value);
            }
        }
        command
            .env("SHTAB_ACTION", action)
            .env("SHTAB_SECRET", secret)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Dropped on timeout: the program is killed rather than left running.
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|e| ConnectorError::Permanent(format!("cannot start {program}: {e}")))?;
        let stdin = child.stdin.take();
        let feed = async move {
            if let Some(mut stdin) = stdin {
                // A program that does not read its input closes the pipe early: not an error.
                let _ = stdin.write_all(&input).await;
            }
        };
        let run = async { tokio::join!(feed, child.wait_with_output()).1 };
        let output = match tokio::time::timeout(settings.timeout, run).await {
            Err(_) => {
                return Err(ConnectorError::Retryable(format!(
                    "{program} did not finish within {} s and was stopped",
                    settings.timeout.as_secs()
                )));
            }
            Ok(Err(e)) => {
                return Err(ConnectorError::Retryable(format!(
                    "lost track of {program}: {e}"
                )));
            }
            Ok(Ok(output)) => output,
        };
        let stderr = shown_detail(&tail(&output.stderr), secret);
        match output.status.code() {
            Some(0) => Ok(applied(&output.stdout, program, secret)),
            Some(EXIT_TEMPFAIL) => Err(ConnectorError::Retryable(format!(
                "{program} asked to try again later (exit status {EXIT_TEMPFAIL}){stderr}"
            ))),
            Some(code) => Err(ConnectorError::Permanent(format!(
                "{program} failed with exit status {code}{stderr}"
            ))),
            None => Err(ConnectorError::Permanent(format!(
                "{program} was killed by a signal{stderr}"
            ))),
        }
    }
}

#[async_trait]
impl Connector for Command {
    fn check_settings(&self, settings: &Value) -> Result<(), String> {
        check(settings)
    }

    async fn grant(&self, work: &GrantWork) -> Result<Applied, ConnectorError> {
        self.run(work, "grant").await
    }

    async fn revoke(&self, work: &GrantWork) -> Result<Applied, ConnectorError> {
        self.run(work, "revoke").await
    }
}
