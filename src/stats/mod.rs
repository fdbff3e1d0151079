//! Inference for "is the gain real?": Welch's t-test on means, the delta
//! method for ratio metrics and relative lifts, the two-proportion z-test,
//! the χ² test for sample ratio mismatch and a seeded percentile bootstrap
//! for latency quantiles.
//!
//! Every test works from sufficient statistics (n, Σx, Σx², Σxy per arm), so
//! the inputs are additive and come out of one grouped aggregation. The
//! formulas follow GrowthBook's open-source engine (gbstats, frequentist
//! two-sided t-test with Welch–Satterthwaite degrees of freedom); the unit
//! tests check them against gbstats, scipy and statsmodels.

use rand::Rng;
use rand::SeedableRng;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

/// Two-sided confidence level of every interval.
pub const CONFIDENCE: f64 = 0.95;
/// Fewer units than this in either arm: "not enough data", no figures.
pub const MIN_UNITS: u64 = 30;
/// A sample ratio mismatch is flagged below this p-value.
pub const SRM_ALPHA: f64 = 0.001;

/// n, Σx and Σx² of one variable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Moments {
    pub n: f64,
    pub sum: f64,
    pub sum_sq: f64,
}

impl Moments {
    pub fn of(values: &[f64]) -> Self {
        values.iter().fold(Moments::default(), |m, &x| Moments {
            n: m.n + 1.0,
            sum: m.sum + x,
            sum_sq: m.sum_sq + x * x,
        })
    }

    pub fn mean(&self) -> f64 {
        if self.n == 0.0 { 0.0 } else { self.sum / self.n }
    }

    /// Sample variance (n − 1 in the denominator).
    pub fn variance(&self) -> f64 {
        if self.n <= 1.0 {
            return 0.0;
        }
        ((self.sum_sq - self.sum * self.sum / self.n) / (self.n - 1.0)).max(0.0)
    }
}

/// Sufficient statistics of a ratio metric Σx / Σy over units (users): the
/// numerator and denominator moments and Σxy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RatioMoments {
    pub num: Moments,
    pub den: Moments,
    pub cross: f64,
}

impl RatioMoments {
    pub fn units(&self) -> f64 {
        self.num.n
    }

    /// Σx / Σy; None when Σy = 0.
    pub fn value(&self) -> Option<f64> {
        (self.den.sum != 0.0).then(|| self.num.sum / self.den.sum)
    }

    /// Per-unit variance of the ratio by the delta method (gbstats
    /// `RatioStatistic.variance`): Var(x)/ȳ² − 2·Cov(x,y)·x̄/ȳ³ + x̄²·Var(y)/ȳ⁴.
    pub fn variance(&self) -> f64 {
        let n = self.num.n;
        let my = self.den.mean();
        if my == 0.0 || n <= 1.0 {
            return 0.0;
        }
        let mx = self.num.mean();
        let cov = (self.cross - self.num.sum * self.den.sum / n) / (n - 1.0);
        (self.num.variance() / my.powi(2) - 2.0 * cov * mx / my.powi(3) + mx.powi(2) * self.den.variance() / my.powi(4))
            .max(0.0)
    }

    fn estimate(&self) -> Option<Estimate> {
        Some(Estimate {
            mean: self.value()?,
            variance: self.variance(),
            n: self.units(),
        })
    }
}

/// A mean (or ratio) with its per-unit variance and the number of units.
#[derive(Debug, Clone, Copy)]
struct Estimate {
    mean: f64,
    variance: f64,
    n: f64,
}

impl Estimate {
    fn of(m: &Moments) -> Self {
        Estimate {
            mean: m.mean(),
            variance: m.variance(),
            n: m.n,
        }
    }
}

/// How a comparison was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Welch's t-test on unit means.
    Welch,
    /// Delta method on a ratio of sums over users, Welch degrees of freedom.
    DeltaRatio,
    /// Two-proportion z-test (pooled) with a Wald interval.
    TwoProportions,
    /// Seeded percentile bootstrap of a quantile.
    Bootstrap,
}

