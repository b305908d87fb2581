//! Where tests find the public sample files (forge payloads, bank statements, procurement
//! notices). They live beside the project in `../shared/samples/` and are never committed.
//!
//! CI sets `SHTAB_SAMPLES_DIR`, and then a missing file is a failure. Without it, the
//! directory beside the checkout is used when it exists; on a machine without it the
//! sample tests say so and pass, so the README's test command works on a bare clone.

use std::path::PathBuf;

pub const ENV: &str = "SHTAB_SAMPLES_DIR";

/// The sample `relative` (`github/ping.json`), or `None` when no samples directory exists
/// and none was required.
///
/// # Panics
/// When `SHTAB_SAMPLES_DIR` is set but the file is not there.
pub fn path(relative: &str) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(ENV) {
        let file = PathBuf::from(dir).join(relative);
        assert!(
            file.is_file(),
            "{ENV} is set but the sample {} is missing",
            file.display()
        );
        return Some(file);
    }
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples");
    if !beside.is_dir() {
        eprintln!("no samples directory (set {ENV}); skipping the check of {relative}");
        return None;
    }
    let file = beside.join(relative);
    assert!(file.is_file(), "the sample {} is missing", file.display());
    Some(file)
}

/// The bytes of the sample `relative`; see [`path`].
pub fn read(relative: &str) -> Option<Vec<u8>> {
    path(relative)
        .map(|p| std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display())))
}
