//! A forge's webhook delivery. The first byte picks the forge and the event header (push,
//! tag push, ping, none), the rest is the body: the parser trusts neither.
#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use shtab_core::people::Forge;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let (forge, header) = match selector % 3 {
        0 => (Forge::Github, "X-GitHub-Event"),
        1 => (Forge::Gitlab, "X-Gitlab-Event"),
        _ => (Forge::Gitea, "X-Gitea-Event"),
    };
    let event = match (selector / 3) % 4 {
        0 => Some(if forge == Forge::Gitlab {
            "Push Hook"
        } else {
            "push"
        }),
        1 => Some(if forge == Forge::Gitlab {
            "Tag Push Hook"
        } else {
            "create"
        }),
        2 => Some("ping"),
        _ => None,
    };
    let mut headers = HeaderMap::new();
    if let Some(event) = event {
        headers.insert(header, HeaderValue::from_static(event));
    }
    let _ = shtab_vcs::domain::push::parse(forge, &headers, body);
});
