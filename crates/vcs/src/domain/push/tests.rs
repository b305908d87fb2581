//! The real payloads under `../shared/samples/` and hand-made bad ones, checked for what a
//! user would see: which commits, whose, on which branch.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use shtab_core::people::Forge;

use super::*;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        );
    }
    map
}

fn sample_headers(file: &str) -> Option<HeaderMap> {
    let raw = shtab_core::samples::read(file)?;
    let map: BTreeMap<String, String> = serde_json::from_slice(&raw).expect("headers sample");
    let pairs: Vec<(&str, &str)> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Some(headers(&pairs))
}

fn github(event: &str, file: &str) -> Option<Hook> {
    let body = shtab_core::samples::read(file)?;
    Some(parse(Forge::Github, &headers(&[("X-GitHub-Event", event)]), &body).expect(file))
}

fn as_push(hook: Hook) -> Push {
    match hook {
        Hook::Push(p) => p,
        other => panic!("expected a push, got {other:?}"),
    }
}

fn ms(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("test time")
        .timestamp_millis()
}

#[test]
fn github_branch_push_with_a_merge() {
    let Some(hook) = github("push", "github/push-branch-2-commits-pr-merge.json") else {
        return;
    };
    let p = as_push(hook);
    assert_eq!(p.git_ref, "refs/heads/main");
    assert_eq!(p.branch.as_deref(), Some("main"));
    assert!(!p.is_tag && !p.created && !p.deleted && !p.forced);
    assert_eq!(p.before, "711d8e2572c4b097586626a28bf0babc7a86f0ba");
    assert_eq!(p.after, "ef75c7db8a921a8c0adaabe2e309f2f9d7ce5bd4");
    assert_eq!(p.total_commits, None);
    assert!(!p.is_truncated());
    assert_eq!(
        p.repository.forge_key().as_deref(),
        Some("github.com/openshift-pipelines/pipelines-as-code")
    );
    assert_eq!(
        p.repository.full_name.as_deref(),
        Some("openshift-pipelines/pipelines-as-code")
    );
    assert_eq!(p.repository.clone_urls.len(), 3);

    let [first, merge] = p.commits.as_slice() else {
        panic!("two commits expected, got {}", p.commits.len());
    };
    assert_eq!(first.sha, "ba677db1c9680f674213e76eed1dc3696d7f59a6");
    assert!(
        first
            .message
            .starts_with("Seem like you don't need the @latest")
    );
    assert_eq!(first.timestamp_ms, ms("2021-06-02T13:40:02Z"));
    assert_eq!(first.author.email.as_deref(), Some("chmouel@redhat.com"));
    assert_eq!(first.author.username.as_deref(), Some("chmouel"));
    assert!(first.distinct);
    assert_eq!(
        first.url.as_deref(),
        Some(
            "https://github.com/openshift-pipelines/pipelines-as-code/commit/ba677db1c9680f674213e76eed1dc3696d7f59a6"
        )
    );

    assert_eq!(merge.sha, "ef75c7db8a921a8c0adaabe2e309f2f9d7ce5bd4");
    assert!(merge.message.starts_with("Merge pull request #108"));
    assert_eq!(merge.author.email.as_deref(), Some("cboudjna@redhat.com"));
    let committer = merge.committer.as_ref().expect("committer");
    assert_eq!(committer.name, "GitHub");
    assert_eq!(committer.email.as_deref(), Some("noreply@github.com"));
    assert_eq!(committer.username.as_deref(), Some("web-flow"));
}

#[test]
fn github_tag_push_of_a_commit_already_pushed() {
    let Some(hook) = github("push", "github/push-tag-commit-not-distinct.json") else {
        return;
    };
    let p = as_push(hook);
    assert!(p.is_tag);
    assert_eq!(p.branch, None);
    assert_eq!(p.git_ref, "refs/tags/0.2");
    assert_eq!(p.commits.len(), 1);
    assert!(!p.commits[0].distinct);
    assert_eq!(p.commits[0].sha, "02740beb3614221ed2eabbebec5f9a013c51e587");
}

