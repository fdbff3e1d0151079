//! What a phase's data so far says about each KPI the gate can judge on
//! evidence (docs/gate.md, "The evidence reading"): the sufficient
//! statistics of its sampling error, folded from the merged rollups. The
//! intervals themselves are drawn by `evaluate::evidence`.
//!
//! Requests of one user (and of one customer) are not independent: a rate's
//! design effect is the delta-method variance of Σx/Σy over clusters divided
//! by the binomial one — users for 5xx (the per-user table holds them),
//! customers for the cache's answers (the request table holds those per
//! customer; a customer's users share its keys). Quantiles use the design
//! effect of latency between users, as the "is the gain real?" statistics do.

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;

use super::fold::{self, Days, Histogram, Segments, in_segments, within};
use crate::frames::{SCORE, TS};
use crate::ground::kpi::Kpi;
use crate::rollups::{Merged, UserDay};
use crate::stats::{self, Moments, QuantileArm, RatioMoments};

/// The sampling error of one KPI's estimate over the phase so far.
#[derive(Debug, Clone, PartialEq)]
pub enum Sample {
    /// `events` of `trials` (the KPI is their share, or 1 − it when
    /// `complement`), trials clustered with `design_effect` ≥ 1.
    Rate {
        events: f64,
        trials: f64,
        design_effect: f64,
        complement: bool,
    },
    /// An estimate with a normal sampling error whose variance is
    /// `variance_grow / k + variance_fixed` when the phase's data grow
    /// k-fold (the baseline's part does not grow), over `units_grow · k +
    /// units_fixed` units; the interval is kept within `bounds`, the values
    /// the KPI can take (a reduction is at most 100 %).
    Normal {
        estimate: f64,
        variance_grow: f64,
        variance_fixed: f64,
        units_grow: f64,
        units_fixed: f64,
        bounds: [f64; 2],
    },
    /// The `q` quantile of the phase's requests with the cache.
    Quantile {
        q: f64,
        histogram: Histogram,
        design_effect: f64,
    },
}

/// A phase's data so far, for the evidence reading.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhaseSample {
    /// Requests with the cache in the phase so far (the traffic that grows).
    pub requests: u64,
    /// Days from the phase's first day with such a request to its last.
    pub days: f64,
    pub samples: BTreeMap<Kpi, Sample>,
}

impl PhaseSample {
    /// Requests with the cache per day so far (None without any).
    pub fn per_day(&self) -> Option<f64> {
        (self.days > 0.0 && self.requests > 0).then(|| self.requests as f64 / self.days)
    }
}

/// The design effect of a clustered rate: Var(Σx/Σy) by the delta method
/// over clusters, divided by the binomial p(1 − p)/Σy; 1 when it cannot be
/// estimated (fewer than two clusters, no events).
fn rate_design_effect(r: &RatioMoments) -> f64 {
    let (Some(p), trials) = (r.value(), r.den.sum) else {
        return 1.0;
    };
    let binomial = p * (1.0 - p) / trials;
    if r.units() < 2.0 || binomial <= 0.0 {
        return 1.0;
    }
    (r.variance() / r.units() / binomial).max(1.0)
}

/// Sums of (x, y) per cluster as ratio moments.
fn ratio_of(pairs: impl Iterator<Item = (f64, f64)>) -> RatioMoments {
    let mut r = RatioMoments::default();
    for (x, y) in pairs {
        r.num = r.num.with(x);
        r.den = r.den.with(y);
        r.cross += x * y;
    }
    r
}

/// A rate of events per trial over clusters given as (events, trials) each.
pub fn clustered_rate(clusters: impl Iterator<Item = (f64, f64)>) -> Sample {
    rate(&ratio_of(clusters), false)
}

fn rate(r: &RatioMoments, complement: bool) -> Sample {
    Sample::Rate {
        events: r.num.sum,
        trials: r.den.sum,
        design_effect: rate_design_effect(r),
        complement,
    }
}

/// Each user's (rows, upstream, latency sum, latency², 5xx) over `days` with
/// the cache `enabled`, within `scope`.
fn users(m: &Merged, days: Days, enabled: bool, scope: Segments) -> Vec<UserDay> {
    fold::user_sums(m, &[days], |u| {
        (u.enabled == enabled && in_segments(u.segment, scope)).then_some(())
    })
    .into_iter()
    .map(|(_, u)| u)
    .collect()
}

