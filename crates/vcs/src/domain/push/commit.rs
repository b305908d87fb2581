//! The part of a push every forge shapes alike: ref, before/after and the commit list
//! (`id`, `message`, `timestamp`, `url`, `author`/`committer {name, email, username}`).
//! Each forge's module reads its own top level into [`RawPush`]; this checks it.

use serde::Deserialize;

use super::{Identity, PayloadError, Push, PushCommit, RepoIdent};
use crate::domain::author::normalize_email;

/// Git refs have no formal length limit, but one this long is not a ref anybody pushed.
const MAX_REF_LEN: usize = 1024;

#[derive(Debug, Deserialize)]
pub(super) struct RawCommit {
    id: Option<String>,
    message: Option<String>,
    timestamp: Option<String>,
    url: Option<String>,
    author: Option<RawIdentity>,
    committer: Option<RawIdentity>,
    distinct: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawIdentity {
    name: Option<String>,
    email: Option<String>,
    username: Option<String>,
}

/// A push as read from any forge, before checking. Fields are optional so that a missing
/// one is reported by its path, which serde's "missing field" message would not give.
#[derive(Debug, Default)]
pub(super) struct RawPush {
    pub git_ref: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub created: Option<bool>,
    pub deleted: Option<bool>,
    pub forced: Option<bool>,
    pub commits: Option<Vec<RawCommit>>,
    pub total_commits: Option<u64>,
}

impl RawPush {
    pub(super) fn check(self, repository: RepoIdent) -> Result<Push, PayloadError> {
        let git_ref = self
            .git_ref
            .ok_or_else(|| PayloadError::invalid("ref", "is missing"))?;
        if git_ref.is_empty()
            || git_ref.len() > MAX_REF_LEN
            || git_ref.chars().any(|c| c.is_control() || c == ' ')
        {
            return Err(PayloadError::invalid(
                "ref",
                format!("{} is not a git ref", shown(&git_ref)),
            ));
        }
        let before = object_id("before", self.before)?;
        let after = object_id("after", self.after)?;
        let branch = git_ref
            .strip_prefix("refs/heads/")
            .filter(|b| !b.is_empty())
            .map(str::to_string);
        let is_tag = git_ref.starts_with("refs/tags/");
        let commits = self
            .commits
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, c)| c.check(i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Push {
            repository,
            branch,
            is_tag,
            created: self.created.unwrap_or_else(|| is_zero(&before)),
            deleted: self.deleted.unwrap_or_else(|| is_zero(&after)),
            forced: self.forced.unwrap_or(false),
            git_ref,
            before,
            after,
            commits,
            total_commits: self.total_commits,
        })
    }
}

impl RawCommit {
    fn check(self, index: usize) -> Result<PushCommit, PayloadError> {
        let path = |field: &str| format!("commits[{index}].{field}");
        let sha = object_id(&path("id"), self.id)?;
        let raw_time = self
            .timestamp
            .ok_or_else(|| PayloadError::invalid(path("timestamp"), "is missing"))?;
        let timestamp_ms = chrono::DateTime::parse_from_rfc3339(raw_time.trim())
            .map_err(|e| {
                PayloadError::invalid(
                    path("timestamp"),
                    format!(
                        "{} is not an ISO 8601 date and time with an offset ({e})",
                        shown(&raw_time)
                    ),
                )
            })?
            .timestamp_millis();
        let author = self
            .author
            .ok_or_else(|| PayloadError::invalid(path("author"), "is missing"))?
            .check();
        Ok(PushCommit {
            sha,
            message: storable(self.message.unwrap_or_default()),
            timestamp_ms,
            url: self.url.and_then(web_link),
            author,
            committer: self.committer.map(RawIdentity::check),
            distinct: self.distinct.unwrap_or(true),
        })
    }
}

