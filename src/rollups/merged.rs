//! Rollups merged: every table of a dataset read, groups that several files
//! (or engine partitions) share summed, and the result held as plain
//! records for the metrics to fold. Nothing here reads a raw row.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use polars::prelude::*;

use super::dataset::{conform, read_file};
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

impl UserDay {
    /// Add another record's sums (the key fields stay).
    pub fn add(&mut self, o: &UserDay) {
        self.rows += o.rows;
        self.upstream += o.upstream;
        self.latency_sum += o.latency_sum;
        self.latency_sq_sum += o.latency_sq_sum;
        self.server_errors += o.server_errors;
    }
}

/// An endpoint's requests in one latency bucket of a day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EndpointLat {
    pub day: i32,
    pub endpoint: u32,
    pub enabled: bool,
    pub bucket: i32,
    pub rows: u64,
    pub hit: u64,
    pub stale: u64,
    pub miss: u64,
    pub error: u64,
    pub server_errors: u64,
    pub upstream: u64,
}

/// A whole rollup dataset, merged.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    pub segments: Vec<String>,
    pub customers: Vec<String>,
    pub users: Vec<String>,
    pub endpoint_names: Vec<String>,
    /// Each sorted by day (a group may come in several records).
    pub requests: Vec<Req>,
    pub latency: Vec<Lat>,
    pub endpoints: Vec<EndpointLat>,
    /// Per-user sums by week (`day`: the Monday), every week of the data.
    pub user_weeks: Vec<UserDay>,
    /// Per-user sums by day, for the days of `day_level` only.
    pub user_days: Vec<UserDay>,
    /// The day ranges `[from, to)` whose per-user days are loaded (sorted,
    /// disjoint); read them with [`Merged::users_in`].
    pub day_level: Vec<(i32, i32)>,
    /// Where per-user days are read from: each rollup's `users` file and
    /// the weeks it has rows in (a store's; empty when all are loaded).
    pub(crate) day_files: Vec<(PathBuf, Vec<i32>)>,
    /// Data quality of the request log, file by file.
    pub quality: SourceQuality,
}

/// The records of `records` (sorted by day) in `[days.0, days.1)`.
pub fn within<T>(records: &[T], day: impl Fn(&T) -> i32, days: (i32, i32)) -> &[T] {
    let a = records.partition_point(|r| day(r) < days.0);
    let b = records.partition_point(|r| day(r) < days.1);
    &records[a..b.max(a)]
}

impl Merged {
    /// The per-user records of `[days.0, days.1)`: by week when the range is
    /// whole weeks, else by day. A user may come in several records (one
    /// per week or day, and per segment and cache flag).
    ///
    /// # Panics
    /// When the range is not whole weeks and its days were not loaded with
    /// [`Merged::load_days`]: a command must load the day-level records of
    /// every such window it computes (a wrong number would be worse).
    pub fn users_in(&self, days: (i32, i32)) -> &[UserDay] {
        if days.0 >= days.1 {
            return &[];
        }
        if s::whole_weeks(days) {
            return within(&self.user_weeks, |u| u.day, days);
        }
        assert!(
            self.day_level.iter().any(|r| r.0 <= days.0 && days.1 <= r.1),
            "internal error: the per-user days of {days:?} were not loaded (Merged::load_days)"
        );
        within(&self.user_days, |u| u.day, days)
    }

