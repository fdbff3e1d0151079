//! Rolling up one request-log file: its rows read once, normalised, checked,
//! and summed into the tables of [`super::schema`]. This is the only place
//! that reads raw request rows.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use polars::prelude::PlHashMap;
use polars::prelude::*;
use polars_arrow::array::Array;

use super::names::{Grouped, Names};
use super::schema::{self as s, bucket_of};
use crate::formats::Limits;
use crate::frames::{
    CACHE_ENABLED, CACHE_STATUS, CUSTOMER_ID, ENDPOINT, LATENCY_MS, RULE, SEGMENT, STATUS, TS, UPSTREAM_CALLS, USER_ID,
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
    pub endpoints: DataFrame,
}

impl FileRollup {
    /// The frames by table name, in [`s::TABLES`] order.
    pub fn tables(&self) -> [(&'static str, &DataFrame); 6] {
        [
            (s::REQUESTS, &self.requests),
            (s::LATENCY, &self.latency),
            (s::USERS, &self.users),
            (s::QUALITY, &self.quality),
            (s::EXAMPLES, &self.examples),
            (s::ENDPOINTS, &self.endpoints),
        ]
    }
}

/// The row tables of one file's valid rows.
pub struct Sums {
    pub requests: DataFrame,
    pub latency: DataFrame,
    pub users: DataFrame,
    pub endpoints: DataFrame,
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

/// Roll up one request-log file. `source` names it in the quality tables.
pub fn roll_up(
    path: &Path,
    source: &str,
    customers: Option<&DataFrame>,
    tz: Tz,
    limits: &Limits,
    mapping: Option<&crate::sources::mapping::Mapping>,
) -> Result<FileRollup> {
    let t = std::time::Instant::now();
    let raw = crate::sources::mapping::open_request_log(path, limits, mapping)?;
    tracing::trace!(elapsed = ?t.elapsed(), "rollup: read");
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
    tracing::trace!(elapsed = ?t.elapsed(), "rollup: normalised");
    let rule = df.column(RULE)?.i32()?.clone();
    let rejected = rule.len() - rule.null_count();
    let (by_reason, examples) = if rejected > 0 {
        collect_rejects(&raw, &df, &rule, &normalized.rules)
            .with_context(|| format!("{}: cannot read", path.display()))?
    } else {
        (BTreeMap::new(), Vec::new())
    };
    let valid_rows = (rule.len() - rejected) as u64;
    let quality = quality_frame(source, format, valid_rows, &by_reason)?;
    let examples = examples_frame(source, &examples)?;
    tracing::trace!(elapsed = ?t.elapsed(), "rollup: checked");
    let sums = aggregate(&df, Some(&rule), customers, tz)?;
    tracing::trace!(elapsed = ?t.elapsed(), "rollup: aggregated");
    Ok(FileRollup {
        requests: sums.requests,
        latency: sums.latency,
        users: sums.users,
        quality,
        examples,
        endpoints: sums.endpoints,
    })
}

#[derive(Default, Clone, Copy)]
struct ReqSums {
    rows: i64,
    by_status: [i64; 6],
    server_errors: i64,
    upstream: i64,
    lat_sum: f64,
    lat_min: f64,
    lat_max: f64,
    ts_max: i64,
}

impl ReqSums {
    /// One raw row (`code`: its cache-status code, 1–5 or none).
    #[inline]
    fn add_row(&mut self, code: Option<i32>, server_error: i64, upstream: i64, latency: f64, ts: i64) {
        self.rows += 1;
        match code {
            Some(code @ 1..=5) => self.by_status[code as usize - 1] += 1,
            _ => self.by_status[5] += 1,
        }
        self.server_errors += server_error;
        self.upstream += upstream;
        self.lat_sum += latency;
        self.lat_min = self.lat_min.min(latency);
        self.lat_max = self.lat_max.max(latency);
        self.ts_max = self.ts_max.max(ts);
    }
}

/// An endpoint's requests in one latency bucket.
#[derive(Default, Clone, Copy)]
struct EndpointSums {
    rows: i64,
    hit: i64,
    stale: i64,
    miss: i64,
    error: i64,
    server_errors: i64,
    upstream: i64,
}

impl EndpointSums {
    /// One raw row (`code`: its cache-status code).
    #[inline]
    fn add_row(&mut self, code: Option<i32>, server_error: i64, upstream: i64) {
        self.rows += 1;
        self.hit += i64::from(code == Some(1));
        self.stale += i64::from(code == Some(2));
        self.miss += i64::from(code == Some(3));
        self.error += i64::from(code == Some(5));
        self.server_errors += server_error;
        self.upstream += upstream;
    }

