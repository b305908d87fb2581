//! Writing files so that a reader (sshd, sudo, a concurrent `keys`) sees either the old or
//! the new contents, never half of one: a temporary file beside the target, fsync, rename,
//! fsync of the directory.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context;

/// A temporary name beside `target` that no other process or thread picks.
pub fn temp_beside(target: &Path) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A dot-name: sudo ignores files in sudoers.d whose names contain a dot, and a
    // leftover after a crash is visibly a temporary.
    target.with_file_name(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Writes `contents` to `target` atomically with `mode`, owned by root (the agent runs as
/// root; the files it writes must not be changeable by the users they concern).
pub fn write_atomic(target: &Path, contents: &[u8], mode: u32) -> anyhow::Result<()> {
    write_atomic_checked(target, contents, mode, |_| Ok(()))
}

/// Like [`write_atomic`], but `check` sees the complete temporary file first and can stop
/// it from replacing `target` (`visudo -cf`).
pub fn write_atomic_checked(
    target: &Path,
    contents: &[u8],
    mode: u32,
    check: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let temp = temp_beside(target);
    let result = write_then_rename(&temp, target, contents, mode, check);
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

fn write_then_rename(
    temp: &Path,
    target: &Path,
    contents: &[u8],
    mode: u32,
    check: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(temp)
        .with_context(|| format!("cannot create {}", temp.display()))?;
    // The umask may have narrowed the mode at creation.
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    check(temp)?;
    fs::rename(temp, target)
        .with_context(|| format!("cannot move {} into place", target.display()))?;
    sync_dir(target);
    Ok(())
}

/// Makes a rename or removal durable; best effort (some filesystems refuse to open dirs).
pub fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent()
        && let Ok(dir) = File::open(dir)
    {
        let _ = dir.sync_all();
    }
}

/// Creates `dir` and its missing parents with `mode`, and sets `mode` on `dir` itself.
pub fn ensure_dir(dir: &Path, mode: u32) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot set the mode of {}", dir.display()))?;
    Ok(())
}

/// Removes a file; a file that is already gone is what was wanted.
pub fn remove_if_present(path: &Path) -> anyhow::Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => {
            sync_dir(path);
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
}

/// The file's contents, or `None` when there is no such file.
pub fn read_if_present(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_contents_and_sets_the_mode() {
        let dir = std::env::temp_dir().join(format!("shtab-agent-files-{}", std::process::id()));
        ensure_dir(&dir, 0o755).unwrap();
        let target = dir.join("alice");
        write_atomic(&target, b"one\n", 0o644).unwrap();
        write_atomic(&target, b"two\n", 0o600).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"two\n");
        assert_eq!(
            fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // Nothing left beside it.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        assert!(remove_if_present(&target).unwrap());
        assert!(!remove_if_present(&target).unwrap());
        fs::remove_dir(&dir).unwrap();
    }
}
