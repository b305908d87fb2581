//! Is a webhook delivery really from the forge? Each forge proves it differently: GitHub and
//! Gitea/Forgejo sign the raw body with HMAC-SHA256, GitLab sends the shared secret itself.
//! Everything here works on the exact bytes received, before any parsing, and compares in
//! constant time so the answer's timing tells an attacker nothing about the secret.

use std::fmt;

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use shtab_core::people::Forge;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

const GITHUB_HEADER: &str = "x-hub-signature-256";
const GITLAB_HEADER: &str = "x-gitlab-token";
/// Gitea sends its own bare-hex header and, for GitHub compatibility, a prefixed copy;
/// Forgejo and Gogs (which Gitea forked) name theirs after themselves. The first one present
/// is the one checked, so a request cannot pick the weakest of several.
const GITEA_HEADERS: [(&str, Prefix); 4] = [
    ("x-gitea-signature", Prefix::None),
    ("x-forgejo-signature", Prefix::None),
    ("x-gogs-signature", Prefix::None),
    (GITHUB_HEADER, Prefix::Sha256),
];

/// Why a delivery was not accepted as authentic. Every variant names the header involved,
/// because the repository page shows this text to the person setting up the webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// The repository has no webhook secret: nothing can be trusted, signed or not.
    NoSecret,
    /// The header that should carry the proof is absent.
    Missing { header: &'static str },
    /// The header is there but cannot be a signature of ours.
    Malformed {
        header: &'static str,
        reason: &'static str,
    },
    /// Well-formed, but made with another secret or over other bytes.
    Mismatch { header: &'static str },
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::NoSecret => f.write_str(
                "the repository has no webhook secret, so no delivery can be trusted; set one and paste it into the forge",
            ),
            SignatureError::Missing { header } => {
                write!(f, "the {} header is missing", display_name(header))
            }
            SignatureError::Malformed { header, reason } => {
                write!(f, "the {} header is malformed: {reason}", display_name(header))
            }
            SignatureError::Mismatch { header } => write!(
                f,
                "the {} header does not match the repository's webhook secret",
                display_name(header)
            ),
        }
    }
}

impl std::error::Error for SignatureError {}

/// Header names are matched lower-case (HTTP/2 requires it); people know them capitalised.
fn display_name(header: &str) -> &'static str {
    match header {
        GITHUB_HEADER => "X-Hub-Signature-256",
        GITLAB_HEADER => "X-Gitlab-Token",
        "x-gitea-signature" => "X-Gitea-Signature",
        "x-forgejo-signature" => "X-Forgejo-Signature",
        "x-gogs-signature" => "X-Gogs-Signature",
        _ => "signature",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    None,
    Sha256,
}

/// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`.
pub fn verify_github(
    secret: &[u8],
    body: &[u8],
    headers: &HeaderMap,
) -> Result<(), SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let value = headers.get(GITHUB_HEADER).ok_or(SignatureError::Missing {
        header: GITHUB_HEADER,
    })?;
    verify_hmac(
        secret,
        body,
        GITHUB_HEADER,
        value.as_bytes(),
        Prefix::Sha256,
    )
}

/// Gitea/Forgejo/Gogs: `X-Gitea-Signature` / `X-Forgejo-Signature` / `X-Gogs-Signature` with
/// bare hex HMAC-SHA256, or `X-Hub-Signature-256` with the `sha256=` prefix.
pub fn verify_gitea(secret: &[u8], body: &[u8], headers: &HeaderMap) -> Result<(), SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let (header, prefix, value) = GITEA_HEADERS
        .iter()
        .find_map(|&(name, prefix)| headers.get(name).map(|v| (name, prefix, v)))
        .ok_or(SignatureError::Missing {
            header: "x-gitea-signature",
        })?;
    verify_hmac(secret, body, header, value.as_bytes(), prefix)
}

/// GitLab: `X-Gitlab-Token` holds the secret itself in plain text (no HMAC, no body).
pub fn verify_gitlab(secret: &[u8], headers: &HeaderMap) -> Result<(), SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let token = headers.get(GITLAB_HEADER).ok_or(SignatureError::Missing {
        header: GITLAB_HEADER,
    })?;
    // Comparing digests rather than the strings keeps the comparison constant-time even
    // when the lengths differ, so the secret's length does not leak either.
    let given = Sha256::digest(token.as_bytes());
    let wanted = Sha256::digest(secret);
    if bool::from(given.as_slice().ct_eq(wanted.as_slice())) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch {
            header: GITLAB_HEADER,
        })
    }
}

/// The check `forge` uses.
pub fn verify(
    forge: Forge,
    secret: &[u8],
    body: &[u8],
    headers: &HeaderMap,
) -> Result<(), SignatureError> {
    match forge {
        Forge::Github => verify_github(secret, body, headers),
        Forge::Gitlab => verify_gitlab(secret, headers),
        Forge::Gitea => verify_gitea(secret, body, headers),
    }
}

