//! Input formats (docs/inputs.md): CSV, NDJSON and Parquet, chosen by extension,
//! with `.gz` and `.zst` compression for the text formats. Each reader turns
//! one file into a [`RawFile`]: a frame of only the columns a source asks for
//! (matched case-insensitively, named as asked; text formats as strings,
//! Parquet as typed), plus [`ROW`], the 0-based record index, [`LINE`], the
//! 1-based line where a text record starts, and [`MALFORMED`] with its
//! reason ([`WHY`]) for records that are no row at all, so that a bad row
//! can be counted and pointed at. Whatever the bytes, a reader never fails
//! on a row: only an unreadable file, a missing column, a line beyond
//! [`Limits`] or a compression bomb fail it.

pub mod csv;
pub mod ndjson;
pub mod nginx;
pub mod parquet;
pub mod text;

use std::path::{Path, PathBuf};

use anyhow::Result;
use polars::prelude::*;
use serde::Serialize;

use crate::error::SourceError;

/// Name of the record-index column every raw frame carries. Input columns
/// are only read by the names a source asks for, so no input column can
/// take these names.
pub const ROW: &str = "__cacheroi_row";
/// The 1-based line where a text record starts (absent for Parquet).
pub const LINE: &str = "__cacheroi_line";
/// True for records that are no row at all (a torn NDJSON line, an
/// unbalanced CSV quote, invalid UTF-8 in a field).
pub const MALFORMED: &str = "__cacheroi_malformed";
/// Why a malformed record is one, for the examples.
pub const WHY: &str = "__cacheroi_why";

/// Bounds on what one input file may cost (`[limits]` in the config): a
/// compressed file may expand `max_expansion` times (at least 16 MiB, at most
/// `max_decompressed_mib`), and a line may be `max_line_kib` long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_expansion: u64,
    pub max_decompressed_mib: u64,
    pub max_line_kib: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_expansion: 100,
            max_decompressed_mib: 16 * 1024,
            max_line_kib: 1024,
        }
    }
}

impl Limits {
    /// The most bytes a compressed file of `compressed` bytes may expand to.
    pub fn decompressed_cap(&self, compressed: u64) -> u64 {
        let by_ratio = compressed.saturating_mul(self.max_expansion).max(16 << 20);
        by_ratio.min(self.max_decompressed_mib.saturating_mul(1 << 20))
    }

    pub fn max_line_bytes(&self) -> usize {
        usize::try_from(self.max_line_kib.saturating_mul(1024)).unwrap_or(usize::MAX)
    }
}

/// The columns a source reads, by canonical (lower-case) name; `free_text`
/// ones (customer comments) are read lossily where their bytes are not UTF-8.
#[derive(Debug, Clone)]
pub struct Wanted {
    pub names: Vec<&'static str>,
    pub free_text: Vec<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    Csv,
    Ndjson,
    Parquet,
    /// An nginx access log read by its `log_format`.
    Nginx,
}

impl InputFormat {
    pub const ALL: [InputFormat; 3] = [InputFormat::Csv, InputFormat::Ndjson, InputFormat::Parquet];

    pub fn extension(self) -> &'static str {
        match self {
            InputFormat::Csv => "csv",
            InputFormat::Ndjson => "ndjson",
            InputFormat::Parquet => "parquet",
            InputFormat::Nginx => "nginx",
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
    /// The compression of a file by its name (`.gz`, `.zst`), whatever the format.
    pub fn compression_of(path: &Path) -> Compression {
        let name = path.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".gz") {
            Compression::Gzip
        } else if name.ends_with(".zst") {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

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
    /// A row of rollups an engine made from a format without line numbers.
    Unknown,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Row(n) => write!(f, "row {n}"),
            Location::Unknown => write!(f, "a row"),
        }
    }
}

/// One input file read: the asked-for columns and the bookkeeping columns.
pub struct RawFile {
    pub path: PathBuf,
    pub kind: FileKind,
    /// The asked-for columns the file has (canonical names) plus [`ROW`],
    /// and [`LINE`], [`MALFORMED`], [`WHY`] for text formats.
    pub frame: LazyFrame,
    pub schema: SchemaRef,
    /// Records read (rows and malformed rows).
    pub height: usize,
    /// Every column name the file has, as written, for error messages.
    found: Vec<String>,
}

impl RawFile {
    /// Read the `wanted` columns of a file of any supported kind. A missing
    /// file is named; what is not a regular file says what it is.
    pub fn open(path: &Path, wanted: &Wanted, limits: &Limits) -> Result<RawFile> {
        check_regular_file(path)?;
        let kind = FileKind::detect(path)?;
        let (df, found) = match kind.format {
            InputFormat::Csv | InputFormat::Ndjson | InputFormat::Nginx => {
                let input = text::open(path, kind.compression, limits)?;
                read_text(path, kind.format, input, wanted, limits)?
            }
            InputFormat::Parquet => parquet::read(path, wanted)?,
        };
        Ok(Self::new(path, kind, df, found))
    }

