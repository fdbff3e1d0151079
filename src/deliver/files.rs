//! Atomic output (CONTRACT §3): every file is written to a temporary file in
//! the same folder, then renamed over the target, so a reader never sees a
//! half-written report and a failed run leaves the previous one intact.

use std::path::{Path, PathBuf};

use anyhow::Result;

pub use crate::fsutil::write_atomic;

/// A set of files rendered in memory, written only once all are ready, so an
/// error while rendering writes nothing.
#[derive(Debug, Default)]
pub struct Bundle {
    pub files: Vec<(PathBuf, Vec<u8>)>,
}

impl Bundle {
    pub fn add(&mut self, path: PathBuf, bytes: impl Into<Vec<u8>>) {
        self.files.push((path, bytes.into()));
    }

    /// metrics.json and friends: pretty JSON with a final newline.
    pub fn add_json<T: serde::Serialize>(&mut self, path: PathBuf, value: &T) -> Result<()> {
        let mut json = serde_json::to_string_pretty(value)?;
        json.push('\n');
        self.add(path, json);
        Ok(())
    }

    /// Every chart as `<name>.png` and `<name>.svg` in `dir`.
    pub fn add_charts(&mut self, dir: &Path, charts: &[crate::render::charts::Chart]) {
        for c in charts {
            self.add(dir.join(format!("{}.png", c.name)), c.png.clone());
            self.add(dir.join(format!("{}.svg", c.name)), c.svg.clone());
        }
    }

    pub fn write(&self) -> Result<()> {
        for (path, bytes) in &self.files {
            write_atomic(path, bytes)?;
        }
        Ok(())
    }
}
