//! A repository as Shtab knows it: where to fetch it, where its commits are shown, how its
//! webhooks are verified, which branches count and how references are written in it.

use serde::{Deserialize, Serialize};
use shtab_core::error::{CoreResult, FieldErrors};
use shtab_core::people::Forge;
use shtab_core::types::{optional_text, required_text};
use shtab_core::{CoreError, FieldError};

use super::clone_url;
use super::push::forge_key_of_url;
use super::refs::RefRules;

/// Where a repository is hosted; `Git` is a plain git server without webhooks (sweep only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepoForge {
    Github,
    Gitlab,
    Gitea,
    Git,
}

impl RepoForge {
    pub const ALL: [RepoForge; 4] = [
        RepoForge::Github,
        RepoForge::Gitlab,
        RepoForge::Gitea,
        RepoForge::Git,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RepoForge::Github => "github",
            RepoForge::Gitlab => "gitlab",
            RepoForge::Gitea => "gitea",
            RepoForge::Git => "git",
        }
    }

    pub fn parse(s: &str) -> Option<RepoForge> {
        let s = s.trim().to_ascii_lowercase();
        let s = if s == "forgejo" {
            "gitea".to_string()
        } else {
            s
        };
        RepoForge::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The forge whose webhooks this repository receives, if any.
    pub fn hook_forge(self) -> Option<Forge> {
        match self {
            RepoForge::Github => Some(Forge::Github),
            RepoForge::Gitlab => Some(Forge::Gitlab),
            RepoForge::Gitea => Some(Forge::Gitea),
            RepoForge::Git => None,
        }
    }

    pub fn from_hook_forge(forge: Forge) -> RepoForge {
        match forge {
            Forge::Github => RepoForge::Github,
            Forge::Gitlab => RepoForge::Gitlab,
            Forge::Gitea => RepoForge::Gitea,
        }
    }

    /// A commit's page on the forge, from the repository's web address.
    pub fn commit_url(self, web_url: &str, sha: &str) -> Option<String> {
        let base = web_url.trim().trim_end_matches('/');
        if base.is_empty() {
            return None;
        }
        Some(match self {
            RepoForge::Gitlab => format!("{base}/-/commit/{sha}"),
            _ => format!("{base}/commit/{sha}"),
        })
    }
}

/// A repository's settings as a form or the API sends them, not yet checked.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RawRepositoryInput {
    pub name: String,
    /// github, gitlab, gitea (also for Forgejo) or git.
    pub forge: String,
    /// What the sweep fetches: https://, ssh://, git@host:path, or a local path; never with
    /// a user name or token in it (those go in the credential fields).
    pub clone_url: String,
    /// The repository's page (commit links): https://github.com/acme/app.
    pub web_url: String,
    pub credential_username: String,
    /// An access token for https clone URLs. Empty keeps the stored one, unless the clone
    /// URL's scheme, host or port changes: then the stored one is dropped. See also
    /// `clear_credential`.
    pub credential_secret: String,
    pub clear_credential: bool,
    /// Branch patterns, one per line or comma-separated (`main`, `release/*`); empty: all.
    pub branch_filter: String,
    /// Reference patterns, one regular expression per line with a group named `task`.
    pub ref_patterns: String,
    /// Project keys (`WEB, APP`): when given, only those `KEY-123` references count.
    pub project_keys: String,
    pub enabled: Option<bool>,
}

/// Checked settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryInput {
    pub name: String,
    pub forge: RepoForge,
    pub clone_url: String,
    pub web_url: String,
    pub forge_key: Option<String>,
    pub credential_username: String,
    /// `None`: keep what is stored (if the clone URL stays on its origin); `Some("")`: clear it.
    pub credential_secret: Option<String>,
    pub branch_filter: String,
    pub ref_patterns: String,
    pub project_keys: Vec<String>,
    pub enabled: bool,
}

