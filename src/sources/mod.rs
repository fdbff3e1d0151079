//! Sources: each input turned into canonical frames. Requests and feedback go
//! through [`ingest`], the one pass over every row that both counts bad rows
//! (CONTRACT §5) and keeps the valid rows the reports need.

pub mod customers;
pub mod feedback;
pub mod redis_store;
pub mod request_log;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::*;

use crate::error::SourceError;
use crate::formats::RawFile;
use crate::frames::{BAD_COLUMN, BAD_VALUE, REASON, TS};
use crate::quality::{BadRow, FileQuality, SourceQuality};

/// The files a source names: one path, or every match of a glob (sorted).
pub fn resolve(pattern: &str, what: &'static str) -> Result<Vec<PathBuf>, SourceError> {
    if !pattern.contains(['*', '?', '[']) {
        let path = PathBuf::from(pattern);
        return if path.is_file() {
            Ok(vec![path])
        } else {
            Err(SourceError::Missing { path })
        };
    }
    let mut paths: Vec<PathBuf> = glob::glob(pattern)
        .map_err(|e| SourceError::Unreadable {
            path: PathBuf::from(pattern),
            reason: e.to_string(),
        })?
        .filter_map(|p| p.ok())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(SourceError::NoMatch {
            what,
            pattern: pattern.to_string(),
        });
    }
    Ok(paths)
}

/// A half-open range of epoch microseconds `[start, end)`.
pub type MicrosRange = (i64, i64);

/// What [`ingest`] returns: the valid rows inside the wanted time ranges
/// (canonical columns) and the data quality over every row of every file.
pub struct Ingested {
    pub rows: DataFrame,
    pub quality: SourceQuality,
}

/// Read every file, normalise it, count rows and rejects by reason, keep the
/// first examples with their location, and keep the valid rows whose `ts`
/// lies in one of `keep` with only `columns`.
pub fn ingest(
    paths: &[PathBuf],
    normalize: fn(&RawFile) -> Result<LazyFrame>,
    keep: &[MicrosRange],
    columns: &[&str],
) -> Result<Ingested> {
    let mut quality = SourceQuality::default();
    let mut kept: Option<DataFrame> = None;
    for path in paths {
        let raw = RawFile::open(path)?;
        let display = path.display().to_string();
        let df = normalize(&raw)?
            .collect()
            .map_err(anyhow::Error::from)
            .with_context(|| format!("{display}: cannot read"))?;
        let rows = df.height() as u64;
        let reasons = df.column(REASON)?.str()?.clone();
        let rejected = (reasons.len() - reasons.null_count()) as u64;
        if rejected > 0 {
            collect_rejects(&raw, &df, &reasons, &mut quality).with_context(|| format!("{display}: cannot read"))?;
        }
        quality.rows_read += rows;
        quality.rows_rejected += rejected;
        quality.files.push(FileQuality {
            file: display,
            format: raw.kind.format.extension().to_string(),
            rows_read: rows,
            rows_rejected: rejected,
        });

        let in_range = keep
            .iter()
            .map(|(a, b)| col(TS).gt_eq(lit(*a)).and(col(TS).lt(lit(*b))))
            .reduce(|a, b| a.or(b))
            .unwrap_or(lit(false));
        let valid = df
            .lazy()
            .filter(col(REASON).is_null().and(in_range))
            .select(columns.iter().map(|c| col(*c)).collect::<Vec<_>>())
            .collect()?;
        match kept.as_mut() {
            None => kept = Some(valid),
            Some(acc) => {
                acc.vstack_mut(&valid)?;
            }
        }
    }
    let mut rows = kept.unwrap_or_default();
    rows.rechunk_mut();
    Ok(Ingested { rows, quality })
}

fn collect_rejects(raw: &RawFile, df: &DataFrame, reasons: &StringChunked, q: &mut SourceQuality) -> Result<()> {
    let columns = df.column(BAD_COLUMN)?.str()?;
    let values = df.column(BAD_VALUE)?.str()?;
    let rows = df.column(crate::formats::ROW)?.idx()?;
    let mut wanted: Vec<(u32, String, Option<String>, Option<String>)> = Vec::new();
    for (i, reason) in reasons.iter().enumerate() {
        let Some(reason) = reason else { continue };
        *q.rejected_by_reason.entry(reason.to_string()).or_default() += 1;
        let already = wanted.iter().filter(|w| w.1 == reason).count();
        if already < crate::quality::EXAMPLES_PER_REASON && q.wants_example(reason) {
            let row = rows.get(i).unwrap_or_default();
            wanted.push((
                row,
                reason.to_string(),
                columns.get(i).filter(|c| !c.is_empty()).map(str::to_string),
                values.get(i).map(|v| truncate(v, 80)),
            ));
        }
    }
    let locations = raw.locate(&wanted.iter().map(|w| w.0).collect::<Vec<_>>())?;
    for ((_, reason, column, value), location) in wanted.into_iter().zip(locations) {
        let need = q.wants_example(&reason);
        if need {
            q.examples.push(BadRow {
                file: raw.path.display().to_string(),
                at: location.to_string(),
                location,
                reason,
                column,
                value,
            });
        }
    }
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max).collect();
    t.push('…');
    t
}

/// The display name of a path relative to a folder, for report footers.
pub fn display_path(path: &Path) -> String {
    path.display().to_string()
}
