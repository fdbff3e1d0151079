//! The rollup dataset, schema version 2 (docs/rollups.md): tables of
//! sums that merge by plain addition, a marker file, and the log-bucketed
//! latency mapping they share with `sql/rollup.sql`.

use polars::prelude::DataType;
use serde::{Deserialize, Serialize};

/// The schema version this build reads and writes.
pub const VERSION: u32 = 2;

/// The marker file at the root of a rollup dataset.
pub const MARKER: &str = "_cacheroi_rollups.json";

/// Table folders.
pub const REQUESTS: &str = "requests";
pub const LATENCY: &str = "latency";
pub const USERS: &str = "users";
pub const QUALITY: &str = "quality";
pub const EXAMPLES: &str = "examples";
/// Per endpoint: a latency histogram with the cache statuses, errors and
/// origin calls of each bucket's requests (schema 2).
pub const ENDPOINTS: &str = "endpoints";

/// Every table, in the order they are written.
pub const TABLES: [&str; 6] = [REQUESTS, LATENCY, USERS, QUALITY, EXAMPLES, ENDPOINTS];

/// A file's busiest endpoints keep their name in the `endpoints` table; the
/// rest are summed as [`OTHER_ENDPOINT`] (raw URLs with ids in them would
/// otherwise make a table as large as the log).
pub const MAX_ENDPOINTS: usize = 200;
pub const OTHER_ENDPOINT: &str = "(other endpoints)";

/// The store's compaction of `users` by week (derived, not part of the
/// dataset an engine makes): the `users` columns, `day` the week's Monday.
pub const USERS_WEEK: &str = "users_week";

/// The Monday of the (local, ISO) week of an epoch day.
pub fn monday_of(day: i32) -> i32 {
    // Epoch day 0, 1970-01-01, was a Thursday.
    day - (day + 3).rem_euclid(7)
}

/// Whether `[days.0, days.1)` is a run of whole weeks (both ends Mondays).
pub fn whole_weeks(days: (i32, i32)) -> bool {
    monday_of(days.0) == days.0 && monday_of(days.1) == days.1
}

// Columns.
pub const DAY: &str = "day";
pub const CUSTOMER_ID: &str = "customer_id";
pub const USER_ID: &str = "user_id";
pub const SEGMENT: &str = "segment";
pub const ENDPOINT: &str = "endpoint";
pub const CACHE_ENABLED: &str = "cache_enabled";
pub const ROWS: &str = "rows";
pub const HIT: &str = "hit";
pub const STALE: &str = "stale";
pub const MISS: &str = "miss";
pub const BYPASS: &str = "bypass";
pub const ERROR: &str = "error";
pub const UNCACHED: &str = "uncached";
pub const SERVER_ERRORS: &str = "server_errors";
pub const UPSTREAM_CALLS: &str = "upstream_calls";
pub const LATENCY_SUM: &str = "latency_sum";
pub const LATENCY_SQ_SUM: &str = "latency_sq_sum";
pub const LATENCY_MIN: &str = "latency_min";
pub const LATENCY_MAX: &str = "latency_max";
pub const TS_MAX: &str = "ts_max";
pub const BUCKET: &str = "bucket";
pub const COUNT: &str = "count";
pub const SOURCE: &str = "source";
pub const FORMAT: &str = "format";
pub const REASON: &str = "reason";
pub const LINE: &str = "line";
pub const ROW_NUMBER: &str = "row_number";
pub const COLUMN: &str = "column_name";
pub const VALUE: &str = "value";

pub use crate::stats::sketch::{ALPHA, GAMMA, LN_GAMMA, ZERO_BUCKET, bucket_of, value_of};

/// The marker: what a dataset holds and how it was made. A reader refuses a
/// dataset of another schema version, time zone or accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    pub schema: u32,
    /// Days are local dates in this IANA zone.
    pub timezone: String,
    pub alpha: f64,
    /// SHA-256 (first 12 hex digits) of the customers table the segments were
    /// resolved with ("none" without one).
    pub customers: String,
    /// `cacheroi <version>` or `sql/rollup.sql (<engine>)`.
    pub producer: String,
    /// A hash of `[sources.requests_mapping]` ("none" without one): a
    /// changed mapping rolls every file up anew.
    #[serde(default = "no_mapping")]
    pub mapping: String,
}

fn no_mapping() -> String {
    "none".into()
}

