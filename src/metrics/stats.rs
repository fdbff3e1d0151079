//! Sufficient statistics per group, computed in one Polars aggregation:
//! counts, sums, distinct users and latency quantiles for the period rows P,
//! the treatment rows E and the baseline rows B (CONTRACT §4). Every KPI is
//! derived from these, so KPIs, segments and (later) confidence intervals
//! share one pass.

use anyhow::Result;
use polars::prelude::*;

use crate::frames::*;

/// Quantiles interpolate linearly between order statistics (numpy `linear`).
const QUANTILE: QuantileMethod = QuantileMethod::Linear;

/// Statistics of request rows in the period P and its treatment subset E.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeriodStats {
    /// |P|: request rows in P.
    pub requests: u64,
    /// Distinct user_id in P.
    pub users: u64,
    /// |E|: rows of P with the cache on.
    pub e_rows: u64,
    /// Distinct user_id in E.
    pub e_users: u64,
    /// HIT + STALE rows of E.
    pub e_hits: u64,
    /// HIT + STALE + MISS + ERROR rows of E.
    pub e_lookups: u64,
    /// ERROR rows of E.
    pub e_cache_errors: u64,
    /// Rows of E whose cache_status is not empty.
    pub e_cacheable: u64,
    /// Rows of E with status ≥ 500.
    pub e_server_errors: u64,
    /// Σ origin over E (upstream calls).
    pub e_origin: f64,
    /// Σ latency_ms over E.
    pub e_latency_sum: f64,
    /// Latency quantiles over E, ms.
    pub e_p50: Option<f64>,
    pub e_p95: Option<f64>,
    pub e_p99: Option<f64>,
}

/// Statistics of the baseline rows B (cache off, baseline window).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BaselineStats {
    /// |B|.
    pub rows: u64,
    /// Σ origin over B.
    pub origin: f64,
    /// Σ latency_ms over B.
    pub latency_sum: f64,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    /// Rows of B with status ≥ 500.
    pub server_errors: u64,
}

/// Statistics of feedback rows in P.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedbackStats {
    pub responses: u64,
    pub score_sum: f64,
    /// Rows with score ≤ 2.
    pub complaints: u64,
}

fn count(cond: Expr) -> Expr {
    cond.cast(DataType::Int64).sum()
}

/// Rows whose cache status is one of `statuses`.
fn cache_is(statuses: &[CacheStatus]) -> Expr {
    statuses
        .iter()
        .map(|s| col(CACHE_STATUS).eq(lit(cache_code(*s))))
        .reduce(|a, b| a.or(b))
        .expect("statuses")
        .fill_null(lit(false))
}

/// Aggregations over the request rows of a period (the caller filters).
pub fn period_aggs() -> Vec<Expr> {
    let e = col(CACHE_ENABLED);
    let lat_e = || col(LATENCY_MS).filter(e.clone());
    vec![
        len().cast(DataType::Int64).alias("requests"),
        col(USER_ID).n_unique().alias("users"),
        count(e.clone()).alias("e_rows"),
        col(USER_ID).filter(e.clone()).n_unique().alias("e_users"),
        count(e.clone().and(cache_is(&[CacheStatus::Hit, CacheStatus::Stale]))).alias("e_hits"),
        count(e.clone().and(cache_is(&[
            CacheStatus::Hit,
            CacheStatus::Stale,
            CacheStatus::Miss,
            CacheStatus::Error,
        ])))
        .alias("e_lookups"),
        count(e.clone().and(cache_is(&[CacheStatus::Error]))).alias("e_cache_errors"),
        count(e.clone().and(col(CACHE_STATUS).is_not_null())).alias("e_cacheable"),
        count(e.clone().and(col(STATUS).gt_eq(lit(500)))).alias("e_server_errors"),
        col(UPSTREAM_CALLS)
            .filter(e.clone())
            .cast(DataType::Float64)
            .sum()
            .alias("e_origin"),
        lat_e().sum().alias("e_latency_sum"),
        lat_e().quantile(lit(0.50), QUANTILE).alias("e_p50"),
        lat_e().quantile(lit(0.95), QUANTILE).alias("e_p95"),
        lat_e().quantile(lit(0.99), QUANTILE).alias("e_p99"),
    ]
}

/// Aggregations over the baseline rows B (the caller filters).
pub fn baseline_aggs() -> Vec<Expr> {
    let lat = || col(LATENCY_MS);
    vec![
        len().cast(DataType::Int64).alias("b_rows"),
        col(UPSTREAM_CALLS).cast(DataType::Float64).sum().alias("b_origin"),
        lat().sum().alias("b_latency_sum"),
        lat().quantile(lit(0.50), QUANTILE).alias("b_p50"),
        lat().quantile(lit(0.95), QUANTILE).alias("b_p95"),
        lat().quantile(lit(0.99), QUANTILE).alias("b_p99"),
        count(col(STATUS).gt_eq(lit(500))).alias("b_server_errors"),
    ]
}

