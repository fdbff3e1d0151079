//! Merged rollups folded into the sufficient statistics every KPI derives
//! from: counts and sums exactly, distinct users exactly (from the per-user
//! table), latency quantiles from the merged log-bucketed histograms
//! (within a relative α of the exact ones, docs/rollups.md).

use std::collections::{BTreeMap, BTreeSet};

use super::stats::{BaselineStats, PeriodStats};
use crate::rollups::{Lat, Merged, Req, UserDay};

/// A half-open range of local days `[from, to)` as epoch days.
pub type Days = (i32, i32);

/// Which segments a figure covers (None: every segment).
pub type Segments<'a> = Option<&'a BTreeSet<u16>>;

pub(crate) fn in_segments(seg: u16, s: Segments) -> bool {
    s.is_none_or(|set| set.contains(&seg))
}

pub use crate::rollups::merged::within;
pub use crate::stats::sketch::Histogram;

/// The histogram of the latency rows of `days` that `keep` selects.
pub fn histogram(m: &Merged, days: Days, keep: impl Fn(&Lat) -> bool) -> Histogram {
    let mut h = Histogram::default();
    for l in within(&m.latency, |l| l.day, days).iter().filter(|l| keep(l)) {
        h.add(l.bucket, l.count);
    }
    h
}

/// A set of users as bits (users are small integers).
#[derive(Clone)]
struct UserSet {
    bits: Vec<u64>,
    len: u64,
}

impl UserSet {
    fn new(users: usize) -> Self {
        UserSet {
            bits: vec![0; users.div_ceil(64)],
            len: 0,
        }
    }

    fn insert(&mut self, u: u32) {
        let (w, b) = ((u / 64) as usize, u % 64);
        if self.bits[w] & (1 << b) == 0 {
            self.bits[w] |= 1 << b;
            self.len += 1;
        }
    }
}

/// Statistics of P and E over `days` and `segments`.
pub fn period(m: &Merged, days: Days, segments: Segments) -> PeriodStats {
    let (all, _) = period_by_segment(m, days, segments, false);
    all
}

/// Statistics of P and E over `days` and `segments`, overall and (with
/// `per_segment`) for each segment, in one pass over each table.
pub fn period_by_segment(
    m: &Merged,
    days: Days,
    segments: Segments,
    per_segment: bool,
) -> (PeriodStats, BTreeMap<u16, PeriodStats>) {
    let mut all = PeriodStats::default();
    let mut by: BTreeMap<u16, PeriodStats> = BTreeMap::new();
    for r in within(&m.requests, |r| r.day, days)
        .iter()
        .filter(|r| in_segments(r.segment, segments))
    {
        all.add(r);
        if per_segment {
            by.entry(r.segment).or_default().add(r);
        }
    }
    let n = m.users.len();
    let (mut users, mut e_users) = (UserSet::new(n), UserSet::new(n));
    let mut seg_users: BTreeMap<u16, (UserSet, UserSet)> = BTreeMap::new();
    for u in m.users_in(days).iter().filter(|u| in_segments(u.segment, segments)) {
        users.insert(u.user);
        if u.enabled {
            e_users.insert(u.user);
        }
        if per_segment {
            let (su, se) = seg_users
                .entry(u.segment)
                .or_insert_with(|| (UserSet::new(n), UserSet::new(n)));
            su.insert(u.user);
            if u.enabled {
                se.insert(u.user);
            }
        }
    }
    all.users = users.len;
    all.e_users = e_users.len;
    for (seg, (su, se)) in seg_users {
        let p = by.entry(seg).or_default();
        p.users = su.len;
        p.e_users = se.len;
    }
    let mut h_all = Histogram::default();
    let mut h_seg: BTreeMap<u16, Histogram> = BTreeMap::new();
    for l in within(&m.latency, |l| l.day, days)
        .iter()
        .filter(|l| l.enabled && in_segments(l.segment, segments))
    {
        h_all.add(l.bucket, l.count);
        if per_segment {
            h_seg.entry(l.segment).or_default().add(l.bucket, l.count);
        }
    }
    let quantiles = |p: &mut PeriodStats, h: &Histogram| {
        p.e_p50 = h.quantile(0.50);
        p.e_p95 = h.quantile(0.95);
        p.e_p99 = h.quantile(0.99);
    };
    quantiles(&mut all, &h_all);
    for (seg, h) in &h_seg {
        quantiles(by.entry(*seg).or_default(), h);
    }
    (all, by)
}

/// Statistics of B (cache off) over the baseline `days` and `segments`.
pub fn baseline(m: &Merged, days: Days, segments: Segments) -> BaselineStats {
    let mut b = BaselineStats::default();
    for r in within(&m.requests, |r| r.day, days)
        .iter()
        .filter(|r| !r.enabled && in_segments(r.segment, segments))
    {
        b.add(r);
    }
    let h = histogram(m, days, |l| !l.enabled && in_segments(l.segment, segments));
    b.p50 = h.quantile(0.50);
    b.p95 = h.quantile(0.95);
    b.p99 = h.quantile(0.99);
    b
}

/// The segments with rows in `days`, by name.
pub fn segments_in(m: &Merged, days: Days) -> BTreeMap<String, u16> {
    within(&m.requests, |r| r.day, days)
        .iter()
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
    /// STALE and ERROR answers among the customer's requests with the cache.
    pub e_stale: u64,
    pub e_error: u64,
}

