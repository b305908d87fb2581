//! Who wrote a commit, as far as its e-mail tells: the form an address is matched in, and the
//! forge login hidden in a forge's no-reply address (people who keep their e-mail private
//! commit as `12345+login@users.noreply.github.com`, which names no mailbox of theirs).

use shtab_core::people::Forge;

/// Longest address kept for matching: RFC 5321's limit on a path is 256 octets, so anything
/// much longer is garbage, not a person.
const MAX_EMAIL_LEN: usize = 320;

/// The e-mail as matched against people's addresses: trimmed and lower-cased. `None` when
/// there is nothing to match: empty, GitLab's `[REDACTED]` for private addresses, no `@`
/// with something on both sides, control characters, or absurd length.
///
/// Addresses that no mail server would deliver to but that git recorded all the same
/// (`gitlabdev@dv6700.(none)`, from an unconfigured machine) are kept: they are still how
/// that author appears in history, and a person can be given them as an alias.
pub fn normalize_email(raw: &str) -> Option<String> {
    let s = raw.trim();
    if s.is_empty() || s.len() > MAX_EMAIL_LEN || s.eq_ignore_ascii_case("[redacted]") {
        return None;
    }
    if s.chars().any(char::is_control) {
        return None;
    }
    let (local, domain) = s.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    // Lower-case as `shtab_core::types::Email` does, so both sides of a match agree.
    Some(s.to_lowercase())
}

/// GitHub's no-reply domain; GitHub Enterprise Server uses `users.noreply.<its host>`.
const GITHUB_NOREPLY: &str = "users.noreply.github.com";
/// GitLab's; a self-managed GitLab uses `users.noreply.<its host>`.
const GITLAB_NOREPLY: &str = "users.noreply.gitlab.com";
/// The common prefix of both forges' no-reply domains on other hosts.
const USERS_NOREPLY_PREFIX: &str = "users.noreply.";

/// The forge login behind a no-reply address, lower-cased, or `None` for any other address.
///
/// - GitHub: `12345+login@users.noreply.github.com`, and the older `login@…` form.
/// - GitLab: `123-login@users.noreply.gitlab.com`, and the older `login@…` form.
/// - Self-hosted GitHub Enterprise or GitLab: `12345+login@users.noreply.<host>` is GitHub's
///   shape and `123-login@users.noreply.<host>` GitLab's; the numeric id is what tells them
///   apart, so no host list is needed (the bare-login form is accepted only on the two
///   public hosts, where the domain alone says which forge it is).
/// - Gitea/Forgejo: `login@<domain>` for each domain in `gitea_noreply_domains` (the
///   instance's `NO_REPLY_ADDRESS`, by default `noreply.<host>`). These are listed, not
///   guessed, because `noreply.` begins plenty of real mail domains.
///
/// Anyone can put any address in `git config`, so this says whose login the address names,
/// not that that person made the commit; the same holds for plain e-mail matching.
pub fn noreply_login(email: &str, gitea_noreply_domains: &[String]) -> Option<(Forge, String)> {
    let email = normalize_email(email)?;
    let (local, domain) = email.rsplit_once('@')?;

    let is_gitea = gitea_noreply_domains.iter().any(|d| {
        let d = d.trim().trim_start_matches('@');
        !d.is_empty() && d.eq_ignore_ascii_case(domain)
    });
    if is_gitea {
        return valid_login(local).map(|login| (Forge::Gitea, login));
    }

    let public = match domain {
        GITHUB_NOREPLY => Some(Forge::Github),
        GITLAB_NOREPLY => Some(Forge::Gitlab),
        _ if domain.starts_with(USERS_NOREPLY_PREFIX)
            && domain.len() > USERS_NOREPLY_PREFIX.len() =>
        {
            None
        }
        _ => return None,
    };

    // `<digits><sep><login>`: the separator says which forge made it.
    let digits = local.bytes().take_while(u8::is_ascii_digit).count();
    let (id, rest) = local.split_at(digits);
    let by_shape = match rest.as_bytes().first() {
        Some(b'+') if !id.is_empty() => Some((Forge::Github, &rest[1..])),
        Some(b'-') if !id.is_empty() => Some((Forge::Gitlab, &rest[1..])),
        _ => None,
    };
    match (public, by_shape) {
        // On a public host the shape must agree with the domain: `1-x@users.noreply.github.com`
        // is a GitHub login `1-x` (old form), not GitLab's `x`.
        (Some(forge), Some((shape, login))) if shape == forge => {
            valid_login(login).map(|l| (forge, l))
        }
        (Some(forge), _) => valid_login(local).map(|l| (forge, l)),
        (None, Some((shape, login))) => valid_login(login).map(|l| (shape, l)),
        (None, None) => None,
    }
}

