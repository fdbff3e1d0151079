//! Sufficient statistics per group: counts, sums, distinct users and
//! latency quantiles for the period rows P, the treatment rows E and the
//! baseline rows B (folded from the rollups by [`super::fold`]), and for
//! feedback rows. Every KPI is derived from these.

use anyhow::Result;
use polars::prelude::*;

use crate::frames::SCORE;
use crate::rollups::Req;

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
    /// STALE rows of E.
    pub e_stale: u64,
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

impl PeriodStats {
    /// Add a request record of P (and of E when the cache was on). The
    /// distinct users and the quantiles are not sums: the fold sets them.
    pub fn add(&mut self, r: &Req) {
        self.requests += r.rows;
        if !r.enabled {
            return;
        }
        self.e_rows += r.rows;
        self.e_hits += r.hit + r.stale;
        self.e_stale += r.stale;
        self.e_lookups += r.hit + r.stale + r.miss + r.error;
        self.e_cache_errors += r.error;
        self.e_cacheable += r.rows - r.uncached.min(r.rows);
        self.e_server_errors += r.server_errors;
        self.e_origin += r.upstream as f64;
        self.e_latency_sum += r.latency_sum;
    }
}

impl BaselineStats {
    /// Add a request record of B (the quantiles are set by the fold).
    pub fn add(&mut self, r: &Req) {
        self.rows += r.rows;
        self.origin += r.upstream as f64;
        self.latency_sum += r.latency_sum;
        self.server_errors += r.server_errors;
    }
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

/// Aggregations over the feedback rows of a period (the caller filters).
pub fn feedback_aggs() -> Vec<Expr> {
    vec![
        len().cast(DataType::Int64).alias("responses"),
        col(SCORE).cast(DataType::Float64).sum().alias("score_sum"),
        count(col(SCORE).lt_eq(lit(crate::ground::score::COMPLAINT_AT_MOST))).alias("complaints"),
    ]
}

fn get_u64(df: &DataFrame, name: &str, row: usize) -> Result<u64> {
    let v = df.column(name)?.cast(&DataType::Int64)?.i64()?.get(row).unwrap_or(0);
    Ok(u64::try_from(v).unwrap_or(0))
}

fn get_f64(df: &DataFrame, name: &str, row: usize) -> Result<Option<f64>> {
    Ok(df.column(name)?.cast(&DataType::Float64)?.f64()?.get(row))
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
