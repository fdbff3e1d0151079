//! Rolling up one request-log file: its rows read once, normalised, checked,
//! and summed into the tables of [`super::schema`]. This is the only place
//! that reads raw request rows.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use polars::prelude::*;

use super::schema::{self as s, bucket_of};
use crate::formats::{Limits, RawFile};
use crate::frames::{
    CACHE_ENABLED, CACHE_STATUS, CUSTOMER_ID, CacheStatus, LATENCY_MS, RULE, SEGMENT, STATUS, TS, UPSTREAM_CALLS,
    USER_ID, cache_code,
};
use crate::quality::BadRow;
use crate::sources::{collect_rejects, customers, request_log};

/// The rollup of one file: one frame per table.
#[derive(Debug, Clone)]
pub struct FileRollup {
    pub requests: DataFrame,
    pub latency: DataFrame,
    pub users: DataFrame,
    pub quality: DataFrame,
    pub examples: DataFrame,
}

impl FileRollup {
    /// The frames by table name, in [`s::TABLES`] order.
    pub fn tables(&self) -> [(&'static str, &DataFrame); 5] {
        [
            (s::REQUESTS, &self.requests),
            (s::LATENCY, &self.latency),
            (s::USERS, &self.users),
            (s::QUALITY, &self.quality),
            (s::EXAMPLES, &self.examples),
        ]
    }
}

/// Days since 1970-01-01 of a date.
pub fn epoch_day(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - 719_163
}

/// The date of an epoch day.
pub fn date_of(day: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day.checked_add(719_163)?)
}

/// The local date (as an epoch day) of each time stamp in `tz`, by a binary
/// search over the local midnights around the UTC days present: exact across
/// DST changes and offsets of any minutes, and as cheap for a file of one
/// day as of a year. Outside 1970–2199 the UTC date is taken.
pub fn local_days(ts: &Int64Chunked, tz: Tz) -> Int32Chunked {
    const DAY_US: i64 = 86_400_000_000;
    let mut utc_days: Vec<i64> = ts.iter().flatten().map(|t| t.div_euclid(DAY_US)).collect();
    utc_days.sort_unstable();
    utc_days.dedup();
    let mut midnights: Vec<(i64, i32)> = Vec::new();
    for d in utc_days {
        for k in [d - 1, d, d + 1] {
            let Some(date) = i32::try_from(k).ok().and_then(date_of) else {
                continue;
            };
            if crate::period::sane_date(date) {
                midnights.push((
                    crate::period::local_midnight(date, tz).timestamp_micros(),
                    epoch_day(date),
                ));
            }
        }
    }
    midnights.sort_unstable();
    midnights.dedup();
    ts.iter()
        .map(|t| {
            let t = t?;
            let k = midnights.partition_point(|m| m.0 <= t);
            let utc = i32::try_from(t.div_euclid(DAY_US)).ok()?;
            match k.checked_sub(1).map(|i| midnights[i]) {
                // The local day holds t only if t is before the next midnight
                // (a gap in the midnights means t is far from any of them).
                Some((start, day)) if t - start < 2 * DAY_US => Some(day),
                _ => Some(utc),
            }
        })
        .collect()
}

fn count_if(cond: Expr) -> Expr {
    cond.fill_null(lit(false)).cast(DataType::Int64).sum()
}

fn status_is(status: CacheStatus) -> Expr {
    col(CACHE_STATUS).eq(lit(cache_code(status)))
}