#[test]
fn github_new_branch_with_a_noreply_author_and_no_committer_login() {
    let Some(hook) = github(
        "push",
        "github/push-new-branch-committer-without-username.json",
    ) else {
        return;
    };
    let p = as_push(hook);
    assert!(p.created && !p.deleted);
    assert_eq!(p.before, "0".repeat(40));
    assert_eq!(p.branch.as_deref(), Some("master"));
    let c = &p.commits[0];
    assert_eq!(c.message, "Initial commit");
    assert_eq!(c.timestamp_ms, ms("2019-05-15T15:19:25Z"));
    assert_eq!(
        c.author.email.as_deref(),
        Some("21031067+codertocat@users.noreply.github.com")
    );
    assert_eq!(c.author.username.as_deref(), Some("Codertocat"));
    let committer = c.committer.as_ref().expect("committer");
    assert_eq!(committer.username, None);
    assert_eq!(committer.name, "Codertocat");
    assert_eq!(
        p.repository.forge_key().as_deref(),
        Some("github.com/codertocat/hello-world")
    );
}

#[test]
fn github_deleted_tag_has_no_commits() {
    let Some(hook) = github("push", "github/push-tag-deleted-no-commits.json") else {
        return;
    };
    let p = as_push(hook);
    assert!(p.deleted && p.is_tag && !p.created);
    assert_eq!(p.after, "0".repeat(40));
    assert!(p.commits.is_empty());
}

#[test]
fn github_ping_and_other_events() {
    let Some(hook) = github("ping", "github/ping.json") else {
        return;
    };
    let Hook::Ping {
        repository: Some(repo),
    } = hook
    else {
        panic!("expected a ping with its repository, got {hook:?}");
    };
    assert_eq!(
        repo.web_url.as_deref(),
        Some("https://github.com/Octocoders/Hello-World")
    );
    assert_eq!(
        repo.forge_key().as_deref(),
        Some("github.com/octocoders/hello-world")
    );

    let hook = parse(
        Forge::Github,
        &headers(&[("X-GitHub-Event", "issues")]),
        b"not even json",
    );
    assert_eq!(
        hook,
        Ok(Hook::Ignored {
            event: "issues".into(),
            reason: "only push and ping events are used"
        })
    );
}

#[test]
fn gitlab_docs_push_has_two_of_four_commits() {
    let Some(body) = shtab_core::samples::read("gitlab/push-hook.docs-example.json") else {
        return;
    };
    let h = headers(&[("X-Gitlab-Event", "Push Hook")]);
    let p = as_push(parse(Forge::Gitlab, &h, &body).expect("docs example"));
    assert_eq!(p.branch.as_deref(), Some("master"));
    assert_eq!(p.total_commits, Some(4));
    assert!(p.is_truncated());
    assert!(!p.created && !p.deleted && !p.forced);
    assert_eq!(
        p.repository.web_url.as_deref(),
        Some("http://example.com/mike/diaspora")
    );
    assert_eq!(p.repository.full_name.as_deref(), Some("mike/diaspora"));
    assert_eq!(
        p.repository.forge_key().as_deref(),
        Some("example.com/mike/diaspora")
    );
    assert_eq!(p.commits.len(), 2);
    let (a, b) = (&p.commits[0], &p.commits[1]);
    assert_eq!(a.sha, "b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327");
    assert_eq!(a.author.name, "Jordi Mallach");
    assert_eq!(a.author.email.as_deref(), Some("jordi@softcatala.org"));
    assert_eq!(a.timestamp_ms, ms("2011-12-12T12:27:31Z"));
    assert!(
        a.message
            .contains("\n\nSee https://gitlab.com/gitlab-org/gitlab")
    );
    assert_eq!(a.committer, None);
    assert!(a.distinct);
    // Not deliverable, but what git recorded: kept so it can be mapped as an alias.
    assert_eq!(b.author.email.as_deref(), Some("gitlabdev@dv6700.(none)"));
    assert_eq!(b.author.username, None);
}

