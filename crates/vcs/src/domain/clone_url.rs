//! What a clone URL says about where the stored credential would go. A credential belongs to
//! one origin (scheme, host and port): the sweep sends it as an `Authorization` header to
//! whatever the URL names, so a URL moved elsewhere must not take it along. A user name or
//! token inside the URL itself (`https://oauth2:glpat-…@host/…`) is refused: it would be
//! shown on pages, written to the audit log and passed to git where its messages echo it.

/// Where a fetch connects. Two URLs with the same origin reach the same server the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

/// The origin of a clone URL as the form accepts them: `scheme://…`, scp-like
/// `user@host:path` (ssh), or an absolute local path. `None` for an empty or unreadable URL.
pub fn origin(clone_url: &str) -> Option<Origin> {
    let s = clone_url.trim();
    if s.is_empty() {
        return None;
    }
    if s.starts_with('/') {
        return Some(Origin {
            scheme: "file".into(),
            host: String::new(),
            port: None,
        });
    }
    if !s.contains("://") {
        // scp-like `user@host:path`: ssh on its default port.
        let (authority, _) = s.split_once(':')?;
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        return Some(Origin {
            scheme: "ssh".into(),
            host: host.to_ascii_lowercase(),
            port: Some(22),
        });
    }
    let url = url::Url::parse(s).ok()?;
    let scheme = url.scheme().to_ascii_lowercase();
    let port = url.port_or_known_default().or(match scheme.as_str() {
        "ssh" => Some(22),
        "git" => Some(9418),
        _ => None,
    });
    Some(Origin {
        host: url.host_str().unwrap_or_default().to_ascii_lowercase(),
        scheme,
        port,
    })
}

/// Whether a credential stored for `before` may still be sent to `after`: only when both
/// name the same scheme, host and port (an unreadable URL matches nothing).
pub fn same_origin(before: &str, after: &str) -> bool {
    match (origin(before), origin(after)) {
        (Some(a), Some(b)) => a == b,
        (None, None) => before.trim().is_empty() && after.trim().is_empty(),
        _ => false,
    }
}

/// A `scheme://` URL's scheme, user-info, and what follows the `@` (host and path), when it
/// has user-info.
fn split_user_info(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let (user_info, host) = authority.rsplit_once('@')?;
    Some((scheme, user_info, &rest[authority_end - host.len()..]))
}

/// Whether the user-info of a URL of `scheme` is a secret: over http(s) any user-info is
/// a credential (GitHub and GitLab take a token as the user name); elsewhere a password is.
fn is_credential(scheme: &str, user_info: &str) -> bool {
    let scheme = scheme.to_ascii_lowercase();
    scheme == "http" || scheme == "https" || user_info.contains(':')
}

/// Whether the URL carries a credential of its own, which belongs in the credential fields.
pub fn carries_credential(url: &str) -> bool {
    split_user_info(url.trim())
        .is_some_and(|(scheme, user_info, _)| is_credential(scheme, user_info))
}

/// The URL as pages, the API and the audit log show it: without a credential's user-info
/// (an ssh login such as `ssh://git@host/…` is an address, not a secret, and stays).
pub fn redacted(url: &str) -> String {
    match split_user_info(url) {
        Some((scheme, user_info, host_and_path)) if is_credential(scheme, user_info) => {
            format!("{scheme}://{host_and_path}")
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_changes_with_the_scheme_the_host_or_the_port_only() {
        let stored = "https://git.agency.test/acme/app.git";
        for same in [
            "https://git.agency.test/acme/renamed.git",
            "https://GIT.agency.test:443/other/app",
            "HTTPS://git.agency.test/acme/app.git",
        ] {
            assert!(same_origin(stored, same), "{same}");
        }
        for moved in [
            "http://git.agency.test/acme/app.git",
            "https://evil.example/acme/app.git",
            "https://git.agency.test:8443/acme/app.git",
            "ssh://git@git.agency.test/acme/app.git",
            "git@git.agency.test:acme/app.git",
            "/srv/git/app.git",
            "",
            "https://",
        ] {
            assert!(!same_origin(stored, moved), "{moved}");
        }
        assert!(same_origin(
            "git@github.com:acme/a.git",
            "ssh://git@github.com:22/acme/b.git"
        ));
        assert!(!same_origin("/srv/a.git", "https://srv/b.git"));
        assert!(same_origin("", ""));
    }

    #[test]
    fn a_credential_inside_the_url_is_recognised_and_redacted() {
        for (url, shown) in [
            (
                "https://oauth2:glpat-secret@gitlab.com/acme/app.git",
                "https://gitlab.com/acme/app.git",
            ),
            (
                "https://ghp_0123456789@github.com/a/b.git",
                "https://github.com/a/b.git",
            ),
            ("http://ci@10.0.0.1/x.git", "http://10.0.0.1/x.git"),
            ("ssh://git:pw@host:22/x.git", "ssh://host:22/x.git"),
        ] {
            assert!(carries_credential(url), "{url}");
            assert_eq!(redacted(url), shown);
        }
        for plain in [
            "https://github.com/a/b.git",
            "ssh://git@host:22/x.git",
            "git@github.com:acme/app.git",
            "/srv/git/app.git",
            "https://host/path/with@sign",
        ] {
            assert!(!carries_credential(plain), "{plain}");
            assert_eq!(redacted(plain), plain);
        }
    }
}
