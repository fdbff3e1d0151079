//! Atomic output (CONTRACT §3): every file is written to a temporary file in
//! the same folder, then renamed over the target, so a reader never sees a
//! half-written report and a failed run leaves the previous one intact.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Write `bytes` to `path` atomically, creating parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create folder", dir.display()))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".cacheroi-");
    // Created like any new file (rw-rw-rw- less the user's umask): reports
    // carry customer names and money, so the umask decides who reads them.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("{}: cannot write", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("{}: cannot replace", path.display()))?;
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_files_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/metrics.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("metrics.json")]);
    }

    #[cfg(unix)]
    #[test]
    fn files_get_the_users_umask() {
        use std::os::unix::fs::PermissionsExt;
        // The umask is process-wide: this is the only test that changes it,
        // and it restores it at once.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("roi.csv");
        // SAFETY: umask only sets the process's file-creation mask.
        let old = unsafe { libc::umask(0o077) };
        let result = write_atomic(&p, b"x");
        unsafe { libc::umask(old) };
        result.unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "umask 077: only the owner reads customer figures");
    }
}
