//! Values parsed once at the edge: if you hold one, it is valid.

mod email;
mod locale;
mod money;
mod money_lenient;
mod ssh_key;
mod text;

pub use email::Email;
pub use locale::Locale;
pub use money::{Kopecks, MoneyError, currency_sign};
pub use ssh_key::SshPublicKey;
pub use text::{optional_text, required_text};
