//! Atomic output (docs/bad-input.md: nothing half-written): every file is written to a temporary file in
//! the same folder, then renamed over the target, so a reader never sees a
//! half-written report and a failed run leaves the previous one intact.

use std::path::{Path, PathBuf};

use anyhow::Result;

pub use crate::fsutil::write_atomic;
use crate::ground::files::Files;

/// Write a rendered report's files under `dir` (each atomically), after all
/// of them were rendered; returns the paths written.
pub fn write(dir: &Path, files: &Files) -> Result<Vec<PathBuf>> {
    let mut written = Vec::with_capacity(files.files.len());
    for (name, bytes) in &files.files {
        let path = dir.join(name);
        write_atomic(&path, bytes)?;
        written.push(path);
    }
    Ok(written)
}
