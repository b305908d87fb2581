//! Streaming `git log` into [`GitCommit`]s.
//!
//! Framing: `git log -z --format=…` with the fields separated by `%x00` and each record
//! terminated by NUL (`-z` with a tformat). NUL is the one byte git can never print inside a
//! field: names, e-mails and messages are C strings in git, and hashes and timestamps are
//! digits. The message is the last field, so the record is "nine NUL-terminated fields"
//! whatever the message holds (newlines, \x1e, any encoding). We read raw bytes into one large
//! buffer and slice fields out of it; only the fields themselves are allocated.

use std::path::Path;

use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStdout};
use tokio::task::JoinHandle;

use super::GitError;
use super::command::{Git, describe};

/// Commit id, parents, author name, e-mail, time, committer name, e-mail, time, raw message.
const FORMAT: &str = "--format=%H%x00%P%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%B";
const FIELDS: usize = 9;

/// Large reads keep the per-read overhead (a pipe read and a wake-up) small next to parsing.
const INITIAL_BUFFER: usize = 1 << 20;

/// A commit record larger than this (in practice: its message) stops the walk rather than
/// the service's memory.
const MAX_RECORD: usize = 64 << 20;

/// One commit as the sweep needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitCommit {
    pub sha: String,
    /// In order: the first parent is the branch the commit was made on.
    pub parents: Vec<String>,
    pub author_name: String,
    /// May be empty: git accepts `Name <>`.
    pub author_email: String,
    pub authored_at_ms: i64,
    pub committer_name: String,
    pub committer_email: String,
    pub committed_at_ms: i64,
    /// The full message without git's trailing newline(s). Commits recorded in another
    /// encoding are converted by git; bytes that are still not UTF-8 become U+FFFD.
    pub message: String,
}

/// Commits streamed from `git log`; see [`super::Mirror::walk`]. Dropping it stops git.
pub struct Walk {
    running: Option<Running>,
}

struct Running {
    child: Child,
    stdout: ChildStdout,
    stderr: JoinHandle<Vec<u8>>,
    buf: Vec<u8>,
    /// Unparsed bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
}

impl Walk {
    pub(super) fn empty() -> Walk {
        Walk { running: None }
    }

    /// Starts `git log` over `revisions` (the `--stdin` lines, already checked).
    pub(super) async fn start(git_dir: &Path, revisions: Vec<u8>) -> Result<Walk, GitError> {
        let streaming = Git::new("log")
            .git_dir(git_dir)
            .args([
                "log",
                "--no-color",
                "--no-show-signature",
                "--no-mailmap",
                "--encoding=UTF-8",
                // Children before parents: as fast as git's default order with the
                // commit-graph, and what branch membership is computed over.
                "--topo-order",
                "-z",
                FORMAT,
                "--stdin",
            ])
            // Into a pipe git flushes after every commit: 100 000 commits, 100 000 writes
            // and as many wake-ups here. Unflushed, it writes whole stdio buffers, ~20× fewer.
            .env("GIT_FLUSH", "0")
            .stdin(revisions)
            .stream()
            .await?;
        Ok(Walk {
            running: Some(Running {
                child: streaming.child,
                stdout: streaming.stdout,
                stderr: streaming.stderr,
                buf: vec![0; INITIAL_BUFFER],
                start: 0,
                end: 0,
                eof: false,
            }),
        })
    }

    /// The next commit, or `None` at the end, where git's exit status is checked. After an
    /// error or the end, git is gone and every further call returns `None`.
    pub async fn next(&mut self) -> Result<Option<GitCommit>, GitError> {
        let Some(mut running) = self.running.take() else {
            return Ok(None);
        };
        match running.next_commit().await? {
            Some(commit) => {
                self.running = Some(running);
                Ok(Some(commit))
            }
            None => running.finish().await.map(|()| None),
        }
    }
}