#[test]
fn gitlab_tag_push_is_ignored_by_header_or_by_kind() {
    let Some(body) = shtab_core::samples::read("gitlab/tag-push-hook.docs-example.json") else {
        return;
    };
    let want = Hook::Ignored {
        event: "Tag Push Hook".into(),
        reason: "tag pushes carry no new commits to link",
    };
    let h = headers(&[("X-Gitlab-Event", "Tag Push Hook")]);
    assert_eq!(parse(Forge::Gitlab, &h, &body), Ok(want));
    let by_kind = parse(Forge::Gitlab, &HeaderMap::new(), &body).expect("tag push");
    assert!(matches!(by_kind, Hook::Ignored { ref event, .. } if event == "tag_push"));
    let system = headers(&[("X-Gitlab-Event", "System Hook")]);
    assert!(matches!(
        parse(Forge::Gitlab, &system, &body),
        Ok(Hook::Ignored { .. })
    ));
}

#[test]
fn gitlab_com_new_branch_with_real_headers() {
    let (Some(body), Some(h)) = (
        shtab_core::samples::read("gitlab/push-hook.gitlab-com-2025.json"),
        sample_headers("gitlab/push-hook.gitlab-com-2025.headers.json"),
    ) else {
        return;
    };
    let p = as_push(parse(Forge::Gitlab, &h, &body).expect("gitlab.com push"));
    assert!(p.created);
    assert_eq!(p.branch.as_deref(), Some("test-branch"));
    assert_eq!(p.total_commits, Some(1));
    assert!(!p.is_truncated());
    assert_eq!(
        p.repository.forge_key().as_deref(),
        Some("gitlab.com/sdglitched/w2fm-test")
    );
    let c = &p.commits[0];
    assert_eq!(c.sha, "7aa00b22e26de3efc8270aebc9ee51c40107d4ff");
    assert_eq!(c.timestamp_ms, ms("2025-05-16T15:54:13Z"));
    assert_eq!(c.author.email.as_deref(), Some("testaddr@testaddr.test"));
    assert_eq!(
        c.url.as_deref(),
        Some(
            "https://gitlab.com/sdglitched/w2fm-test/-/commit/7aa00b22e26de3efc8270aebc9ee51c40107d4ff"
        )
    );
    // The same body without the header is still understood from object_kind.
    let again = parse(Forge::Gitlab, &HeaderMap::new(), &body).expect("by object_kind");
    assert_eq!(again, Hook::Push(p));
}

#[test]
fn gitea_first_push() {
    let Some(body) = shtab_core::samples::read("gitlab/gitea-push.json") else {
        return;
    };
    let h = headers(&[("X-Gitea-Event", "push")]);
    let p = as_push(parse(Forge::Gitea, &h, &body).expect("gitea push"));
    assert!(p.created && !p.deleted);
    assert_eq!(p.branch.as_deref(), Some("master"));
    assert_eq!(p.total_commits, None);
    assert_eq!(
        p.repository.forge_key().as_deref(),
        Some("localhost/example/example")
    );
    let c = &p.commits[0];
    assert_eq!(c.sha, "67b56589a45103f891bdee7c0546e5d40bc02001");
    assert_eq!(c.message, "example\n");
    assert_eq!(c.timestamp_ms, ms("2022-03-09T07:23:39Z"));
    // Gitea sends an empty username when the address matches no account.
    assert_eq!(c.author.username, None);
    assert_eq!(c.author.email.as_deref(), Some("example@example.com"));
    assert!(c.committer.is_some());
}

#[test]
fn forgejo_push_with_real_headers() {
    let (Some(body), Some(h)) = (
        shtab_core::samples::read("gitlab/forgejo-push.codeberg-2025.json"),
        sample_headers("gitlab/forgejo-push.codeberg-2025.headers.json"),
    ) else {
        return;
    };
    let p = as_push(parse(Forge::Gitea, &h, &body).expect("forgejo push"));
    assert!(!p.created && !p.deleted);
    assert_eq!(p.branch.as_deref(), Some("pull"));
    assert_eq!(p.total_commits, Some(1));
    assert_eq!(
        p.repository.forge_key().as_deref(),
        Some("codeberg.org/fedora/w2fm-test")
    );
    let c = &p.commits[0];
    assert_eq!(c.sha, "1c5ccba31592d36a7b999434768c7498edfec822");
    assert_eq!(c.author.username.as_deref(), Some("gridhead"));
    assert!(c.message.contains("Signed-off-by"));
}

