//! The portal's robots.

pub mod deals;
pub mod invoices;
pub mod users;
