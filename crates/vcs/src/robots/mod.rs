//! The capability's robot: the sweep.

pub mod sweep;

pub use sweep::Sweep;
