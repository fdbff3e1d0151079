//! The small YAML documents the product owner writes — the rollout plan and
//! the risk register (docs/gate.md#the-plan, docs/risks.md#the-risk-register)
//! — read as text: a regular file of at most [`MAX_DOCUMENT_BYTES`], UTF-8,
//! errors naming the file. `evaluate` parses them.

use std::path::Path;

use anyhow::{Result, anyhow};

/// The largest plan or register read (docs/bad-input.md#limits-what-one-input-may-cost).
pub const MAX_DOCUMENT_BYTES: u64 = 256 * 1024;

/// The text of `path` (`what`: "the rollout plan").
pub fn read(path: &Path, what: &str) -> Result<String> {
    use std::io::Read;
    let cannot = |e: &dyn std::fmt::Display| anyhow!("{}: cannot read {what}: {e}", path.display());
    crate::formats::check_regular_file(path).map_err(|e| anyhow!("{e}"))?;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(|e| cannot(&e))?
        .take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(&e))?;
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(cannot(&format!("larger than {} KiB", MAX_DOCUMENT_BYTES / 1024)));
    }
    String::from_utf8(bytes).map_err(|_| cannot(&"not UTF-8 text"))
}
