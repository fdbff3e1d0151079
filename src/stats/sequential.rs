//! Intervals that stay valid however often one looks (docs/gate.md, "The
//! evidence reading"), the regression adjustment of CUPED and Holm's
//! correction for many comparisons at once.
//!
//! - Means and ratios: the asymptotic confidence sequence of Waudby-Smith
//!   et al. (2023, eq. 9), a normal mixture whose width is smallest near
//!   `tuning` units, exactly as GrowthBook's `SequentialTwoSidedTTest`
//!   computes it (gbstats 0.8).
//! - Proportions: Robbins' beta–binomial mixture, the set of rates p whose
//!   mixture likelihood ratio stays under 1/α. It lies inside [0, 1], starts
//!   at 0 when no event was seen, and is exact (not asymptotic) for
//!   independent trials; clustered trials enter as effective counts (n and
//!   x divided by the design effect). The mixing Beta is centred on the
//!   criterion's threshold with the prior variance of the normal mixture,
//!   ρ² · c(1 − c), so the same tuning parameter shapes both: the sequence
//!   is sharpest where the decision is made (is the rate above or below the
//!   threshold?) and wide far from it.

use serde::Serialize;
use statrs::function::beta::ln_beta;

/// The error level and tuning of every confidence sequence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sequential {
    /// α: the chance that the sequence ever misses the true value, however
    /// often it is looked at.
    pub alpha: f64,
    /// The number of units at which the interval is tightest (gbstats'
    /// `sequential_tuning_parameter`, default 5,000).
    pub tuning: f64,
}

/// gbstats' default.
pub const DEFAULT_TUNING: f64 = 5000.0;
/// The default error level (two-sided).
pub const DEFAULT_ALPHA: f64 = 0.05;

impl Default for Sequential {
    fn default() -> Self {
        Sequential {
            alpha: DEFAULT_ALPHA,
            tuning: DEFAULT_TUNING,
        }
    }
}

impl Sequential {
    /// ρ of the normal mixture (eq. 161 of Waudby-Smith et al.; gbstats
    /// `SequentialTwoSidedTTest.rho`).
    pub fn rho(&self) -> f64 {
        let l = -2.0 * self.alpha.ln();
        ((l + (l + 1.0).ln()) / self.tuning).sqrt()
    }

    /// Half-width of the sequence after `n` units for an estimate whose
    /// variance is `variance` (so that s² = variance · n is the per-unit
    /// variance): √s² · √(2(nρ² + 1) · ln(√(nρ² + 1)/α) / (nρ)²).
    pub fn half_width(&self, variance: f64, n: f64) -> f64 {
        if n <= 0.0 || variance.is_nan() {
            return f64::INFINITY;
        }
        let rho = self.rho();
        let nr2 = n * rho * rho;
        let s2 = variance * n;
        s2.max(0.0).sqrt() * (2.0 * (nr2 + 1.0) * ((nr2 + 1.0).sqrt() / self.alpha).ln() / (n * rho).powi(2)).sqrt()
    }

    /// The anytime-valid p-value of `estimate − null` (eq. 155; gbstats
    /// `SequentialTwoSidedTTest.p_value`): 1 / the mixture's e-value.
    pub fn p_value(&self, estimate: f64, null: f64, variance: f64, n: f64) -> f64 {
        if variance <= 0.0 || n <= 0.0 {
            return 1.0;
        }
        let rho2 = self.rho().powi(2);
        let st2 = (estimate - null).powi(2) * n / variance;
        let tr2p1 = n * rho2 + 1.0;
        let evalue = (rho2 * st2 / (2.0 * tr2p1)).exp() / tr2p1.sqrt();
        (1.0 / evalue).min(1.0)
    }

