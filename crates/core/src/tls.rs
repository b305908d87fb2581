//! The one TLS crypto provider of the process. Every rustls user in the tree (sqlx, reqwest,
//! lettre) is built with *ring* only, and reqwest is built without a provider of its own, so
//! the provider is installed once, before the first HTTP client is made.

/// Installs *ring* as the process's rustls provider; calling it again does nothing.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Fails only when another thread installed one first, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
