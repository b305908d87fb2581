//! The id a delivery is remembered by, so that a redelivery is recognised and does nothing.

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use shtab_core::people::Forge;

/// Longest id taken from a header; longer values are not ids any forge sends.
const MAX_LEN: usize = 200;

/// The forge's id for this delivery, or `sha256:<hex of body>` when it sent none usable, so
/// a byte-identical redelivery is still recognised. Always 1–200 visible ASCII characters.
///
/// - GitHub: `X-GitHub-Delivery` (kept by redeliveries).
/// - GitLab: `Idempotency-Key` (kept across retries), else `X-Gitlab-Event-UUID`, else
///   `X-Gitlab-Webhook-UUID` (older GitLab sends only those).
/// - Gitea/Forgejo/Gogs: `X-Gitea-Delivery`, `X-Forgejo-Delivery`, `X-Gogs-Delivery`.
///
/// A header that is empty, too long or not visible ASCII is passed over, not trimmed into
/// something else: two different deliveries must not end up with the same id.
pub fn delivery_id(forge: Forge, headers: &HeaderMap, body: &[u8]) -> String {
    let names: &[&str] = match forge {
        Forge::Github => &["x-github-delivery"],
        Forge::Gitlab => &[
            "idempotency-key",
            "x-gitlab-event-uuid",
            "x-gitlab-webhook-uuid",
        ],
        Forge::Gitea => &["x-gitea-delivery", "x-forgejo-delivery", "x-gogs-delivery"],
    };
    names
        .iter()
        .filter_map(|name| headers.get(*name))
        .find_map(|value| usable(value.as_bytes()))
        .unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(body))))
}

fn usable(value: &[u8]) -> Option<String> {
    let value = value.trim_ascii();
    let ok = !value.is_empty() && value.len() <= MAX_LEN && value.iter().all(u8::is_ascii_graphic);
    if !ok {
        return None;
    }
    std::str::from_utf8(value).ok().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_bytes(value).expect("value"),
            );
        }
        map
    }

    #[test]
    fn each_forge_reads_its_own_header() {
        let h = headers(&[("X-GitHub-Delivery", b"72d3162e-cc78-11e3-81ab-4c9367dc0958")]);
        assert_eq!(
            delivery_id(Forge::Github, &h, b"{}"),
            "72d3162e-cc78-11e3-81ab-4c9367dc0958"
        );
        let h = headers(&[(
            "X-Forgejo-Delivery",
            b"3a7eee03-a3b4-473e-be5a-9e73f44bc382",
        )]);
        assert_eq!(
            delivery_id(Forge::Gitea, &h, b"{}"),
            "3a7eee03-a3b4-473e-be5a-9e73f44bc382"
        );
        let h = headers(&[("x-gogs-delivery", b"g1"), ("x-gitea-delivery", b"t1")]);
        assert_eq!(delivery_id(Forge::Gitea, &h, b"{}"), "t1");
    }

    #[test]
    fn gitlab_prefers_the_key_that_survives_retries() {
        let all = headers(&[
            ("x-gitlab-webhook-uuid", b"w"),
            ("x-gitlab-event-uuid", b"e"),
            ("Idempotency-Key", b"k"),
        ]);
        assert_eq!(delivery_id(Forge::Gitlab, &all, b""), "k");
        let no_key = headers(&[
            ("x-gitlab-webhook-uuid", b"w"),
            ("x-gitlab-event-uuid", b"e"),
        ]);
        assert_eq!(delivery_id(Forge::Gitlab, &no_key, b""), "e");
        let only_hook = headers(&[("x-gitlab-webhook-uuid", b"w")]);
        assert_eq!(delivery_id(Forge::Gitlab, &only_hook, b""), "w");
    }

    #[test]
    fn the_sample_headers_give_their_uuids() {
        for (file, forge, want) in [
            (
                "gitlab/push-hook.gitlab-com-2025.headers.json",
                Forge::Gitlab,
                "1e1650fc-9bf2-4eec-bec7-2cd6301d3f6b",
            ),
            (
                "gitlab/forgejo-push.codeberg-2025.headers.json",
                Forge::Gitea,
                "3a7eee03-a3b4-473e-be5a-9e73f44bc382",
            ),
        ] {
            let Some(raw) = shtab_core::samples::read(file) else {
                return;
            };
            let map: std::collections::BTreeMap<String, String> =
                serde_json::from_slice(&raw).expect("headers sample");
            let pairs: Vec<(&str, &[u8])> = map
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_bytes()))
                .collect();
            assert_eq!(delivery_id(forge, &headers(&pairs), b"{}"), want, "{file}");
        }
    }

    #[test]
    fn without_a_usable_header_the_body_decides() {
        let body = b"Hello, World!";
        let want = "sha256:dffd6021bb2bd5b0af676290809ec3a53191dd81c7f70a4b28688a362182986f";
        let too_long = vec![b'a'; MAX_LEN + 1];
        for h in [
            HeaderMap::new(),
            headers(&[("x-github-delivery", b"")]),
            headers(&[("x-github-delivery", b"   ")]),
            headers(&[("x-github-delivery", b"a b")]),
            headers(&[("x-github-delivery", b"\xd0\xb9")]),
            headers(&[("x-github-delivery", &too_long)]),
        ] {
            let id = delivery_id(Forge::Github, &h, body);
            assert_eq!(id, want, "{h:?}");
        }
        assert_ne!(
            delivery_id(Forge::Github, &HeaderMap::new(), b"other"),
            want
        );
        let longest = vec![b'a'; MAX_LEN];
        let h = headers(&[("x-github-delivery", &longest)]);
        assert_eq!(delivery_id(Forge::Github, &h, body).len(), MAX_LEN);
    }
}