impl Method {
    pub fn label(self) -> &'static str {
        match self {
            Method::Welch => "Welch t-test",
            Method::DeltaRatio => "delta method (per user)",
            Method::TwoProportions => "two-proportion z-test",
            Method::Bootstrap => "bootstrap",
        }
    }
}

/// The difference treatment − control, absolute and relative, with 95 %
/// intervals and a two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Effect {
    pub abs: f64,
    pub abs_ci: [f64; 2],
    /// treatment / control − 1 (None when the control value is 0).
    pub rel: Option<f64>,
    pub rel_ci: Option<[f64; 2]>,
    pub p_value: f64,
}

fn normal_quantile(p: f64) -> f64 {
    Normal::new(0.0, 1.0).expect("standard normal").inverse_cdf(p)
}

/// The two-sided critical value and p-value of `z` under Student's t with
/// `dof` degrees of freedom (the normal when dof is not finite).
fn t_critical(dof: f64) -> f64 {
    let p = 1.0 - (1.0 - CONFIDENCE) / 2.0;
    if dof.is_finite() && dof > 0.0 {
        StudentsT::new(0.0, 1.0, dof).expect("dof > 0").inverse_cdf(p)
    } else {
        normal_quantile(p)
    }
}

fn t_p_value(stat: f64, dof: f64) -> f64 {
    let tail = if dof.is_finite() && dof > 0.0 {
        StudentsT::new(0.0, 1.0, dof).expect("dof > 0").sf(stat.abs())
    } else {
        Normal::new(0.0, 1.0).expect("standard normal").sf(stat.abs())
    };
    (2.0 * tail).min(1.0)
}

/// Welch–Satterthwaite degrees of freedom.
fn welch_dof(c: &Estimate, t: &Estimate) -> f64 {
    let (vc, vt) = (c.variance / c.n, t.variance / t.n);
    (vc + vt).powi(2) / (vc.powi(2) / (c.n - 1.0) + vt.powi(2) / (t.n - 1.0))
}

/// Two-sided t-test of treatment against control (gbstats
/// `TwoSidedTTest`): absolute difference and relative lift by the delta
/// method, both with Welch's degrees of freedom; the p-value is the
/// absolute test's. None when a variance is zero or the control mean is 0
/// for the relative part.
fn t_test(c: Estimate, t: Estimate) -> Option<Effect> {
    if c.n < 2.0 || t.n < 2.0 || c.variance + t.variance <= 0.0 {
        return None;
    }
    let dof = welch_dof(&c, &t);
    let crit = t_critical(dof);
    let abs = t.mean - c.mean;
    let se = (c.variance / c.n + t.variance / t.n).sqrt();
    let (rel, rel_ci) = if c.mean != 0.0 {
        let rel = t.mean / c.mean - 1.0;
        let var = t.variance / (c.mean.powi(2) * t.n) + c.variance * t.mean.powi(2) / (c.mean.powi(4) * c.n);
        let w = crit * var.sqrt();
        (Some(rel), Some([rel - w, rel + w]))
    } else {
        (None, None)
    };
    Some(Effect {
        abs,
        abs_ci: [abs - crit * se, abs + crit * se],
        rel,
        rel_ci,
        p_value: t_p_value(abs / se, dof),
    })
}

/// Welch's t-test on the means of two samples given by their moments.
pub fn welch(control: &Moments, treatment: &Moments) -> Option<Effect> {
    t_test(Estimate::of(control), Estimate::of(treatment))
}

/// A ratio metric (Σx/Σy over users) compared by the delta method.
pub fn delta_ratio(control: &RatioMoments, treatment: &RatioMoments) -> Option<Effect> {
    t_test(control.estimate()?, treatment.estimate()?)
}

