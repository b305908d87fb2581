//! Which repository a delivery is about. Forges name it by URLs that differ in scheme,
//! user, port, case and a trailing `.git`; the forge key strips all that so a hook finds the
//! repository someone configured by pasting any one of them.

use serde::{Deserialize, Serialize};

use super::commit::web_link;

/// How a payload names its repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoIdent {
    /// The repository's page (`http(s)` only).
    pub web_url: Option<String>,
    /// `owner/repo` (GitLab: `group/subgroup/repo`).
    pub full_name: Option<String>,
    /// Every clone URL the forge gave (https, ssh, git), in that order.
    pub clone_urls: Vec<String>,
}

impl RepoIdent {
    /// `host/owner/repo`, lower-case, without scheme, user, port, trailing `.git` or `/`:
    /// how a hook finds its repository in Shtab. From the web URL, else the first clone URL
    /// that has one.
    pub fn forge_key(&self) -> Option<String> {
        self.web_url
            .iter()
            .chain(&self.clone_urls)
            .find_map(|url| forge_key_of_url(url))
    }

    /// Builds from the forge's strings, dropping empty ones and duplicates.
    pub(super) fn from_parts(
        web_url: Option<String>,
        full_name: Option<String>,
        clone_urls: impl IntoIterator<Item = Option<String>>,
    ) -> RepoIdent {
        let mut urls: Vec<String> = Vec::new();
        for url in clone_urls.into_iter().flatten() {
            let url = url.trim();
            if !url.is_empty()
                && !url.chars().any(char::is_control)
                && !urls.iter().any(|u| u == url)
            {
                urls.push(url.to_string());
            }
        }
        RepoIdent {
            web_url: web_url.and_then(web_link),
            full_name: full_name
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty() && !n.chars().any(char::is_control)),
            clone_urls: urls,
        }
    }
}

/// Schemes a repository is fetched or shown by. `file://` and local paths have no host and
/// so no key.
const SCHEMES: [&str; 6] = ["https", "http", "ssh", "git", "git+ssh", "ssh+git"];

/// The forge key (see [`RepoIdent::forge_key`]) of a web or clone URL: `https://…`,
/// `http://…`, `ssh://git@host:22/x/y.git`, `git://…` or scp-like `git@host:x/y.git`.
/// The port is dropped because the web and SSH addresses of one repository differ in it.
/// GitLab's `/-/` marks where a page path begins inside a project URL; it and what follows
/// are dropped, so a pasted `…/group/app/-/tree/main` still finds `group/app`.
pub fn forge_key_of_url(url: &str) -> Option<String> {
    let s = url.trim();
    if s.is_empty()
        || s.len() > 2048
        || s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
    {
        return None;
    }
    let (authority, path) = match s.split_once("://") {
        Some((scheme, rest)) => {
            if !SCHEMES.iter().any(|k| k.eq_ignore_ascii_case(scheme)) {
                return None;
            }
            rest.split_at(rest.find('/').unwrap_or(rest.len()))
        }
        None => {
            // scp-like `[user@]host:path`; a `/` before the colon means it is a path.
            let (authority, path) = s.split_once(':')?;
            if authority.contains('/') {
                return None;
            }
            (authority, path)
        }
    };
    let host = host_of(authority)?;

    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if segment == "-" {
            break;
        }
        if segment == "." || segment == ".." || !segment.chars().all(path_char) {
            return None;
        }
        segments.push(segment);
    }
    let mut key = host;
    for segment in &segments {
        key.push('/');
        key.push_str(&segment.to_lowercase());
    }
    let key = key.strip_suffix(".git").map(str::to_string).unwrap_or(key);
    // Nothing left of the last segment (`host/x/.git`), or no path at all.
    if segments.is_empty() || key.ends_with('/') {
        return None;
    }
    Some(key)
}