#[test]
fn missing_event_headers() {
    for (forge, name) in [
        (Forge::Github, "X-GitHub-Event"),
        (Forge::Gitea, "X-Gitea-Event"),
    ] {
        let err = parse(forge, &HeaderMap::new(), b"{}").expect_err(name);
        assert!(
            matches!(&err, PayloadError::Invalid { field, .. } if field == name),
            "{err:?}"
        );
    }
    let err = parse(Forge::Gitlab, &HeaderMap::new(), b"{}").expect_err("no kind");
    assert!(err.to_string().starts_with("X-Gitlab-Event: "), "{err}");
    let mut h = HeaderMap::new();
    h.insert(
        "x-github-event",
        HeaderValue::from_bytes(b"pu\xffsh").expect("obs-text"),
    );
    assert!(matches!(
        parse(Forge::Github, &h, b"{}"),
        Err(PayloadError::Invalid { .. })
    ));
    let odd = headers(&[("X-Gitea-Event", "pull_request\tx")]);
    assert!(matches!(
        parse(Forge::Gitea, &odd, b"{}"),
        Ok(Hook::Ignored { .. })
    ));
}

const GOOD_SHA: &str = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";

/// A minimal GitHub push with `commit` as its only commit.
fn github_push_with(commit: &str) -> String {
    format!(
        r#"{{"ref":"refs/heads/main","before":"{z}","after":"{GOOD_SHA}",
            "repository":{{"html_url":"https://github.com/a/b"}},"commits":[{commit}]}}"#,
        z = "0".repeat(40)
    )
}

fn github_push(body: &str) -> Result<Hook, PayloadError> {
    parse(
        Forge::Github,
        &headers(&[("X-GitHub-Event", "push")]),
        body.as_bytes(),
    )
}

#[test]
fn malformed_json_says_where() {
    for body in ["", "{", "[1,2", "{\"ref\": }", "nul"] {
        let err = github_push(body).expect_err(body);
        let PayloadError::Json(msg) = &err else {
            panic!("{body:?}: expected a JSON error, got {err:?}");
        };
        assert!(msg.contains("line 1 column"), "{body:?}: {msg}");
    }
    // Not UTF-8 inside a string.
    let mut bytes = github_push_with("").into_bytes();
    let at = bytes.iter().position(|&b| b == b'm').expect("an m in main");
    bytes[at] = 0xff;
    let err = parse(
        Forge::Github,
        &headers(&[("X-GitHub-Event", "push")]),
        &bytes,
    );
    assert!(matches!(err, Err(PayloadError::Json(_))), "{err:?}");
}

