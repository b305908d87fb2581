use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

use crate::FieldError;

pub const PASSWORD_MIN_CHARS: usize = 10;

/// Checks the policy and hashes with Argon2id (the crate's defaults follow OWASP's advice).
pub fn hash_password(field: &str, password: &str) -> Result<String, FieldError> {
    check_policy(field, password)?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system provides randomness");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 accepts any input")
        .to_string())
}

/// Whether `password` may be chosen: long enough, and not absurdly long.
pub fn check_policy(field: &str, password: &str) -> Result<(), FieldError> {
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
    Ok(())
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

/// Argon2 spends tens of milliseconds of a core on purpose. On the async workers a burst of
/// logins would stall every other request (webhooks, the agents' API), so hashing and
/// checking run on the blocking pool, and only this many at once: the rest wait their turn
/// instead of taking every core. Process-wide, since the cores are.
static ARGON2_SLOTS: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    Semaphore::new(cores.div_ceil(2).clamp(1, 4))
});

/// Runs `work` on the blocking pool once a slot is free.
async fn in_slot<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let _slot = ARGON2_SLOTS
        .acquire()
        .await
        .expect("the semaphore is never closed");
    tokio::task::spawn_blocking(work)
        .await
        .expect("argon2 does not panic")
}

/// [`hash_password`] off the async workers.
pub async fn hash_password_off_thread(field: &str, password: &str) -> Result<String, FieldError> {
    let (field, password) = (field.to_string(), password.to_string());
    in_slot(move || hash_password(&field, &password)).await
}

/// [`verify_password`] off the async workers. Every call is one real check, counted in
/// the `password_checks_total` metric, so throttling can be watched doing its job.
pub async fn check_password(password: &str, stored: &str) -> bool {
    let (password, stored) = (password.to_string(), stored.to_string());
    in_slot(move || {
        metrics::counter!("password_checks_total").increment(1);
        verify_password(&password, &stored)
    })
    .await
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

    #[tokio::test]
    async fn the_off_thread_versions_agree() {
        let h = hash_password_off_thread("password", "correct horse battery")
            .await
            .unwrap();
        assert!(check_password("correct horse battery", &h).await);
        assert!(!check_password("correct horse batterY", &h).await);
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
