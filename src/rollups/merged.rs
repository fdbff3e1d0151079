//! Rollups merged: every table of a dataset read, groups that several files
//! (or engine partitions) share summed, and the result held as plain
//! records for the metrics to fold. Nothing here reads a raw row.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use DataType as D;
use anyhow::{Context, Result, anyhow};
use polars::prelude::*;

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

/// Requests of one (day, segment, cache flag) in one latency bucket.
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
    /// Sorted by day.
    pub requests: Vec<Req>,
    /// Sorted by (day, segment, flag, bucket).
    pub latency: Vec<Lat>,
    /// Sorted by (day, user, segment, flag).
    pub user_days: Vec<UserDay>,
    /// Data quality of the request log, file by file.
    pub quality: SourceQuality,
}

/// Names to small integers, in first-seen order.
#[derive(Default)]
struct Interner {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(i) = self.index.get(name) {
            return *i;
        }
        let i = self.names.len() as u32;
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }
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

/// One table of the dataset as one frame.
fn read_table(files: &[PathBuf], columns: &[(&str, DataType)]) -> Result<DataFrame> {
    let mut frames = Vec::with_capacity(files.len());
    for f in files {
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
        frames.push(conform(&df, columns, &f.display().to_string())?);
    }
    stack(frames, columns)
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

fn f64s(df: &DataFrame, name: &str) -> Result<Vec<f64>> {
    Ok(df.column(name)?.f64()?.iter().map(|v| v.unwrap_or(0.0)).collect())
}

fn strs(df: &DataFrame, name: &str) -> Result<Vec<String>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect())
}

