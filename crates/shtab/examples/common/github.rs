//! Signed GitHub push webhooks for the benches, as GitHub sends them to `/hooks/github`.

// Included by several benches, each of which uses the part it needs.
#![allow(dead_code)]

/// Commits in each push.
pub const COMMITS_PER_PUSH: usize = 20;

/// GitHub's push number `p` to `acme/app`: 20 commits, each naming one of the tasks 1‥`tasks`
/// (`#N`), all different across pushes, so every push adds 20 links.
pub fn push_body(p: usize, tasks: i64) -> Vec<u8> {
    let commits: Vec<serde_json::Value> = (0..COMMITS_PER_PUSH)
        .map(|c| {
            let n = p * COMMITS_PER_PUSH + c;
            serde_json::json!({
                "id": format!("{n:040x}"), "distinct": true,
                "message": format!("Change {n} for #{}\n\nDetails of the change.", n as i64 % tasks + 1),
                "timestamp": "2026-11-20T10:00:00+03:00",
                "url": format!("https://github.com/acme/app/commit/{n:040x}"),
                "author": {"name": "Ann", "email": format!("dev{}@agency.test", n % 30), "username": "ann"},
                "committer": {"name": "Ann", "email": "ann@agency.test"},
                "added": [], "removed": [], "modified": ["src/main.rs"]
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "ref": "refs/heads/main", "before": "a".repeat(40), "after": "b".repeat(40),
        "created": false, "deleted": false, "forced": false,
        "repository": {"html_url": "https://github.com/acme/app", "full_name": "acme/app"},
        "commits": commits
    }))
    .expect("a JSON body")
}
