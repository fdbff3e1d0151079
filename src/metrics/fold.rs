//! Merged rollups folded into the sufficient statistics every KPI derives
//! from: counts and sums exactly, distinct users exactly (from the per-user
//! table), latency quantiles from the merged log-bucketed histograms
//! (within a relative α of the exact ones, docs/rollups.md).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::stats::{BaselineStats, PeriodStats};
use crate::rollups::schema::value_of;
use crate::rollups::{Lat, Merged, Req, UserDay};

/// A half-open range of local days `[from, to)` as epoch days.
pub type Days = (i32, i32);

/// Which segments a figure covers (None: every segment).
pub type Segments<'a> = Option<&'a BTreeSet<u16>>;

fn in_days(day: i32, d: Days) -> bool {
    day >= d.0 && day < d.1
}

fn in_segments(seg: u16, s: Segments) -> bool {
    s.is_none_or(|set| set.contains(&seg))
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

/// The histogram of the latency rows that `keep` selects.
pub fn histogram(m: &Merged, keep: impl Fn(&Lat) -> bool) -> Histogram {
    let mut h = Histogram::default();
    for l in m.latency.iter().filter(|l| keep(l)) {
        h.add(l.bucket, l.count);
    }
    h
}

/// Statistics of P and E over `days` and `segments`.
pub fn period(m: &Merged, days: Days, segments: Segments) -> PeriodStats {
    let mut p = PeriodStats::default();
    let keep = |day: i32, seg: u16| in_days(day, days) && in_segments(seg, segments);
    for r in m.requests.iter().filter(|r| keep(r.day, r.segment)) {
        p.requests += r.rows;
        if r.enabled {
            add_e(&mut p, r);
        }
    }
    let mut users = HashSet::new();
    let mut e_users = HashSet::new();
    for u in m.user_days.iter().filter(|u| keep(u.day, u.segment)) {
        users.insert(u.user);
        if u.enabled {
            e_users.insert(u.user);
        }
    }
    p.users = users.len() as u64;
    p.e_users = e_users.len() as u64;
    let h = histogram(m, |l| l.enabled && keep(l.day, l.segment));
    p.e_p50 = h.quantile(0.50);
    p.e_p95 = h.quantile(0.95);
    p.e_p99 = h.quantile(0.99);
    p
}

fn add_e(p: &mut PeriodStats, r: &Req) {
    p.e_rows += r.rows;
    p.e_hits += r.hit + r.stale;
    p.e_lookups += r.hit + r.stale + r.miss + r.error;
    p.e_cache_errors += r.error;
    p.e_cacheable += r.rows - r.uncached.min(r.rows);
    p.e_server_errors += r.server_errors;
    p.e_origin += r.upstream as f64;
    p.e_latency_sum += r.latency_sum;
}

/// Statistics of B (cache off) over the baseline `days` and `segments`.
pub fn baseline(m: &Merged, days: Days, segments: Segments) -> BaselineStats {
    let mut b = BaselineStats::default();
    let keep = |day: i32, seg: u16| in_days(day, days) && in_segments(seg, segments);
    for r in m.requests.iter().filter(|r| !r.enabled && keep(r.day, r.segment)) {
        b.rows += r.rows;
        b.origin += r.upstream as f64;
        b.latency_sum += r.latency_sum;
        b.server_errors += r.server_errors;
    }
    let h = histogram(m, |l| !l.enabled && keep(l.day, l.segment));
    b.p50 = h.quantile(0.50);
    b.p95 = h.quantile(0.95);
    b.p99 = h.quantile(0.99);
    b
}

/// The segments with rows in `days`, by name.
pub fn segments_in(m: &Merged, days: Days) -> BTreeMap<String, u16> {
    m.requests
        .iter()
        .filter(|r| in_days(r.day, days))
        .map(|r| (m.segments[r.segment as usize].clone(), r.segment))
        .collect()
}

/// The ids of the named segments (unknown names have none).
pub fn segment_ids(m: &Merged, names: &[String]) -> BTreeSet<u16> {
    m.segments
        .iter()
        .enumerate()
        .filter(|(_, s)| names.iter().any(|n| n == *s))
        .map(|(i, _)| i as u16)
        .collect()
}

/// One customer's figures over `days`.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerFold {
    pub customer_id: String,
    pub requests: u64,
    pub e_rows: u64,
    pub e_origin: u64,
    pub e_latency_sum: f64,
}