/// The design effect of latency values clustered in users.
fn latency_design_effect(us: &[UserDay]) -> f64 {
    let (mut n, mut m_sq, mut sum, mut sq, mut between) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for u in us.iter().filter(|u| u.rows > 0) {
        let k = u.rows as f64;
        n += k;
        m_sq += k * k;
        sum += u.latency_sum;
        sq += u.latency_sq_sum;
        between += u.latency_sum * u.latency_sum / k;
    }
    let clusters = us.iter().filter(|u| u.rows > 0).count() as f64;
    stats::design_effect(clusters, n, m_sq, sum, sq, between)
}

/// The phase's samples over `days` within `scope` (None: everyone), its
/// baseline over `baseline_days` within `baseline_scope`, and its feedback
/// (already restricted to the phase's segments).
pub fn phase(
    m: &Merged,
    feedback: &DataFrame,
    days: Days,
    baseline_days: Days,
    scope: Segments,
    baseline_scope: Segments,
    period: (i64, i64),
) -> Result<PhaseSample> {
    let mut samples = BTreeMap::new();
    let e = users(m, days, true, scope);
    let b = users(m, baseline_days, false, baseline_scope);
    // 5xx among requests with the cache, clustered in users.
    samples.insert(
        Kpi::ErrorRate,
        clustered_rate(e.iter().map(|u| (u.server_errors as f64, u.rows as f64))),
    );
    let traffic = cache_answers(m, days, scope, &mut samples);
    let h_e = fold::histogram(m, days, |l| l.enabled && in_segments(l.segment, scope));
    let h_b = fold::histogram(m, baseline_days, |l| {
        !l.enabled && in_segments(l.segment, baseline_scope)
    });
    latency(
        &h_e,
        latency_design_effect(&e),
        &h_b,
        latency_design_effect(&b),
        &mut samples,
    );
    if let Some(s) = api_call_reduction(&e, &b) {
        samples.insert(Kpi::ApiCallReduction, s);
    }
    answers(feedback, period, &mut samples)?;
    Ok(PhaseSample {
        requests: traffic.0,
        days: traffic.1,
        samples,
    })
}

/// The cache's answers (hit rate, availability, stale share), clustered in
/// customers; returns the requests with the cache and the days from the
/// first to the last that has one.
fn cache_answers(m: &Merged, days: Days, scope: Segments, samples: &mut BTreeMap<Kpi, Sample>) -> (u64, f64) {
    // Per customer: hits, lookups, cache errors, cacheable, stale, rows.
    let mut per_customer: BTreeMap<u32, [u64; 6]> = BTreeMap::new();
    let (mut first, mut last) = (i32::MAX, i32::MIN);
    for r in within(&m.requests, |r| r.day, days)
        .iter()
        .filter(|r| r.enabled && in_segments(r.segment, scope))
    {
        let c = per_customer.entry(r.customer).or_default();
        c[0] += r.hit + r.stale;
        c[1] += r.hit + r.stale + r.miss + r.error;
        c[2] += r.error;
        c[3] += r.rows - r.uncached.min(r.rows);
        c[4] += r.stale;
        c[5] += r.rows;
        if r.rows > 0 {
            first = first.min(r.day);
            last = last.max(r.day);
        }
    }
    let of = |x: usize, y: usize| ratio_of(per_customer.values().map(|c| (c[x] as f64, c[y] as f64)));
    samples.insert(Kpi::CacheHitRate, rate(&of(0, 1), false));
    samples.insert(Kpi::CacheAvailability, rate(&of(2, 3), true));
    samples.insert(Kpi::StaleShare, rate(&of(4, 5), false));
    let requests = per_customer.values().map(|c| c[5]).sum();
    let span = if first <= last {
        f64::from(last - first + 1)
    } else {
        0.0
    };
    (requests, span)
}

/// p99 of the requests with the cache; the p50 and p95 gains against B's.
fn latency(h_e: &Histogram, deff_e: f64, h_b: &Histogram, deff_b: f64, samples: &mut BTreeMap<Kpi, Sample>) {
    samples.insert(
        Kpi::P99LatencyMs,
        Sample::Quantile {
            q: 0.99,
            histogram: h_e.clone(),
            design_effect: deff_e,
        },
    );
    for (kpi, q) in [(Kpi::LatencyImprovementP50, 0.5), (Kpi::LatencyImprovementP95, 0.95)] {
        if let Some(s) = quantile_improvement(h_e, deff_e, h_b, deff_b, q) {
            samples.insert(kpi, s);
        }
    }
}

