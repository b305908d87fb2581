//! Pure rules, no IO: what a commit message refers to, what a forge sent, who wrote it.

pub mod author;
pub mod change;
pub mod clone_url;
pub mod push;
pub mod refs;
pub mod repository;
pub mod signature;
