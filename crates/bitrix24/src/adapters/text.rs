//! The words Shtab writes on the portal, in BB-code (the portal's markup): comments on tasks,
//! notices in the messenger.

use shtab_core::ports::{CommitLink, Notice};

fn first_line(message: &str) -> &str {
    message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

fn short_sha(sha: &str) -> &str {
    &sha[..sha.len().min(9)]
}

/// The comment for a commit: the short hash linked to the forge, the first line of the
/// message, then where it came from. Our markup comes first, so a message holding BB-code
/// cannot break the link.
pub fn commit_comment(commit: &CommitLink) -> String {
    let short = short_sha(&commit.sha);
    let hash = match &commit.url {
        Some(url) => format!("[URL={url}]{short}[/URL]"),
        None => short.to_owned(),
    };
    let mut origin = vec![commit.repository.clone()];
    if !commit.branches.is_empty() {
        origin.push(format!("[B]{}[/B]", commit.branches.join(", ")));
    }
    origin.push(commit.author_name.clone());
    format!(
        "{hash} {}\n{}",
        first_line(&commit.message),
        origin.join(" · ")
    )
}

/// The same, posted as the webhook's user: it says who the author is.
pub fn commit_comment_on_behalf(commit: &CommitLink) -> String {
    let who = if commit.author_email.is_empty() {
        commit.author_name.clone()
    } else {
        format!("{} <{}>", commit.author_name, commit.author_email)
    };
    format!("Commit by {who}:\n{}", commit_comment(commit))
}

/// A notice in the portal's messenger: the subject in bold, linked to the page it is about,
/// then the text. The text comes from templates filled with outside words (a payment's
/// purpose, a payer's name), so markup in it is shown as typed, never obeyed: a purpose
/// holding `[URL=…]` cannot dress a link up as Shtab's.
pub fn notice(notice: &Notice<'_>) -> String {
    let subject = shown_as_typed(notice.subject.trim());
    let body = shown_as_typed(notice.body.trim_end());
    let title = match notice.link {
        Some(link) => format!("[URL={}]{subject}[/URL]", link_target(link)),
        None => subject,
    };
    if body.trim().is_empty() {
        format!("[B]{title}[/B]")
    } else {
        format!("[B]{title}[/B]\n{body}")
    }
}

/// Every `[` that could open a tag (`[URL=`, `[/B]`, `[USER=1]`) becomes the full-width `［`,
/// which the portal shows but never reads as markup. Other brackets (`[1]`, `[ИНН]`) stay.
fn shown_as_typed(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '[' {
            let mut ahead = chars.clone();
            let next = match ahead.next() {
                Some('/') => ahead.next(),
                other => other,
            };
            if next.is_some_and(|n| n.is_ascii_alphabetic()) {
                out.push('［');
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// A link as the `[URL=…]` tag's value: brackets and spaces, which would end the tag, are
/// percent-encoded (as a browser would send them anyway).
fn link_target(link: &str) -> String {
    let mut out = String::with_capacity(link.len());
    for c in link.trim().chars() {
        match c {
            '[' => out.push_str("%5B"),
            ']' => out.push_str("%5D"),
            c if c.is_whitespace() => out.push_str("%20"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_links_its_bold_subject_and_shows_outside_markup_as_typed() {
        let text = notice(&Notice {
            subject: "Платёж от ООО «Ромашка» требует внимания",
            body: "Назначение: [URL=https://evil.example]Оплатить[/URL] [b]срочно[/b], счёт [1] [ИНН]\n",
            link: Some("https://shtab.example/bank/payments/7?x=[1] 2"),
        });
        assert_eq!(
            text,
            "[B][URL=https://shtab.example/bank/payments/7?x=%5B1%5D%202]Платёж от ООО «Ромашка» \
             требует внимания[/URL][/B]\nНазначение: ［URL=https://evil.example]Оплатить［/URL] \
             ［b]срочно［/b], счёт [1] [ИНН]"
        );
        assert_eq!(
            notice(&Notice {
                subject: "[USER=1]x",
                body: "",
                link: None
            }),
            "[B]［USER=1]x[/B]"
        );
    }

    fn commit() -> CommitLink {
        CommitLink {
            repository: "site".into(),
            sha: "0abc1234def5678".into(),
            change_key: "k".into(),
            message: "\nFix the checkout #101\n\nLonger text".into(),
            author: None,
            author_name: "Ivan Petrov".into(),
            author_email: "ivan@agency.example".into(),
            authored_at: 0,
            committed_at: 0,
            url: Some("https://git.example/site/commit/0abc1234def5678".into()),
            branches: vec!["main".into()],
        }
    }

    #[test]
    fn a_commit_comment_links_the_short_hash_and_names_branch_and_author() {
        assert_eq!(
            commit_comment(&commit()),
            "[URL=https://git.example/site/commit/0abc1234def5678]0abc1234d[/URL] Fix the checkout #101\n\
             site · [B]main[/B] · Ivan Petrov"
        );
        let plain = CommitLink {
            url: None,
            branches: vec![],
            ..commit()
        };
        assert_eq!(
            commit_comment(&plain),
            "0abc1234d Fix the checkout #101\nsite · Ivan Petrov"
        );
        assert!(
            commit_comment_on_behalf(&commit())
                .starts_with("Commit by Ivan Petrov <ivan@agency.example>:\n[URL=")
        );
    }
}
