//! The largest body each forge sends. Anything bigger is not a forge's delivery, so it is
//! refused before it is read, let alone parsed: parsing comes before the signature check
//! (the payload names the repository whose secret checks it), and unauthenticated traffic
//! must cost little.

use shtab_core::people::Forge;

const MIB: usize = 1024 * 1024;

/// The most bytes a webhook body of `forge` may have.
///
/// - GitHub: "payloads are capped at 25 MB"; a bigger event is not sent at all.
/// - GitLab: a payload whose JSON would exceed 25 MB is not sent (since 13.3).
/// - Gitea and Forgejo document no cap; their push lists at most `FEED_MAX_COMMIT_NUM`
///   commits (5 by default), so the others' ceiling is generous for them too.
///
/// Megabytes are read as MiB, the larger reading, so no genuine delivery is refused.
pub fn payload_cap(forge: Forge) -> usize {
    match forge {
        Forge::Github | Forge::Gitlab | Forge::Gitea => 25 * MIB,
    }
}
