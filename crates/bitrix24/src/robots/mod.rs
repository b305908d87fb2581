//! The portal's robots.

pub mod invoices;
pub mod users;
