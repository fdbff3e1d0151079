//! Errors that decide the exit code (CONTRACT §2): usage errors exit 2,
//! everything else that goes wrong at run time exits 1.

use std::path::PathBuf;

/// Exit codes of CONTRACT §2.
pub mod exit {
    pub const SUCCESS: i32 = 0;
    pub const RUNTIME: i32 = 1;
    pub const USAGE: i32 = 2;
}

/// A mistake in how the command was called (bad `--week`, a flag that does
/// not fit): exit code 2, like clap's own usage errors.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Problems with an input source that callers may want to tell apart.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{what}: no file matches {pattern}")]
    NoMatch { what: &'static str, pattern: String },
    #[error("{}: file not found", path.display())]
    Missing { path: PathBuf },
    #[error("{}: required column `{column}` is missing (columns found: {found})", path.display())]
    MissingColumn {
        path: PathBuf,
        column: &'static str,
        found: String,
    },
    #[error("{}: column `{column}` has type {found}, expected {expected}", path.display())]
    Schema {
        path: PathBuf,
        column: &'static str,
        expected: &'static str,
        found: String,
    },
    #[error("{}: unsupported file type (expected .csv, .ndjson, .jsonl or .parquet, optionally .gz or .zst)", path.display())]
    UnknownFormat { path: PathBuf },
    #[error("{}: cannot read: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
}