impl RawIdentity {
    fn check(self) -> Identity {
        Identity {
            name: storable(self.name.unwrap_or_default().trim().to_string()),
            email: self.email.as_deref().and_then(normalize_email),
            username: self
                .username
                .map(|u| storable(u.trim().to_string()))
                .filter(|u| !u.is_empty()),
        }
    }
}

/// A commit id as git writes it: 40 hex digits (SHA-1) or 64 (SHA-256), lower-cased.
fn object_id(field: &str, raw: Option<String>) -> Result<String, PayloadError> {
    let raw = raw.ok_or_else(|| PayloadError::invalid(field, "is missing"))?;
    let ok = matches!(raw.len(), 40 | 64) && raw.bytes().all(|b| b.is_ascii_hexdigit());
    if !ok {
        return Err(PayloadError::invalid(
            field,
            format!(
                "{} is not a commit id (40 or 64 hexadecimal digits)",
                shown(&raw)
            ),
        ));
    }
    Ok(raw.to_ascii_lowercase())
}

/// Git's "no object": the `before` of a created ref, the `after` of a deleted one.
pub(super) fn is_zero(id: &str) -> bool {
    id.bytes().all(|b| b == b'0')
}

/// Only `http(s)` links survive: this text ends up in an `href`, and a forge-supplied
/// `javascript:` URL must not.
pub(super) fn web_link(url: String) -> Option<String> {
    let url = url.trim();
    let scheme_ok = ["https://", "http://"].iter().any(|s| {
        url.get(..s.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(s))
    });
    let clean = !url.chars().any(|c| c.is_control() || c.is_whitespace());
    (scheme_ok && clean && url.len() > "http://".len()).then(|| url.to_string())
}

/// PostgreSQL's text type cannot hold NUL, which JSON's `\u0000` can; replace it rather than
/// fail the whole delivery on the database write.
fn storable(s: String) -> String {
    if s.contains('\0') {
        s.replace('\0', "\u{FFFD}")
    } else {
        s
    }
}

/// An untrusted value quoted in an error message: escaped and cut short, so the message
/// stays one readable line whatever was sent.
pub(super) fn shown(value: &str) -> String {
    const MAX: usize = 60;
    let mut cut: String = value.chars().take(MAX).collect();
    if cut.len() < value.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids() {
        let sha1 = "6113728F27AE82C7B1A177C8D03F9E96E0ADF246";
        assert_eq!(
            object_id("after", Some(sha1.into())).as_deref(),
            Ok("6113728f27ae82c7b1a177c8d03f9e96e0adf246")
        );
        let sha256 = "a".repeat(64);
        assert_eq!(object_id("x", Some(sha256.clone())), Ok(sha256));
        for bad in [
            "",
            "abc",
            &"g".repeat(40),
            &"a".repeat(41),
            "é".repeat(20).as_str(),
        ] {
            let err = object_id("commits[3].id", Some(bad.to_string())).expect_err(bad);
            assert!(err.to_string().starts_with("commits[3].id: "), "{err}");
        }
        assert_eq!(
            object_id("before", None),
            Err(PayloadError::invalid("before", "is missing"))
        );
    }

    #[test]
    fn web_links_are_http_only() {
        assert_eq!(
            web_link(" https://github.com/a/b/commit/1 ".into()).as_deref(),
            Some("https://github.com/a/b/commit/1")
        );
        assert!(web_link("HTTP://example.com/x".into()).is_some());
        for bad in [
            "javascript:alert(1)",
            "",
            "http://",
            "ftp://x/y",
            "https://a b",
            "//x/y",
        ] {
            assert_eq!(web_link(bad.into()), None, "{bad}");
        }
    }

    #[test]
    fn shown_values_are_bounded_and_escaped() {
        assert_eq!(shown("a\nb"), "\"a\\nb\"");
        let long = shown(&"я".repeat(500));
        assert!(long.chars().count() < 70, "{long}");
    }

    #[test]
    fn nul_is_replaced() {
        assert_eq!(storable("a\0b".into()), "a\u{FFFD}b");
    }
}
