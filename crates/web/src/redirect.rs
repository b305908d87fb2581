//! Where a `next` parameter may send the browser: only to a path of this site.

use axum::http::uri::PathAndQuery;

/// `next` when it is a path on this origin, `/` otherwise: an open redirect would let a
/// phishing link borrow our login page. Browsers are lenient with what follows `Location`:
/// they drop tabs and line breaks and read `\` as `/`, so `/\evil.example` and
/// `/<TAB>/evil.example` both lead to another host. Only a plain absolute path (with an
/// optional query) passes: no scheme, no authority, no backslash, no control character.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_string(),
        _ => "/".to_string(),
    }
}

fn is_local_path(s: &str) -> bool {
    s.starts_with('/')
        && !s.starts_with("//")
        && !s.chars().any(|c| c.is_control() || c == '\\')
        && s.parse::<PathAndQuery>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn paths_of_this_site_pass() {
        for ok in [
            "/",
            "/people",
            "/people?q=a&status=left",
            "/bank/payments?from=2026-01-01",
        ] {
            assert_eq!(local_path(Some(ok)), ok);
        }
    }

    #[test]
    fn anything_that_may_leave_the_site_goes_home() {
        for bad in [
            "",
            "people",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/\u{0}/evil.example",
            "/\u{7f}/evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            " /evil",
            "/a b",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
    }
}
