//! Appending to the Redis snapshot store (docs/inputs.md#redis-snapshot-store) safely: every writer
//! takes an exclusive lock on `<store>.lock`, so two captures that overlap
//! (cron and a manual run) never interleave; each batch is one `write` of
//! whole lines followed by `fsync`; a torn last line left by an older crash
//! gets a line break first, so it stays one bad line (counted by the reader)
//! instead of swallowing a good one. Retention rewrites the store through a
//! temporary file and a rename under the same lock.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

pub use crate::fsutil::FileLock as StoreLock;

/// Append whole lines (each without its newline) to the store.
pub fn append(store: &Path, lines: &[String]) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let _lock = StoreLock::acquire(store)?;
    let mut file = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(store)
        .with_context(|| format!("{}: cannot open the snapshot store", store.display()))?;
    let mut batch = String::new();
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))?;
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            batch.push('\n');
        }
    }
    for line in lines {
        batch.push_str(line);
        batch.push('\n');
    }
    file.write_all(batch.as_bytes())
        .and_then(|_| file.sync_all())
        .with_context(|| format!("{}: cannot append", store.display()))?;
    Ok(())
}

/// Drop captures older than `cutoff`; lines whose time cannot be read are
/// kept (they are counted by the reader, never silently lost). Returns the
/// number of lines dropped.
pub fn retain(store: &Path, cutoff: DateTime<Utc>) -> Result<usize> {
    let _lock = StoreLock::acquire(store)?;
    let bytes = match std::fs::read(store) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", store.display())),
    };
    #[derive(serde::Deserialize)]
    struct Ts {
        ts: String,
    }
    // Lines are kept byte for byte (one that is not UTF-8 or not a capture
    // stays for the readers to count); only captures older than the cutoff go.
    let mut kept: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut dropped = 0;
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let old = serde_json::from_slice::<Ts>(line)
            .ok()
            .and_then(|t| crate::frames::parse_rfc3339_micros(&t.ts))
            .is_some_and(|us| us < cutoff.timestamp_micros());
        if old {
            dropped += 1;
        } else {
            kept.extend_from_slice(line);
            kept.push(b'\n');
        }
    }
    if dropped > 0 {
        super::files::write_atomic(store, &kept)?;
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_after_a_torn_line_and_retains_by_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s.ndjson");
        std::fs::write(
            &store,
            "{\"ts\":\"2020-01-01T00:00:00Z\",\"instance\":\"a:1\",\"error\":\"x\"}\n{\"ts\":\"2026-",
        )
        .unwrap();
        append(
            &store,
            &["{\"ts\":\"2026-11-20T00:00:00Z\",\"instance\":\"a:1\",\"error\":\"y\"}".into()],
        )
        .unwrap();
        let text = std::fs::read_to_string(&store).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(text.lines().nth(2).unwrap().starts_with("{\"ts\":\"2026-11-20"));
        let cutoff = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(retain(&store, cutoff).unwrap(), 1);
        let text = std::fs::read_to_string(&store).unwrap();
        // The torn line (no readable time) is kept; the 2020 capture is gone.
        assert_eq!(text.lines().count(), 2);
        assert!(!text.contains("2020-01-01"));
    }
}