/// Two-proportion test of `x_t / n_t` against `x_c / n_c`: the pooled z-test
/// p-value (statsmodels `proportions_ztest`), the Wald interval of the
/// difference (statsmodels `confint_proportions_2indep(method="wald")`) and
/// the relative lift with a delta-method normal interval.
pub fn two_proportions(x_c: u64, n_c: u64, x_t: u64, n_t: u64) -> Option<Effect> {
    if n_c == 0 || n_t == 0 {
        return None;
    }
    let (nc, nt) = (n_c as f64, n_t as f64);
    let (pc, pt) = (x_c as f64 / nc, x_t as f64 / nt);
    let pooled = (x_c + x_t) as f64 / (nc + nt);
    let se_pooled = (pooled * (1.0 - pooled) * (1.0 / nc + 1.0 / nt)).sqrt();
    if se_pooled == 0.0 {
        return None;
    }
    let abs = pt - pc;
    let z = normal_quantile(1.0 - (1.0 - CONFIDENCE) / 2.0);
    let se = (pc * (1.0 - pc) / nc + pt * (1.0 - pt) / nt).sqrt();
    let (rel, rel_ci) = if pc > 0.0 {
        let rel = pt / pc - 1.0;
        let var = pt * (1.0 - pt) / (pc.powi(2) * nt) + pc * (1.0 - pc) * pt.powi(2) / (pc.powi(4) * nc);
        let w = z * var.sqrt();
        (Some(rel), Some([rel - w, rel + w]))
    } else {
        (None, None)
    };
    Some(Effect {
        abs,
        abs_ci: [abs - z * se, abs + z * se],
        rel,
        rel_ci,
        p_value: t_p_value(abs / se_pooled, f64::INFINITY),
    })
}

/// The χ² goodness-of-fit test of an observed split against the planned
/// treatment share (scipy `chisquare`, 1 degree of freedom).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Srm {
    pub treatment: u64,
    pub control: u64,
    pub observed_share: f64,
    pub planned_share: f64,
    pub chi2: f64,
    pub p_value: f64,
    /// p < 0.001: the split is broken and comparisons are not to be trusted.
    pub mismatch: bool,
}

pub fn srm(treatment: u64, control: u64, planned_share: f64) -> Option<Srm> {
    let n = (treatment + control) as f64;
    if n == 0.0 || !(planned_share > 0.0 && planned_share < 1.0) {
        return None;
    }
    let (et, ec) = (n * planned_share, n * (1.0 - planned_share));
    let chi2 = (treatment as f64 - et).powi(2) / et + (control as f64 - ec).powi(2) / ec;
    let p_value = ChiSquared::new(1.0).expect("1 dof").sf(chi2);
    Some(Srm {
        treatment,
        control,
        observed_share: treatment as f64 / n,
        planned_share,
        chi2,
        p_value,
        mismatch: p_value < SRM_ALPHA,
    })
}

/// One arm of a bootstrap: a uniform sample of the arm's values, the number
/// of values it was drawn from, and the quantiles of all of them (the point
/// estimates; None: use the sample's).
#[derive(Debug, Clone, Copy)]
pub struct BootArm<'a> {
    pub sample: &'a [f64],
    pub population: usize,
    pub exact: Option<&'a [f64]>,
}

impl<'a> BootArm<'a> {
    /// An arm that is its whole population.
    pub fn whole(values: &'a [f64]) -> Self {
        BootArm {
            sample: values,
            population: values.len(),
            exact: None,
        }
    }
}

