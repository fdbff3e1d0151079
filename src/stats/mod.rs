//! Inference for "is the gain real?": Welch's t-test on means, the delta
//! method for ratio metrics and relative lifts, the two-proportion z-test,
//! the χ² test for sample ratio mismatch, and rank intervals for latency
//! quantiles read off merged histograms, widened by the design effect of
//! requests clustered in users.
//!
//! Every test works from sufficient statistics (n, Σx, Σx², Σxy per arm), so
//! the inputs are additive and come out of one grouped aggregation. The
//! formulas follow GrowthBook's open-source engine (gbstats, frequentist
//! two-sided t-test with Welch–Satterthwaite degrees of freedom); the unit
//! tests check them against gbstats, scipy and statsmodels.

pub mod sequential;
pub mod sketch;

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
        values.iter().fold(Moments::default(), |m, &x| m.with(x))
    }

    /// The moments with one more value.
    pub fn with(self, x: f64) -> Self {
        Moments {
            n: self.n + 1.0,
            sum: self.sum + x,
            sum_sq: self.sum_sq + x * x,
        }
    }

    /// The moments of both samples together.
    pub fn merged(&self, o: &Moments) -> Self {
        Moments {
            n: self.n + o.n,
            sum: self.sum + o.sum,
            sum_sq: self.sum_sq + o.sum_sq,
        }
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
        let mean = self.value()?;
        Some(Estimate {
            mean,
            variance: self.variance(),
            n: self.units(),
            plain: mean,
        })
    }
}

/// A mean (or ratio) with its per-unit variance and the number of units;
/// `plain` is the mean without a regression adjustment (CUPED), the
/// denominator of a relative lift.
#[derive(Debug, Clone, Copy)]
struct Estimate {
    mean: f64,
    variance: f64,
    n: f64,
    plain: f64,
}