/// Roll up one request-log file. `source` names it in the quality tables.
pub fn roll_up(
    path: &Path,
    source: &str,
    customers: Option<&DataFrame>,
    tz: Tz,
    limits: &Limits,
) -> Result<FileRollup> {
    let raw = RawFile::open(path, &request_log::SOURCE.wanted(), limits)?;
    let format = raw.kind.format.extension();
    if raw.height == 0 && raw.found_nothing() {
        return empty(source, format);
    }
    let normalized = request_log::normalize(&raw)?;
    let df = normalized
        .frame
        .collect()
        .map_err(anyhow::Error::from)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let rule = df.column(RULE)?.i32()?.clone();
    let rejected = rule.len() - rule.null_count();
    let (by_reason, examples) = if rejected > 0 {
        collect_rejects(&raw, &df, &rule, &normalized.rules)
            .with_context(|| format!("{}: cannot read", path.display()))?
    } else {
        (BTreeMap::new(), Vec::new())
    };
    let valid = df
        .lazy()
        .filter(col(RULE).is_null())
        .select(request_log::KPI_COLUMNS.iter().map(|c| col(*c)).collect::<Vec<_>>())
        .collect()?;
    let quality = quality_frame(source, format, (valid.height()) as u64, &by_reason)?;
    let examples = examples_frame(source, &examples)?;
    let (requests, latency, users) = aggregate(valid, customers, tz)?;
    Ok(FileRollup {
        requests,
        latency,
        users,
        quality,
        examples,
    })
}

/// Sum valid request rows (canonical columns, segments not yet resolved)
/// into the `requests`, `latency` and `users` tables.
pub fn aggregate(valid: DataFrame, customers: Option<&DataFrame>, tz: Tz) -> Result<(DataFrame, DataFrame, DataFrame)> {
    let mut valid = customers::assign_segments(valid, customers)?;
    let days = local_days(valid.column(TS)?.i64()?, tz).with_name(s::DAY.into());
    valid.with_column(days.into_column())?;
    let buckets: Int32Chunked = valid
        .column(LATENCY_MS)?
        .f64()?
        .iter()
        .map(|x| x.map(bucket_of))
        .collect();
    valid.with_column(buckets.with_name(s::BUCKET.into()).into_column())?;
    let rows = valid.lazy();
    let day = || col(s::DAY).cast(DataType::Date);

    let requests = rows
        .clone()
        .group_by([day(), col(CUSTOMER_ID), col(SEGMENT), col(CACHE_ENABLED)])
        .agg([
            len().cast(DataType::Int64).alias(s::ROWS),
            count_if(status_is(CacheStatus::Hit)).alias(s::HIT),
            count_if(status_is(CacheStatus::Stale)).alias(s::STALE),
            count_if(status_is(CacheStatus::Miss)).alias(s::MISS),
            count_if(status_is(CacheStatus::Bypass)).alias(s::BYPASS),
            count_if(status_is(CacheStatus::Error)).alias(s::ERROR),
            count_if(col(CACHE_STATUS).is_null()).alias(s::UNCACHED),
            count_if(col(STATUS).gt_eq(lit(500))).alias(s::SERVER_ERRORS),
            col(UPSTREAM_CALLS).sum().cast(DataType::Int64).alias(s::UPSTREAM_CALLS),
            col(LATENCY_MS).sum().alias(s::LATENCY_SUM),
            col(LATENCY_MS).min().alias(s::LATENCY_MIN),
            col(LATENCY_MS).max().alias(s::LATENCY_MAX),
            col(TS).max().alias(s::TS_MAX),
        ])
        .sort(
            [s::DAY, s::CUSTOMER_ID, s::SEGMENT, s::CACHE_ENABLED],
            SortMultipleOptions::default(),
        );
    let latency = rows
        .clone()
        .group_by([day(), col(SEGMENT), col(CACHE_ENABLED), col(s::BUCKET)])
        .agg([len().cast(DataType::Int64).alias(s::COUNT)])
        .sort(
            [s::DAY, s::SEGMENT, s::CACHE_ENABLED, s::BUCKET],
            SortMultipleOptions::default(),
        );
    let lat = || col(LATENCY_MS);
    let users = rows
        .group_by([day(), col(USER_ID), col(SEGMENT), col(CACHE_ENABLED)])
        .agg([
            len().cast(DataType::Int64).alias(s::ROWS),
            col(UPSTREAM_CALLS).sum().cast(DataType::Int64).alias(s::UPSTREAM_CALLS),
            lat().sum().alias(s::LATENCY_SUM),
            (lat() * lat()).sum().alias(s::LATENCY_SQ_SUM),
            count_if(col(STATUS).gt_eq(lit(500))).alias(s::SERVER_ERRORS),
        ])
        .sort(
            [s::DAY, s::USER_ID, s::SEGMENT, s::CACHE_ENABLED],
            SortMultipleOptions::default(),
        );
    // Three independent aggregations of the same rows, side by side.
    let (requests, latency, users) = std::thread::scope(|scope| {
        let r = scope.spawn(|| requests.collect());
        let l = scope.spawn(|| latency.collect());
        let u = users.collect();
        (r.join(), l.join(), u)
    });
    let panicked = |_| anyhow::anyhow!("a rollup aggregation panicked");
    Ok((requests.map_err(panicked)??, latency.map_err(panicked)??, users?))
}

