//! Streaming the commit graph: `git rev-list --topo-order --parents`, one line per commit
//! ("sha parent parent…"), children before parents. Only hashes, so it reads the commit-graph
//! index the mirror keeps rather than the commits: 100 000 commits in a fraction of what the
//! full walk of their messages takes.

use std::path::Path;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout};
use tokio::task::JoinHandle;

use super::GitError;
use super::command::{Git, describe};
use super::walk::parse_sha;

/// Commits with their parents, children first; see [`super::Mirror::graph`]. Dropping it
/// stops git.
pub struct Graph {
    running: Option<Running>,
    line: Vec<u8>,
}

struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
    stderr: JoinHandle<Vec<u8>>,
}

impl Graph {
    pub(super) fn empty() -> Graph {
        Graph {
            running: None,
            line: Vec::new(),
        }
    }

    /// Starts `git rev-list` over `revisions` (the `--stdin` lines, already checked).
    pub(super) async fn start(git_dir: &Path, revisions: Vec<u8>) -> Result<Graph, GitError> {
        let streaming = Git::new("rev-list")
            .git_dir(git_dir)
            .args(["rev-list", "--topo-order", "--parents", "--stdin"])
            .env("GIT_FLUSH", "0")
            .stdin(revisions)
            .stream()
            .await?;
        Ok(Graph {
            running: Some(Running {
                child: streaming.child,
                stdout: BufReader::with_capacity(1 << 20, streaming.stdout),
                stderr: streaming.stderr,
            }),
            line: Vec::with_capacity(200),
        })
    }

    /// The next commit and its parents, or `None` at the end, where git's exit status is
    /// checked.
    pub async fn next(&mut self) -> Result<Option<(String, Vec<String>)>, GitError> {
        let Some(running) = self.running.as_mut() else {
            return Ok(None);
        };
        self.line.clear();
        let read = running
            .stdout
            .read_until(b'\n', &mut self.line)
            .await
            .map_err(|source| GitError::Io {
                op: "rev-list",
                source,
            })?;
        if read == 0 {
            let running = self.running.take().expect("checked above");
            return running.finish().await.map(|()| None);
        }
        let line = self.line.trim_ascii_end();
        let mut hashes = line.split(|&b| b == b' ').map(parse_sha);
        let parsed = hashes.next().flatten().and_then(|sha| {
            let parents = hashes.collect::<Option<Vec<String>>>()?;
            Some((sha, parents))
        });
        match parsed {
            Some(commit) => Ok(Some(commit)),
            None => {
                self.running = None;
                Err(GitError::Parse(format!(
                    "rev-list line {:?}",
                    String::from_utf8_lossy(&line[..line.len().min(200)])
                )))
            }
        }
    }
}

impl Running {
    async fn finish(mut self) -> Result<(), GitError> {
        let status = self.child.wait().await.map_err(|source| GitError::Io {
            op: "rev-list",
            source,
        })?;
        if status.success() {
            return Ok(());
        }
        let stderr = self.stderr.await.unwrap_or_default();
        Err(GitError::Failed {
            op: "rev-list",
            stderr: describe(&stderr, status, &[]),
        })
    }
}