    /// Load what [`Merged::users_in`] needs for every range a command
    /// derives from its `windows` (the report window, the baseline, the
    /// rollout's span...): the per-user days of [`day_level_needed`], from
    /// the rollups that have rows in those weeks. The one place that decides
    /// which days are read by day: a command passes the ranges it was asked
    /// for, never the pieces it cuts from them.
    pub fn load_days(&mut self, windows: &[(i32, i32)]) -> Result<()> {
        let missing: Vec<(i32, i32)> = day_level_needed(windows)
            .into_iter()
            .filter(|w| !self.day_level.iter().any(|r| r.0 <= w.0 && w.1 <= r.1))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let t = std::time::Instant::now();
        let loaded = self.day_level.clone();
        let wanted = |day: i32| {
            missing.iter().any(|w| w.0 <= day && day < w.1) && !loaded.iter().any(|r| r.0 <= day && day < r.1)
        };
        let mut b = Records {
            users: OwnedNames::from_names(std::mem::take(&mut self.users)),
            segments: OwnedNames::from_names(std::mem::take(&mut self.segments)),
            ..Default::default()
        };
        let touches = |weeks: &[i32]| missing.iter().any(|w| weeks.iter().any(|m| *m < w.1 && m + 7 > w.0));
        for (file, _) in self.day_files.iter().filter(|(_, weeks)| touches(weeks)) {
            let df = read_file(file, &s::USERS_COLUMNS)?;
            let keep: BooleanChunked = df
                .column(s::DAY)?
                .i32()?
                .iter()
                .map(|d| d.is_some_and(wanted))
                .collect();
            b.users(&df.filter(&keep)?)?;
        }
        self.users = b.users.into_names();
        self.segments = b.segments.into_names();
        self.user_days.append(&mut b.user_days);
        self.user_days.sort_by_key(|u| u.day);
        self.day_level.extend(missing);
        self.day_level = merge_ranges(std::mem::take(&mut self.day_level));
        tracing::debug!(elapsed = ?t.elapsed(), ranges = ?self.day_level, "per-user days loaded");
        Ok(())
    }
}

/// The rows of a `users` file whose day `keep` selects.
fn read_users(file: &Path, keep: impl Fn(i32) -> bool) -> Result<DataFrame> {
    let df = read_file(file, &s::USERS_COLUMNS)?;
    let mask: BooleanChunked = df.column(s::DAY)?.i32()?.iter().map(|d| d.is_some_and(&keep)).collect();
    Ok(df.filter(&mask)?)
}

/// The per-user records of `days` in these `users` files, summed by week,
/// with the names of their user and segment ids.
pub(super) fn users_by_week(files: &[PathBuf], days: (i32, i32)) -> Result<(Vec<UserDay>, Vec<String>, Vec<String>)> {
    let mut b = Records::default();
    for f in files {
        b.users(&read_users(f, |d| days.0 <= d && d < days.1)?)?;
    }
    Ok((by_week(&b.user_days), b.users.into_names(), b.segments.into_names()))
}

/// The ranges of `windows` whose per-user records must be held by day, so
/// that every range a report cuts from them can be read: a window that is
/// not whole weeks, and a window that another one cuts at a day that is not
/// a Monday (a month starting inside the baseline cuts the baseline there:
/// the baseline's days before the month are one of the experiment's arms).
/// Any intersection, difference or sub-range of these ranges whose ends are
/// ends of `windows` or Mondays is then either whole weeks or inside one
/// returned range. Sorted, joined where they touch.
pub fn day_level_needed(windows: &[(i32, i32)]) -> Vec<(i32, i32)> {
    let ranges: Vec<(i32, i32)> = windows.iter().copied().filter(|w| w.0 < w.1).collect();
    let cuts: Vec<i32> = ranges.iter().flat_map(|w| [w.0, w.1]).collect();
    let needed = ranges
        .iter()
        .copied()
        .filter(|w| !s::whole_weeks(*w) || cuts.iter().any(|&c| w.0 < c && c < w.1 && s::monday_of(c) != c))
        .collect();
    merge_ranges(needed)
}

/// Sorted, overlapping or touching ranges joined.
fn merge_ranges(mut ranges: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
    ranges.sort_unstable();
    let mut out: Vec<(i32, i32)> = Vec::new();
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.0 <= last.1 => last.1 = last.1.max(r.1),
            _ => out.push(r),
        }
    }
    out
}

