//! Per-endpoint figures (the technical brief), folded from the rollups'
//! `endpoints` table with the KPIs' own definitions restricted to one
//! endpoint: E = the endpoint's requests with the cache in the period, B =
//! its requests in the baseline window (docs/kpis.md "Per endpoint").

use std::collections::BTreeMap;

use serde::Serialize;

use crate::rollups::merged::{EndpointLat, within};
use crate::rollups::{Merged, schema};
use crate::stats::sketch::Histogram;

/// One endpoint over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndpointFigures {
    pub endpoint: String,
    /// Rows of the period (with the cache or not).
    pub requests: u64,
    /// |E|.
    pub with_cache: u64,
    /// (HIT + STALE) ÷ (HIT + STALE + MISS + ERROR) over E.
    pub hit_rate: Option<f64>,
    /// STALE ÷ |E|.
    pub stale_share: Option<f64>,
    /// 5xx over E ÷ |E|.
    pub error_rate: Option<f64>,
    /// Cache status ERROR over E (the cache itself failing).
    pub cache_errors: u64,
    /// Σ origin calls over E.
    pub origin_calls: u64,
    /// |E| × (Σ origin over B ÷ |B|) − Σ origin over E.
    pub calls_avoided: Option<f64>,
    /// 1 − (Σ origin over E ÷ |E|) ÷ (Σ origin over B ÷ |B|).
    pub api_call_reduction: Option<f64>,
    /// p50, p95, p99 of latency over E (ms).
    pub with: [Option<f64>; 3],
    /// p50, p95, p99 of latency over B (ms): before the cache.
    pub without: [Option<f64>; 3],
    /// p95 over E ÷ p95 over B − 1: above 0 the endpoint is slower with
    /// the cache (a regression).
    pub regression: Option<f64>,
}

#[derive(Default)]
struct Acc {
    rows: u64,
    e_rows: u64,
    hit: u64,
    stale: u64,
    miss: u64,
    error: u64,
    server_errors: u64,
    e_upstream: u64,
    e_hist: Histogram,
    b_rows: u64,
    b_upstream: u64,
    b_hist: Histogram,
}

impl Acc {
    /// Add a record of the period (its E part when the cache was on).
    fn add_period(&mut self, e: &EndpointLat) {
        self.rows += e.rows;
        if e.enabled {
            self.e_rows += e.rows;
            self.hit += e.hit;
            self.stale += e.stale;
            self.miss += e.miss;
            self.error += e.error;
            self.server_errors += e.server_errors;
            self.e_upstream += e.upstream;
            self.e_hist.add(e.bucket, e.rows);
        }
    }

    /// Add a record of the baseline window.
    fn add_baseline(&mut self, e: &EndpointLat) {
        self.b_rows += e.rows;
        self.b_upstream += e.upstream;
        self.b_hist.add(e.bucket, e.rows);
    }
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b != 0.0).then(|| a / b)
}

const QUANTILES: [f64; 3] = [0.50, 0.95, 0.99];