/// Aggregations over the feedback rows of a period (the caller filters).
pub fn feedback_aggs() -> Vec<Expr> {
    vec![
        len().cast(DataType::Int64).alias("responses"),
        col(SCORE).cast(DataType::Float64).sum().alias("score_sum"),
        count(col(SCORE).lt_eq(lit(2))).alias("complaints"),
    ]
}

/// The `q` quantile of `values` with linear interpolation between order
/// statistics (numpy `linear`, Polars `QuantileMethod::Linear`), by
/// selection in O(n); reorders `values`. None for no values.
pub fn linear_quantile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let pos = q.clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let cmp = |a: &f64, b: &f64| a.total_cmp(b);
    let (_, lo_value, right) = values.select_nth_unstable_by(lo, cmp);
    let lo_value = *lo_value;
    let frac = pos - lo as f64;
    if frac == 0.0 || right.is_empty() {
        return Some(lo_value);
    }
    let hi_value = right.iter().copied().min_by(cmp).unwrap_or(lo_value);
    Some(lo_value + (hi_value - lo_value) * frac)
}

/// A number of a frame's cell as f64 (0 for null).
pub fn cell_f64(df: &DataFrame, name: &str, row: usize) -> Result<f64> {
    Ok(get_f64(df, name, row)?.unwrap_or(0.0))
}

fn get_u64(df: &DataFrame, name: &str, row: usize) -> Result<u64> {
    let v = df.column(name)?.cast(&DataType::Int64)?.i64()?.get(row).unwrap_or(0);
    Ok(u64::try_from(v).unwrap_or(0))
}

fn get_f64(df: &DataFrame, name: &str, row: usize) -> Result<Option<f64>> {
    Ok(df.column(name)?.cast(&DataType::Float64)?.f64()?.get(row))
}

impl PeriodStats {
    pub fn from_row(df: &DataFrame, row: usize) -> Result<Self> {
        Ok(PeriodStats {
            requests: get_u64(df, "requests", row)?,
            users: get_u64(df, "users", row)?,
            e_rows: get_u64(df, "e_rows", row)?,
            e_users: get_u64(df, "e_users", row)?,
            e_hits: get_u64(df, "e_hits", row)?,
            e_lookups: get_u64(df, "e_lookups", row)?,
            e_cache_errors: get_u64(df, "e_cache_errors", row)?,
            e_cacheable: get_u64(df, "e_cacheable", row)?,
            e_server_errors: get_u64(df, "e_server_errors", row)?,
            e_origin: get_f64(df, "e_origin", row)?.unwrap_or(0.0),
            e_latency_sum: get_f64(df, "e_latency_sum", row)?.unwrap_or(0.0),
            e_p50: get_f64(df, "e_p50", row)?,
            e_p95: get_f64(df, "e_p95", row)?,
            e_p99: get_f64(df, "e_p99", row)?,
        })
    }
}

impl BaselineStats {
    pub fn from_row(df: &DataFrame, row: usize) -> Result<Self> {
        Ok(BaselineStats {
            rows: get_u64(df, "b_rows", row)?,
            origin: get_f64(df, "b_origin", row)?.unwrap_or(0.0),
            latency_sum: get_f64(df, "b_latency_sum", row)?.unwrap_or(0.0),
            p50: get_f64(df, "b_p50", row)?,
            p95: get_f64(df, "b_p95", row)?,
            p99: get_f64(df, "b_p99", row)?,
            server_errors: get_u64(df, "b_server_errors", row)?,
        })
    }
}

impl FeedbackStats {
    pub fn from_row(df: &DataFrame, row: usize) -> Result<Self> {
        Ok(FeedbackStats {
            responses: get_u64(df, "responses", row)?,
            score_sum: get_f64(df, "score_sum", row)?.unwrap_or(0.0),
            complaints: get_u64(df, "complaints", row)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_quantile_matches_numpy_linear() {
        // Sorted 10 20 90 110 120 150: p50 at 2.5 → 100; p95 at 4.75 → 142.5; p99 at 4.95 → 148.5.
        let v = [110.0, 10.0, 150.0, 20.0, 120.0, 90.0];
        assert_eq!(linear_quantile(&mut v.clone(), 0.5), Some(100.0));
        assert_eq!(linear_quantile(&mut v.clone(), 0.95), Some(142.5));
        assert!((linear_quantile(&mut v.clone(), 0.99).unwrap() - 148.5).abs() < 1e-9);
        assert_eq!(linear_quantile(&mut [7.0], 0.5), Some(7.0));
        assert_eq!(linear_quantile(&mut [], 0.5), None);
    }

    #[test]
    fn linear_quantile_agrees_with_polars() {
        let values: Vec<f64> = (0..1001).map(|i| ((i * 7919) % 1009) as f64 / 3.0).collect();
        let df = df!("x" => values.clone()).unwrap();
        for q in [0.5, 0.95, 0.99] {
            let p = df
                .clone()
                .lazy()
                .select([col("x").quantile(lit(q), QUANTILE)])
                .collect()
                .unwrap();
            let want = p.column("x").unwrap().f64().unwrap().get(0).unwrap();
            let got = linear_quantile(&mut values.clone(), q).unwrap();
            assert!((got - want).abs() < 1e-9, "q {q}: {got} vs {want}");
        }
    }
}
