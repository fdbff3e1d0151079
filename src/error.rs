//! Errors that decide the exit code (docs/guide.md#commands): usage errors exit 2,
//! everything else that goes wrong at run time exits 1.

use std::path::PathBuf;

/// Exit codes of docs/guide.md#commands.
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
    #[error("{}: is {what}, not a file", path.display())]
    NotAFile { path: PathBuf, what: &'static str },
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

/// `s` made fit for a one-line message: control characters (line ends
/// included) become spaces and anything beyond `max` characters is cut
/// with an ellipsis, so an echoed value never floods stderr.
pub fn clip(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

/// An error message on one line: the message and its causes joined by `: `,
/// line ends folded, and at most `max` characters.
pub fn one_line(err: &anyhow::Error, max: usize) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    clip(&parts.join(": "), max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_cuts_and_folds_control_characters() {
        assert_eq!(clip("short", 80), "short");
        assert_eq!(clip("a\nb\r\tc", 80), "a b  c");
        assert_eq!(clip(&"x".repeat(100), 5), "xxxxx…");
        assert_eq!(clip("ééééé", 5), "ééééé");
    }

    #[test]
    fn one_line_joins_the_chain() {
        let e = anyhow::anyhow!("inner\nsecond line").context("outer");
        assert_eq!(one_line(&e, 200), "outer: inner second line");
        let long = anyhow::anyhow!("{}", "a".repeat(10_000));
        assert_eq!(one_line(&long, 300).chars().count(), 301);
    }
}