/// Each table's columns and the types a reader takes them as (the day as
/// days since the epoch; files store it as a Date).
pub const REQUESTS_COLUMNS: [(&str, DataType); 17] = [
    (DAY, DataType::Int32),
    (CUSTOMER_ID, DataType::String),
    (SEGMENT, DataType::String),
    (CACHE_ENABLED, DataType::Boolean),
    (ROWS, DataType::Int64),
    (HIT, DataType::Int64),
    (STALE, DataType::Int64),
    (MISS, DataType::Int64),
    (BYPASS, DataType::Int64),
    (ERROR, DataType::Int64),
    (UNCACHED, DataType::Int64),
    (SERVER_ERRORS, DataType::Int64),
    (UPSTREAM_CALLS, DataType::Int64),
    (LATENCY_SUM, DataType::Float64),
    (LATENCY_MIN, DataType::Float64),
    (LATENCY_MAX, DataType::Float64),
    (TS_MAX, DataType::Int64),
];

pub const LATENCY_COLUMNS: [(&str, DataType); 5] = [
    (DAY, DataType::Int32),
    (SEGMENT, DataType::String),
    (CACHE_ENABLED, DataType::Boolean),
    (BUCKET, DataType::Int32),
    (COUNT, DataType::Int64),
];

pub const USERS_COLUMNS: [(&str, DataType); 9] = [
    (DAY, DataType::Int32),
    (USER_ID, DataType::String),
    (SEGMENT, DataType::String),
    (CACHE_ENABLED, DataType::Boolean),
    (ROWS, DataType::Int64),
    (UPSTREAM_CALLS, DataType::Int64),
    (LATENCY_SUM, DataType::Float64),
    (LATENCY_SQ_SUM, DataType::Float64),
    (SERVER_ERRORS, DataType::Int64),
];

pub const QUALITY_COLUMNS: [(&str, DataType); 4] = [
    (SOURCE, DataType::String),
    (FORMAT, DataType::String),
    (REASON, DataType::String),
    (ROWS, DataType::Int64),
];

pub const ENDPOINTS_COLUMNS: [(&str, DataType); 11] = [
    (DAY, DataType::Int32),
    (ENDPOINT, DataType::String),
    (CACHE_ENABLED, DataType::Boolean),
    (BUCKET, DataType::Int32),
    (ROWS, DataType::Int64),
    (HIT, DataType::Int64),
    (STALE, DataType::Int64),
    (MISS, DataType::Int64),
    (ERROR, DataType::Int64),
    (SERVER_ERRORS, DataType::Int64),
    (UPSTREAM_CALLS, DataType::Int64),
];

pub const EXAMPLES_COLUMNS: [(&str, DataType); 6] = [
    (SOURCE, DataType::String),
    (REASON, DataType::String),
    (COLUMN, DataType::String),
    (VALUE, DataType::String),
    (LINE, DataType::Int64),
    (ROW_NUMBER, DataType::Int64),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_mondays() {
        let day = |y, m, d| super::super::build::epoch_day(chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap());
        // 2026-11-16 was a Monday; 2026-11-22 the Sunday of its week.
        assert_eq!(monday_of(day(2026, 11, 22)), day(2026, 11, 16));
        assert_eq!(monday_of(day(2026, 11, 16)), day(2026, 11, 16));
        assert_eq!(monday_of(day(2026, 11, 23)), day(2026, 11, 23));
        // Before the epoch: 1969-12-31 (a Wednesday) is in the week of 1969-12-29.
        assert_eq!(monday_of(-1), -3);
        assert!(whole_weeks((day(2026, 11, 16), day(2026, 11, 30))));
        assert!(!whole_weeks((day(2026, 11, 16), day(2026, 11, 29))));
        assert!(!whole_weeks((day(2026, 11, 17), day(2026, 11, 30))));
    }

    #[test]
    fn ln_gamma_is_the_written_constant() {
        assert!((GAMMA.ln() - LN_GAMMA).abs() < 1e-17, "{}", GAMMA.ln());
    }

    #[test]
    fn every_value_is_recovered_within_alpha() {
        // Latencies from a microsecond to a day, dense in between.
        let mut x = 0.001;
        while x < 86_400_000.0 {
            let v = value_of(bucket_of(x));
            assert!((v - x).abs() <= ALPHA * x * (1.0 + 1e-9), "{x}: {v}");
            x *= 1.0007;
        }
        assert_eq!(value_of(bucket_of(0.0)), 0.0);
        assert_eq!(bucket_of(-1.0), ZERO_BUCKET);
        // Bucket i holds (γ^(i−1), γ^i].
        assert_eq!(bucket_of(1.0), 0);
        assert_eq!(bucket_of(1.0001), 1);
        assert_eq!(bucket_of(f64::MIN_POSITIVE), -70_839);
    }
}
