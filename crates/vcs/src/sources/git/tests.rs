//! Against real repositories made with the git CLI in temporary directories, with fixed
//! identities and dates.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use super::command::{check_url, describe};
use super::*;

const T0: i64 = 1_700_000_000;
const ZERO: &str = "0000000000000000000000000000000000000000";
const GONE: &str = "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef";
const LONG: Duration = Duration::from_secs(60);

/// Runs git for a fixture, with nothing from the host's configuration.
fn git(dir: &Path, args: &[&str], env: &[(&str, String)], stdin: Option<&[u8]>) -> String {
    let mut child = StdCommand::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("LC_ALL", "C")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("git runs");
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input).expect("git takes its input");
    }
    let out = child.wait_with_output().expect("git finishes");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

/// A bare "remote" and a place for the mirror, in one temporary directory.
struct Fixture {
    tmp: tempfile::TempDir,
    src: PathBuf,
    empty_tree: String,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().expect("temp dir");
        let src = tmp.path().join("src.git");
        git(tmp.path(), &["init", "--bare", "-q", "src.git"], &[], None);
        let empty_tree = git(
            &src,
            &["hash-object", "-t", "tree", "-w", "--stdin"],
            &[],
            Some(b""),
        );
        Fixture {
            tmp,
            src,
            empty_tree,
        }
    }

    fn url(&self) -> String {
        self.src.to_str().expect("utf-8 path").to_owned()
    }

    fn mirror_dir(&self) -> PathBuf {
        self.tmp.path().join("mirror.git")
    }

    /// A commit by Ann at `T0 + offset`, committed by Carl a minute later.
    fn commit(&self, parents: &[&str], message: &str, offset: i64) -> String {
        let mut args = vec!["commit-tree", self.empty_tree.as_str()];
        for parent in parents {
            args.extend(["-p", parent]);
        }
        args.extend(["-m", message]);
        let env = [
            ("GIT_AUTHOR_NAME", "Ann Author".to_owned()),
            ("GIT_AUTHOR_EMAIL", "ann@agency.test".to_owned()),
            ("GIT_AUTHOR_DATE", format!("{} +0300", T0 + offset)),
            ("GIT_COMMITTER_NAME", "Carl Committer".to_owned()),
            ("GIT_COMMITTER_EMAIL", "carl@agency.test".to_owned()),
            ("GIT_COMMITTER_DATE", format!("{} +0000", T0 + offset + 60)),
        ];
        git(&self.src, &args, &env, None)
    }

    /// A commit object written byte for byte.
    fn raw_commit(&self, object: &[u8]) -> String {
        git(
            &self.src,
            &["hash-object", "-t", "commit", "-w", "--stdin"],
            &[],
            Some(object),
        )
    }

    /// Creates, moves (force-push) or, with `None`, deletes a branch of the remote.
    fn branch(&self, name: &str, sha: Option<&str>) {
        let refname = format!("refs/heads/{name}");
        match sha {
            Some(sha) => git(&self.src, &["update-ref", &refname, sha], &[], None),
            None => git(&self.src, &["update-ref", "-d", &refname], &[], None),
        };
    }
}

fn heads(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(name, sha)| (name.to_string(), sha.to_string()))
        .collect()
}

fn owned(shas: &[&str]) -> Vec<String> {
    shas.iter().map(|s| s.to_string()).collect()
}

async fn walk_all(mirror: &Mirror, include: &[&str], exclude: &[&str]) -> Vec<GitCommit> {
    let mut walk = mirror
        .walk(&owned(include), &owned(exclude))
        .await
        .expect("walk starts");
    let mut commits = Vec::new();
    while let Some(commit) = walk.next().await.expect("walk goes on") {
        commits.push(commit);
    }
    assert_eq!(walk.next().await.expect("after the end"), None);
    commits
}

fn shas(commits: &[GitCommit]) -> Vec<&str> {
    commits.iter().map(|c| c.sha.as_str()).collect()
}

