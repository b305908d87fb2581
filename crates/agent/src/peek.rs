//! Reading files the agent does not control. As root, a plain read of a managed user's
//! `~/.ssh/authorized_keys` follows whatever the user put there: a link to `/dev/zero`
//! eats memory until the run dies, a link to `/etc/shadow` reads root's secrets, and a FIFO
//! blocks the open for ever — and with it every run, revocations included. So a file is
//! opened without following a link (`O_NOFOLLOW`) and without waiting (`O_NONBLOCK`), must
//! be a regular file by `fstat` of what was opened (not by a second look at the path), and
//! is read up to a cap. Anything else is not read at all: the caller reports why.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Component, Path};

/// More than any keys file or sudoers drop-in holds; a bigger one is not read.
pub const MAX_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peek {
    /// No such file (or a parent is not a directory).
    Missing,
    /// The contents (invalid UTF-8 replaced).
    Text(String),
    /// Something is there that was not read; what it is, for a drift line ("… is a FIFO").
    NotRead(String),
}

impl Peek {
    /// The contents as a managed file is compared with: `None` when there is no file; a
    /// file that could not be read is "something else" and gets replaced or removed.
    pub fn managed_contents(self) -> Option<String> {
        match self {
            Peek::Missing => None,
            Peek::Text(text) => Some(text),
            Peek::NotRead(_) => Some(String::new()),
        }
    }
}

/// Reads `path` if it is a regular file of at most [`MAX_BYTES`], without following a link
/// in its last component and without blocking.
pub fn peek(path: &Path) -> Peek {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound || e.raw_os_error() == Some(libc::ENOTDIR) => {
            return Peek::Missing;
        }
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Peek::NotRead("a symbolic link".into());
        }
        Err(e) => return Peek::NotRead(format!("unreadable ({e})")),
    };
    read_regular(file)
}

/// Like [`peek`] for `relative` under `home` (a user's directory), and refuses a link
/// anywhere below `home` too: `~/.ssh` pointing elsewhere is as much a user's choice as
/// the file itself. (A link swapped in after this look still cannot make the read block
/// or grow: [`peek`] checks what it opened.)
pub fn peek_under(home: &Path, relative: &Path) -> Peek {
    let mut dir = home.to_path_buf();
    let parents: Vec<Component> = relative
        .parent()
        .map(|p| p.components().collect())
        .unwrap_or_default();
    for part in parents {
        dir.push(part);
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Peek::NotRead(format!("under a symbolic link ({})", dir.display()));
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Peek::Missing,
            Err(e) if e.kind() == ErrorKind::NotFound => return Peek::Missing,
            Err(e) => return Peek::NotRead(format!("under an unreadable {} ({e})", dir.display())),
        }
    }
    peek(&home.join(relative))
}

fn read_regular(file: File) -> Peek {
    let meta = match file.metadata() {
        Ok(meta) => meta,
        Err(e) => return Peek::NotRead(format!("unreadable ({e})")),
    };
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else if kind.is_dir() {
            "a directory"
        } else {
            "not a regular file"
        };
        return Peek::NotRead(what.into());
    }
    if meta.len() > MAX_BYTES {
        return Peek::NotRead(format!("larger than {MAX_BYTES} bytes"));
    }
    let mut bytes = Vec::new();
    // The size can change between fstat and read: the cap holds either way.
    if let Err(e) = file.take(MAX_BYTES + 1).read_to_end(&mut bytes) {
        return Peek::NotRead(format!("unreadable ({e})"));
    }
    if bytes.len() as u64 > MAX_BYTES {
        return Peek::NotRead(format!("larger than {MAX_BYTES} bytes"));
    }
    Peek::Text(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_fifos_devices_and_big_files_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "ssh-ed25519 AAAA x\n").unwrap();
        assert_eq!(peek(&plain), Peek::Text("ssh-ed25519 AAAA x\n".into()));
        assert_eq!(peek(&dir.path().join("nothing")), Peek::Missing);
        assert_eq!(peek(&plain.join("below-a-file")), Peek::Missing);

        let link = dir.path().join("link");
        symlink("/dev/zero", &link).unwrap();
        assert_eq!(peek(&link), Peek::NotRead("a symbolic link".into()));
        assert_eq!(
            peek(Path::new("/dev/zero")),
            Peek::NotRead("a device".into())
        );

        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Would block for ever without O_NONBLOCK: nobody writes to it.
        assert_eq!(peek(&fifo), Peek::NotRead("a FIFO".into()));

        let big = dir.path().join("big");
        let file = File::create(&big).unwrap();
        file.set_len(MAX_BYTES + 1).unwrap();
        assert!(matches!(peek(&big), Peek::NotRead(why) if why.starts_with("larger than")));
    }

    #[test]
    fn a_linked_directory_under_home_is_not_followed() {
        let home = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::fs::write(elsewhere.path().join("authorized_keys"), "k\n").unwrap();
        symlink(elsewhere.path(), home.path().join(".ssh")).unwrap();
        let keys = Path::new(".ssh/authorized_keys");
        assert!(
            matches!(peek_under(home.path(), keys), Peek::NotRead(why) if why.contains("symbolic link"))
        );
        std::fs::remove_file(home.path().join(".ssh")).unwrap();
        assert_eq!(peek_under(home.path(), keys), Peek::Missing);
        std::fs::create_dir(home.path().join(".ssh")).unwrap();
        std::fs::write(home.path().join(".ssh/authorized_keys"), "k\n").unwrap();
        assert_eq!(peek_under(home.path(), keys), Peek::Text("k\n".into()));
    }
}
