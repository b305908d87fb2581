//! The capability's robot: bank statements.

pub mod statements;