#[tokio::test]
async fn fetch_copies_every_branch_into_a_new_mirror() {
    let fx = Fixture::new();
    let a = fx.commit(&[], "init", 0);
    let b = fx.commit(&[&a], "main work #12", 100);
    let f = fx.commit(&[&a], "feature", 200);
    fx.branch("main", Some(&b));
    fx.branch("feature/x", Some(&f));

    let mirror = Mirror::open(&fx.mirror_dir())
        .await
        .expect("mirror created");
    assert_eq!(mirror.branch_heads().await.expect("heads"), heads(&[]));
    mirror.fetch(&fx.url(), None, LONG).await.expect("fetch");
    let expected = heads(&[("feature/x", &f), ("main", &b)]);
    assert_eq!(mirror.branch_heads().await.expect("heads"), expected);

    let reopened = Mirror::open(&fx.mirror_dir())
        .await
        .expect("mirror reopened");
    assert_eq!(reopened.branch_heads().await.expect("heads"), expected);
    assert!(reopened.has_commit(&a).await.expect("has a"));
    assert!(!reopened.has_commit(ZERO).await.expect("has zero"));
    assert!(matches!(
        reopened.has_commit("HEAD").await,
        Err(GitError::Invalid(_))
    ));

    // A directory with other things in it is not taken over…
    let occupied = fx.tmp.path().join("occupied");
    std::fs::create_dir(&occupied).expect("dir");
    std::fs::write(occupied.join("notes.txt"), "keep me").expect("file");
    assert!(matches!(
        Mirror::open(&occupied).await,
        Err(GitError::Invalid(_))
    ));
    // …nor is a repository with a work tree.
    git(fx.tmp.path(), &["init", "-q", "work"], &[], None);
    let err = Mirror::open(&fx.tmp.path().join("work/.git")).await;
    assert!(matches!(err, Err(GitError::Invalid(_))), "{err:?}");
}

#[tokio::test]
async fn fetch_follows_force_pushes_new_and_deleted_branches() {
    let fx = Fixture::new();
    let a = fx.commit(&[], "init", 0);
    let b = fx.commit(&[&a], "to be rewritten", 100);
    let f = fx.commit(&[&a], "feature", 200);
    fx.branch("main", Some(&b));
    fx.branch("feature", Some(&f));
    let mirror = Mirror::open(&fx.mirror_dir()).await.expect("mirror");
    let url = format!("file://{}", fx.url());
    mirror.fetch(&url, None, LONG).await.expect("first fetch");
    let old = mirror.branch_heads().await.expect("heads");

    let b2 = fx.commit(&[&a], "rewritten", 300);
    let n = fx.commit(&[&b2], "new branch", 400);
    fx.branch("main", Some(&b2));
    fx.branch("new", Some(&n));
    fx.branch("feature", None);
    mirror.fetch(&url, None, LONG).await.expect("second fetch");
    let new = mirror.branch_heads().await.expect("heads");
    assert_eq!(new, heads(&[("main", &b2), ("new", &n)]));

    // Redmine's head diff: what the new heads reach and the old ones did not.
    let include: Vec<&str> = new.values().map(String::as_str).collect();
    let exclude: Vec<&str> = old.values().map(String::as_str).collect();
    let commits = walk_all(&mirror, &include, &exclude).await;
    assert_eq!(shas(&commits), [n.as_str(), b2.as_str()]);
    let count = mirror.count(&owned(&include), &owned(&exclude)).await;
    assert_eq!(count.expect("count"), 2);
}

