//! Running the `git` program: explicit arguments, a scrubbed environment, no configuration but
//! ours, bounded and scrubbed error messages.

use std::ffi::{OsStr, OsString};
use std::net::IpAddr;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdout, Command};
use tokio::task::JoinHandle;

use super::GitError;

/// Variables passed through from the service's environment; everything else is dropped, so
/// that nothing inherited (`GIT_DIR`, `GIT_CONFIG_PARAMETERS`, `GIT_TRACE_CURL`, which would log
/// our Authorization header, `GIT_ASKPASS`…) changes what git does or where it writes.
/// What is kept is what an administrator legitimately sets for the whole host: where programs
/// are, the ssh agent and host keys (under HOME), proxies and extra certificate authorities.
const PASS_THROUGH: &[&str] = &[
    "PATH",
    "HOME",
    "TMPDIR",
    "SSH_AUTH_SOCK",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_SSL_CAINFO",
    "GIT_SSL_CAPATH",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "http_proxy",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// ext:: (runs any command) and friends stay unavailable whatever a URL says.
const ALLOWED_PROTOCOLS: &str = "file:git:http:https:ssh";

/// Longest error message we keep from git, in characters.
const MAX_MESSAGE_CHARS: usize = 1000;

/// Most of git's stderr we keep in memory while streaming; git's last words are what matter.
const MAX_STDERR_BYTES: usize = 16 * 1024;

/// One git invocation being put together.
/// A git whose output is being streamed; see [`Git::stream`].
pub(super) struct Streaming {
    pub child: Child,
    pub stdout: ChildStdout,
    pub stderr: JoinHandle<Vec<u8>>,
}

pub(super) struct Git {
    op: &'static str,
    git_dir: Option<OsString>,
    args: Vec<OsString>,
    config: Vec<(String, String)>,
    env: Vec<(&'static str, &'static str)>,
    redact: Vec<String>,
    stdin: Option<Vec<u8>>,
    timeout: Option<Duration>,
}

impl Git {
    /// `op` names the operation in errors ("git fetch failed: …").
    pub(super) fn new(op: &'static str) -> Git {
        Git {
            op,
            git_dir: None,
            args: Vec::new(),
            // No helper may answer (or store) credentials: ours come only from the caller.
            config: vec![("credential.helper".into(), String::new())],
            env: Vec::new(),
            redact: Vec::new(),
            stdin: None,
            timeout: None,
        }
    }

    /// The repository, as `--git-dir=<absolute path>`: no discovery from the working directory.
    pub(super) fn git_dir(mut self, dir: &Path) -> Git {
        let mut arg = OsString::from("--git-dir=");
        arg.push(dir.as_os_str());
        self.git_dir = Some(arg);
        self
    }

    pub(super) fn arg(mut self, arg: impl AsRef<OsStr>) -> Git {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub(super) fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Git {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// A configuration entry, given through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/
    /// `GIT_CONFIG_VALUE_n`: unlike `-c`, the environment of a process is readable only by
    /// its own user, so secrets may go here.
    pub(super) fn config(mut self, key: &str, value: &str) -> Git {
        self.config.push((key.into(), value.into()));
        self
    }

    /// An environment variable of our own (no secrets: see [`Git::config`]).
    pub(super) fn env(mut self, key: &'static str, value: &'static str) -> Git {
        self.env.push((key, value));
        self
    }

    /// Settings for talking to a remote: never wait for a person, and never let a stalled
    /// transfer outlive `timeout` by long (we can only kill git itself on expiry; its
    /// transport helper notices on its own, thanks to these).
    pub(super) fn network(self, timeout: Duration) -> Git {
        let stall = timeout.as_secs().clamp(1, 60).to_string();
        self.config(
            "core.sshCommand",
            "ssh -o BatchMode=yes -o ServerAliveInterval=15 -o ServerAliveCountMax=4",
        )
        .config("http.lowSpeedLimit", "1")
        .config("http.lowSpeedTime", &stall)
    }

    /// A string replaced by `***` wherever it shows in git's messages.
    pub(super) fn redact(mut self, secret: &str) -> Git {
        if !secret.is_empty() {
            self.redact.push(secret.into());
        }
        self
    }

    pub(super) fn stdin(mut self, input: Vec<u8>) -> Git {
        self.stdin = Some(input);
        self
    }

    pub(super) fn timeout(mut self, after: Duration) -> Git {
        self.timeout = Some(after);
        self
    }

    /// Starts git for the caller to stream its output: the child (stdin piped when input was
    /// given) and that input, for the caller to write.
    pub(super) fn spawn(self) -> Result<(Child, Vec<u8>), GitError> {
        let child = self
            .command()
            .spawn()
            .map_err(|e| spawn_error(self.op, e))?;
        Ok((child, self.stdin.unwrap_or_default()))
    }

    /// Starts git, feeds it its input and hands its output over for streaming, with the tail
    /// of its stderr collected aside for the error at the end. git reads all of its stdin
    /// before it writes anything, so feeding first cannot deadlock; a failed write means git
    /// quit, and its own message says why.
    pub(super) async fn stream(self) -> Result<Streaming, GitError> {
        let op = self.op;
        let (mut child, input) = self.spawn()?;
        let (stdin, Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(GitError::Io {
                op,
                source: std::io::Error::other("git's pipes were not set up"),
            });
        };
        let stderr = tokio::spawn(read_tail(stderr));
        if let Some(mut stdin) = stdin {
            let fed = stdin.write_all(&input).await;
            drop(stdin);
            if let Err(source) = fed {
                let status = child
                    .wait()
                    .await
                    .map_err(|source| GitError::Io { op, source })?;
                let stderr = stderr.await.unwrap_or_default();
                return Err(if status.success() {
                    GitError::Io { op, source }
                } else {
                    GitError::Failed {
                        op,
                        stderr: describe(&stderr, status, &[]),
                    }
                });
            }
        }
        Ok(Streaming {
            child,
            stdout,
            stderr,
        })
    }

    /// The command, ready to spawn: stdout and stderr piped, stdin piped only when input was
    /// given, killed if its handle is dropped.
    fn command(&self) -> Command {
        let mut cmd = Command::new("git");
        cmd.env_clear();
        for name in PASS_THROUGH {
            if let Some(value) = std::env::var_os(name) {
                cmd.env(name, value);
            }
        }
        cmd.env("LC_ALL", "C")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ALLOW_PROTOCOL", ALLOWED_PROTOCOLS)
            .env("GIT_NO_REPLACE_OBJECTS", "1")
            .env("GIT_CONFIG_COUNT", self.config.len().to_string())
            .envs(self.env.iter().copied());
        for (i, (key, value)) in self.config.iter().enumerate() {
            cmd.env(format!("GIT_CONFIG_KEY_{i}"), key)
                .env(format!("GIT_CONFIG_VALUE_{i}"), value);
        }
        cmd.arg("--no-pager");
        if let Some(git_dir) = &self.git_dir {
            cmd.arg(git_dir);
        }
        cmd.args(&self.args)
            .current_dir("/")
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    /// Runs git to the end and returns its stdout; a non-zero exit is [`GitError::Failed`]
    /// with git's message.
    pub(super) async fn output(self) -> Result<Vec<u8>, GitError> {
        let mut child = self
            .command()
            .spawn()
            .map_err(|e| spawn_error(self.op, e))?;
        let Git {
            op,
            redact,
            stdin,
            timeout,
            ..
        } = self;
        let pipe = child.stdin.take();
        // Written while git runs, not before: `cat-file --batch-check` answers as it reads,
        // and a full stdout pipe would otherwise deadlock us both.
        let feed = async move {
            match (pipe, stdin) {
                (Some(mut pipe), Some(input)) => pipe.write_all(&input).await,
                _ => Ok(()),
            }
        };
        let run = async { tokio::join!(feed, child.wait_with_output()) };
        let (fed, output) = match timeout {
            // Dropping `run` drops the child, and kill_on_drop kills it.
            Some(after) => tokio::time::timeout(after, run)
                .await
                .map_err(|_| GitError::Timeout { op, after })?,
            None => run.await,
        };
        let output = output.map_err(|source| GitError::Io { op, source })?;
        if !output.status.success() {
            return Err(GitError::Failed {
                op,
                stderr: describe(&output.stderr, output.status, &redact),
            });
        }
        // git succeeded yet did not take all of its input: should not happen, but say so.
        fed.map_err(|source| GitError::Io { op, source })?;
        Ok(output.stdout)
    }
}

pub(super) fn spawn_error(op: &'static str, error: std::io::Error) -> GitError {
    // Our working directory is "/", so "not found" can only mean the program.
    if error.kind() == std::io::ErrorKind::NotFound {
        GitError::NotFound
    } else {
        GitError::Io { op, source: error }
    }
}

/// git's stderr as one bounded line: secrets replaced, blank lines dropped, lines joined by
/// "; ", the end kept when too long (git's final `fatal:` is the useful part); the exit status
/// when git said nothing.
pub(super) fn describe(stderr: &[u8], status: ExitStatus, redact: &[String]) -> String {
    let mut text = String::from_utf8_lossy(stderr).into_owned();
    for secret in redact {
        text = text.replace(secret.as_str(), "***");
    }
    let message = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    if message.is_empty() {
        return status.to_string();
    }
    let chars = message.chars().count();
    if chars <= MAX_MESSAGE_CHARS {
        return message;
    }
    let start = message
        .char_indices()
        .nth(chars - MAX_MESSAGE_CHARS)
        .map_or(0, |(i, _)| i);
    format!("…{}", &message[start..])
}

/// Reads a stream to its end, keeping at most its last [`MAX_STDERR_BYTES`] bytes.
pub(super) async fn read_tail(mut stream: impl AsyncRead + Unpin) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                kept.extend_from_slice(&chunk[..n]);
                if kept.len() > MAX_STDERR_BYTES {
                    kept.drain(..kept.len() - MAX_STDERR_BYTES);
                }
            }
        }
    }
}