/// The characters people's forge logins may hold in Shtab (see `shtab_core::people`):
/// ASCII letters, digits, `-`, `_`, `.`, starting with a letter or digit, at most 100.
fn valid_login(login: &str) -> Option<String> {
    let first_ok = login
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let ok = first_ok
        && login.len() <= 100
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    ok.then(|| login.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_email_table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("Ann.Dev@Acme.TEST", Some("ann.dev@acme.test")),
            ("  ann@acme.test\n", Some("ann@acme.test")),
            ("gitlabdev@dv6700.(none)", Some("gitlabdev@dv6700.(none)")),
            ("Иван@Пример.РФ", Some("иван@пример.рф")),
            ("[REDACTED]", None),
            ("[redacted]", None),
            ("", None),
            ("   ", None),
            ("no-at-sign", None),
            ("@acme.test", None),
            ("ann@", None),
            ("ann\u{0}@acme.test", None),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_email(raw).as_deref(), *want, "{raw:?}");
        }
        assert_eq!(
            normalize_email(&format!("{}@x.test", "a".repeat(400))),
            None
        );
    }

    #[test]
    fn noreply_positive() {
        let gitea = vec![
            "noreply.git.acme.test".to_string(),
            "@NoReply.Codeberg.org".into(),
        ];
        let cases: &[(&str, Forge, &str)] = &[
            (
                "21031067+Codertocat@users.noreply.github.com",
                Forge::Github,
                "codertocat",
            ),
            (
                "Codertocat@users.noreply.github.com",
                Forge::Github,
                "codertocat",
            ),
            ("1-x@users.noreply.github.com", Forge::Github, "1-x"),
            (
                "12+ann-dev@USERS.NOREPLY.GITHUB.COM",
                Forge::Github,
                "ann-dev",
            ),
            (
                "123-ann.dev@users.noreply.gitlab.com",
                Forge::Gitlab,
                "ann.dev",
            ),
            ("ann_dev@users.noreply.gitlab.com", Forge::Gitlab, "ann_dev"),
            ("7-ann@users.noreply.gitlab.acme.test", Forge::Gitlab, "ann"),
            ("7+ann@users.noreply.ghe.acme.test", Forge::Github, "ann"),
            ("Ann@noreply.git.acme.test", Forge::Gitea, "ann"),
            ("gridhead@noreply.codeberg.org", Forge::Gitea, "gridhead"),
        ];
        for (email, forge, login) in cases {
            assert_eq!(
                noreply_login(email, &gitea),
                Some((*forge, (*login).to_string())),
                "{email}"
            );
        }
    }

    #[test]
    fn noreply_negative() {
        let gitea = vec!["noreply.git.acme.test".to_string()];
        let cases = [
            "ann@acme.test",
            "noreply@github.com",
            "ann@noreply.github.com",
            "ann@noreply.other.test",
            "ann@users.noreply.",
            "ann@users.noreply.ghe.acme.test",
            "+ann@users.noreply.github.com",
            "12+@users.noreply.github.com",
            "12+-ann@users.noreply.github.com",
            "12+ann dev@users.noreply.github.com",
            "12+анна@users.noreply.github.com",
            "ann@users.noreply.github.com.evil.test",
            "[REDACTED]",
            "",
            "a@noreply.git.acme.test.evil",
        ];
        for email in cases {
            assert_eq!(noreply_login(email, &gitea), None, "{email}");
        }
        // Without the Gitea domain configured, the same address is just an address.
        assert_eq!(noreply_login("ann@noreply.git.acme.test", &[]), None);
        let long = format!("1+{}@users.noreply.github.com", "a".repeat(101));
        assert_eq!(noreply_login(&long, &[]), None);
    }
}