/// Percentile bootstrap of quantiles `qs` of treatment minus control, with
/// `reps` resamples from a ChaCha8 generator seeded with `seed` (the same
/// inputs and seed give the same intervals); every quantile comes from the
/// same resamples. Where an arm is a sample of m of its n values, each
/// resampled deviation from the sample's quantile is scaled by √(m/n) (the
/// rescaled m-out-of-n bootstrap), so the interval is that of all n values,
/// centred on the exact quantiles. The p-value is twice the smaller share of
/// resampled differences on either side of 0.
pub fn bootstrap_quantiles(c: &BootArm, t: &BootArm, qs: &[f64], reps: usize, seed: u64) -> Vec<Option<Effect>> {
    use crate::metrics::stats::linear_quantile;
    if c.sample.len() < 2 || t.sample.len() < 2 || reps == 0 {
        return vec![None; qs.len()];
    }
    let sample_q = |v: &[f64]| -> Vec<f64> {
        let mut v = v.to_vec();
        qs.iter()
            .map(|q| linear_quantile(&mut v, *q).unwrap_or(f64::NAN))
            .collect()
    };
    let (sc, st) = (sample_q(c.sample), sample_q(t.sample));
    let centre = |arm: &BootArm, s: &[f64]| arm.exact.map_or_else(|| s.to_vec(), <[f64]>::to_vec);
    let (ec, et) = (centre(c, &sc), centre(t, &st));
    let scale = |arm: &BootArm| (arm.sample.len() as f64 / arm.population.max(arm.sample.len()) as f64).sqrt();
    let (kc, kt) = (scale(c), scale(t));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut abs = vec![Vec::with_capacity(reps); qs.len()];
    let mut rel = vec![Vec::with_capacity(reps); qs.len()];
    let (mut bc, mut bt) = (vec![0.0; c.sample.len()], vec![0.0; t.sample.len()]);
    for _ in 0..reps {
        for x in bc.iter_mut() {
            *x = c.sample[rng.random_range(0..c.sample.len())];
        }
        for x in bt.iter_mut() {
            *x = t.sample[rng.random_range(0..t.sample.len())];
        }
        for (i, q) in qs.iter().enumerate() {
            let (Some(qc), Some(qt)) = (linear_quantile(&mut bc, *q), linear_quantile(&mut bt, *q)) else {
                continue;
            };
            let vc = ec[i] + (qc - sc[i]) * kc;
            let vt = et[i] + (qt - st[i]) * kt;
            abs[i].push(vt - vc);
            if vc != 0.0 {
                rel[i].push(vt / vc - 1.0);
            }
        }
    }
    let alpha = 1.0 - CONFIDENCE;
    let interval = |v: &mut Vec<f64>| -> Option<[f64; 2]> {
        let lo = linear_quantile(v, alpha / 2.0)?;
        let hi = linear_quantile(v, 1.0 - alpha / 2.0)?;
        Some([lo, hi])
    };
    (0..qs.len())
        .map(|i| {
            let n = abs[i].len() as f64;
            let below = abs[i].iter().filter(|d| **d <= 0.0).count() as f64 / n;
            let above = abs[i].iter().filter(|d| **d >= 0.0).count() as f64 / n;
            let abs_ci = interval(&mut abs[i])?;
            let (rel_point, rel_ci) = if ec[i] != 0.0 && rel[i].len() == reps {
                (Some(et[i] / ec[i] - 1.0), interval(&mut rel[i]))
            } else {
                (None, None)
            };
            Some(Effect {
                abs: et[i] - ec[i],
                abs_ci,
                rel: rel_point,
                rel_ci,
                p_value: (2.0 * below.min(above)).min(1.0),
            })
        })
        .collect()
}

/// [`bootstrap_quantiles`] of one quantile of two whole samples.
pub fn bootstrap_quantile(control: &[f64], treatment: &[f64], q: f64, reps: usize, seed: u64) -> Option<Effect> {
    bootstrap_quantiles(&BootArm::whole(control), &BootArm::whole(treatment), &[q], reps, seed)
        .pop()
        .flatten()
}

/// At most `cap` of `values`, chosen uniformly without replacement by a
/// generator seeded with `seed` (all of them, in order, when they fit).
pub fn bounded_sample(values: &[f64], cap: usize, seed: u64) -> Vec<f64> {
    if values.len() <= cap {
        return values.to_vec();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut picked = index::sample(&mut rng, values.len(), cap).into_vec();
    picked.sort_unstable();
    picked.into_iter().map(|i| values[i]).collect()
}

#[cfg(test)]
mod tests;
