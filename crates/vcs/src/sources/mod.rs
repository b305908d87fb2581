//! The outside systems `vcs` reads: git repositories, through the `git` program.

pub mod git;
