//! Pure types and rules of the bank capability: no IO here.

pub mod account;
pub mod inn;
pub mod matching;
pub mod operation;
pub mod purpose;

pub use account::{AccountNumber, Bic};
pub use inn::{IdError, Inn, Kpp};
pub use operation::{Direction, Operation, Party, TaxFields, direction, own_account};
/// The one money type of the tree, from core.
pub use shtab_core::types::{Kopecks, MoneyError};