#[tokio::test]
async fn walk_yields_the_head_diff_over_a_merge_with_every_field() {
    let fx = Fixture::new();
    let a = fx.commit(&[], "init", 0);
    let b = fx.commit(&[&a], "main #1", 100);
    let f1 = fx.commit(&[&a], "feature PROJ-45", 200);
    let f2 = fx.commit(&[&f1], "more feature", 300);
    fx.branch("main", Some(&b));
    fx.branch("feature", Some(&f1));
    let mirror = Mirror::open(&fx.mirror_dir()).await.expect("mirror");
    mirror.fetch(&fx.url(), None, LONG).await.expect("fetch");
    let old: Vec<String> = mirror
        .branch_heads()
        .await
        .expect("heads")
        .into_values()
        .collect();

    let message = "Merge branch 'feature'\n\nfixes #7 @1h\nзадача 9";
    let m = fx.commit(&[&b, &f2], message, 400);
    fx.branch("main", Some(&m));
    fx.branch("feature", None);
    mirror.fetch(&fx.url(), None, LONG).await.expect("fetch");
    let new: Vec<String> = mirror
        .branch_heads()
        .await
        .expect("heads")
        .into_values()
        .collect();
    assert_eq!(new, std::slice::from_ref(&m));

    // An old head that no longer exists (gc'd after a force-push) is simply dropped.
    let mut exclude = old;
    exclude.push(GONE.to_owned());
    let mut walk = mirror.walk(&new, &exclude).await.expect("walk");
    let first = walk.next().await.expect("first").expect("a commit");
    assert_eq!(
        first,
        GitCommit {
            sha: m.clone(),
            parents: vec![b.clone(), f2.clone()],
            author_name: "Ann Author".into(),
            author_email: "ann@agency.test".into(),
            authored_at_ms: (T0 + 400) * 1000,
            committer_name: "Carl Committer".into(),
            committer_email: "carl@agency.test".into(),
            committed_at_ms: (T0 + 460) * 1000,
            message: message.into(),
        }
    );
    let second = walk.next().await.expect("second").expect("a commit");
    assert_eq!(
        (second.sha.as_str(), second.parents.as_slice()),
        (f2.as_str(), [f1.clone()].as_slice())
    );
    assert_eq!(walk.next().await.expect("end"), None);
    assert_eq!(mirror.count(&new, &exclude).await.expect("count"), 2);

    // The whole history, newest first; a walk dropped half-way stops git quietly.
    let all = walk_all(&mirror, &[&m], &[]).await;
    assert_eq!(all.len(), 5);
    assert_eq!(all[0].sha, m);
    assert_eq!(all[4].sha, a);
    assert!(all[4].parents.is_empty());
    let mut partial = mirror.walk(&new, &[]).await.expect("walk");
    assert!(partial.next().await.expect("one").is_some());
    drop(partial);

    // Nothing to include is nothing, not HEAD.
    assert!(walk_all(&mirror, &[], &[&a]).await.is_empty());
    assert_eq!(mirror.count(&[], &[]).await.expect("count"), 0);
    // A head that is not there is an error; anything that is not a full sha is refused.
    let missing = mirror.walk(&owned(&[GONE]), &[]).await;
    assert!(matches!(missing, Err(GitError::Failed { op: "walk", .. })));
    for bad in ["--all", "HEAD", "main", "^deadbeef", ""] {
        let refused = mirror.walk(&owned(&[bad]), &[]).await;
        assert!(matches!(refused, Err(GitError::Invalid(_))), "{bad}");
        let refused = mirror.count(&owned(&[&m]), &owned(&[bad])).await;
        assert!(matches!(refused, Err(GitError::Invalid(_))), "{bad}");
    }
}

#[tokio::test]
async fn odd_commits_come_through() {
    let fx = Fixture::new();
    // No e-mail at all, and a Latin-1 message with no encoding header: lossy.
    let mut object = format!(
        "tree {}\nauthor Nobody <> {T0} +0000\ncommitter Nobody <> {T0} +0000\n\n",
        fx.empty_tree
    )
    .into_bytes();
    object.extend_from_slice(b"Caf\xe9 fixes #7\n\nodd bytes \x1e\x01 and\r\nlines\n\n\n");
    let plain = fx.raw_commit(&object);
    // Latin-1 declared in the header: git converts the names and the message.
    let mut object = format!("tree {}\nparent {plain}\n", fx.empty_tree).into_bytes();
    object.extend_from_slice(b"author Zo\xe9 <zoe@agency.test> 1700000000 +0000\n");
    object.extend_from_slice(b"committer Zo\xe9 <zoe@agency.test> 1700000000 +0000\n");
    object.extend_from_slice(b"encoding ISO-8859-1\n\nD\xe9j\xe0 vu PROJ-1\n");
    let declared = fx.raw_commit(&object);
    fx.branch("odd", Some(&declared));

    let mirror = Mirror::open(&fx.mirror_dir()).await.expect("mirror");
    mirror.fetch(&fx.url(), None, LONG).await.expect("fetch");
    let commits = walk_all(&mirror, &[&declared], &[]).await;
    assert_eq!(shas(&commits), [declared.as_str(), plain.as_str()]);
    assert_eq!(commits[0].message, "Déjà vu PROJ-1");
    assert_eq!(commits[0].author_name, "Zo\u{e9}");
    assert_eq!(commits[1].author_name, "Nobody");
    assert_eq!(commits[1].author_email, "");
    assert_eq!(commits[1].committer_email, "");
    assert_eq!(commits[1].authored_at_ms, T0 * 1000);
    assert_eq!(
        commits[1].message,
        "Caf\u{fffd} fixes #7\n\nodd bytes \x1e\x01 and\r\nlines"
    );
}