/// `sha256=<hex>` as GitHub would send it: for tests, the benchmark, and showing how to sign.
pub fn sign_github(secret: &[u8], body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, body).finalize().into_bytes())
    )
}

fn mac(secret: &[u8], body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed first), so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    mac
}

fn verify_hmac(
    secret: &[u8],
    body: &[u8],
    header: &'static str,
    value: &[u8],
    prefix: Prefix,
) -> Result<(), SignatureError> {
    let malformed = |reason| SignatureError::Malformed { header, reason };
    let hex_part = match prefix {
        Prefix::None => value,
        Prefix::Sha256 => value
            .strip_prefix(b"sha256=")
            .ok_or_else(|| malformed("it does not start with \"sha256=\""))?,
    };
    if hex_part.len() != 64 {
        return Err(malformed(
            "an HMAC-SHA256 signature is 64 hexadecimal digits",
        ));
    }
    let mut given = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut given)
        .map_err(|_| malformed("it holds characters that are not hexadecimal digits"))?;
    mac(secret, body)
        .verify_slice(&given)
        .map_err(|_| SignatureError::Mismatch { header })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderName, HeaderValue};
    use serde_json::Value;

    const DOCS_SECRET: &[u8] = b"It's a Secret to Everybody";
    const DOCS_BODY: &[u8] = b"Hello, World!";
    const DOCS_SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    /// Names in any case, as a client may send them; `HeaderName` lower-cases them.
    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                HeaderName::from_bytes(name.as_bytes()).expect("test header name"),
                HeaderValue::from_str(value).expect("test header value"),
            );
        }
        map
    }

    #[test]
    fn github_docs_vector_verifies_and_signs() {
        let h = headers(&[("X-Hub-Signature-256", DOCS_SIGNATURE)]);
        assert_eq!(verify_github(DOCS_SECRET, DOCS_BODY, &h), Ok(()));
        assert_eq!(sign_github(DOCS_SECRET, DOCS_BODY), DOCS_SIGNATURE);
        assert_eq!(verify(Forge::Github, DOCS_SECRET, DOCS_BODY, &h), Ok(()));
    }

    #[test]
    fn every_sample_vector_behaves_as_recorded() {
        let Some(raw) = shtab_core::samples::read("github/hmac-test-vectors.json") else {
            return;
        };
        let doc: Value = serde_json::from_slice(&raw).expect("vectors file is JSON");
        let text = |v: &Value, k: &str| v[k].as_str().expect(k).to_string();

        let vectors = doc["vectors"].as_array().expect("vectors");
        assert_eq!(vectors.len(), 2);
        for v in vectors {
            let secret = text(v, "secret");
            let body = match v.get("body_utf8") {
                Some(b) => b.as_str().expect("body_utf8").as_bytes().to_vec(),
                None => {
                    let file = text(v, "body_file").replace("../", "");
                    let Some(bytes) = shtab_core::samples::read(&file) else {
                        return;
                    };
                    bytes
                }
            };
            let name = text(v, "header_name");
            let h = headers(&[(&name, &text(v, "header_value"))]);
            let result = if name == "X-Gitea-Signature" {
                verify_gitea(secret.as_bytes(), &body, &h)
            } else {
                verify_github(secret.as_bytes(), &body, &h)
            };
            assert_eq!(result, Ok(()), "{}", text(v, "name"));
            assert_eq!(
                sign_github(secret.as_bytes(), &body),
                format!("sha256={}", text(v, "expected_hex"))
            );
        }

        let negatives = doc["negative_cases_derived_from_github_vector"]
            .as_array()
            .expect("negative cases");
        assert_eq!(negatives.len(), 4);
        for n in negatives {
            assert_eq!(n["must_verify"], Value::Bool(false));
            let h = headers(&[("x-hub-signature-256", &text(n, "header_value"))]);
            let result = verify_github(
                text(n, "secret").as_bytes(),
                text(n, "body_utf8").as_bytes(),
                &h,
            );
            assert!(result.is_err(), "{} must not verify", text(n, "why"));
        }
    }

    #[test]
    fn gitea_vector_over_the_exact_sample_bytes() {
        let Some(body) = shtab_core::samples::read("gitlab/gitea-push.json") else {
            return;
        };
        let secret = b"IsWishesWereHorsesWedAllBeEatingSteak!";
        let hex = "60fe446c74fa0cb9474f98cc557db79e10c7aaf22cf324ad65239600b9e4d915";
        for name in [
            "X-Gitea-Signature",
            "X-Forgejo-Signature",
            "X-Gogs-Signature",
        ] {
            let h = headers(&[(name, hex)]);
            assert_eq!(verify_gitea(secret, &body, &h), Ok(()), "{name}");
        }
        let prefixed = headers(&[("x-hub-signature-256", &format!("sha256={hex}"))]);
        assert_eq!(verify(Forge::Gitea, secret, &body, &prefixed), Ok(()));

        let mut edited = body.clone();
        edited.push(b'\n');
        let h = headers(&[("x-gitea-signature", hex)]);
        assert_eq!(
            verify_gitea(secret, &edited, &h),
            Err(SignatureError::Mismatch {
                header: "x-gitea-signature"
            })
        );
        // A bare-hex value is not a GitHub-style header: Gitea's prefixed copy needs "sha256=".
        let bare_hub = headers(&[("x-hub-signature-256", hex)]);
        assert!(matches!(
            verify_gitea(secret, &body, &bare_hub),
            Err(SignatureError::Malformed { .. })
        ));
    }

    #[test]
    fn header_names_are_case_insensitive_and_hex_case_is_not_significant() {
        let upper_hex = DOCS_SIGNATURE
            .to_ascii_uppercase()
            .replacen("SHA256", "sha256", 1);
        for name in [
            "X-HUB-SIGNATURE-256",
            "x-hub-signature-256",
            "X-Hub-Signature-256",
        ] {
            let h = headers(&[(name, &upper_hex)]);
            assert_eq!(verify_github(DOCS_SECRET, DOCS_BODY, &h), Ok(()), "{name}");
        }
    }

    #[test]
    fn malformed_and_wrong_length_values_are_named() {
        let cases = [
            "sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            "sha256=757107ea",
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1700",
            "sha256=",
            "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            "",
        ];
        for value in cases {
            let h = headers(&[("x-hub-signature-256", value)]);
            let err = verify_github(DOCS_SECRET, DOCS_BODY, &h).expect_err(value);
            assert!(
                matches!(err, SignatureError::Malformed { .. }),
                "{value}: {err:?}"
            );
            assert!(
                err.to_string()
                    .starts_with("the X-Hub-Signature-256 header is malformed")
            );
        }
        // Non-ASCII bytes in the header must be handled, not panic.
        let mut map = HeaderMap::new();
        map.insert(
            "x-gitea-signature",
            HeaderValue::from_bytes(b"\xff\xfe").expect("obs-text value"),
        );
        assert!(matches!(
            verify_gitea(DOCS_SECRET, DOCS_BODY, &map),
            Err(SignatureError::Malformed { .. })
        ));
    }

    #[test]
    fn missing_headers_are_named() {
        let none = HeaderMap::new();
        let cases = [
            (
                verify_github(DOCS_SECRET, DOCS_BODY, &none),
                "X-Hub-Signature-256",
            ),
            (
                verify_gitea(DOCS_SECRET, DOCS_BODY, &none),
                "X-Gitea-Signature",
            ),
            (verify_gitlab(DOCS_SECRET, &none), "X-Gitlab-Token"),
        ];
        for (result, name) in cases {
            let err = result.expect_err(name);
            assert!(matches!(err, SignatureError::Missing { .. }));
            assert_eq!(err.to_string(), format!("the {name} header is missing"));
        }
    }

    #[test]
    fn an_empty_secret_never_verifies() {
        let empty_sig = sign_github(b"", DOCS_BODY);
        let h = headers(&[
            ("x-hub-signature-256", &empty_sig),
            ("x-gitea-signature", empty_sig.trim_start_matches("sha256=")),
            ("x-gitlab-token", ""),
        ]);
        for forge in Forge::ALL {
            assert_eq!(
                verify(forge, b"", DOCS_BODY, &h),
                Err(SignatureError::NoSecret),
                "{forge:?}"
            );
        }
    }

    #[test]
    fn gitlab_token_is_compared_whole() {
        let secret = b"s3cret-token";
        assert_eq!(
            verify_gitlab(secret, &headers(&[("X-Gitlab-Token", "s3cret-token")])),
            Ok(())
        );
        for wrong in ["s3cret-toke", "s3cret-token ", "S3CRET-TOKEN", "x"] {
            assert_eq!(
                verify_gitlab(secret, &headers(&[("x-gitlab-token", wrong)])),
                Err(SignatureError::Mismatch {
                    header: "x-gitlab-token"
                }),
                "{wrong:?}"
            );
        }
    }

    #[test]
    fn the_first_gitea_header_present_is_the_one_checked() {
        let good = sign_github(DOCS_SECRET, DOCS_BODY);
        // A forged bare header in front of a valid prefixed one must not be skipped over.
        let h = headers(&[
            ("x-gitea-signature", &"0".repeat(64)),
            ("x-hub-signature-256", &good),
        ]);
        assert_eq!(
            verify_gitea(DOCS_SECRET, DOCS_BODY, &h),
            Err(SignatureError::Mismatch {
                header: "x-gitea-signature"
            })
        );
    }
}
