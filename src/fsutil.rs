//! Durable files at the ground: an atomic write (temporary file, fsync,
//! rename) and an exclusive lock file. Used by the stages that keep state
//! (the rollup store) and by delivery.

use std::fs::{File, OpenOptions};
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

/// An exclusive lock on `<path>.lock` (flock), released on drop.
pub struct FileLock {
    _file: File,
}

fn lock_path(store: &Path) -> PathBuf {
    let mut name = store.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".lock");
    store.with_file_name(name)
}

impl FileLock {
    pub fn acquire(store: &Path) -> Result<FileLock> {
        let path = lock_path(store);
        let file = open_lock(&path)?;
        lock_exclusive(&file).with_context(|| format!("{}: cannot lock", path.display()))?;
        Ok(FileLock { _file: file })
    }

    /// Take the lock file `path` itself without waiting: None when another
    /// process holds it.
    pub fn try_lock_file(path: &Path) -> Result<Option<FileLock>> {
        let file = open_lock(path)?;
        Ok(try_lock_exclusive(&file)
            .with_context(|| format!("{}: cannot lock", path.display()))?
            .then_some(FileLock { _file: file }))
    }
}

/// Open (creating it and its folder) a lock file.
fn open_lock(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create folder", dir.display()))?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("{}: cannot open lock file", path.display()))
}

#[cfg(unix)]
fn try_lock_exclusive(file: &File) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a file descriptor we own; returns at once.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}

#[cfg(not(unix))]
fn try_lock_exclusive(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(unix)]
fn lock_exclusive(file: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a file descriptor we own; blocks until the lock is ours.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(unix))]
fn lock_exclusive(_file: &File) -> std::io::Result<()> {
    Ok(())
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