/// Sum groups that several files share, by their `keys`.
fn merge(df: DataFrame, keys: &[&str], sums: &[&str], mins: &[&str], maxs: &[&str]) -> Result<DataFrame> {
    let mut aggs: Vec<Expr> = sums.iter().map(|c| col(*c).sum()).collect();
    aggs.extend(mins.iter().map(|c| col(*c).min()));
    aggs.extend(maxs.iter().map(|c| col(*c).max()));
    Ok(df
        .lazy()
        .group_by(keys.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg(aggs)
        .sort(keys.to_vec(), SortMultipleOptions::default())
        .collect()?)
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
/// cacheroi's (None: every Parquet file of an engine-made dataset).
pub fn load(root: &Path, manifest: Option<&super::store::Manifest>, _marker: &Marker) -> Result<Merged> {
    let files = |t| super::store::table_files(root, manifest, t);
    from_frames(
        read_table(&files(s::REQUESTS)?, &REQUESTS)?,
        read_table(&files(s::LATENCY)?, &LATENCY)?,
        read_table(&files(s::USERS)?, &USERS)?,
        read_table(&files(s::QUALITY)?, &QUALITY)?,
        read_table(&files(s::EXAMPLES)?, &EXAMPLES)?,
    )
}

/// Merge rollups held in memory (tests, and a run without a store).
pub fn from_rollups(rollups: &[super::build::FileRollup]) -> Result<Merged> {
    let table = |pick: fn(&super::build::FileRollup) -> &DataFrame, columns: &[(&str, DataType)]| {
        let frames = rollups
            .iter()
            .map(|r| conform(pick(r), columns, "rollup"))
            .collect::<Result<Vec<_>>>()?;
        stack(frames, columns)
    };
    from_frames(
        table(|r| &r.requests, &REQUESTS)?,
        table(|r| &r.latency, &LATENCY)?,
        table(|r| &r.users, &USERS)?,
        table(|r| &r.quality, &QUALITY)?,
        table(|r| &r.examples, &EXAMPLES)?,
    )
}

fn from_frames(
    req: DataFrame,
    lat: DataFrame,
    usr_df: DataFrame,
    quality: DataFrame,
    examples: DataFrame,
) -> Result<Merged> {
    let mut seg = Interner::default();
    let mut cust = Interner::default();
    let mut usr = Interner::default();
    let req = merge(
        req,
        &[s::DAY, s::CUSTOMER_ID, s::SEGMENT, s::CACHE_ENABLED],
        &[
            s::ROWS,
            s::HIT,
            s::STALE,
            s::MISS,
            s::BYPASS,
            s::ERROR,
            s::UNCACHED,
            s::SERVER_ERRORS,
            s::UPSTREAM_CALLS,
            s::LATENCY_SUM,
        ],
        &[s::LATENCY_MIN],
        &[s::LATENCY_MAX, s::TS_MAX],
    )?;
    let days = req.column(s::DAY)?.i32()?.clone();
    let enabled = req.column(s::CACHE_ENABLED)?.bool()?.clone();
    let (customers, segments) = (strs(&req, s::CUSTOMER_ID)?, strs(&req, s::SEGMENT)?);
    let cols: Vec<Vec<u64>> = [
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
    .iter()
    .map(|c| u64s(&req, c))
    .collect::<Result<_>>()?;
    let (lsum, lmin, lmax) = (
        f64s(&req, s::LATENCY_SUM)?,
        f64s(&req, s::LATENCY_MIN)?,
        f64s(&req, s::LATENCY_MAX)?,
    );
    let ts_max: Vec<i64> = req
        .column(s::TS_MAX)?
        .i64()?
        .iter()
        .map(|v| v.unwrap_or(i64::MIN))
        .collect();
    let mut requests = Vec::with_capacity(req.height());
    for i in 0..req.height() {
        requests.push(Req {
            day: days.get(i).unwrap_or_default(),
            customer: cust.id(&customers[i]),
            segment: seg.id(&segments[i]) as u16,
            enabled: enabled.get(i).unwrap_or(false),
            rows: cols[0][i],
            hit: cols[1][i],
            stale: cols[2][i],
            miss: cols[3][i],
            bypass: cols[4][i],
            error: cols[5][i],
            uncached: cols[6][i],
            server_errors: cols[7][i],
            upstream: cols[8][i],
            latency_sum: lsum[i],
            latency_min: lmin[i],
            latency_max: lmax[i],
            ts_max: ts_max[i],
        });
    }

    let lat = merge(
        lat,
        &[s::DAY, s::SEGMENT, s::CACHE_ENABLED, s::BUCKET],
        &[s::COUNT],
        &[],
        &[],
    )?;
    let (days, enabled) = (
        lat.column(s::DAY)?.i32()?.clone(),
        lat.column(s::CACHE_ENABLED)?.bool()?.clone(),
    );
    let (segments, buckets, counts) = (
        strs(&lat, s::SEGMENT)?,
        lat.column(s::BUCKET)?.i32()?.clone(),
        u64s(&lat, s::COUNT)?,
    );
    let latency = (0..lat.height())
        .map(|i| Lat {
            day: days.get(i).unwrap_or_default(),
            segment: seg.id(&segments[i]) as u16,
            enabled: enabled.get(i).unwrap_or(false),
            bucket: buckets.get(i).unwrap_or(s::ZERO_BUCKET),
            count: counts[i],
        })
        .collect();

    let usr_df = merge(
        usr_df,
        &[s::DAY, s::USER_ID, s::SEGMENT, s::CACHE_ENABLED],
        &[
            s::ROWS,
            s::UPSTREAM_CALLS,
            s::LATENCY_SUM,
            s::LATENCY_SQ_SUM,
            s::SERVER_ERRORS,
        ],
        &[],
        &[],
    )?;
    let (days, enabled) = (
        usr_df.column(s::DAY)?.i32()?.clone(),
        usr_df.column(s::CACHE_ENABLED)?.bool()?.clone(),
    );
    let (user_ids, segments) = (strs(&usr_df, s::USER_ID)?, strs(&usr_df, s::SEGMENT)?);
    let (rows, upstream, errors) = (
        u64s(&usr_df, s::ROWS)?,
        u64s(&usr_df, s::UPSTREAM_CALLS)?,
        u64s(&usr_df, s::SERVER_ERRORS)?,
    );
    let (lsum, lsq) = (f64s(&usr_df, s::LATENCY_SUM)?, f64s(&usr_df, s::LATENCY_SQ_SUM)?);
    let user_days = (0..usr_df.height())
        .map(|i| UserDay {
            day: days.get(i).unwrap_or_default(),
            user: usr.id(&user_ids[i]),
            segment: seg.id(&segments[i]) as u16,
            enabled: enabled.get(i).unwrap_or(false),
            rows: rows[i],
            upstream: upstream[i],
            latency_sum: lsum[i],
            latency_sq_sum: lsq[i],
            server_errors: errors[i],
        })
        .collect();

    let quality = load_quality(&quality, examples)?;
    Ok(Merged {
        segments: seg.names,
        customers: cust.names,
        users: usr.names,
        requests,
        latency,
        user_days,
        quality,
    })
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