/// API call reduction 1 − rE/rB: the relative lift of origin calls per
/// request by the delta method (gbstats' relative variance), negated; B is
/// the part that does not grow.
fn api_call_reduction(e: &[UserDay], b: &[UserDay]) -> Option<Sample> {
    let re = ratio_of(e.iter().map(|u| (u.upstream as f64, u.rows as f64)));
    let rb = ratio_of(b.iter().map(|u| (u.upstream as f64, u.rows as f64)));
    let (ve, vb) = (re.value()?, rb.value()?);
    (vb != 0.0 && re.units() >= 2.0 && rb.units() >= 2.0).then(|| Sample::Normal {
        estimate: 1.0 - ve / vb,
        variance_grow: re.variance() / (vb * vb * re.units()),
        variance_fixed: rb.variance() * ve * ve / (vb.powi(4) * rb.units()),
        units_grow: re.units(),
        units_fixed: rb.units(),
        bounds: [f64::NEG_INFINITY, 1.0],
    })
}

/// Satisfaction and the complaint share of the phase's answers (answers as units).
fn answers(feedback: &DataFrame, period: (i64, i64), samples: &mut BTreeMap<Kpi, Sample>) -> Result<()> {
    let fb = feedback
        .clone()
        .lazy()
        .filter(col(TS).gt_eq(lit(period.0)).and(col(TS).lt(lit(period.1))))
        .filter(col(SCORE).is_not_null())
        .select([col(SCORE)])
        .collect()?;
    let scores: Vec<f64> = fb.column(SCORE)?.f64()?.into_no_null_iter().collect();
    let answers = Moments::of(&scores);
    if answers.n >= 2.0 {
        samples.insert(
            Kpi::CustomerSatisfaction,
            Sample::Normal {
                estimate: answers.mean(),
                variance_grow: answers.variance() / answers.n,
                variance_fixed: 0.0,
                units_grow: answers.n,
                units_fixed: 0.0,
                bounds: [1.0, 5.0],
            },
        );
    }
    let complaints = scores
        .iter()
        .filter(|s| **s <= crate::ground::score::COMPLAINT_AT_MOST)
        .count() as f64;
    samples.insert(
        Kpi::ComplaintShare,
        Sample::Rate {
            events: complaints,
            trials: answers.n,
            design_effect: 1.0,
            complement: false,
        },
    );
    Ok(())
}

/// 1 − q(E)/q(B) with each quantile's rank-interval standard error (the
/// design effect applied): the delta method for a ratio of independent
/// estimates; units are the effective requests (n / design effect).
fn quantile_improvement(h_e: &Histogram, deff_e: f64, h_b: &Histogram, deff_b: f64, q: f64) -> Option<Sample> {
    let arm = |h: &Histogram, deff: f64| {
        let f = |p: f64| h.quantile(p);
        QuantileArm {
            n: h.n as f64,
            design_effect: deff,
            quantile: &f,
        }
        .standard_error(q)
    };
    let (qe, se_e) = arm(h_e, deff_e)?;
    let (qb, se_b) = arm(h_b, deff_b)?;
    if qb == 0.0 {
        return None;
    }
    Some(Sample::Normal {
        estimate: 1.0 - qe / qb,
        variance_grow: se_e * se_e / (qb * qb),
        variance_fixed: qe * qe * se_b * se_b / qb.powi(4),
        units_grow: h_e.n as f64 / deff_e.max(1.0),
        units_fixed: h_b.n as f64 / deff_b.max(1.0),
        bounds: [f64::NEG_INFINITY, 1.0],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rates_design_effect_by_hand() {
        // Two users, (errors, requests) (2, 10) and (0, 10): p = 2/20 = 0.1.
        // x̄ = 1, ȳ = 10, Var(x) = 2, Var(y) = 0, Cov = 0 → delta variance
        // per unit 2/100 = 0.02, of the estimate 0.02/2 = 0.01; binomial
        // 0.1 · 0.9 / 20 = 0.0045 → design effect 0.01 / 0.0045 = 2.2.
        let r = ratio_of([(2.0, 10.0), (0.0, 10.0)].into_iter());
        assert!((rate_design_effect(&r) - 0.01 / 0.0045).abs() < 1e-12);
        // Errors spread evenly (1 and 1): no clustering → 1 (never below).
        let r = ratio_of([(1.0, 10.0), (1.0, 10.0)].into_iter());
        assert_eq!(rate_design_effect(&r), 1.0);
        // No events: nothing to estimate → 1.
        let r = ratio_of([(0.0, 10.0), (0.0, 10.0)].into_iter());
        assert_eq!(rate_design_effect(&r), 1.0);
    }
}