    /// Read the `wanted` columns of uncompressed CSV or NDJSON bytes, as if
    /// they were the file `path` (tests and the fuzz targets).
    pub fn from_bytes(path: &Path, bytes: &[u8], wanted: &Wanted, limits: &Limits) -> Result<RawFile> {
        let kind = FileKind::detect(path)?;
        if kind.format == InputFormat::Parquet || kind.compression != Compression::None {
            anyhow::bail!(
                "{}: only plain CSV or NDJSON bytes can be read this way",
                path.display()
            );
        }
        let (df, found) = read_text(path, kind.format, bytes, wanted, limits)?;
        Ok(Self::new(path, kind, df, found))
    }

    fn new(path: &Path, kind: FileKind, df: DataFrame, found: Vec<String>) -> RawFile {
        let schema = df.schema().clone();
        RawFile {
            path: path.to_path_buf(),
            kind,
            height: df.height(),
            frame: df.lazy(),
            schema,
            found,
        }
    }

    /// The column of a canonical name, if the file has it.
    pub fn column(&self, name: &str) -> Option<(PlSmallStr, DataType)> {
        self.schema
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(n, dt)| (n.clone(), dt.clone()))
    }

    /// The file's columns as people wrote them, for error messages (each
    /// name and the whole list cut short).
    pub fn column_names(&self) -> String {
        let names: Vec<String> = self.found.iter().map(|n| crate::error::clip(n, 40)).collect();
        crate::error::clip(&names.join(", "), 300)
    }

    /// Every column name the file has, as written.
    pub fn found(&self) -> &[String] {
        &self.found
    }

    /// No column at all: an empty file, or one whose every record is
    /// malformed (its rows are then counted as such, not missing columns).
    pub fn found_nothing(&self) -> bool {
        self.found.is_empty()
    }

    /// The same file with another frame (a mapping's canonical columns).
    pub fn replaced(self, df: DataFrame) -> RawFile {
        let found = self.found.clone();
        RawFile::new(&self.path, self.kind, df, found)
    }

    /// Read a file as an nginx access log written with `format` (an
    /// `escape=json` one as NDJSON), whatever its name; `.gz` and `.zst`
    /// by extension.
    pub fn open_nginx(path: &Path, format: &nginx::LogFormat, wanted: &Wanted, limits: &Limits) -> Result<RawFile> {
        check_regular_file(path)?;
        let compression = FileKind::compression_of(path);
        let input = text::open(path, compression, limits)?;
        Self::read_nginx(path, input, compression, format, wanted, limits)
    }

    /// An nginx log's bytes as if they were the file `path` (the fuzz target).
    pub fn nginx_from_bytes(
        path: &Path,
        bytes: &[u8],
        format: &nginx::LogFormat,
        wanted: &Wanted,
        limits: &Limits,
    ) -> Result<RawFile> {
        Self::read_nginx(path, bytes, Compression::None, format, wanted, limits)
    }

    fn read_nginx(
        path: &Path,
        input: impl std::io::Read,
        compression: Compression,
        format: &nginx::LogFormat,
        wanted: &Wanted,
        limits: &Limits,
    ) -> Result<RawFile> {
        let (cols, format_kind) = if format.json {
            (ndjson::read(path, input, wanted, limits)?, InputFormat::Ndjson)
        } else {
            (nginx::read(path, input, format, wanted, limits)?, InputFormat::Nginx)
        };
        let found = cols.found.clone();
        let df = cols.finish().map_err(|e| SourceError::Unreadable {
            path: path.to_path_buf(),
            reason: crate::error::clip(&e.to_string(), 300),
        })?;
        Ok(Self::new(
            path,
            FileKind {
                format: format_kind,
                compression,
            },
            df,
            found,
        ))
    }

    pub fn has_malformed_flag(&self) -> bool {
        self.schema.contains(MALFORMED)
    }
}

/// CSV or NDJSON text into a frame and the file's column names.
fn read_text(
    path: &Path,
    format: InputFormat,
    input: impl std::io::Read,
    wanted: &Wanted,
    limits: &Limits,
) -> Result<(DataFrame, Vec<String>)> {
    let cols = match format {
        InputFormat::Ndjson => ndjson::read(path, input, wanted, limits)?,
        _ => csv::read(path, input, wanted, limits)?,
    };
    let found = cols.found.clone();
    let df = cols.finish().map_err(|e| SourceError::Unreadable {
        path: path.to_path_buf(),
        reason: crate::error::clip(&e.to_string(), 300),
    })?;
    Ok((df, found))
}

/// A path that exists but is no regular file (a folder, `/dev/null`, a
/// pipe) is named for what it is, not "not found".
pub fn check_regular_file(path: &Path) -> Result<(), SourceError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SourceError::Missing {
                path: path.to_path_buf(),
            });
        }
        Err(e) => {
            return Err(SourceError::Unreadable {
                path: path.to_path_buf(),
                reason: e.to_string(),
            });
        }
    };
    if meta.is_file() {
        return Ok(());
    }
    let what = if meta.is_dir() {
        "a folder"
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            let t = meta.file_type();
            if t.is_char_device() || t.is_block_device() {
                "a device"
            } else if t.is_fifo() {
                "a named pipe"
            } else if t.is_socket() {
                "a socket"
            } else {
                "not a regular file"
            }
        }
        #[cfg(not(unix))]
        {
            "not a regular file"
        }
    };
    Err(SourceError::NotAFile {
        path: path.to_path_buf(),
        what,
    })
}

