//! Bank: statements in, payments matched to invoices (being built).

pub mod domain;
pub mod sources;