#[tokio::test]
async fn an_unreachable_remote_fails_clearly_and_keeps_what_was_fetched() {
    let fx = Fixture::new();
    let a = fx.commit(&[], "init", 0);
    fx.branch("main", Some(&a));
    let mirror = Mirror::open(&fx.mirror_dir()).await.expect("mirror");
    mirror.fetch(&fx.url(), None, LONG).await.expect("fetch");
    let before = mirror.branch_heads().await.expect("heads");

    let missing = fx.tmp.path().join("nowhere.git");
    let err = mirror
        .fetch(missing.to_str().expect("utf-8"), None, LONG)
        .await
        .expect_err("no such repository");
    assert!(
        matches!(err, GitError::Failed { op: "fetch", .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.starts_with("git fetch failed: "), "{text}");
    assert!(
        text.contains("does not appear to be a git repository"),
        "{text}"
    );

    // A loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let err = mirror
        .fetch(&format!("http://127.0.0.1:{port}/x.git"), None, LONG)
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(
        matches!(err, GitError::Failed { op: "fetch", .. }),
        "{err:?}"
    );
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");

    // ext:: would run a command; git refuses it because we only allow ordinary transports.
    let marker = fx.tmp.path().join("pwned");
    let ext = format!("ext::touch {}", marker.display());
    let err = mirror
        .fetch(&ext, None, LONG)
        .await
        .expect_err("ext refused");
    assert!(
        matches!(err, GitError::Failed { op: "fetch", .. }),
        "{err:?}"
    );
    assert!(!marker.exists());

    assert_eq!(mirror.branch_heads().await.expect("heads"), before);
}

/// A loopback "forge" that records each request's head and answers 401.
async fn recording_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("listener");
    let url = format!(
        "http://{}/agency/site.git",
        listener.local_addr().expect("addr")
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut chunk = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                match socket.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&chunk[..n]),
                }
            }
            log.lock()
                .expect("lock")
                .push(String::from_utf8_lossy(&head).into_owned());
            let answer = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\n\
                          Content-Length: 0\r\nConnection: close\r\n\r\n";
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (url, seen)
}

#[tokio::test]
async fn a_credential_travels_as_a_header_and_never_shows() {
    let fx = Fixture::new();
    let mirror = Mirror::open(&fx.mirror_dir()).await.expect("mirror");
    let credential = Credential {
        username: "robot".into(),
        secret: "s3cr3t-T0KEN-value".into(),
    };
    let token = "cm9ib3Q6czNjcjN0LVQwS0VOLXZhbHVl"; // base64("robot:s3cr3t-T0KEN-value")
    assert!(!format!("{credential:?}").contains(&credential.secret));

    let (url, seen) = recording_server().await;
    let started = Instant::now();
    let err = mirror
        .fetch(&url, Some(&credential), LONG)
        .await
        .expect_err("the server says 401");
    // git gives up rather than waiting for someone to type a password.
    assert!(started.elapsed() < Duration::from_secs(20));
    let text = err.to_string();
    assert!(
        matches!(err, GitError::Failed { op: "fetch", .. }),
        "{text}"
    );
    assert!(
        !text.contains(&credential.secret) && !text.contains(token),
        "{text}"
    );
    let requests = seen.lock().expect("lock").clone();
    let header = format!("authorization: basic {}", token.to_lowercase());
    assert!(
        requests.iter().any(|r| r.to_lowercase().contains(&header)),
        "{requests:?}"
    );

    // Refused before git runs, without repeating the URL.
    for (url, given) in [
        ("http://git.agency.test/site.git", Some(&credential)),
        ("git://git.agency.test/site.git", Some(&credential)),
        (
            "https://robot:s3cr3t-T0KEN-value@git.agency.test/site.git",
            None,
        ),
        ("https://s3cr3t-T0KEN-value@git.agency.test/site.git", None),
        ("--upload-pack=touch /tmp/pwned", None),
        ("https://git.agency.test/site.git\n", None),
    ] {
        let err = mirror.fetch(url, given, LONG).await.expect_err(url);
        assert!(matches!(err, GitError::Invalid(_)), "{url}: {err:?}");
        assert!(!err.to_string().contains(&credential.secret), "{err}");
    }
    let colon = Credential {
        username: "a:b".into(),
        secret: "x".into(),
    };
    let err = mirror
        .fetch("https://git.agency.test/x.git", Some(&colon), LONG)
        .await;
    assert!(matches!(err, Err(GitError::Invalid(_))));
}