    fn add(&mut self, o: &EndpointSums) {
        self.rows += o.rows;
        self.hit += o.hit;
        self.stale += o.stale;
        self.miss += o.miss;
        self.error += o.error;
        self.server_errors += o.server_errors;
        self.upstream += o.upstream;
    }
}

/// (local day, endpoint, cache flag, latency bucket).
type EndpointKey = (i32, u32, bool, i32);

/// The endpoints of one file, its [`s::MAX_ENDPOINTS`] busiest by name (ties
/// by name), the rest summed as [`s::OTHER_ENDPOINT`]; sorted.
fn endpoint_rows(
    ep: PlHashMap<EndpointKey, EndpointSums>,
    names: &Names,
) -> Vec<((i32, String, bool, i32), EndpointSums)> {
    let mut per: PlHashMap<u32, i64> = PlHashMap::default();
    for (k, v) in &ep {
        *per.entry(k.1).or_default() += v.rows;
    }
    let mut busiest: Vec<(u32, i64)> = per.into_iter().collect();
    busiest.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| names.name(a.0).cmp(names.name(b.0))));
    let kept: std::collections::HashSet<u32> = busiest.iter().take(s::MAX_ENDPOINTS).map(|e| e.0).collect();
    let mut out: BTreeMap<(i32, String, bool, i32), EndpointSums> = BTreeMap::new();
    for ((day, e, en, b), v) in ep {
        let name = if kept.contains(&e) {
            names.name(e)
        } else {
            s::OTHER_ENDPOINT
        };
        out.entry((day, name.to_string(), en, b)).or_default().add(&v);
    }
    out.into_iter().collect()
}

/// (local day, segment, cache flag) of a user's rows.
type UserGroup = (i32, u32, bool);

#[derive(Default, Clone, Copy)]
struct UserSums {
    rows: i64,
    upstream: i64,
    lat_sum: f64,
    lat_sq: f64,
    server_errors: i64,
}

impl UserSums {
    /// One raw row.
    #[inline]
    fn add_row(&mut self, server_error: i64, upstream: i64, latency: f64) {
        self.rows += 1;
        self.upstream += upstream;
        self.lat_sum += latency;
        self.lat_sq += latency * latency;
        self.server_errors += server_error;
    }
}