impl RepositoryInput {
    /// Whether saving these settings over a repository fetched from `stored_clone_url`
    /// drops its stored credential: a credential is for one scheme, host and port, and the
    /// sweep would send it to whatever the new URL names. A new secret in the same request
    /// is for the new URL. An emptied URL keeps it (nothing is fetched, so nothing is sent);
    /// any URL set after that is a new origin.
    pub fn moves_credential_away_from(&self, stored_clone_url: &str) -> bool {
        self.credential_secret.is_none()
            && !self.clone_url.is_empty()
            && !clone_url::same_origin(stored_clone_url, &self.clone_url)
    }
}

impl RawRepositoryInput {
    pub fn parse(&self) -> CoreResult<RepositoryInput> {
        let mut errors = FieldErrors::default();
        let name = errors.take(required_text("name", &self.name, 100));
        let forge = match RepoForge::parse(&self.forge) {
            Some(f) => Some(f),
            None => {
                errors.push(FieldError::new(
                    "forge",
                    "invalid_forge",
                    "forge must be one of github, gitlab, gitea, git",
                ));
                None
            }
        };
        let clone_url = errors
            .take(clone_url("clone_url", &self.clone_url))
            .unwrap_or_default();
        let web_url = errors
            .take(web_url("web_url", &self.web_url))
            .unwrap_or_default();
        if forge == Some(RepoForge::Git) && self.clone_url.trim().is_empty() {
            errors.push(FieldError::new(
                "clone_url",
                "required",
                "a plain git repository needs a clone URL: it is only swept",
            ));
        }
        if forge.is_some_and(|f| f != RepoForge::Git) && self.web_url.trim().is_empty() {
            errors.push(FieldError::new(
                "web_url",
                "required",
                "the repository's web address is how its webhooks are recognised",
            ));
        }
        let credential_username = errors
            .take(optional_text(
                "credential_username",
                &self.credential_username,
                200,
            ))
            .flatten()
            .unwrap_or_default();
        let credential_secret = if self.clear_credential {
            Some(String::new())
        } else {
            let s = self.credential_secret.trim();
            (!s.is_empty()).then(|| s.to_string())
        };
        let branch_filter = errors
            .take(branch_filter("branch_filter", &self.branch_filter))
            .unwrap_or_default();
        let project_keys = errors
            .take(project_keys("project_keys", &self.project_keys))
            .unwrap_or_default();
        let ref_patterns = self.ref_patterns.trim().to_string();
        if let Err(e) = RefRules::new(&ref_patterns, &project_keys) {
            errors.push(FieldError::new(
                "ref_patterns",
                "invalid_pattern",
                e.to_string(),
            ));
        }
        errors.into_result()?;
        let web_url = web_url.trim_end_matches('/').to_string();
        let forge_key = forge_key_of_url(&web_url);
        Ok(RepositoryInput {
            name: name.ok_or_else(|| CoreError::Internal("name checked above".into()))?,
            forge: forge.ok_or_else(|| CoreError::Internal("forge checked above".into()))?,
            clone_url,
            web_url,
            forge_key,
            credential_username,
            credential_secret,
            branch_filter,
            ref_patterns,
            project_keys,
            enabled: self.enabled.unwrap_or(true),
        })
    }
}

/// Clone URLs reach `git fetch` as an argument: nothing that git could read as an option
/// or as a transport that runs programs (`ext::`).
fn clone_url(field: &str, input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    let invalid = |why: &str| FieldError::new(field, "invalid_clone_url", why.to_string());
    if s.chars().count() > 500 {
        return Err(invalid("at most 500 characters"));
    }
    if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid("a clone URL has no spaces or control characters"));
    }
    let lower = s.to_ascii_lowercase();
    let scheme_ok = ["https://", "http://", "ssh://", "git://", "file://"]
        .iter()
        .any(|p| lower.starts_with(p));
    let scp_like = !lower.contains("://")
        && !s.starts_with('-')
        && s.split_once(':')
            .is_some_and(|(host, path)| host.contains('@') && !path.is_empty());
    let local_path = s.starts_with('/');
    if clone_url::carries_credential(s) {
        return Err(FieldError::new(
            field,
            "credential_in_url",
            "a user name or token does not belong in the clone URL, where pages and logs \
             would show it: give them as credential_username and credential_secret",
        ));
    }
    if scheme_ok || scp_like || local_path {
        Ok(s.to_string())
    } else {
        Err(invalid(
            "use https://…, ssh://…, git@host:owner/repo.git or an absolute path",
        ))
    }
}

