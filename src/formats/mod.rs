//! Input formats (CONTRACT §1): CSV, NDJSON and Parquet, chosen by extension,
//! with `.gz` and `.zst` compression for the text formats. Each reader turns
//! one file into a [`RawFile`]: a lazy frame of the file's own columns (text
//! formats as strings, Parquet as typed) plus `__row`, the 0-based record
//! index, so that a bad row can be pointed at.

pub mod csv;
pub mod ndjson;
pub mod parquet;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Result;
use polars::prelude::*;
use serde::Serialize;

use crate::error::SourceError;

/// Name of the record-index column every raw frame carries.
pub const ROW: &str = "__row";
/// Name of the flag column for records that could not be parsed at all
/// (a torn NDJSON line); absent when a format cannot produce them.
pub const MALFORMED: &str = "__malformed";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    Csv,
    Ndjson,
    Parquet,
}

impl InputFormat {
    pub const ALL: [InputFormat; 3] = [InputFormat::Csv, InputFormat::Ndjson, InputFormat::Parquet];

    pub fn extension(self) -> &'static str {
        match self {
            InputFormat::Csv => "csv",
            InputFormat::Ndjson => "ndjson",
            InputFormat::Parquet => "parquet",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// What a path holds, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileKind {
    pub format: InputFormat,
    pub compression: Compression,
}

impl FileKind {
    pub fn detect(path: &Path) -> Result<FileKind, SourceError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let (stem, compression) = if let Some(s) = name.strip_suffix(".gz") {
            (s, Compression::Gzip)
        } else if let Some(s) = name.strip_suffix(".zst") {
            (s, Compression::Zstd)
        } else {
            (name.as_str(), Compression::None)
        };
        let format = match stem.rsplit('.').next() {
            Some("csv") => InputFormat::Csv,
            Some("ndjson" | "jsonl") => InputFormat::Ndjson,
            Some("parquet" | "pq") if compression == Compression::None => InputFormat::Parquet,
            _ => {
                return Err(SourceError::UnknownFormat {
                    path: path.to_path_buf(),
                });
            }
        };
        Ok(FileKind { format, compression })
    }
}

/// Where a record sits in its file, for people: a line for text formats, a
/// row number for Parquet (both 1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    Line(u64),
    Row(u64),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// One input file opened for reading.
pub struct RawFile {
    pub path: PathBuf,
    pub kind: FileKind,
    /// The file's columns (names as in the file) plus [`ROW`], maybe [`MALFORMED`].
    pub frame: LazyFrame,
    pub schema: SchemaRef,
    /// NDJSON only: the 1-based line of each record (blank lines are skipped).
    lines: Option<Vec<u32>>,
}

impl RawFile {
    /// Open a file of any supported kind. A missing file is named.
    pub fn open(path: &Path) -> Result<RawFile> {
        if !path.is_file() {
            return Err(SourceError::Missing {
                path: path.to_path_buf(),
            }
            .into());
        }
        let kind = FileKind::detect(path)?;
        let unreadable = |e: &dyn std::fmt::Display| SourceError::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string().lines().next().unwrap_or_default().to_string(),
        };
        let (frame, lines) = match kind.format {
            InputFormat::Csv => (csv::scan(path, kind.compression).map_err(|e| unreadable(&e))?, None),
            InputFormat::Ndjson => {
                let (df, lines) = ndjson::read(&read_bytes(path, kind.compression)?).map_err(|e| unreadable(&e))?;
                (df.lazy(), Some(lines))
            }
            InputFormat::Parquet => (parquet::scan(path).map_err(|e| unreadable(&e))?, None),
        };
        let mut frame = frame;
        let schema = frame.collect_schema().map_err(|e| unreadable(&e))?;
        Ok(RawFile {
            path: path.to_path_buf(),
            kind,
            frame,
            schema,
            lines,
        })
    }

    /// Find a column by name, case-insensitively (CONTRACT §1).
    pub fn column(&self, name: &str) -> Option<(PlSmallStr, DataType)> {
        self.schema
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(n, dt)| (n.clone(), dt.clone()))
    }

    /// The columns of the file as people wrote them, for error messages.
    pub fn column_names(&self) -> String {
        self.schema
            .iter_names()
            .filter(|n| !n.starts_with("__"))
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn has_malformed_flag(&self) -> bool {
        self.schema.contains(MALFORMED)
    }

    /// Where the records with these 0-based indices sit (ascending input).
    pub fn locate(&self, rows: &[u32]) -> Result<Vec<Location>> {
        Ok(match self.kind.format {
            InputFormat::Parquet => rows.iter().map(|r| Location::Row(u64::from(*r) + 1)).collect(),
            InputFormat::Ndjson => {
                let lines = self.lines.as_deref().unwrap_or_default();
                rows.iter()
                    .map(|r| Location::Line(lines.get(*r as usize).copied().map_or(0, u64::from)))
                    .collect()
            }
            InputFormat::Csv => {
                let bytes = read_bytes(&self.path, self.kind.compression)?;
                csv::record_lines(&bytes, rows)?
                    .into_iter()
                    .map(Location::Line)
                    .collect()
            }
        })
    }
}

/// Read a whole file, decompressing it if needed.
pub fn read_bytes(path: &Path, compression: Compression) -> Result<Vec<u8>> {
    let unreadable = |e: std::io::Error| SourceError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let file = File::open(path).map_err(unreadable)?;
    let mut out = Vec::new();
    match compression {
        Compression::None => {
            let mut f = file;
            f.read_to_end(&mut out).map_err(unreadable)?;
        }
        Compression::Gzip => {
            flate2::read::MultiGzDecoder::new(file)
                .read_to_end(&mut out)
                .map_err(unreadable)?;
        }
        Compression::Zstd => {
            zstd::stream::read::Decoder::new(file)
                .and_then(|mut d| d.read_to_end(&mut out))
                .map_err(unreadable)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_format_and_compression_by_extension() {
        let k = |p: &str| FileKind::detect(Path::new(p)).ok();
        assert_eq!(k("a/b.csv").unwrap().format, InputFormat::Csv);
        assert_eq!(
            k("b.CSV.GZ").unwrap(),
            FileKind {
                format: InputFormat::Csv,
                compression: Compression::Gzip
            }
        );
        assert_eq!(
            k("b.jsonl.zst").unwrap(),
            FileKind {
                format: InputFormat::Ndjson,
                compression: Compression::Zstd
            }
        );
        assert_eq!(k("b.parquet").unwrap().format, InputFormat::Parquet);
        assert!(k("b.parquet.gz").is_none());
        assert!(k("b.txt").is_none());
        assert!(k("requests-2026-11-16.log").is_none());
    }
}