/// Sum the valid rows of a normalised frame (canonical columns; `rule`:
/// null for valid rows, None when every row is valid) into the `requests`,
/// `latency` and `users` tables: one pass in plain Rust over the columns,
/// integer keys for names, segments resolved (the row's own, else the
/// customers table's, else `general`) and local days and latency buckets
/// computed on the way.
///
/// The column decoding and the loop stay in one function: this is the hot
/// path (every raw row passes once), and the loop reads the contiguous
/// arrays borrowed from the rechunked columns above it. The sums of one row
/// are the `add_row` of each table's sums; the frames are built after.
pub fn aggregate(df: &DataFrame, rule: Option<&Int32Chunked>, customers: Option<&DataFrame>, tz: Tz) -> Result<Sums> {
    let by_customer: PlHashMap<&str, &str> = match customers {
        Some(c) => c
            .column(CUSTOMER_ID)?
            .str()?
            .iter()
            .zip(c.column(SEGMENT)?.str()?.iter())
            .filter_map(|(id, seg)| Some((id?, seg?)))
            .collect(),
        None => PlHashMap::default(),
    };
    let t0 = std::time::Instant::now();
    let ts = df.column(TS)?.i64()?;
    let days = local_days(ts, tz);
    tracing::trace!(elapsed = ?t0.elapsed(), "aggregate: days");
    // One contiguous array per column: `value(i)` and `is_valid(i)` are a
    // load each, where a chunked iterator zip costs a branch per chunk.
    let ts = ts.rechunk();
    let ts = ts.downcast_as_array();
    let days = days.rechunk();
    let days = days.downcast_as_array();
    let rule = rule.map(|r| r.rechunk());
    let rule = rule.as_ref().map(|r| r.downcast_as_array());
    macro_rules! array {
        ($name:expr, $kind:ident) => {
            df.column($name)?.$kind()?.rechunk()
        };
    }
    let (cust, user, seg) = (array!(CUSTOMER_ID, str), array!(USER_ID, str), array!(SEGMENT, str));
    let (cust, user, seg) = (
        cust.downcast_as_array(),
        user.downcast_as_array(),
        seg.downcast_as_array(),
    );
    let (status, latency, cache) = (array!(STATUS, i64), array!(LATENCY_MS, f64), array!(CACHE_STATUS, i32));
    let (status, latency, cache) = (
        status.downcast_as_array(),
        latency.downcast_as_array(),
        cache.downcast_as_array(),
    );
    let (enabled, upstream) = (array!(CACHE_ENABLED, bool), array!(UPSTREAM_CALLS, i64));
    let (enabled, upstream) = (enabled.downcast_as_array(), upstream.downcast_as_array());
    let endpoint = array!(ENDPOINT, str);
    let endpoint = endpoint.downcast_as_array();
    let (mut customers_n, mut segments_n) = (Names::default(), Names::default());
    let mut endpoints_n = Names::default();
    let mut ep: PlHashMap<EndpointKey, EndpointSums> = PlHashMap::default();
    let mut req: PlHashMap<(i32, u32, u32, bool), ReqSums> = PlHashMap::default();
    let mut lat: PlHashMap<(i32, u32, bool, i32), i64> = PlHashMap::default();
    // Per user the few (day, segment, flag) groups of the file, found with
    // one lookup per row.
    let mut usr: Grouped<UserGroup, UserSums> = Grouped::default();
    let required = [
        ts.validity(),
        days.validity(),
        cust.validity(),
        user.validity(),
        status.validity(),
        latency.validity(),
        enabled.validity(),
    ];
    for i in 0..ts.len() {
        if rule.is_some_and(|r| r.is_valid(i)) {
            continue;
        }
        // A valid row has every required value.
        if required.iter().any(|v| v.is_some_and(|v| !v.get_bit(i))) {
            continue;
        }
        let (t, day, c, u, st, l, en) = (
            ts.value(i),
            days.value(i),
            cust.value(i),
            user.value(i),
            status.value(i),
            latency.value(i),
            enabled.value(i),
        );
        let segment = seg
            .get(i)
            .or_else(|| by_customer.get(c).copied())
            .unwrap_or(customers::DEFAULT_SEGMENT);
        let (c, g) = (customers_n.id(c), segments_n.id(segment));
        let up = upstream.get(i).unwrap_or(0);
        let err = i64::from(st >= 500);
        let r = req.entry((day, c, g, en)).or_insert(ReqSums {
            lat_min: f64::INFINITY,
            lat_max: f64::NEG_INFINITY,
            ts_max: i64::MIN,
            ..Default::default()
        });
        let code = cache.get(i);
        r.add_row(code, err, up, l, t);
        let bucket = bucket_of(l);
        *lat.entry((day, g, en, bucket)).or_default() += 1;
        ep.entry((day, endpoints_n.id(endpoint.get(i).unwrap_or_default()), en, bucket))
            .or_default()
            .add_row(code, err, up);
        usr.get(u, (day, g, en)).add_row(err, up, l);
    }
    tracing::trace!(elapsed = ?t0.elapsed(), "aggregate: summed");
    let sums = Sums {
        requests: requests_table(req, &customers_n, &segments_n)?,
        latency: latency_table(lat, &segments_n)?,
        users: users_table(usr, &segments_n)?,
        endpoints: endpoints_table(endpoint_rows(ep, &endpoints_n))?,
    };
    tracing::trace!(elapsed = ?t0.elapsed(), "aggregate: tables");
    Ok(sums)
}