fn web_url(field: &str, input: &str) -> Result<String, FieldError> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(String::new());
    }
    let lower = s.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://"))
        || s.chars().any(|c| c.is_control() || c.is_whitespace())
        || s.chars().count() > 500
        || forge_key_of_url(s).is_none()
    {
        return Err(FieldError::new(
            field,
            "invalid_url",
            "the repository's page, like https://github.com/acme/app",
        ));
    }
    Ok(s.to_string())
}

fn branch_filter(field: &str, input: &str) -> Result<String, FieldError> {
    let globs: Vec<&str> = input
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    for g in &globs {
        if g.starts_with('-')
            || g.chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        {
            return Err(FieldError::new(
                field,
                "invalid_branch_filter",
                format!("«{g}» is not a branch name or pattern"),
            ));
        }
    }
    Ok(globs.join("\n"))
}

fn project_keys(field: &str, input: &str) -> Result<Vec<String>, FieldError> {
    let mut keys = Vec::new();
    for k in input
        .split([',', ' ', '\n', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let upper = k.to_ascii_uppercase();
        let valid = upper.len() >= 2
            && upper.len() <= 20
            && upper.starts_with(|c: char| c.is_ascii_uppercase())
            && upper
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !valid {
            return Err(FieldError::new(
                field,
                "invalid_project_key",
                format!("«{k}» is not a project key (letters and digits, starting with a letter)"),
            ));
        }
        if !keys.contains(&upper) {
            keys.push(upper);
        }
    }
    Ok(keys)
}

/// Which branches count: globs with `*`, one per line; none means all.
#[derive(Debug, Clone)]
pub struct BranchFilter(Vec<regex::Regex>);

impl BranchFilter {
    pub fn new(stored: &str) -> BranchFilter {
        let globs = stored.lines().map(str::trim).filter(|s| !s.is_empty());
        BranchFilter(
            globs
                .filter_map(|g| {
                    let pattern = format!("^{}$", regex::escape(g).replace(r"\*", ".*"));
                    regex::Regex::new(&pattern).ok()
                })
                .collect(),
        )
    }

    pub fn accepts(&self, branch: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|r| r.is_match(branch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(forge: &str, clone: &str, web: &str) -> RawRepositoryInput {
        RawRepositoryInput {
            name: "app".into(),
            forge: forge.into(),
            clone_url: clone.into(),
            web_url: web.into(),
            ..Default::default()
        }
    }

    fn field_codes(r: CoreResult<RepositoryInput>) -> Vec<String> {
        match r {
            Err(CoreError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn a_github_repository_gets_its_forge_key_from_the_web_address() {
        let input = raw(
            "GitHub",
            "https://github.com/acme/app.git",
            "https://github.com/Acme/App/",
        )
        .parse()
        .unwrap();
        assert_eq!(input.forge, RepoForge::Github);
        assert_eq!(input.web_url, "https://github.com/Acme/App");
        assert_eq!(input.forge_key.as_deref(), Some("github.com/acme/app"));
        assert!(input.enabled);
        assert_eq!(
            input.credential_secret, None,
            "an empty secret keeps the stored one"
        );
    }

    #[test]
    fn forgejo_is_a_gitea_flavour() {
        assert_eq!(RepoForge::parse("Forgejo"), Some(RepoForge::Gitea));
    }

    #[test]
    fn clone_urls_that_git_could_take_for_options_or_programs_are_refused() {
        for bad in [
            "--upload-pack=touch /tmp/x",
            "ext::sh -c id",
            "-oProxyCommand=x",
            "ftp://x/y",
            "relative/path",
        ] {
            assert_eq!(
                field_codes(raw("git", bad, "").parse()),
                vec!["clone_url"],
                "{bad}"
            );
        }
        for good in [
            "https://h/x.git",
            "ssh://git@h:22/x.git",
            "git@github.com:acme/app.git",
            "/srv/git/app.git",
            "file:///srv/git/app.git",
        ] {
            assert!(raw("git", good, "").parse().is_ok(), "{good}");
        }
    }

    #[test]
    fn a_credential_in_the_clone_url_is_refused_naming_the_credential_fields() {
        for url in [
            "https://oauth2:glpat-0123456789@gitlab.com/acme/app.git",
            "https://ghp_token@github.com/acme/app.git",
            "ssh://git:password@git.agency.test/app.git",
        ] {
            let Err(CoreError::Invalid(errors)) = raw("git", url, "").parse() else {
                panic!("{url} was accepted");
            };
            assert_eq!(errors.len(), 1, "{url}");
            assert_eq!(
                (errors[0].field.as_str(), errors[0].code),
                ("clone_url", "credential_in_url")
            );
            assert!(
                errors[0].message.contains("credential_username")
                    && errors[0].message.contains("credential_secret"),
                "{}",
                errors[0].message
            );
        }
        assert!(
            raw("git", "ssh://git@git.agency.test/app.git", "")
                .parse()
                .is_ok()
        );
    }

    #[test]
    fn a_new_origin_drops_the_stored_credential_unless_a_new_one_comes_along() {
        let stored = "https://git.agency.test/acme/app.git";
        let mut moved = raw("git", "https://evil.example/acme/app.git", "")
            .parse()
            .unwrap();
        assert!(moved.moves_credential_away_from(stored));
        moved.credential_secret = Some("new-token".into());
        assert!(!moved.moves_credential_away_from(stored));
        let renamed = raw("git", "https://git.agency.test/acme/renamed.git", "")
            .parse()
            .unwrap();
        assert!(!renamed.moves_credential_away_from(stored));
        let other_port = raw("git", "https://git.agency.test:8443/acme/app.git", "")
            .parse()
            .unwrap();
        assert!(other_port.moves_credential_away_from(stored));
        let emptied = raw("github", "", "https://github.com/a/b").parse().unwrap();
        assert!(!emptied.moves_credential_away_from(stored));
        let from_empty = raw("git", "https://git.agency.test/acme/app.git", "")
            .parse()
            .unwrap();
        assert!(from_empty.moves_credential_away_from(""));
    }

    #[test]
    fn forges_with_webhooks_need_a_web_address_and_plain_git_a_clone_url() {
        assert_eq!(field_codes(raw("gitlab", "", "").parse()), vec!["web_url"]);
        assert_eq!(field_codes(raw("git", "", "").parse()), vec!["clone_url"]);
        assert_eq!(
            field_codes(raw("svn", "", "https://h/x/y").parse()),
            vec!["forge"]
        );
    }

    #[test]
    fn bad_patterns_and_keys_are_field_errors() {
        let mut r = raw("github", "", "https://github.com/a/b");
        r.ref_patterns = "(?P<task>\\d+\n(unclosed".into();
        r.project_keys = "WEB, 1X".into();
        let mut fields = field_codes(r.parse());
        fields.sort();
        assert_eq!(fields, vec!["project_keys", "ref_patterns"]);
    }

    #[test]
    fn branch_filters_match_globs_and_empty_means_all() {
        let f = BranchFilter::new(&branch_filter("b", "main, release/*").unwrap());
        assert!(f.accepts("main"));
        assert!(f.accepts("release/1.2"));
        assert!(!f.accepts("feature/x"));
        assert!(!f.accepts("mainline"));
        assert!(BranchFilter::new("").accepts("anything"));
    }

    #[test]
    fn commit_links_follow_each_forge() {
        assert_eq!(
            RepoForge::Gitlab
                .commit_url("https://gitlab.com/g/p/", "abc")
                .as_deref(),
            Some("https://gitlab.com/g/p/-/commit/abc")
        );
        assert_eq!(
            RepoForge::Github
                .commit_url("https://github.com/a/b", "abc")
                .as_deref(),
            Some("https://github.com/a/b/commit/abc")
        );
        assert_eq!(RepoForge::Git.commit_url("", "abc"), None);
    }
}