    /// The beta–binomial mixture sequence of a rate after `events` of
    /// `trials` (effective counts may be fractions), the mixing Beta centred
    /// on `center` (a criterion's threshold). [0, 1] before any trial.
    pub fn proportion(&self, events: f64, trials: f64, center: f64) -> [f64; 2] {
        if trials <= 0.0 || !trials.is_finite() {
            return [0.0, 1.0];
        }
        let x = events.clamp(0.0, trials);
        let c = center.clamp(1e-6, 1.0 - 1e-6);
        let rho2 = self.rho().powi(2);
        // Prior variance c(1 − c)/(r + 1) = ρ² · c(1 − c).
        let r = (1.0 / rho2 - 1.0).max(1e-6);
        let (a, b) = (r * c, r * (1.0 - c));
        let level = ln_beta(a + x, b + trials - x) - ln_beta(a, b) - self.alpha.recip().ln();
        // Inside the sequence: x·ln p + (n − x)·ln(1 − p) > level (concave, highest at x/n).
        let inside = |p: f64| {
            let mut ll = 0.0;
            if x > 0.0 {
                ll += x * p.ln();
            }
            if trials - x > 0.0 {
                ll += (trials - x) * (-p).ln_1p();
            }
            ll - level
        };
        let mid = x / trials;
        let lower = if x <= 0.0 { 0.0 } else { crossing(&inside, 0.0, mid) };
        let upper = if x >= trials { 1.0 } else { crossing(&inside, 1.0, mid) };
        [lower, upper]
    }
}

/// The point between `outside` and `inside` where `f` turns positive, by
/// bisection to the last bit (f(inside) > 0 ≥ f(outside) at the ends).
fn crossing(f: &impl Fn(f64) -> f64, outside: f64, inside: f64) -> f64 {
    let (mut out, mut ins) = (outside, inside);
    if f(ins) <= 0.0 {
        return ins;
    }
    for _ in 0..200 {
        let m = 0.5 * (out + ins);
        if m == out || m == ins {
            break;
        }
        if f(m) > 0.0 {
            ins = m;
        } else {
            out = m;
        }
    }
    ins
}

/// The Wilson score interval of a rate at a fixed horizon (valid when
/// looked at once): what the evidence reading does not use, kept to show
/// why (the simulation in the tests).
pub fn wilson(events: f64, trials: f64, alpha: f64) -> [f64; 2] {
    if trials <= 0.0 {
        return [0.0, 1.0];
    }
    let z = super::normal_quantile(1.0 - alpha / 2.0);
    let p = (events / trials).clamp(0.0, 1.0);
    let d = 1.0 + z * z / trials;
    let c = (p + z * z / (2.0 * trials)) / d;
    let h = z * (p * (1.0 - p) / trials + z * z / (4.0 * trials * trials)).sqrt() / d;
    [(c - h).max(0.0), (c + h).min(1.0)]
}

/// Holm's step-down adjustment of `p` (statsmodels `multipletests(method=
/// "holm")`): sorted ascending, the i-th (from 0) becomes (m − i)·p, kept
/// non-decreasing and at most 1; returned in the input's order.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut out = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (i, &k) in order.iter().enumerate() {
        running = running.max(((m - i) as f64 * p[k]).min(1.0));
        out[k] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holm_by_hand() {
        // Sorted 0.01, 0.03, 0.04 → 3·0.01 = 0.03, 2·0.03 = 0.06, max(0.06, 1·0.04) = 0.06.
        assert_eq!(holm(&[0.01, 0.04, 0.03]), vec![0.03, 0.06, 0.06]);
        assert_eq!(holm(&[0.5, 0.9]), vec![1.0, 1.0]);
        assert!(holm(&[]).is_empty());
    }

    #[test]
    fn a_proportion_sequence_stays_in_0_1_and_starts_at_0_without_events() {
        let s = Sequential::default();
        let [lo, hi] = s.proportion(0.0, 200.0, 0.01);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.0 && hi < 0.05, "{hi}");
        // 200 of 200 against a threshold of 60 %: clearly above it.
        let [lo, hi] = s.proportion(200.0, 200.0, 0.6);
        assert!(lo > 0.6 && hi == 1.0, "{lo}");
        assert_eq!(s.proportion(0.0, 0.0, 0.01), [0.0, 1.0]);
        // Wider than the fixed-horizon interval of the same counts.
        let [wl, wh] = wilson(3.0, 200.0, 0.05);
        let [sl, sh] = s.proportion(3.0, 200.0, 0.01);
        assert!(sl < wl && sh > wh, "{sl} {sh} vs {wl} {wh}");
    }
}
