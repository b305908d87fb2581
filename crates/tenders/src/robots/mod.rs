//! The capability's robots: the saved searches, and deadline reminders.

pub mod reminders;
pub mod searches;