#[test]
fn wrong_types_are_json_errors() {
    for body in [
        r#"{"ref": 5}"#.to_string(),
        r#"{"commits": {}}"#.to_string(),
        r#"[]"#.to_string(),
        r#""push""#.to_string(),
        github_push_with(r#"{"id": 123}"#),
        github_push_with(r#"{"distinct": "yes"}"#),
    ] {
        let err = github_push(&body).expect_err(&body);
        assert!(
            matches!(&err, PayloadError::Json(m) if m.contains("invalid") && m.contains("column")),
            "{body}: {err:?}"
        );
    }
    let err = parse(
        Forge::Gitlab,
        &headers(&[("X-Gitlab-Event", "Push Hook")]),
        br#"{"total_commits_count": -1}"#,
    )
    .expect_err("negative count");
    assert!(matches!(err, PayloadError::Json(_)), "{err:?}");
}

#[test]
fn missing_and_bad_fields_are_named_by_path() {
    let commit = |id: &str, ts: &str| {
        format!(r#"{{"id":"{id}","timestamp":"{ts}","message":"m","author":{{"name":"A"}}}}"#)
    };
    let good = commit(GOOD_SHA, "2024-03-01T12:34:56+03:00");
    let cases = [
        (r#"{"commits":[]}"#.to_string(), "repository", "is missing"),
        (
            r#"{"repository":{},"before":"x","after":"y"}"#.to_string(),
            "ref",
            "is missing",
        ),
        (
            github_push_with(&good).replace("refs/heads/main", ""),
            "ref",
            "is not a git ref",
        ),
        (
            github_push_with(&good).replace(&format!(r#""after":"{GOOD_SHA}","#), ""),
            "after",
            "is missing",
        ),
    ];
    for (body, field, message) in &cases {
        let err = github_push(body).expect_err(body);
        let PayloadError::Invalid {
            field: f,
            message: m,
        } = &err
        else {
            panic!("{body}: expected Invalid, got {err:?}");
        };
        assert_eq!(f, field, "{body}");
        assert!(m.contains(message), "{body}: {m}");
    }

    let four_with_bad_last = |bad: &str| {
        let mut list = vec![good.clone(); 3];
        list.push(bad.to_string());
        github_push_with(&list.join(","))
    };
    let bad_cases = [
        (commit("zz", "2024-03-01T12:34:56Z"), "commits[3].id"),
        (
            commit(&"a".repeat(39), "2024-03-01T12:34:56Z"),
            "commits[3].id",
        ),
        (
            r#"{"timestamp":"2024-03-01T12:34:56Z","author":{}}"#.to_string(),
            "commits[3].id",
        ),
        (commit(GOOD_SHA, "yesterday"), "commits[3].timestamp"),
        (
            commit(GOOD_SHA, "2024-03-01T12:34:56"),
            "commits[3].timestamp",
        ),
        (
            format!(r#"{{"id":"{GOOD_SHA}","author":{{}}}}"#),
            "commits[3].timestamp",
        ),
        (
            format!(r#"{{"id":"{GOOD_SHA}","timestamp":"2024-03-01T12:34:56Z"}}"#),
            "commits[3].author",
        ),
    ];
    for (bad, field) in bad_cases {
        let body = four_with_bad_last(&bad);
        let err = github_push(&body).expect_err(&bad);
        assert!(
            err.to_string().starts_with(&format!("{field}: ")),
            "{bad}: {err}"
        );
    }
}

#[test]
fn lenient_where_nothing_is_lost() {
    // No message, name, e-mail, URL or flags: still a commit, with what is known.
    let commit = format!(
        r#"{{"id":"{}","timestamp":"2024-03-01T12:34:56.789+03:00","author":{{"email":"[REDACTED]","username":""}},
            "url":"javascript:alert(1)","message":"a\u0000b — задача #12 🚀"}}"#,
        GOOD_SHA.to_ascii_uppercase()
    );
    let p = as_push(github_push(&github_push_with(&commit)).expect("lenient push"));
    let c = &p.commits[0];
    assert_eq!(c.sha, GOOD_SHA);
    assert_eq!(c.timestamp_ms, ms("2024-03-01T09:34:56.789Z"));
    assert_eq!(c.url, None);
    assert_eq!(c.author.email, None);
    assert_eq!(c.author.username, None);
    assert_eq!(c.author.name, "");
    assert_eq!(c.message, "a\u{FFFD}b — задача #12 🚀");
    assert!(c.distinct);
    assert!(p.created);
}

#[test]
fn five_thousand_commits_parse_quickly() {
    let mut commits = String::new();
    for i in 0..5000u32 {
        if i > 0 {
            commits.push(',');
        }
        write!(
            commits,
            r#"{{"id":"{i:040x}","tree_id":"{i:040x}","distinct":true,"message":"PROJ-{i} change number {i}\n\nwith a body","timestamp":"2024-03-01T12:34:56+03:00","url":"https://github.com/a/b/commit/{i:040x}","author":{{"name":"Ann Dev","email":"Ann{i}@Acme.test","username":"anndev"}},"committer":{{"name":"Ann Dev","email":"ann@acme.test","username":"anndev"}},"added":[],"removed":[],"modified":["src/main.rs","README.md"]}}"#
        )
        .expect("write to a string");
    }
    let body = github_push_with(&commits);
    let started = Instant::now();
    let p = as_push(github_push(&body).expect("big push"));
    let took = started.elapsed();
    assert_eq!(p.commits.len(), 5000);
    assert_eq!(p.commits[4999].sha, format!("{:040x}", 4999));
    assert_eq!(
        p.commits[17].author.email.as_deref(),
        Some("ann17@acme.test")
    );
    // A guard against accidental quadratic work, loose enough for a debug build on a busy
    // machine (it takes a few tens of milliseconds).
    assert!(
        took < Duration::from_secs(5),
        "{} bytes took {took:?}",
        body.len()
    );
}
