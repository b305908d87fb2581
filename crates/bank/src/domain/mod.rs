//! Pure types and rules of the bank capability: no IO here.

pub mod account;
pub mod inn;
pub mod matching;
pub mod money;
pub mod operation;
pub mod purpose;

pub use account::{AccountNumber, Bic};
pub use inn::{IdError, Inn, Kpp};
pub use money::{Kopecks, MoneyError};
pub use operation::{Direction, Operation, Party, TaxFields, direction, own_account};