/// Text columns built record by record (CSV and NDJSON).
pub struct Columns {
    wanted: Wanted,
    /// For each wanted name, its field index in the file (CSV), if present.
    pub index: Vec<Option<usize>>,
    values: Vec<StringChunkedBuilder>,
    rows: Vec<IdxSize>,
    lines: Vec<u32>,
    malformed: Vec<bool>,
    why: Vec<Option<String>>,
    /// Every column name of the file, as written.
    pub found: Vec<String>,
}

impl Columns {
    /// Columns for `wanted` in a file whose columns are `names` (matched
    /// case-insensitively; the first of duplicates wins).
    pub fn new(wanted: &Wanted, names: &[String]) -> Self {
        let index = wanted
            .names
            .iter()
            .map(|w| names.iter().position(|n| n.eq_ignore_ascii_case(w)))
            .collect::<Vec<_>>();
        Columns {
            values: wanted
                .names
                .iter()
                .map(|w| StringChunkedBuilder::new((*w).into(), 1024))
                .collect(),
            wanted: wanted.clone(),
            index,
            rows: Vec::new(),
            lines: Vec::new(),
            malformed: Vec::new(),
            why: Vec::new(),
            found: names.to_vec(),
        }
    }

    /// Add a column seen first on a later record (NDJSON objects need not
    /// all have the same keys): earlier rows have no value.
    pub fn see(&mut self, name: &str) {
        if !self.found.iter().any(|f| f.eq_ignore_ascii_case(name)) {
            self.found.push(name.to_string());
        }
        if let Some(w) = self.wanted.names.iter().position(|w| w.eq_ignore_ascii_case(name))
            && self.index[w].is_none()
        {
            self.index[w] = Some(w);
        }
    }

    fn next_row(&self) -> IdxSize {
        self.rows.len() as IdxSize
    }

    fn push_meta(&mut self, line: u64, malformed: Option<String>) {
        self.rows.push(self.next_row());
        self.lines.push(u32::try_from(line).unwrap_or(u32::MAX));
        self.malformed.push(malformed.is_some());
        self.why.push(malformed);
    }

    /// A record that is no row: every column empty, flagged with its reason.
    pub fn push_malformed(&mut self, line: u64, why: &str) {
        for b in &mut self.values {
            b.append_null();
        }
        self.push_meta(line, Some(crate::error::clip(why, 120)));
    }

    /// A record: `field(i)` gives the bytes of the file's field `i`. Invalid
    /// UTF-8 outside free text makes it malformed.
    pub fn push_row<'a>(&mut self, line: u64, field: impl Fn(usize) -> Option<&'a [u8]>) {
        let mut bad: Option<&'static str> = None;
        for (w, idx) in self.index.iter().enumerate() {
            let bytes = idx.and_then(&field);
            if let Some(b) = bytes
                && std::str::from_utf8(b).is_err()
                && !self.wanted.free_text.contains(&self.wanted.names[w])
                && bad.is_none()
            {
                bad = Some(self.wanted.names[w]);
            }
        }
        if let Some(column) = bad {
            self.push_malformed(line, &format!("invalid UTF-8 in `{column}`"));
            return;
        }
        for (w, idx) in self.index.iter().enumerate() {
            // An empty field is no value (like a missing one).
            match idx.and_then(&field).filter(|b| !b.is_empty()) {
                Some(b) => match std::str::from_utf8(b) {
                    Ok(s) => self.values[w].append_value(s),
                    Err(_) => self.values[w].append_value(String::from_utf8_lossy(b).as_ref()),
                },
                None => self.values[w].append_null(),
            }
        }
        self.push_meta(line, None);
    }

    /// A record given by wanted column (NDJSON): `values[w]` for wanted `w`.
    pub fn push_values(&mut self, line: u64, values: &[Option<&str>]) {
        for (w, v) in values.iter().enumerate() {
            match v {
                Some(s) => self.values[w].append_value(s),
                None => self.values[w].append_null(),
            }
        }
        self.push_meta(line, None);
    }

    pub fn wanted(&self) -> &Wanted {
        &self.wanted
    }

    /// The frame: present wanted columns, then the bookkeeping columns.
    pub fn finish(self) -> PolarsResult<DataFrame> {
        let height = self.rows.len();
        let mut cols: Vec<Column> = Vec::with_capacity(self.values.len() + 4);
        cols.push(Column::new(ROW.into(), self.rows));
        for (b, idx) in self.values.into_iter().zip(&self.index) {
            if idx.is_some() {
                cols.push(b.finish().into_column());
            }
        }
        cols.push(Column::new(LINE.into(), self.lines));
        cols.push(Column::new(MALFORMED.into(), self.malformed));
        cols.push(Column::new(WHY.into(), self.why));
        DataFrame::new(height, cols)
    }
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