#[tokio::test]
async fn a_timeout_stops_git() {
    let fx = Fixture::new();
    let mirror = Mirror::open(&fx.mirror_dir()).await.expect("mirror");
    // A server that accepts and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("listener");
    let url = format!("http://{}/x.git", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let started = Instant::now();
    let err = mirror
        .fetch(&url, None, Duration::from_millis(800))
        .await
        .expect_err("times out");
    assert!(
        matches!(err, GitError::Timeout { op: "fetch", .. }),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        err.to_string().starts_with("git fetch timed out after"),
        "{err}"
    );
}

#[test]
fn urls_are_checked_before_git_sees_them() {
    for ok in [
        "https://git.agency.test/a/b.git",
        "/srv/git/a.git",
        "file:///srv/git/a.git",
        "git@github.com:agency/site.git",
        "ssh://git@git.agency.test:2222/site.git",
    ] {
        assert!(check_url(ok, false).is_ok(), "{ok}");
    }
    for (url, ok) in [
        ("https://git.agency.test/a.git", true),
        ("http://127.0.0.1:8080/a.git", true),
        ("http://[::1]:8080/a.git", true),
        ("http://localhost/a.git", true),
        ("http://10.0.0.1/a.git", false),
        ("ssh://git@git.agency.test/a.git", false),
        ("/srv/git/a.git", false),
    ] {
        assert_eq!(check_url(url, true).is_ok(), ok, "{url}");
    }
    assert!(check_url("ssh://git:pw@host/a.git", false).is_err());
    assert!(check_url("", false).is_err());
}

#[test]
fn git_messages_are_scrubbed_and_bounded() {
    let status = StdCommand::new("false").status().expect("false runs");
    let stderr = b"remote: token s3cr3t here\n\nfatal: unable to access 'x': s3cr3t\n";
    let text = describe(stderr, status, &["s3cr3t".into()]);
    assert_eq!(
        text,
        "remote: token *** here; fatal: unable to access 'x': ***"
    );
    assert_eq!(describe(b"", status, &[]), "exit status: 1");
    let long = format!("{}\nfatal: the end", "я".repeat(5000));
    let text = describe(long.as_bytes(), status, &[]);
    assert!(
        text.starts_with('…') && text.ends_with("fatal: the end"),
        "{text}"
    );
    assert_eq!(text.chars().count(), 1001);
}

#[tokio::test]
async fn the_graph_lists_children_before_parents_whatever_the_clocks_said() {
    let fx = Fixture::new();
    let a = fx.commit(&[], "init", 1000);
    // Made on a machine whose clock was behind: older than its parent.
    let b = fx.commit(&[&a], "skewed", 0);
    let f = fx.commit(&[&a], "feature", 2000);
    let m = fx.commit(&[&b, &f], "merge", 3000);
    fx.branch("main", Some(&m));
    let mirror = Mirror::open(&fx.mirror_dir()).await.expect("mirror");
    mirror.fetch(&fx.url(), None, LONG).await.expect("fetch");

    let mut graph = mirror.graph(&owned(&[&m])).await.expect("graph");
    let mut seen = Vec::new();
    while let Some((sha, parents)) = graph.next().await.expect("graph goes on") {
        for parent in &parents {
            assert!(!seen.contains(parent), "{parent} came before its child");
        }
        seen.push(sha);
    }
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0], m);
    assert_eq!(seen[3], a);
    assert!(
        mirror
            .graph(&[])
            .await
            .expect("empty")
            .next()
            .await
            .expect("end")
            .is_none()
    );

    assert_eq!(
        mirror.present(&owned(&[&a, GONE])).await.expect("present"),
        owned(&[&a])
    );
}
