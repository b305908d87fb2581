//! What a commit message asks the tracker to do. Found for every commit; carried out only
//! for authors allowed to (that decision belongs to the linker).

use std::fmt;

use super::TaskRef;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Close(TaskRef),
    LogTime { task: TaskRef, minutes: i64 },
}

impl Command {
    pub fn task(&self) -> &TaskRef {
        match self {
            Command::Close(task) | Command::LogTime { task, .. } => task,
        }
    }
}

/// One line of `shtab vcs refs`: `close #12`, `time PROJ-4 2h30m`.
impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Close(task) => write!(f, "close {task}"),
            Command::LogTime { task, minutes } => write!(f, "time {task} {}", Minutes(*minutes)),
        }
    }
}

/// `2h30m`, `2h`, `45m`: the way people write it in messages.
struct Minutes(i64);

impl fmt::Display for Minutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m) = (self.0 / 60, self.0 % 60);
        match (h, m) {
            (0, m) => write!(f, "{m}m"),
            (h, 0) => write!(f, "{h}h"),
            (h, m) => write!(f, "{h}h{m}m"),
        }
    }
}