impl Estimate {
    fn of(m: &Moments) -> Self {
        Estimate {
            mean: m.mean(),
            variance: m.variance(),
            n: m.n,
            plain: m.mean(),
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
    /// A quantile's rank interval on merged histograms, cluster-adjusted.
    HistogramRanks,
}

impl Method {
    pub fn label(self) -> &'static str {
        match self {
            Method::Welch => "Welch t-test",
            Method::DeltaRatio => "delta method (per user)",
            Method::TwoProportions => "two-proportion z-test",
            Method::HistogramRanks => "rank interval (histograms, per-user clustering)",
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

pub(crate) fn normal_quantile(p: f64) -> f64 {
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
    let (rel, rel_ci) = if c.plain != 0.0 {
        let rel = (t.mean - c.mean) / c.plain;
        let var = t.variance / (c.plain.powi(2) * t.n) + c.variance * t.plain.powi(2) / (c.plain.powi(4) * c.n);
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

/// [`delta_ratio`] with anytime-valid intervals and p-value (gbstats
/// `SequentialTwoSidedTTest`): the half-width of [`sequential::Sequential`]
/// over the units of both arms.
pub fn delta_ratio_sequential(
    control: &RatioMoments,
    treatment: &RatioMoments,
    seq: &sequential::Sequential,
) -> Option<Effect> {
    let (c, t) = (control.estimate()?, treatment.estimate()?);
    let fixed = t_test(c, t)?;
    let n = c.n + t.n;
    let abs_var = c.variance / c.n + t.variance / t.n;
    let w = seq.half_width(abs_var, n);
    let (rel, rel_ci) = match fixed.rel {
        Some(rel) => {
            let var = t.variance / (c.plain.powi(2) * t.n) + c.variance * t.plain.powi(2) / (c.plain.powi(4) * c.n);
            let w = seq.half_width(var, n);
            (Some(rel), Some([rel - w, rel + w]))
        }
        None => (None, None),
    };
    Some(Effect {
        abs_ci: [fixed.abs - w, fixed.abs + w],
        rel,
        rel_ci,
        p_value: seq.p_value(fixed.abs, 0.0, abs_var, n),
        ..fixed
    })
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

/// Each unit's value in the period (post) and in the baseline window (pre,
/// the covariate), summed: the moments of both and Σ post·pre.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Paired {
    pub post: Moments,
    pub pre: Moments,
    pub cross: f64,
}

impl Paired {
    pub fn add(&mut self, post: f64, pre: f64) {
        self.post = self.post.with(post);
        self.pre = self.pre.with(pre);
        self.cross += post * pre;
    }

    pub fn merged(&self, o: &Paired) -> Paired {
        Paired {
            post: self.post.merged(&o.post),
            pre: self.pre.merged(&o.pre),
            cross: self.cross + o.cross,
        }
    }

    /// Sample covariance of post and pre.
    fn covariance(&self) -> f64 {
        let n = self.post.n;
        if n <= 1.0 {
            return 0.0;
        }
        (self.cross - self.post.sum * self.pre.sum / n) / (n - 1.0)
    }

    /// The arm's CUPED mean ȳ − θ·x̄ and its per-unit variance
    /// Var(y) + θ²·Var(x) − 2θ·Cov(x, y) (gbstats `RegressionAdjustedStatistic`).
    fn adjusted(&self, theta: f64) -> Estimate {
        Estimate {
            mean: self.post.mean() - theta * self.pre.mean(),
            variance: self.post.variance() + theta * theta * self.pre.variance() - 2.0 * theta * self.covariance(),
            n: self.post.n,
            plain: self.post.mean(),
        }
    }
}

/// A comparison with and without the covariate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cuped {
    /// θ = Cov(post, pre) / Var(pre), pooled over both arms.
    pub theta: f64,
    pub unadjusted: Option<Effect>,
    /// None when θ is 0 (no variance of the covariate or of the metric).
    pub adjusted: Option<Effect>,
    /// 1 − Var(adjusted difference) / Var(unadjusted difference).
    pub variance_reduction: Option<f64>,
}

/// CUPED (Deng et al. 2013) as gbstats 0.8 computes it: θ pooled over the
/// arms, each arm's mean adjusted by θ·x̄, Welch's t-test on the adjusted
/// means (the relative lift over the unadjusted control mean).
pub fn cuped(control: &Paired, treatment: &Paired) -> Cuped {
    let joint = control.merged(treatment);
    let theta = if joint.pre.variance() == 0.0 || joint.post.variance() == 0.0 {
        0.0
    } else {
        joint.covariance() / joint.pre.variance()
    };
    let plain = |p: &Paired| p.adjusted(0.0);
    let unadjusted = t_test(plain(control), plain(treatment));
    let (c, t) = (control.adjusted(theta), treatment.adjusted(theta));
    let adjusted = (theta != 0.0).then(|| t_test(c, t)).flatten();
    let var = |c: &Estimate, t: &Estimate| c.variance / c.n + t.variance / t.n;
    let variance_reduction = adjusted
        .and(unadjusted)
        .map(|_| 1.0 - var(&c, &t) / var(&plain(control), &plain(treatment)));
    Cuped {
        theta,
        unadjusted,
        adjusted,
        variance_reduction,
    }
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

/// One arm of a quantile comparison: its number of values, the design
/// effect of their clustering, and its quantile function (read off a
/// histogram).
pub struct QuantileArm<'a> {
    pub n: f64,
    pub design_effect: f64,
    pub quantile: &'a dyn Fn(f64) -> Option<f64>,
}

impl QuantileArm<'_> {
    /// The quantile and its standard error: the values at the rank bounds
    /// q ± z·√(q(1−q)·deff / n) (the order-statistic interval of a quantile,
    /// with the variance of the empirical distribution function inflated by
    /// the design effect), their half distance divided by z.
    fn estimate(&self, q: f64, z: f64) -> Option<(f64, f64)> {
        if self.n < 2.0 {
            return None;
        }
        let w = z * (q * (1.0 - q) * self.design_effect.max(1.0) / self.n).sqrt();
        let point = (self.quantile)(q)?;
        let lo = (self.quantile)((q - w).max(0.0))?;
        let hi = (self.quantile)((q + w).min(1.0))?;
        Some((point, (hi - lo) / (2.0 * z)))
    }

    /// The quantile and its standard error at the reports' confidence.
    pub fn standard_error(&self, q: f64) -> Option<(f64, f64)> {
        self.estimate(q, normal_quantile(1.0 - (1.0 - CONFIDENCE) / 2.0))
    }
}

/// Quantile `q` of treatment against control: the absolute and relative
/// difference with normal intervals from each arm's rank-interval standard
/// error, and the two-sided p-value. None when an arm has too few values or
/// both standard errors are 0.
pub fn quantile_effect(c: &QuantileArm, t: &QuantileArm, q: f64) -> Option<Effect> {
    let z = normal_quantile(1.0 - (1.0 - CONFIDENCE) / 2.0);
    let (qc, se_c) = c.estimate(q, z)?;
    let (qt, se_t) = t.estimate(q, z)?;
    let se = (se_c * se_c + se_t * se_t).sqrt();
    if se <= 0.0 {
        return None;
    }
    let abs = qt - qc;
    let (rel, rel_ci) = if qc != 0.0 {
        let rel = qt / qc - 1.0;
        let se_rel = (se_t * se_t / (qc * qc) + qt * qt * se_c * se_c / qc.powi(4)).sqrt();
        (Some(rel), Some([rel - z * se_rel, rel + z * se_rel]))
    } else {
        (None, None)
    };
    Some(Effect {
        abs,
        abs_ci: [abs - z * se, abs + z * se],
        rel,
        rel_ci,
        p_value: t_p_value(abs / se, f64::INFINITY),
    })
}

/// The design effect 1 + (m̄_w − 1)·ρ of values clustered in `units` groups
/// (users): N values, Σm² of the group sizes, Σx and Σx² over the values,
/// and Σ_i (Σx over group i)² / m_i; ρ the one-way ANOVA intraclass
/// correlation (clamped to [0, 1]), m̄_w = Σm² / N the size-weighted mean
/// group size. 1 when it cannot be estimated.
pub fn design_effect(units: f64, n: f64, sum_m_sq: f64, x_sum: f64, x_sq: f64, between: f64) -> f64 {
    if units < 2.0 || n <= units {
        return 1.0;
    }
    let mean = x_sum / n;
    let ssb = (between - n * mean * mean).max(0.0);
    let ssw = (x_sq - between).max(0.0);
    let msb = ssb / (units - 1.0);
    let msw = ssw / (n - units);
    let m0 = (n - sum_m_sq / n) / (units - 1.0);
    let denom = msb + (m0 - 1.0) * msw;
    if denom.is_nan() || denom <= 0.0 {
        return 1.0;
    }
    let rho = ((msb - msw) / denom).clamp(0.0, 1.0);
    (1.0 + (sum_m_sq / n - 1.0) * rho).max(1.0)
}

#[cfg(test)]
mod tests;
