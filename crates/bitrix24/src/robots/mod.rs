//! The portal's robots.

pub mod users;