/// A full object name, the only kind of revision we hand to git: 40 (SHA-1) or 64 (SHA-256)
/// hex digits, so it can never be taken for an option or a range.
pub(super) fn ensure_revision(sha: &str) -> Result<(), GitError> {
    if matches!(sha.len(), 40 | 64) && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(());
    }
    let shown: String = sha.chars().take(80).collect();
    Err(GitError::Invalid(format!(
        "{shown:?} is not a full commit sha (40 or 64 hex digits)"
    )))
}

/// Refuses URLs git could take for an option, and URLs or credentials that would expose a
/// secret. Error messages do not repeat the URL: it may hold the very secret being refused.
pub(super) fn check_url(url: &str, with_credential: bool) -> Result<(), GitError> {
    let invalid = |why: &str| Err(GitError::Invalid(why.into()));
    if url.is_empty() {
        return invalid("the repository URL is empty");
    }
    if url.starts_with('-') {
        return invalid("a repository URL cannot start with '-'");
    }
    if url.chars().any(char::is_control) {
        return invalid("a repository URL cannot contain control characters");
    }
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        // A path or scp-like `user@host:path`: no scheme and no credential of ours.
        None => (String::new(), url),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((userinfo, host_port)) => (Some(userinfo), host_port),
        None => (None, authority),
    };
    let web = scheme == "http" || scheme == "https";
    if userinfo.is_some_and(|u| web || u.contains(':')) {
        return invalid(
            "the repository URL carries a user name or password, which would show in process \
             lists and git's messages; give it as the repository's credential instead",
        );
    }
    if with_credential {
        let host = match host_port.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => host_port.split(':').next().unwrap_or_default(),
        };
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if !(scheme == "https" || (scheme == "http" && loopback)) {
            return invalid("a credential is only sent over https");
        }
    }
    Ok(())
}
