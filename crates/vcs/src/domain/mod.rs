//! Pure rules, no IO: what a commit message refers to, what a forge sent, who wrote it,
//! which copies are one change, which branches reach a commit.

pub mod author;
pub mod change;
pub mod clone_url;
pub mod push;
pub mod reach;
pub mod refs;
pub mod repository;
pub mod signature;
