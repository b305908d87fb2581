//! The outside systems statements come from, one module each, and [`parse_any`] for a file
//! whose kind is not known in advance.

mod error;
pub mod onec;
mod parsed;
pub mod tbank;
pub mod tbank_client;

pub use error::ParseError;
pub use parsed::{Format, ParsedFile, ParsedOperation, parse_any};