/// The host of `[user[:password]@]host[:port]`, lower-cased; `None` if it is not a host name
/// or an IP address.
fn host_of(authority: &str) -> Option<String> {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host_port.strip_prefix('[') {
        let (addr, after) = v6.split_once(']')?;
        let addr_ok = !addr.is_empty()
            && addr
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
        return (addr_ok && port_ok(after)).then(|| format!("[{}]", addr.to_ascii_lowercase()));
    }
    let (host, port) = match host_port.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (host_port, None),
    };
    if port.is_some_and(|p| !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let host = host.trim_end_matches('.');
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_');
    ok.then(|| host.to_ascii_lowercase())
}

/// What repository paths on forges and git servers are made of (letters of any script are
/// allowed by some servers; `%` keeps percent-encoded URLs usable).
fn path_char(c: char) -> bool {
    c.is_alphanumeric() || "-_.~%+@".contains(c)
}

/// Empty, or `:` followed by digits.
fn port_ok(rest: &str) -> bool {
    rest.is_empty()
        || rest
            .strip_prefix(':')
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_one_repository_share_a_key() {
        let same = [
            "https://github.com/Codertocat/Hello-World",
            "https://github.com/Codertocat/Hello-World/",
            "https://github.com/Codertocat/Hello-World.git",
            "HTTPS://GitHub.com/codertocat/hello-world.git/",
            "http://github.com:443/Codertocat/Hello-World",
            "https://user:token@github.com/Codertocat/Hello-World.git",
            "ssh://git@github.com:22/Codertocat/Hello-World.git",
            "ssh://git@github.com/Codertocat/Hello-World.git",
            "git+ssh://git@github.com/Codertocat/Hello-World.git",
            "git://github.com/Codertocat/Hello-World.git",
            "git@github.com:Codertocat/Hello-World.git",
            "git@github.com:/Codertocat/Hello-World.git",
            "github.com:Codertocat/Hello-World",
            "https://github.com/Codertocat/Hello-World?tab=readme#top",
            "  https://github.com/Codertocat//Hello-World  ",
        ];
        for url in same {
            assert_eq!(
                forge_key_of_url(url).as_deref(),
                Some("github.com/codertocat/hello-world"),
                "{url}"
            );
        }
    }

    #[test]
    fn gitlab_subgroups_and_page_paths() {
        assert_eq!(
            forge_key_of_url("https://gitlab.acme.test/Group/Sub/App/-/tree/main").as_deref(),
            Some("gitlab.acme.test/group/sub/app")
        );
        assert_eq!(
            forge_key_of_url("ssh://git@[2001:DB8::1]:2222/x/y.git").as_deref(),
            Some("[2001:db8::1]/x/y")
        );
        assert_eq!(
            forge_key_of_url("http://localhost:3000/example/example.git").as_deref(),
            Some("localhost/example/example")
        );
    }

    #[test]
    fn not_repository_urls() {
        for url in [
            "",
            "   ",
            "file:///srv/git/app.git",
            "/srv/git/app.git",
            "./app",
            "https://github.com",
            "https://github.com/",
            "https://github.com/.git",
            "https://github.com/x/.git",
            "https://github.com/x/../y",
            "javascript:alert(1)",
            "ftp://host/x/y",
            "https://exa mple.com/x/y",
            "https://host:port/x/y",
            "https://hö.st/x",
            "https://host/a/b;c",
            "git@host:x/$(id)",
            "C:\\repos\\app",
            "https://[::1/x",
        ] {
            assert_eq!(forge_key_of_url(url), None, "{url}");
        }
        assert_eq!(
            forge_key_of_url(&format!("https://h/{}", "a".repeat(5000))),
            None
        );
    }

    #[test]
    fn ident_prefers_the_web_url_and_skips_junk() {
        let ident = RepoIdent::from_parts(
            Some("javascript:alert(1)".into()),
            Some("  ".into()),
            [
                None,
                Some(String::new()),
                Some("git@example.com:mike/diaspora.git".into()),
                Some("git@example.com:mike/diaspora.git".into()),
            ],
        );
        assert_eq!(ident.web_url, None);
        assert_eq!(ident.full_name, None);
        assert_eq!(ident.clone_urls, ["git@example.com:mike/diaspora.git"]);
        assert_eq!(
            ident.forge_key().as_deref(),
            Some("example.com/mike/diaspora")
        );
        assert_eq!(RepoIdent::default().forge_key(), None);
    }
}
