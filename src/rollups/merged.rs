//! Rollups merged: every table of a dataset read, groups that several files
//! (or engine partitions) share summed, and the result held as plain
//! records for the metrics to fold. Nothing here reads a raw row.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use DataType as D;
use anyhow::{Context, Result, anyhow};
use polars::prelude::*;

use super::names::OwnedNames;
use super::schema::{self as s, Marker};
use crate::formats::Location;
use crate::quality::{BadRow, FileQuality, SourceQuality};

/// Request counts of one (day, customer, segment, cache flag).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Req {
    pub day: i32,
    pub customer: u32,
    pub segment: u16,
    pub enabled: bool,
    pub rows: u64,
    pub hit: u64,
    pub stale: u64,
    pub miss: u64,
    pub bypass: u64,
    pub error: u64,
    pub uncached: u64,
    pub server_errors: u64,
    pub upstream: u64,
    pub latency_sum: f64,
    pub latency_min: f64,
    pub latency_max: f64,
    pub ts_max: i64,
}

/// Requests of one (day, segment, cache flag) in one latency bucket. (One
/// group may come in several records, from several files: folds sum them.)
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lat {
    pub day: i32,
    pub segment: u16,
    pub enabled: bool,
    pub bucket: i32,
    pub count: u64,
}

/// One user's linear sums on one (day, segment, cache flag).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UserDay {
    pub day: i32,
    pub user: u32,
    pub segment: u16,
    pub enabled: bool,
    pub rows: u64,
    pub upstream: u64,
    pub latency_sum: f64,
    pub latency_sq_sum: f64,
    pub server_errors: u64,
}