/// The `requests` table, sorted by its key.
fn requests_table(
    req: PlHashMap<(i32, u32, u32, bool), ReqSums>,
    customers_n: &Names,
    segments_n: &Names,
) -> Result<DataFrame> {
    let mut req: Vec<_> = req.into_iter().collect();
    req.sort_unstable_by_key(|(k, _)| *k);
    let n = req.len();
    let count = |name: &str, f: fn(&ReqSums) -> i64| {
        Column::new(name.into(), req.iter().map(|(_, v)| f(v)).collect::<Vec<_>>())
    };
    let float = |name: &str, f: fn(&ReqSums) -> f64| {
        Column::new(name.into(), req.iter().map(|(_, v)| f(v)).collect::<Vec<_>>())
    };
    Ok(DataFrame::new(
        n,
        vec![
            Column::new(s::DAY.into(), req.iter().map(|(k, _)| k.0).collect::<Vec<_>>()).cast(&DataType::Date)?,
            Column::new(
                s::CUSTOMER_ID.into(),
                req.iter().map(|(k, _)| customers_n.name(k.1)).collect::<Vec<_>>(),
            ),
            Column::new(
                s::SEGMENT.into(),
                req.iter().map(|(k, _)| segments_n.name(k.2)).collect::<Vec<_>>(),
            ),
            Column::new(
                s::CACHE_ENABLED.into(),
                req.iter().map(|(k, _)| k.3).collect::<Vec<_>>(),
            ),
            count(s::ROWS, |v| v.rows),
            count(s::HIT, |v| v.by_status[0]),
            count(s::STALE, |v| v.by_status[1]),
            count(s::MISS, |v| v.by_status[2]),
            count(s::BYPASS, |v| v.by_status[3]),
            count(s::ERROR, |v| v.by_status[4]),
            count(s::UNCACHED, |v| v.by_status[5]),
            count(s::SERVER_ERRORS, |v| v.server_errors),
            count(s::UPSTREAM_CALLS, |v| v.upstream),
            float(s::LATENCY_SUM, |v| v.lat_sum),
            float(s::LATENCY_MIN, |v| v.lat_min),
            float(s::LATENCY_MAX, |v| v.lat_max),
            count(s::TS_MAX, |v| v.ts_max),
        ],
    )?)
}

/// The `latency` table, sorted by its key.
fn latency_table(lat: PlHashMap<(i32, u32, bool, i32), i64>, segments_n: &Names) -> Result<DataFrame> {
    let mut lat: Vec<_> = lat.into_iter().collect();
    lat.sort_unstable_by_key(|(k, _)| *k);
    Ok(DataFrame::new(
        lat.len(),
        vec![
            Column::new(s::DAY.into(), lat.iter().map(|(k, _)| k.0).collect::<Vec<_>>()).cast(&DataType::Date)?,
            Column::new(
                s::SEGMENT.into(),
                lat.iter().map(|(k, _)| segments_n.name(k.1)).collect::<Vec<_>>(),
            ),
            Column::new(
                s::CACHE_ENABLED.into(),
                lat.iter().map(|(k, _)| k.2).collect::<Vec<_>>(),
            ),
            Column::new(s::BUCKET.into(), lat.iter().map(|(k, _)| k.3).collect::<Vec<_>>()),
            Column::new(s::COUNT.into(), lat.iter().map(|(_, v)| *v).collect::<Vec<_>>()),
        ],
    )?)
}