impl Running {
    async fn next_commit(&mut self) -> Result<Option<GitCommit>, GitError> {
        loop {
            if let Some((commit, used)) = parse_record(&self.buf[self.start..self.end])? {
                self.start += used;
                return Ok(Some(commit));
            }
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                return Err(GitError::Parse(
                    "git log's output ended in the middle of a commit".into(),
                ));
            }
            self.fill().await?;
        }
    }

    /// Moves the unparsed tail to the front, grows the buffer if a record does not fit, reads.
    async fn fill(&mut self) -> Result<(), GitError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= MAX_RECORD {
                return Err(GitError::Parse(format!(
                    "a commit record exceeds {} MiB",
                    MAX_RECORD >> 20
                )));
            }
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let read = self
            .stdout
            .read(&mut self.buf[self.end..])
            .await
            .map_err(|source| GitError::Io { op: "log", source })?;
        if read == 0 {
            self.eof = true;
        }
        self.end += read;
        Ok(())
    }

    async fn finish(mut self) -> Result<(), GitError> {
        let status = self
            .child
            .wait()
            .await
            .map_err(|source| GitError::Io { op: "log", source })?;
        if status.success() {
            return Ok(());
        }
        let stderr = self.stderr.await.unwrap_or_default();
        Err(GitError::Failed {
            op: "log",
            stderr: describe(&stderr, status, &[]),
        })
    }
}

/// The first complete record of `data` and its length, or `None` when `data` holds only part
/// of one.
fn parse_record(data: &[u8]) -> Result<Option<(GitCommit, usize)>, GitError> {
    let mut fields: [&[u8]; FIELDS] = [&[]; FIELDS];
    let mut pos = 0;
    for field in &mut fields {
        let Some(len) = data[pos..].iter().position(|&b| b == 0) else {
            return Ok(None);
        };
        *field = &data[pos..pos + len];
        pos += len + 1;
    }
    let [
        sha,
        parents,
        author_name,
        author_email,
        authored,
        committer_name,
        committer_email,
        committed,
        message,
    ] = fields;
    let sha = parse_sha(sha).ok_or_else(|| {
        GitError::Parse(format!(
            "{:?} is not a commit id",
            String::from_utf8_lossy(&sha[..sha.len().min(80)])
        ))
    })?;
    let parents = if parents.is_empty() {
        Vec::new()
    } else {
        parents
            .split(|&b| b == b' ')
            .map(parse_sha)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| GitError::Parse(format!("the parents of {sha}")))?
    };
    let authored_at_ms = parse_time(authored, &sha, "author");
    let committed_at_ms = parse_time(committed, &sha, "committer");
    let end = message
        .iter()
        .rposition(|&b| b != b'\n')
        .map_or(0, |i| i + 1);
    let commit = GitCommit {
        sha,
        parents,
        author_name: text(author_name),
        author_email: text(author_email),
        authored_at_ms,
        committer_name: text(committer_name),
        committer_email: text(committer_email),
        committed_at_ms,
        message: text(&message[..end]),
    };
    Ok(Some((commit, pos)))
}

/// A full hex object id (SHA-1 or SHA-256).
pub(super) fn parse_sha(bytes: &[u8]) -> Option<String> {
    if matches!(bytes.len(), 40 | 64) && bytes.iter().all(u8::is_ascii_hexdigit) {
        std::str::from_utf8(bytes).ok().map(str::to_owned)
    } else {
        None
    }
}

/// `%at`/`%ct` are the raw seconds from the commit header; git prints nothing when the
/// header is malformed. One such commit should not stop the sweep: it gets the epoch and a
/// warning.
fn parse_time(seconds: &[u8], sha: &str, whose: &str) -> i64 {
    let parsed = std::str::from_utf8(seconds)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| s.checked_mul(1000));
    parsed.unwrap_or_else(|| {
        tracing::warn!(sha, whose, "commit has an unreadable date; using 0");
        0
    })
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