/// A whole rollup dataset, merged.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    pub segments: Vec<String>,
    pub customers: Vec<String>,
    pub users: Vec<String>,
    /// Each sorted by day (a group may come in several records).
    pub requests: Vec<Req>,
    pub latency: Vec<Lat>,
    pub user_days: Vec<UserDay>,
    /// Data quality of the request log, file by file.
    pub quality: SourceQuality,
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
fn conform(df: &DataFrame, columns: &[(&str, DataType)], origin: &str) -> Result<DataFrame> {
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
fn read_file(f: &Path, columns: &[(&str, DataType)]) -> Result<DataFrame> {
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

/// One table of the dataset as one frame (the small tables).
fn read_table(files: &[PathBuf], columns: &[(&str, DataType)]) -> Result<DataFrame> {
    stack(
        files.iter().map(|f| read_file(f, columns)).collect::<Result<_>>()?,
        columns,
    )
}

fn stack(mut frames: Vec<DataFrame>, columns: &[(&str, DataType)]) -> Result<DataFrame> {
    let mut out = match frames.pop() {
        Some(df) => df,
        None => DataFrame::new(
            0,
            columns
                .iter()
                .map(|(n, dt)| Column::new_empty((*n).into(), dt))
                .collect(),
        )?,
    };
    for f in frames {
        out.vstack_mut(&f)?;
    }
    Ok(out)
}

fn u64s(df: &DataFrame, name: &str) -> Result<Vec<u64>> {
    Ok(df
        .column(name)?
        .i64()?
        .iter()
        .map(|v| v.unwrap_or(0).max(0) as u64)
        .collect())
}

fn strs(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

const REQUESTS: [(&str, DataType); 17] = [
    (s::DAY, D::Int32),
    (s::CUSTOMER_ID, D::String),
    (s::SEGMENT, D::String),
    (s::CACHE_ENABLED, D::Boolean),
    (s::ROWS, D::Int64),
    (s::HIT, D::Int64),
    (s::STALE, D::Int64),
    (s::MISS, D::Int64),
    (s::BYPASS, D::Int64),
    (s::ERROR, D::Int64),
    (s::UNCACHED, D::Int64),
    (s::SERVER_ERRORS, D::Int64),
    (s::UPSTREAM_CALLS, D::Int64),
    (s::LATENCY_SUM, D::Float64),
    (s::LATENCY_MIN, D::Float64),
    (s::LATENCY_MAX, D::Float64),
    (s::TS_MAX, D::Int64),
];

const LATENCY: [(&str, DataType); 5] = [
    (s::DAY, D::Int32),
    (s::SEGMENT, D::String),
    (s::CACHE_ENABLED, D::Boolean),
    (s::BUCKET, D::Int32),
    (s::COUNT, D::Int64),
];

const USERS: [(&str, DataType); 9] = [
    (s::DAY, D::Int32),
    (s::USER_ID, D::String),
    (s::SEGMENT, D::String),
    (s::CACHE_ENABLED, D::Boolean),
    (s::ROWS, D::Int64),
    (s::UPSTREAM_CALLS, D::Int64),
    (s::LATENCY_SUM, D::Float64),
    (s::LATENCY_SQ_SUM, D::Float64),
    (s::SERVER_ERRORS, D::Int64),
];

const QUALITY: [(&str, DataType); 4] = [
    (s::SOURCE, D::String),
    (s::FORMAT, D::String),
    (s::REASON, D::String),
    (s::ROWS, D::Int64),
];

const EXAMPLES: [(&str, DataType); 6] = [
    (s::SOURCE, D::String),
    (s::REASON, D::String),
    (s::COLUMN, D::String),
    (s::VALUE, D::String),
    (s::LINE, D::Int64),
    (s::ROW_NUMBER, D::Int64),
];

/// Load and merge a dataset. `manifest` lists the files of a store of
/// cacheroi's (None: every Parquet file of an engine-made dataset). The
/// large tables are folded into records one file at a time, so a file's
/// frame is dropped before the next is read.
pub fn load(root: &Path, manifest: Option<&super::store::Manifest>, _marker: &Marker) -> Result<Merged> {
    let files = |t| super::store::table_files(root, manifest, t);
    let t = std::time::Instant::now();
    let mut b = Records::default();
    for f in files(s::REQUESTS)? {
        b.requests(&read_file(&f, &REQUESTS)?)?;
    }
    for f in files(s::LATENCY)? {
        b.latency(&read_file(&f, &LATENCY)?)?;
    }
    for f in files(s::USERS)? {
        b.users(&read_file(&f, &USERS)?)?;
    }
    tracing::trace!(elapsed = ?t.elapsed(), "merge: records read");
    let quality = load_quality(
        &read_table(&files(s::QUALITY)?, &QUALITY)?,
        read_table(&files(s::EXAMPLES)?, &EXAMPLES)?,
    )?;
    let m = b.finish(quality);
    tracing::trace!(elapsed = ?t.elapsed(), "merge: sorted");
    Ok(m)
}

/// Merge rollups held in memory (tests, and a run without a store).
pub fn from_rollups(rollups: &[super::build::FileRollup]) -> Result<Merged> {
    let mut b = Records::default();
    let (mut quality, mut examples) = (Vec::new(), Vec::new());
    for r in rollups {
        b.requests(&conform(&r.requests, &REQUESTS, "rollup")?)?;
        b.latency(&conform(&r.latency, &LATENCY, "rollup")?)?;
        b.users(&conform(&r.users, &USERS, "rollup")?)?;
        quality.push(conform(&r.quality, &QUALITY, "rollup")?);
        examples.push(conform(&r.examples, &EXAMPLES, "rollup")?);
    }
    let quality = load_quality(&stack(quality, &QUALITY)?, stack(examples, &EXAMPLES)?)?;
    Ok(b.finish(quality))
}

/// One column of a conformed frame as one contiguous Arrow array (cheap:
/// a file's frame is one chunk; the values are shared, not copied).
macro_rules! array {
    ($df:expr, $name:expr, $kind:ident) => {
        $df.column($name)?.$kind()?.rechunk().downcast_as_array().clone()
    };
}

/// The records of the large tables, filled one frame at a time. Groups
/// that several files share are not summed here: every fold sums (or
/// counts distinct users), so a group split over two files counts once.
#[derive(Default)]
struct Records {
    segments: OwnedNames,
    customers: OwnedNames,
    users: OwnedNames,
    requests: Vec<Req>,
    latency: Vec<Lat>,
    user_days: Vec<UserDay>,
}

/// A count as stored (Int64; null or negative → 0).
fn count(v: Option<i64>) -> u64 {
    v.unwrap_or(0).max(0) as u64
}

impl Records {
    fn requests(&mut self, df: &DataFrame) -> Result<()> {
        let (day, customer, segment, enabled) = (
            array!(df, s::DAY, i32),
            array!(df, s::CUSTOMER_ID, str),
            array!(df, s::SEGMENT, str),
            array!(df, s::CACHE_ENABLED, bool),
        );
        let counts = [
            s::ROWS,
            s::HIT,
            s::STALE,
            s::MISS,
            s::BYPASS,
            s::ERROR,
            s::UNCACHED,
            s::SERVER_ERRORS,
            s::UPSTREAM_CALLS,
        ]
        .map(|c| -> Result<_> { Ok(array!(df, c, i64)) });
        let [rows, hit, stale, miss, bypass, error, uncached, server_errors, upstream] = counts;
        let (rows, hit, stale, miss, bypass) = (rows?, hit?, stale?, miss?, bypass?);
        let (error, uncached, server_errors, upstream) = (error?, uncached?, server_errors?, upstream?);
        let (lsum, lmin, lmax, ts_max) = (
            array!(df, s::LATENCY_SUM, f64),
            array!(df, s::LATENCY_MIN, f64),
            array!(df, s::LATENCY_MAX, f64),
            array!(df, s::TS_MAX, i64),
        );
        self.requests.reserve(df.height());
        for i in 0..df.height() {
            self.requests.push(Req {
                day: day.get(i).unwrap_or_default(),
                customer: self.customers.id(customer.get(i).unwrap_or_default()),
                segment: self.segments.id(segment.get(i).unwrap_or_default()) as u16,
                enabled: enabled.get(i).unwrap_or(false),
                rows: count(rows.get(i)),
                hit: count(hit.get(i)),
                stale: count(stale.get(i)),
                miss: count(miss.get(i)),
                bypass: count(bypass.get(i)),
                error: count(error.get(i)),
                uncached: count(uncached.get(i)),
                server_errors: count(server_errors.get(i)),
                upstream: count(upstream.get(i)),
                latency_sum: lsum.get(i).unwrap_or(0.0),
                latency_min: lmin.get(i).unwrap_or(0.0),
                latency_max: lmax.get(i).unwrap_or(0.0),
                ts_max: ts_max.get(i).unwrap_or(i64::MIN),
            });
        }
        Ok(())
    }

    fn latency(&mut self, df: &DataFrame) -> Result<()> {
        let (day, segment, enabled) = (
            array!(df, s::DAY, i32),
            array!(df, s::SEGMENT, str),
            array!(df, s::CACHE_ENABLED, bool),
        );
        let (bucket, n) = (array!(df, s::BUCKET, i32), array!(df, s::COUNT, i64));
        self.latency.reserve(df.height());
        for i in 0..df.height() {
            self.latency.push(Lat {
                day: day.get(i).unwrap_or_default(),
                segment: self.segments.id(segment.get(i).unwrap_or_default()) as u16,
                enabled: enabled.get(i).unwrap_or(false),
                bucket: bucket.get(i).unwrap_or(s::ZERO_BUCKET),
                count: count(n.get(i)),
            });
        }
        Ok(())
    }

    fn users(&mut self, df: &DataFrame) -> Result<()> {
        let (day, user, segment, enabled) = (
            array!(df, s::DAY, i32),
            array!(df, s::USER_ID, str),
            array!(df, s::SEGMENT, str),
            array!(df, s::CACHE_ENABLED, bool),
        );
        let (rows, upstream, errors) = (
            array!(df, s::ROWS, i64),
            array!(df, s::UPSTREAM_CALLS, i64),
            array!(df, s::SERVER_ERRORS, i64),
        );
        let (lsum, lsq) = (array!(df, s::LATENCY_SUM, f64), array!(df, s::LATENCY_SQ_SUM, f64));
        self.user_days.reserve(df.height());
        for i in 0..df.height() {
            self.user_days.push(UserDay {
                day: day.get(i).unwrap_or_default(),
                user: self.users.id(user.get(i).unwrap_or_default()),
                segment: self.segments.id(segment.get(i).unwrap_or_default()) as u16,
                enabled: enabled.get(i).unwrap_or(false),
                rows: count(rows.get(i)),
                upstream: count(upstream.get(i)),
                latency_sum: lsum.get(i).unwrap_or(0.0),
                latency_sq_sum: lsq.get(i).unwrap_or(0.0),
                server_errors: count(errors.get(i)),
            });
        }
        Ok(())
    }

    /// The records sorted by day (stable: files are mostly one day each, so
    /// this is nearly linear), so a fold over a window reads only its slice.
    fn finish(mut self, quality: SourceQuality) -> Merged {
        self.requests.sort_by_key(|r| r.day);
        self.latency.sort_by_key(|l| l.day);
        self.user_days.sort_by_key(|u| u.day);
        Merged {
            segments: self.segments.into_names(),
            customers: self.customers.into_names(),
            users: self.users.into_names(),
            requests: self.requests,
            latency: self.latency,
            user_days: self.user_days,
            quality,
        }
    }
}

/// The data quality of the request log from the `quality` and `examples` tables.
fn load_quality(q: &DataFrame, e: DataFrame) -> Result<SourceQuality> {
    let (sources, formats, rows) = (strs(q, s::SOURCE)?, strs(q, s::FORMAT)?, u64s(q, s::ROWS)?);
    let reasons: Vec<Option<String>> = q
        .column(s::REASON)?
        .str()?
        .iter()
        .map(|r| r.map(str::to_string))
        .collect();
    let mut files: BTreeMap<String, FileQuality> = BTreeMap::new();
    let mut out = SourceQuality::default();
    for i in 0..q.height() {
        let f = files.entry(sources[i].clone()).or_insert_with(|| FileQuality {
            file: sources[i].clone(),
            format: formats[i].clone(),
            rows_read: 0,
            rows_rejected: 0,
        });
        f.rows_read += rows[i];
        out.rows_read += rows[i];
        if let Some(r) = &reasons[i] {
            f.rows_rejected += rows[i];
            out.rows_rejected += rows[i];
            *out.rejected_by_reason.entry(r.clone()).or_default() += rows[i];
        }
    }
    out.files = files.into_values().collect();
    let e = e.sort([s::SOURCE], SortMultipleOptions::default().with_maintain_order(true))?;
    let (src, reason) = (strs(&e, s::SOURCE)?, strs(&e, s::REASON)?);
    let column: Vec<Option<String>> = e
        .column(s::COLUMN)?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect();
    let value: Vec<Option<String>> = e
        .column(s::VALUE)?
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect();
    let (line, row) = (
        e.column(s::LINE)?.i64()?.clone(),
        e.column(s::ROW_NUMBER)?.i64()?.clone(),
    );
    for i in 0..e.height() {
        if !out.wants_example(&reason[i]) {
            continue;
        }
        let location = match (line.get(i), row.get(i)) {
            (Some(l), _) => Location::Line(l.max(0) as u64),
            (None, Some(r)) => Location::Row(r.max(0) as u64),
            (None, None) => Location::Unknown,
        };
        out.examples.push(BadRow {
            file: src[i].clone(),
            at: location.to_string(),
            location,
            reason: reason[i].clone(),
            column: column[i].clone(),
            value: value[i].clone(),
        });
    }
    Ok(out)
}