/// The `users` table, in first-seen order (deterministic; the merge sorts
/// by day).
fn users_table(usr: Grouped<UserGroup, UserSums>, segments_n: &Names) -> Result<DataFrame> {
    let usr: Vec<_> = usr
        .into_groups()
        .into_iter()
        .map(|(u, (d, g, en), v)| ((d, u, g, en), v))
        .collect();
    Ok(DataFrame::new(
        usr.len(),
        vec![
            Column::new(s::DAY.into(), usr.iter().map(|(k, _)| k.0).collect::<Vec<_>>()).cast(&DataType::Date)?,
            Column::new(s::USER_ID.into(), usr.iter().map(|(k, _)| k.1).collect::<Vec<_>>()),
            Column::new(
                s::SEGMENT.into(),
                usr.iter().map(|(k, _)| segments_n.name(k.2)).collect::<Vec<_>>(),
            ),
            Column::new(
                s::CACHE_ENABLED.into(),
                usr.iter().map(|(k, _)| k.3).collect::<Vec<_>>(),
            ),
            Column::new(s::ROWS.into(), usr.iter().map(|(_, v)| v.rows).collect::<Vec<_>>()),
            Column::new(
                s::UPSTREAM_CALLS.into(),
                usr.iter().map(|(_, v)| v.upstream).collect::<Vec<_>>(),
            ),
            Column::new(
                s::LATENCY_SUM.into(),
                usr.iter().map(|(_, v)| v.lat_sum).collect::<Vec<_>>(),
            ),
            Column::new(
                s::LATENCY_SQ_SUM.into(),
                usr.iter().map(|(_, v)| v.lat_sq).collect::<Vec<_>>(),
            ),
            Column::new(
                s::SERVER_ERRORS.into(),
                usr.iter().map(|(_, v)| v.server_errors).collect::<Vec<_>>(),
            ),
        ],
    )?)
}

/// The `endpoints` table of [`endpoint_rows`].
fn endpoints_table(ep: Vec<((i32, String, bool, i32), EndpointSums)>) -> Result<DataFrame> {
    let col = |name: &str, f: fn(&EndpointSums) -> i64| {
        Column::new(name.into(), ep.iter().map(|(_, v)| f(v)).collect::<Vec<_>>())
    };
    Ok(DataFrame::new(
        ep.len(),
        vec![
            Column::new(s::DAY.into(), ep.iter().map(|(k, _)| k.0).collect::<Vec<_>>()).cast(&DataType::Date)?,
            Column::new(
                s::ENDPOINT.into(),
                ep.iter().map(|(k, _)| k.1.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(s::CACHE_ENABLED.into(), ep.iter().map(|(k, _)| k.2).collect::<Vec<_>>()),
            Column::new(s::BUCKET.into(), ep.iter().map(|(k, _)| k.3).collect::<Vec<_>>()),
            col(s::ROWS, |v| v.rows),
            col(s::HIT, |v| v.hit),
            col(s::STALE, |v| v.stale),
            col(s::MISS, |v| v.miss),
            col(s::ERROR, |v| v.error),
            col(s::SERVER_ERRORS, |v| v.server_errors),
            col(s::UPSTREAM_CALLS, |v| v.upstream),
        ],
    )?)
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
    // The columns readers take (schema.rs), the day stored as a Date.
    let schema_of = |cols: &[(&str, DataType)]| -> Result<DataFrame> {
        let column = |(n, dt): &(&str, DataType)| {
            let dt = if *n == s::DAY { &DataType::Date } else { dt };
            Column::new_empty((*n).into(), dt)
        };
        Ok(DataFrame::new(0, cols.iter().map(column).collect())?)
    };
    Ok(FileRollup {
        requests: schema_of(&s::REQUESTS_COLUMNS)?,
        latency: schema_of(&s::LATENCY_COLUMNS)?,
        users: schema_of(&s::USERS_COLUMNS)?,
        quality: quality_frame(source, format, 0, &BTreeMap::new())?,
        examples: examples_frame(source, &[])?,
        endpoints: schema_of(&s::ENDPOINTS_COLUMNS)?,
    })
}
