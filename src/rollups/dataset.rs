//! The files of a rollup dataset (docs/rollups.md#where-they-live): the
//! manifest of a store, the Parquet files of each table, how one is read in
//! the schema's columns and written atomically, and the names of the
//! store's week files. The layer every other part of `rollups` stands on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::schema::{self as s, Marker};
use crate::fsutil::write_atomic;

/// One rolled-up file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i128,
    /// The folder name of its rollup (`src=<id>`).
    pub id: String,
    /// When it was rolled up.
    pub rolled_at: DateTime<Utc>,
    /// The Mondays (epoch days) of the weeks it has valid rows in; None in
    /// a manifest of an earlier cacheroi (then read from its rollup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weeks: Option<Vec<i32>>,
}

/// What the store holds: how it was made and which file has which rollup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub marker: Marker,
    /// Canonical path of the request-log file → its rollup.
    pub files: BTreeMap<String, Entry>,
}

/// A rollup table as a zstd-compressed Parquet file, written atomically.
pub fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(df)
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    write_atomic(path, &bytes)
}

/// The Parquet files of one table: those the manifest names (a store of
/// cacheroi's), else every `*.parquet` below the table's folder (a dataset
/// an engine made, Hive-partitioned by day).
pub fn table_files(root: &Path, manifest: Option<&Manifest>, table: &str) -> Result<Vec<PathBuf>> {
    if let Some(m) = manifest {
        return Ok(m
            .files
            .values()
            .map(|e| root.join(table).join(format!("src={}", e.id)).join("part.parquet"))
            .collect());
    }
    let mut out = Vec::new();
    let dir = root.join(table);
    if !dir.is_dir() {
        bail!("{}: the rollup dataset has no `{table}` table", root.display());
    }
    for e in walkdir::WalkDir::new(&dir).follow_links(true) {
        let e = e.map_err(|e| anyhow!("{}: {e}", dir.display()))?;
        let name = e.file_name().to_string_lossy();
        if e.file_type().is_file() && name.ends_with(".parquet") && !name.starts_with('.') && !name.starts_with('_') {
            out.push(e.into_path());
        }
    }
    out.sort();
    Ok(out)
}

/// The `day=YYYY-MM-DD` of a Hive-partitioned path, as an epoch day.
fn day_of_path(path: &Path) -> Option<i32> {
    path.components().find_map(|c| {
        let t = c.as_os_str().to_str()?;
        let d = chrono::NaiveDate::parse_from_str(t.strip_prefix("day=")?, "%Y-%m-%d").ok()?;
        Some(super::build::epoch_day(d))
    })
}

/// A table's frame in the schema's columns and types (`day` as Int32 epoch
/// days); `origin` names it in errors.
pub fn conform(df: &DataFrame, columns: &[(&str, DataType)], origin: &str) -> Result<DataFrame> {
    let mut cols = Vec::with_capacity(columns.len());
    for (name, dt) in columns {
        let c = df.column(name).map_err(|_| {
            anyhow!(
                "{origin}: the rollup has no column `{name}` (columns: {})",
                crate::error::clip(
                    &df.get_column_names()
                        .iter()
                        .map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    200
                )
            )
        })?;
        let c = if *name == s::DAY && c.dtype() == &DataType::Date {
            c.cast(&DataType::Int32)?
        } else {
            c.cast(dt).map_err(|e| anyhow!("{origin}: column `{name}`: {e}"))?
        };
        cols.push(c.with_name((*name).into()));
    }
    Ok(DataFrame::new(df.height(), cols)?)
}

/// One file of a table, in the schema's columns and types.
pub fn read_file(f: &Path, columns: &[(&str, DataType)]) -> Result<DataFrame> {
    let file = std::fs::File::open(f).with_context(|| format!("{}: cannot open", f.display()))?;
    let mut df = ParquetReader::new(file).finish().map_err(|e| {
        anyhow!(
            "{}: not a readable rollup: {}",
            f.display(),
            crate::error::clip(&e.to_string(), 200)
        )
    })?;
    if df.column(s::DAY).is_err()
        && let Some(day) = day_of_path(f)
        && columns.iter().any(|(c, _)| *c == s::DAY)
    {
        df.with_column(Column::new_scalar(s::DAY.into(), Scalar::from(day), df.height()))?;
    }
    conform(&df, columns, &f.display().to_string())
}

/// Week (Monday) → the ids of the rollups with rows in it.
pub fn week_plan(manifest: &Manifest) -> BTreeMap<i32, Vec<&str>> {
    let mut weeks: BTreeMap<i32, Vec<&str>> = BTreeMap::new();
    for e in manifest.files.values() {
        for w in e.weeks.iter().flatten() {
            weeks.entry(*w).or_default().push(&e.id);
        }
    }
    for ids in weeks.values_mut() {
        ids.sort_unstable();
    }
    weeks
}

fn week_dir(root: &Path, monday: i32) -> PathBuf {
    let date = super::build::date_of(monday).map_or_else(|| monday.to_string(), |d| d.to_string());
    root.join(s::USERS_WEEK).join(format!("week={date}"))
}

/// The file of a week made from exactly these rollups, under this marker
/// (a rollup's id names its file's content, not the zone its days are in).
pub fn week_file(root: &Path, marker: &Marker, monday: i32, ids: &[&str]) -> PathBuf {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(marker).unwrap_or_default());
    for id in ids {
        hasher.update(b"\0");
        hasher.update(id.as_bytes());
    }
    let digest = hasher.finalize();
    let key: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    week_dir(root, monday).join(format!("part-{key}.parquet"))
}

/// The current week files of a store, in week order.
pub fn week_files(root: &Path, manifest: &Manifest) -> Vec<PathBuf> {
    week_plan(manifest)
        .iter()
        .map(|(monday, ids)| week_file(root, &manifest.marker, *monday, ids))
        .collect()
}