/// Per-user days summed by week (`day`: the Monday), sorted by week, user,
/// segment and flag.
fn by_week(days: &[UserDay]) -> Vec<UserDay> {
    let mut sums: PlHashMap<(i32, u32, u16, bool), UserDay> = PlHashMap::default();
    for u in days {
        let monday = s::monday_of(u.day);
        let w = sums.entry((monday, u.user, u.segment, u.enabled)).or_insert(UserDay {
            day: monday,
            user: u.user,
            segment: u.segment,
            enabled: u.enabled,
            ..Default::default()
        });
        w.add(u);
    }
    let mut out: Vec<UserDay> = sums.into_values().collect();
    out.sort_unstable_by_key(|u| (u.day, u.user, u.segment, u.enabled));
    out
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

/// Load and merge a dataset. `manifest` lists the files of a store of
/// cacheroi's (None: every Parquet file of an engine-made dataset). The
/// large tables are folded into records one file at a time, so a file's
/// frame is dropped before the next is read.
pub fn load(
    root: &Path,
    manifest: Option<&super::dataset::Manifest>,
    _marker: &Marker,
    endpoints: bool,
) -> Result<Merged> {
    let files = |t| super::dataset::table_files(root, manifest, t);
    let t = std::time::Instant::now();
    let mut b = Records::default();
    for f in files(s::REQUESTS)? {
        b.requests(&read_file(&f, &s::REQUESTS_COLUMNS)?)?;
    }
    for f in files(s::LATENCY)? {
        b.latency(&read_file(&f, &s::LATENCY_COLUMNS)?)?;
    }
    if endpoints {
        for f in files(s::ENDPOINTS)? {
            b.endpoints(&read_file(&f, &s::ENDPOINTS_COLUMNS)?)?;
        }
    }
    // A store of ours: users by week from its compaction, by day on demand.
    // A dataset made elsewhere: every user day, summed by week here.
    let by_day = manifest.is_none();
    match manifest {
        Some(m) => {
            for f in super::dataset::week_files(root, m) {
                b.users(&read_file(&f, &s::USERS_COLUMNS)?)?;
            }
        }
        None => {
            for f in files(s::USERS)? {
                b.users(&read_file(&f, &s::USERS_COLUMNS)?)?;
            }
        }
    }
    tracing::trace!(elapsed = ?t.elapsed(), "merge: records read");
    let quality = load_quality(
        &read_table(&files(s::QUALITY)?, &s::QUALITY_COLUMNS)?,
        read_table(&files(s::EXAMPLES)?, &s::EXAMPLES_COLUMNS)?,
    )?;
    let mut m = b.finish(quality, by_day);
    if let Some(manifest) = manifest {
        m.day_files = manifest
            .files
            .values()
            .map(|e| {
                (
                    root.join(s::USERS).join(format!("src={}", e.id)).join("part.parquet"),
                    e.weeks.clone().unwrap_or_default(),
                )
            })
            .collect();
    }
    tracing::trace!(elapsed = ?t.elapsed(), "merge: sorted");
    Ok(m)
}

/// Merge rollups held in memory (tests, and a run without a store).
pub fn from_rollups(rollups: &[super::build::FileRollup]) -> Result<Merged> {
    let mut b = Records::default();
    let (mut quality, mut examples) = (Vec::new(), Vec::new());
    for r in rollups {
        b.requests(&conform(&r.requests, &s::REQUESTS_COLUMNS, "rollup")?)?;
        b.latency(&conform(&r.latency, &s::LATENCY_COLUMNS, "rollup")?)?;
        b.users(&conform(&r.users, &s::USERS_COLUMNS, "rollup")?)?;
        b.endpoints(&conform(&r.endpoints, &s::ENDPOINTS_COLUMNS, "rollup")?)?;
        quality.push(conform(&r.quality, &s::QUALITY_COLUMNS, "rollup")?);
        examples.push(conform(&r.examples, &s::EXAMPLES_COLUMNS, "rollup")?);
    }
    let quality = load_quality(
        &stack(quality, &s::QUALITY_COLUMNS)?,
        stack(examples, &s::EXAMPLES_COLUMNS)?,
    )?;
    Ok(b.finish(quality, true))
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
    endpoint_names: OwnedNames,
    requests: Vec<Req>,
    latency: Vec<Lat>,
    endpoints: Vec<EndpointLat>,
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

    fn endpoints(&mut self, df: &DataFrame) -> Result<()> {
        let (day, endpoint, enabled, bucket) = (
            array!(df, s::DAY, i32),
            array!(df, s::ENDPOINT, str),
            array!(df, s::CACHE_ENABLED, bool),
            array!(df, s::BUCKET, i32),
        );
        let counts = [
            s::ROWS,
            s::HIT,
            s::STALE,
            s::MISS,
            s::ERROR,
            s::SERVER_ERRORS,
            s::UPSTREAM_CALLS,
        ]
        .map(|c| -> Result<_> { Ok(array!(df, c, i64)) });
        let [rows, hit, stale, miss, error, server_errors, upstream] = counts;
        let (rows, hit, stale, miss) = (rows?, hit?, stale?, miss?);
        let (error, server_errors, upstream) = (error?, server_errors?, upstream?);
        self.endpoints.reserve(df.height());
        for i in 0..df.height() {
            self.endpoints.push(EndpointLat {
                day: day.get(i).unwrap_or_default(),
                endpoint: self.endpoint_names.id(endpoint.get(i).unwrap_or_default()),
                enabled: enabled.get(i).unwrap_or(false),
                bucket: bucket.get(i).unwrap_or(s::ZERO_BUCKET),
                rows: count(rows.get(i)),
                hit: count(hit.get(i)),
                stale: count(stale.get(i)),
                miss: count(miss.get(i)),
                error: count(error.get(i)),
                server_errors: count(server_errors.get(i)),
                upstream: count(upstream.get(i)),
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
    /// `by_day`: the users records are days (every day of the data), summed
    /// by week here; else they are weeks already.
    fn finish(mut self, quality: SourceQuality, by_day: bool) -> Merged {
        self.requests.sort_by_key(|r| r.day);
        self.latency.sort_by_key(|l| l.day);
        self.endpoints.sort_by_key(|e| e.day);
        self.user_days.sort_by_key(|u| u.day);
        let (user_weeks, user_days, day_level) = if by_day {
            (by_week(&self.user_days), self.user_days, vec![(i32::MIN, i32::MAX)])
        } else {
            (self.user_days, Vec::new(), Vec::new())
        };
        Merged {
            segments: self.segments.into_names(),
            customers: self.customers.into_names(),
            users: self.users.into_names(),
            endpoint_names: self.endpoint_names.into_names(),
            requests: self.requests,
            latency: self.latency,
            endpoints: self.endpoints,
            user_weeks,
            user_days,
            day_level,
            day_files: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ud(day: i32, user: u32, rows: u64) -> UserDay {
        UserDay {
            day,
            user,
            rows,
            ..Default::default()
        }
    }

    #[test]
    fn whole_weeks_read_week_records_and_other_windows_day_records() {
        // Epoch day 4 (1970-01-05) is a Monday. User 0 on days 4, 6 and 11
        // (two weeks), user 1 on day 10.
        let b = Records {
            user_days: vec![ud(4, 0, 1), ud(6, 0, 2), ud(10, 1, 5), ud(11, 0, 4)],
            ..Default::default()
        };
        let m = b.finish(SourceQuality::default(), true);
        // Week of day 4 (days 4–10): user 0 with 1 + 2 rows, user 1 with 5;
        // week of day 11: user 0 with 4.
        let week = |days| {
            m.users_in(days)
                .iter()
                .map(|u| (u.day, u.user, u.rows))
                .collect::<Vec<_>>()
        };
        assert_eq!(week((4, 18)), [(4, 0, 3), (4, 1, 5), (11, 0, 4)]);
        // Days 6 to 10: user 0's day 6 and user 1's day 10, by day.
        assert_eq!(week((6, 11)), [(6, 0, 2), (10, 1, 5)]);
        assert!(m.users_in((9, 9)).is_empty());
    }

    #[test]
    #[should_panic(expected = "were not loaded")]
    fn a_window_inside_weeks_without_its_days_is_a_bug_not_a_number() {
        let b = Records {
            user_days: vec![ud(4, 0, 1)],
            ..Default::default()
        };
        let m = b.finish(SourceQuality::default(), false);
        let _ = m.users_in((5, 9));
    }

    #[test]
    fn day_level_is_needed_where_a_window_is_cut_off_a_monday() {
        // Epoch days 4, 11, 18, 25 are Mondays. A baseline of whole weeks
        // [4, 25) alone needs nothing; a window from Sunday day 17 cuts it at
        // 17, so the baseline and the window are read by day.
        assert!(day_level_needed(&[(4, 25)]).is_empty());
        assert_eq!(day_level_needed(&[(17, 40), (4, 25)]), [(4, 40)]);
        // A whole-week window inside a whole-week baseline cuts it at Mondays.
        assert!(day_level_needed(&[(11, 18), (4, 25)]).is_empty());
        // A window of whole weeks after a baseline that is not: only the baseline.
        assert_eq!(day_level_needed(&[(25, 39), (5, 19)]), [(5, 19)]);
        // Empty ranges are nothing.
        assert!(day_level_needed(&[(9, 9), (12, 3)]).is_empty());
    }

    #[test]
    fn ranges_join_when_they_touch() {
        assert_eq!(merge_ranges(vec![(5, 9), (1, 3), (3, 4), (8, 12)]), [(1, 4), (5, 12)]);
    }
}
