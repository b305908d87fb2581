//! The portal's robots.

pub mod deals;
pub mod users;
