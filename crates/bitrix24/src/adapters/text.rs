//! The words Shtab writes on a portal task, in BB-code (the portal's markup).

use shtab_core::ports::CommitLink;

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

#[cfg(test)]
mod tests {
    use super::*;

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
