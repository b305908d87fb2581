//! How a repository reads on the pages and in the API, shared by both: the webhook address
//! to paste into the forge, times in the agency's zone, clone URLs without passwords.

use shtab_core::time::format_ms;
use shtab_web::AppState;

use crate::domain::repository::RepoForge;

/// Where `forge` must send its pushes; `None` for plain git, which sends none.
pub fn webhook_url(state: &AppState, forge: RepoForge) -> Option<String> {
    forge
        .hook_forge()
        .map(|f| state.link(&format!("/hooks/{}", f.as_str())))
}

/// A stored instant as people here read it; `fallback` when there is none.
pub fn when(state: &AppState, ms: Option<i64>, fallback: &str) -> String {
    match ms {
        Some(ms) => format_ms(ms, state.config.time_zone()),
        None => fallback.to_string(),
    }
}

/// A clone URL with any password in it masked: `https://user:token@host/x` is sometimes how
/// people paste a private repository, and those who may only read must not learn the token.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let masked = match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:***"),
                // A long user part without a password is how GitHub and GitLab take tokens
                // (`https://TOKEN@host/…`); a login is short.
                None if userinfo.len() > 20 => "***".to_string(),
                None => userinfo.to_string(),
            };
            format!("{scheme}://{masked}@{host}{path}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_tokens_in_clone_urls_are_masked() {
        assert_eq!(
            redact_url("https://ci:s3cret@git.agency.test/app.git"),
            "https://ci:***@git.agency.test/app.git"
        );
        assert_eq!(
            redact_url("https://ghp_0123456789abcdefghijklmnop@github.com/a/b.git"),
            "https://***@github.com/a/b.git"
        );
        for kept in [
            "https://github.com/a/b.git",
            "ssh://git@host:22/x.git",
            "git@github.com:acme/app.git",
            "/srv/git/app.git",
            "https://host/path/with@sign",
        ] {
            assert_eq!(redact_url(kept), kept);
        }
    }
}
