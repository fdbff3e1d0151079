//! The trend's days: origin calls and hit rates (the request log's and
//! Redis's) per local day.

use serde::Serialize;

use super::fold::Days;
use crate::period::Period;
use crate::rollups::Merged;
use crate::sources::redis_store::Store;

/// One local day of the trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayPoint {
    pub date: String,
    /// Σ origin calls over every request of the day.
    pub origin_calls: f64,
    /// (HIT + STALE) / lookups over the day's rows with the cache on.
    pub log_hit_rate: Option<f64>,
    /// Redis's hit rate from the day's snapshot deltas.
    pub redis_hit_rate: Option<f64>,
}

/// Request figures of one local day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayStats {
    pub date: chrono::NaiveDate,
    pub requests: u64,
    /// Σ origin over every row of the day (cache on or off).
    pub origin: f64,
    pub e_hits: u64,
    pub e_lookups: u64,
}

/// Per local day within `days`: requests, origin calls and the request
/// log's hit counts.
pub fn daily(m: &Merged, days: Days) -> Vec<DayStats> {
    super::fold::daily(m, days)
        .into_iter()
        .filter_map(|d| {
            Some(DayStats {
                date: crate::rollups::build::date_of(d.day)?,
                requests: d.requests,
                origin: d.origin,
                e_hits: d.e_hits,
                e_lookups: d.e_lookups,
            })
        })
        .collect()
}

/// Every local day of `days` with request rows.
pub fn points(requests: &Merged, store: &Store, days: Days, tz: chrono_tz::Tz) -> Vec<DayPoint> {
    daily(requests, days)
        .into_iter()
        .map(|d| {
            let day = Period::new(d.date, d.date + chrono::Duration::days(1), tz);
            DayPoint {
                date: d.date.to_string(),
                origin_calls: d.origin,
                log_hit_rate: (d.e_lookups > 0).then(|| d.e_hits as f64 / d.e_lookups as f64),
                redis_hit_rate: super::redis::measure(store, &day).hit_rate,
            }
        })
        .collect()
}
