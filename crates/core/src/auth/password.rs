use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::FieldError;

pub const PASSWORD_MIN_CHARS: usize = 10;

/// Checks the policy and hashes with Argon2id (the crate's defaults follow OWASP's advice).
pub fn hash_password(field: &str, password: &str) -> Result<String, FieldError> {
    if password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(FieldError::new(
            field,
            "password_too_short",
            format!("must be at least {PASSWORD_MIN_CHARS} characters"),
        ));
    }
    if password.len() > 1024 {
        return Err(FieldError::new(
            field,
            "too_long",
            "must be at most 1024 bytes",
        ));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system provides randomness");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 accepts any input")
        .to_string())
}

/// A password made for someone who did not choose one (shown to them once). 20 characters
/// of URL-safe base64 carry 120 bits: far beyond guessing, short enough to type.
pub fn generate_password() -> String {
    super::random_token()[..20].to_string()
}

/// Constant-time check of a password against a stored hash; a malformed hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(hash) => Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let h = hash_password("password", "correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn generated_passwords_pass_the_policy() {
        let p = generate_password();
        assert_eq!(p.chars().count(), 20);
        assert!(hash_password("password", &p).is_ok());
        assert_ne!(p, generate_password());
    }

    #[test]
    fn short_passwords_are_refused_by_name() {
        let e = hash_password("password", "short").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.code),
            ("password", "password_too_short")
        );
    }
}
