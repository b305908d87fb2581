use std::fmt;

use ssh_key::{HashAlg, PublicKey};

use crate::FieldError;

/// An OpenSSH public key as a person pastes it (`ssh-ed25519 AAAA… comment`), checked by
/// parsing its blob, normalised to `algorithm base64 comment` and fingerprinted (SHA256).
#[derive(Clone, PartialEq, Eq)]
pub struct SshPublicKey {
    algorithm: String,
    /// The `algorithm base64` part, without comment: what identifies the key.
    key: String,
    comment: String,
    fingerprint: String,
}

/// Key types we accept: the ones current OpenSSH accepts by default. DSA is gone since
/// OpenSSH 9.8 and short RSA keys are refused by servers, so taking them would only produce
/// access that never works.
const ACCEPTED: &[&str] = &[
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

const MIN_RSA_BITS: usize = 2048;

impl SshPublicKey {
    pub fn parse(field: &str, input: &str) -> Result<SshPublicKey, FieldError> {
        let line = input.trim();
        if line.is_empty() {
            return Err(FieldError::required(field));
        }
        let invalid = |why: &str| {
            FieldError::new(
                field,
                "invalid_ssh_key",
                format!("not a valid OpenSSH public key: {why}"),
            )
        };
        if line.contains('\n') || line.contains('\r') {
            return Err(invalid("one key per line"));
        }
        let parsed = PublicKey::from_openssh(line).map_err(|e| invalid(&e.to_string()))?;
        let algorithm = parsed.algorithm().as_str().to_string();
        if !ACCEPTED.contains(&algorithm.as_str()) {
            return Err(invalid(&format!("key type {algorithm} is not accepted")));
        }
        if let Some(rsa) = parsed.key_data().rsa() {
            let bits = rsa.n.as_positive_bytes().map(|b| b.len() * 8).unwrap_or(0);
            if bits < MIN_RSA_BITS {
                return Err(invalid(&format!(
                    "RSA keys must have at least {MIN_RSA_BITS} bits"
                )));
            }
        }
        let fingerprint = parsed.fingerprint(HashAlg::Sha256).to_string();
        let mut without_comment = parsed.clone();
        without_comment.set_comment("");
        let key = without_comment
            .to_openssh()
            .map_err(|e| invalid(&e.to_string()))?
            .trim()
            .to_string();
        let comment: String = parsed
            .comment()
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        Ok(SshPublicKey {
            algorithm,
            key,
            comment,
            fingerprint,
        })
    }

    pub fn algorithm(&self) -> &str {
        &self.algorithm
    }

    /// `algorithm base64`, the form that goes into `authorized_keys`.
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn comment(&self) -> &str {
        &self.comment
    }

    /// `SHA256:…`, as `ssh-keygen -lf` prints it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The full line, with the comment if there is one.
    pub fn line(&self) -> String {
        if self.comment.is_empty() {
            self.key.clone()
        } else {
            format!("{} {}", self.key, self.comment)
        }
    }
}

impl fmt::Debug for SshPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SshPublicKey({} {})", self.algorithm, self.fingerprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Generated with `ssh-keygen -t ed25519 -C ivan@laptop` for these tests only.
    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfkPZbBLFlGygiyeA0GuHr4zJ3fctJV8jg4cEjUCLYZ ivan@laptop";

    #[test]
    fn parses_and_fingerprints_an_ed25519_key() {
        let k = SshPublicKey::parse("key", ED25519).unwrap();
        assert_eq!(k.algorithm(), "ssh-ed25519");
        assert_eq!(k.comment(), "ivan@laptop");
        // What `ssh-keygen -lf` printed for this key.
        assert_eq!(
            k.fingerprint(),
            "SHA256:XBtqwR3YlXfS74cWMftEXJ+U6a1a4lfyh6eN6VUUPgQ"
        );
        assert_eq!(k.line(), ED25519);
    }

    #[test]
    fn rejects_garbage_and_truncated_blobs() {
        assert_eq!(SshPublicKey::parse("key", "").unwrap_err().code, "required");
        assert_eq!(
            SshPublicKey::parse("key", "hello world").unwrap_err().code,
            "invalid_ssh_key"
        );
        let truncated = &ED25519[..40];
        assert_eq!(
            SshPublicKey::parse("key", truncated).unwrap_err().code,
            "invalid_ssh_key"
        );
        let two = format!("{ED25519}\n{ED25519}");
        assert!(SshPublicKey::parse("key", &two).is_err());
    }
}
