//! DDSketch's log-bucketed latency histogram: any value is recovered within
//! a relative error α, and merging two histograms is a sum of counts. The
//! rollups store the buckets; the metrics read quantiles off merged ones.

use std::collections::BTreeMap;

/// The relative accuracy of every latency quantile read from the rollups.
pub const ALPHA: f64 = 0.005;
/// γ = (1 + α) / (1 − α).
pub const GAMMA: f64 = (1.0 + ALPHA) / (1.0 - ALPHA);
/// ln γ, written out so that SQL engines use the very same number.
pub const LN_GAMMA: f64 = 0.010_000_083_334_583_179;
/// The bucket of a latency of 0 (and of anything not above 0).
pub const ZERO_BUCKET: i32 = i32::MIN;

/// DDSketch's bucket of a latency: ⌈ln x / ln γ⌉, every x in
/// (γ^(i−1), γ^i] in bucket i; 0 in [`ZERO_BUCKET`].
pub fn bucket_of(x: f64) -> i32 {
    if x > 0.0 {
        // Finite latencies give |i| < 75,000: no overflow.
        (x.ln() / LN_GAMMA).ceil() as i32
    } else {
        ZERO_BUCKET
    }
}

/// The value a bucket stands for: 2γ^i / (γ + 1), within a relative α of
/// every value in the bucket.
pub fn value_of(bucket: i32) -> f64 {
    if bucket == ZERO_BUCKET {
        0.0
    } else {
        2.0 * (f64::from(bucket) * LN_GAMMA).exp() / (GAMMA + 1.0)
    }
}

/// A latency histogram: requests per bucket.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    pub counts: BTreeMap<i32, u64>,
    pub n: u64,
}

impl Histogram {
    pub fn add(&mut self, bucket: i32, count: u64) {
        *self.counts.entry(bucket).or_default() += count;
        self.n += count;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (b, c) in &other.counts {
            self.add(*b, *c);
        }
    }

    /// The value of the order statistic `k` (0-based).
    fn order_statistic(&self, k: u64) -> Option<f64> {
        let mut seen = 0;
        for (b, c) in &self.counts {
            seen += c;
            if k < seen {
                return Some(value_of(*b));
            }
        }
        None
    }

    /// The `q` quantile with linear interpolation between order statistics
    /// (numpy `linear`), each read from its bucket: within a relative α of
    /// the exact quantile. None for no values.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        let pos = q.clamp(0.0, 1.0) * (self.n - 1) as f64;
        let lo = pos.floor() as u64;
        let frac = pos - lo as f64;
        let a = self.order_statistic(lo)?;
        if frac == 0.0 || lo + 1 >= self.n {
            return Some(a);
        }
        let b = self.order_statistic(lo + 1)?;
        Some(a + (b - a) * frac)
    }
}