/// Every endpoint with rows in `period` (local epoch days `[from, to)`),
/// busiest first (ties by name); `baseline` gives B.
pub fn by_endpoint(m: &Merged, period: (i32, i32), baseline: (i32, i32)) -> Vec<EndpointFigures> {
    let mut acc: BTreeMap<u32, Acc> = BTreeMap::new();
    let day = |e: &EndpointLat| e.day;
    for e in within(&m.endpoints, day, period) {
        acc.entry(e.endpoint).or_default().add_period(e);
    }
    for e in within(&m.endpoints, day, baseline) {
        // Only endpoints of the period: B is their "before".
        if let Some(a) = acc.get_mut(&e.endpoint) {
            a.add_baseline(e);
        }
    }
    let mut out: Vec<EndpointFigures> = acc
        .into_iter()
        .map(|(id, a)| {
            let e = a.e_rows as f64;
            let b_rate = ratio(a.b_upstream as f64, a.b_rows as f64);
            let e_rate = ratio(a.e_upstream as f64, e);
            let with = QUANTILES.map(|q| a.e_hist.quantile(q));
            let without = QUANTILES.map(|q| a.b_hist.quantile(q));
            EndpointFigures {
                endpoint: m
                    .endpoint_names
                    .get(id as usize)
                    .cloned()
                    .unwrap_or_else(|| schema::OTHER_ENDPOINT.into()),
                requests: a.rows,
                with_cache: a.e_rows,
                hit_rate: ratio((a.hit + a.stale) as f64, (a.hit + a.stale + a.miss + a.error) as f64),
                stale_share: ratio(a.stale as f64, e),
                error_rate: ratio(a.server_errors as f64, e),
                cache_errors: a.error,
                origin_calls: a.e_upstream,
                calls_avoided: b_rate.filter(|_| a.e_rows > 0).map(|r| e * r - a.e_upstream as f64),
                api_call_reduction: match (e_rate, b_rate) {
                    (Some(x), Some(y)) if y != 0.0 => Some(1.0 - x / y),
                    _ => None,
                },
                regression: match (with[1], without[1]) {
                    (Some(x), Some(y)) if y != 0.0 => Some(x / y - 1.0),
                    _ => None,
                },
                with,
                without,
            }
        })
        .collect();
    out.sort_by(|a, b| b.requests.cmp(&a.requests).then_with(|| a.endpoint.cmp(&b.endpoint)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollups::schema::bucket_of;

    fn cell(day: i32, endpoint: u32, enabled: bool, latency: f64, rows: u64) -> EndpointLat {
        EndpointLat {
            day,
            endpoint,
            enabled,
            bucket: bucket_of(latency),
            rows,
            hit: 0,
            stale: 0,
            miss: 0,
            error: 0,
            server_errors: 0,
            upstream: rows,
        }
    }

    /// One endpoint by hand. Baseline (day 0): 4 requests of 100 ms, each
    /// one origin call → 1 call a request, p50 = p95 = 100.
    /// Period (day 7), with the cache: 3 HIT of 10 ms (no origin call), 1
    /// STALE of 10 ms, 1 MISS of 200 ms (1 call), 1 ERROR of 200 ms (1 call,
    /// a 503); without the cache: 2 requests of 100 ms (1 call each).
    /// E = 6 rows: hit rate (3 + 1) ÷ (3 + 1 + 1 + 1) = 4/6; stale 1/6;
    /// error rate 1/6; origin over E = 2, calls avoided 6 × 1 − 2 = 4,
    /// reduction 1 − (2/6)/1 = 2/3. Latencies over E sorted: 10 10 10 10 200
    /// 200 → p50 at position 2.5 = 10; p95 at 4.75 = 200; regression
    /// 200/100 − 1 = +1.0 (the misses are slower than before).
    #[test]
    fn one_endpoint_by_hand() {
        let mut hit = cell(7, 0, true, 10.0, 3);
        (hit.hit, hit.upstream) = (3, 0);
        let mut stale = cell(7, 0, true, 10.0, 1);
        (stale.stale, stale.upstream) = (1, 0);
        let mut slow = cell(7, 0, true, 200.0, 2);
        (slow.miss, slow.error, slow.server_errors) = (1, 1, 1);
        let m = Merged {
            endpoint_names: vec!["GET /api/migrations".into(), "GET /other".into()],
            endpoints: vec![
                cell(0, 0, false, 100.0, 4),
                cell(0, 1, false, 5.0, 50),
                hit,
                stale,
                slow,
                cell(7, 0, false, 100.0, 2),
            ],
            ..Default::default()
        };
        let f = by_endpoint(&m, (7, 14), (0, 7));
        // The other endpoint has no rows in the period: not listed.
        assert_eq!(f.len(), 1);
        let f = &f[0];
        assert_eq!(f.endpoint, "GET /api/migrations");
        assert_eq!((f.requests, f.with_cache, f.origin_calls, f.cache_errors), (8, 6, 2, 1));
        let close = |a: Option<f64>, b: f64| assert!((a.unwrap() - b).abs() < 1e-12, "{a:?} vs {b}");
        close(f.hit_rate, 4.0 / 6.0);
        close(f.stale_share, 1.0 / 6.0);
        close(f.error_rate, 1.0 / 6.0);
        close(f.calls_avoided, 4.0);
        close(f.api_call_reduction, 2.0 / 3.0);
        // Within the sketch's α = 0.5 % of the exact values.
        let near = |a: Option<f64>, b: f64| assert!((a.unwrap() - b).abs() <= 0.005 * b, "{a:?} vs {b}");
        near(f.with[0], 10.0);
        near(f.with[1], 200.0);
        near(f.without[1], 100.0);
        near(f.regression.map(|r| r + 1.0), 2.0);
    }
}