/// Per customer over `days`, sorted by id.
pub fn customers(m: &Merged, days: Days) -> Vec<CustomerFold> {
    let mut by: BTreeMap<&str, CustomerFold> = BTreeMap::new();
    for r in within(&m.requests, |r| r.day, days) {
        let id = m.customers[r.customer as usize].as_str();
        let c = by.entry(id).or_insert_with(|| CustomerFold {
            customer_id: id.to_string(),
            requests: 0,
            e_rows: 0,
            e_origin: 0,
            e_latency_sum: 0.0,
            e_stale: 0,
            e_error: 0,
        });
        c.add(r);
    }
    by.into_values().collect()
}

impl CustomerFold {
    /// Add a request record of the customer.
    fn add(&mut self, r: &Req) {
        self.requests += r.rows;
        if r.enabled {
            self.e_rows += r.rows;
            self.e_origin += r.upstream;
            self.e_latency_sum += r.latency_sum;
            self.e_stale += r.stale;
            self.e_error += r.error;
        }
    }
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
    for r in within(&m.requests, |r| r.day, days) {
        let d = by.entry(r.day).or_insert(DayFold {
            day: r.day,
            requests: 0,
            origin: 0.0,
            e_hits: 0,
            e_lookups: 0,
        });
        d.add(r);
    }
    by.into_values().collect()
}

impl DayFold {
    /// Add a request record of the day.
    fn add(&mut self, r: &Req) {
        self.requests += r.rows;
        self.origin += r.upstream as f64;
        if r.enabled {
            self.e_hits += r.hit + r.stale;
            self.e_lookups += r.hit + r.stale + r.miss + r.error;
        }
    }
}

/// The first and last day with a request row.
pub fn day_extent(m: &Merged) -> Option<(i32, i32)> {
    Some((m.requests.first()?.day, m.requests.last()?.day))
}

/// Valid request rows on or after `day`, and the latest time stamp among them.
pub fn rows_from(m: &Merged, day: i32) -> (u64, Option<i64>) {
    within(&m.requests, |r| r.day, (day, i32::MAX))
        .iter()
        .fold((0, None), |(n, t), r| (n + r.rows, t.max(Some(r.ts_max))))
}

/// Per-user sums of the per-user records of `windows` (disjoint) that
/// `keep` selects, by a key, in (key, user) order (so a rerun sums in the
/// same order and gives the same last digit). Hashed while summing: a
/// sorted map per record costs a tree walk on every one.
pub fn user_sums<K: Ord + std::hash::Hash + Copy>(
    m: &Merged,
    windows: &[Days],
    keep: impl Fn(&UserDay) -> Option<K>,
) -> Vec<((K, u32), UserDay)> {
    debug_assert!(
        windows.iter().enumerate().all(|(i, a)| windows[..i]
            .iter()
            .all(|b| a.1 <= b.0 || b.1 <= a.0 || a.0 >= a.1 || b.0 >= b.1)),
        "overlapping windows {windows:?}"
    );
    let mut sums: polars::prelude::PlHashMap<(K, u32), UserDay> = Default::default();
    for &w in windows {
        for u in m.users_in(w) {
            let Some(k) = keep(u) else { continue };
            sums.entry((k, u.user)).or_default().add(u);
        }
    }
    let mut out: Vec<_> = sums.into_iter().collect();
    out.sort_unstable_by_key(|a| a.0);
    out
}

/// The local date of the last valid request row before `before` (an epoch day).
pub fn last_day_before(m: &Merged, before: i32) -> Option<chrono::NaiveDate> {
    m.requests
        .iter()
        .filter(|r| r.day < before)
        .map(|r| r.day)
        .max()
        .and_then(crate::rollups::build::date_of)
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

    #[test]
    fn user_sums_add_up_each_users_records_of_the_windows() {
        let ud = |day, user, rows| UserDay {
            day,
            user,
            rows,
            ..Default::default()
        };
        let m = Merged {
            users: vec!["a".into(), "b".into()],
            // Sorted by day, as merged records are.
            user_days: vec![ud(1, 0, 1), ud(2, 0, 2), ud(2, 1, 5), ud(3, 0, 4), ud(9, 1, 7)],
            day_level: vec![(i32::MIN, i32::MAX)],
            ..Default::default()
        };
        // Windows [1, 3) and [3, 4): days 1, 2, 3. User a: 1+2+4 = 7; user b:
        // 5 (day 9 is in no window).
        let sums = user_sums(&m, &[(1, 3), (3, 4)], |_| Some(0u8));
        let got: Vec<(u32, u64)> = sums.iter().map(|((_, u), s)| (*u, s.rows)).collect();
        assert_eq!(got, [(0, 7), (1, 5)]);
        // Keyed by parity of the day: even days of a 2, of b 5; odd of a 1+4 = 5.
        let sums = user_sums(&m, &[(0, 10)], |u| Some(u.day % 2));
        let got: Vec<(i32, u32, u64)> = sums.iter().map(|((k, u), s)| (*k, *u, s.rows)).collect();
        assert_eq!(got, [(0, 0, 2), (0, 1, 5), (1, 0, 5), (1, 1, 7)]);
    }
}