/// `quality`: rows of one file by reason (null: valid rows).
fn quality_frame(source: &str, format: &str, valid: u64, by_reason: &BTreeMap<String, u64>) -> Result<DataFrame> {
    let mut reasons: Vec<Option<String>> = vec![None];
    let mut rows: Vec<i64> = vec![valid as i64];
    for (r, n) in by_reason {
        reasons.push(Some(r.clone()));
        rows.push(*n as i64);
    }
    let n = rows.len();
    Ok(DataFrame::new(
        n,
        vec![
            Column::new(s::SOURCE.into(), vec![source; n]),
            Column::new(s::FORMAT.into(), vec![format; n]),
            Column::new(s::REASON.into(), reasons),
            Column::new(s::ROWS.into(), rows),
        ],
    )?)
}

/// `examples`: the first rejected rows of one file per reason.
fn examples_frame(source: &str, examples: &[BadRow]) -> Result<DataFrame> {
    use crate::formats::Location;
    let n = examples.len();
    let (line, row): (Vec<Option<i64>>, Vec<Option<i64>>) = examples
        .iter()
        .map(|e| match e.location {
            Location::Line(l) => (Some(l as i64), None),
            Location::Row(r) => (None, Some(r as i64)),
            Location::Unknown => (None, None),
        })
        .unzip();
    Ok(DataFrame::new(
        n,
        vec![
            Column::new(s::SOURCE.into(), vec![source; n]),
            Column::new(
                s::REASON.into(),
                examples.iter().map(|e| e.reason.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                s::COLUMN.into(),
                examples.iter().map(|e| e.column.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                s::VALUE.into(),
                examples.iter().map(|e| e.value.clone()).collect::<Vec<_>>(),
            ),
            Column::new(s::LINE.into(), line),
            Column::new(s::ROW_NUMBER.into(), row),
        ],
    )?)
}

/// The rollup of a file without rows.
pub fn empty(source: &str, format: &str) -> Result<FileRollup> {
    let schema_of = |cols: &[(&str, DataType)]| -> Result<DataFrame> {
        Ok(DataFrame::new(
            0,
            cols.iter().map(|(n, dt)| Column::new_empty((*n).into(), dt)).collect(),
        )?)
    };
    use DataType as D;
    Ok(FileRollup {
        requests: schema_of(&[
            (s::DAY, D::Date),
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
        ])?,
        latency: schema_of(&[
            (s::DAY, D::Date),
            (s::SEGMENT, D::String),
            (s::CACHE_ENABLED, D::Boolean),
            (s::BUCKET, D::Int32),
            (s::COUNT, D::Int64),
        ])?,
        users: schema_of(&[
            (s::DAY, D::Date),
            (s::USER_ID, D::String),
            (s::SEGMENT, D::String),
            (s::CACHE_ENABLED, D::Boolean),
            (s::ROWS, D::Int64),
            (s::UPSTREAM_CALLS, D::Int64),
            (s::LATENCY_SUM, D::Float64),
            (s::LATENCY_SQ_SUM, D::Float64),
            (s::SERVER_ERRORS, D::Int64),
        ])?,
        quality: quality_frame(source, format, 0, &BTreeMap::new())?,
        examples: examples_frame(source, &[])?,
    })
}