/// Per customer over `days`, sorted by id.
pub fn customers(m: &Merged, days: Days) -> Vec<CustomerFold> {
    let mut by: BTreeMap<&str, CustomerFold> = BTreeMap::new();
    for r in m.requests.iter().filter(|r| in_days(r.day, days)) {
        let id = m.customers[r.customer as usize].as_str();
        let c = by.entry(id).or_insert_with(|| CustomerFold {
            customer_id: id.to_string(),
            requests: 0,
            e_rows: 0,
            e_origin: 0,
            e_latency_sum: 0.0,
        });
        c.requests += r.rows;
        if r.enabled {
            c.e_rows += r.rows;
            c.e_origin += r.upstream;
            c.e_latency_sum += r.latency_sum;
        }
    }
    by.into_values().collect()
}

/// One local day's request figures.
#[derive(Debug, Clone, PartialEq)]
pub struct DayFold {
    pub day: i32,
    pub requests: u64,
    /// Σ origin over every row of the day (cache on or off).
    pub origin: f64,
    pub e_hits: u64,
    pub e_lookups: u64,
}

/// Per local day within `days`, in order.
pub fn daily(m: &Merged, days: Days) -> Vec<DayFold> {
    let mut by: BTreeMap<i32, DayFold> = BTreeMap::new();
    for r in m.requests.iter().filter(|r| in_days(r.day, days)) {
        let d = by.entry(r.day).or_insert(DayFold {
            day: r.day,
            requests: 0,
            origin: 0.0,
            e_hits: 0,
            e_lookups: 0,
        });
        d.requests += r.rows;
        d.origin += r.upstream as f64;
        if r.enabled {
            d.e_hits += r.hit + r.stale;
            d.e_lookups += r.hit + r.stale + r.miss + r.error;
        }
    }
    by.into_values().collect()
}

/// The first and last day with a request row.
pub fn day_extent(m: &Merged) -> Option<(i32, i32)> {
    let first = m.requests.iter().map(|r| r.day).min()?;
    let last = m.requests.iter().map(|r| r.day).max()?;
    Some((first, last))
}

/// Valid request rows on or after `day`, and the latest time stamp among them.
pub fn rows_from(m: &Merged, day: i32) -> (u64, Option<i64>) {
    m.requests
        .iter()
        .filter(|r| r.day >= day)
        .fold((0, None), |(n, t), r| (n + r.rows, t.max(Some(r.ts_max))))
}

/// Per-user sums of the user-day rows `keep` selects, by a key.
pub fn user_sums<K: Ord>(m: &Merged, keep: impl Fn(&UserDay) -> Option<K>) -> BTreeMap<(K, u32), UserDay> {
    let mut out: BTreeMap<(K, u32), UserDay> = BTreeMap::new();
    for u in &m.user_days {
        let Some(k) = keep(u) else { continue };
        let s = out.entry((k, u.user)).or_default();
        s.rows += u.rows;
        s.upstream += u.upstream;
        s.latency_sum += u.latency_sum;
        s.latency_sq_sum += u.latency_sq_sum;
        s.server_errors += u.server_errors;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_interpolate_like_numpy_within_alpha() {
        // 10 20 90 110 120 150: p50 100, p95 142.5, p99 148.5 exactly.
        let mut h = Histogram::default();
        for x in [110.0, 10.0, 150.0, 20.0, 120.0, 90.0] {
            h.add(crate::rollups::schema::bucket_of(x), 1);
        }
        let alpha = crate::rollups::schema::ALPHA;
        for (q, want) in [(0.5, 100.0), (0.95, 142.5), (0.99, 148.5), (0.0, 10.0), (1.0, 150.0)] {
            let got = h.quantile(q).unwrap();
            assert!((got - want).abs() <= alpha * want, "q {q}: {got} vs {want}");
        }
        assert_eq!(Histogram::default().quantile(0.5), None);
    }
}
