//! Bank: statements in, payments matched to invoices.
//!
//! `domain` holds the money and requisite types and the payment shape; `sources` reads what
//! banks send (1CClientBankExchange files, T-Bank JSON) into it.

pub mod domain;
pub mod sources;
