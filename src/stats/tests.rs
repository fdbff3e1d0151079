//! Expected figures come from independent tools; each is printed by
//! `python3 scripts/stats_reference.py` with the call named beside it.

use super::*;

fn close(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "got {got}, want {want}");
}

#[test]
fn welch_matches_scipy_and_gbstats() {
    let control = Moments::of(&[4.0, 5.0, 3.0, 4.0, 4.0, 5.0, 2.0, 4.0, 5.0, 3.0]);
    let treatment = Moments::of(&[5.0, 5.0, 4.0, 5.0, 4.0, 5.0, 3.0, 5.0, 5.0, 4.0, 4.0]);
    let e = welch(&control, &treatment).expect("effect");
    // Means 3.9 and 49/11 = 4.4545…: difference 0.5454…
    close(e.abs, 49.0 / 11.0 - 3.9, 1e-12);
    // scipy.stats.ttest_ind(b, a, equal_var=False): pvalue 0.1605368171583018,
    // confidence_interval(0.95) = (-0.24460583396066704, 1.3536967430515756)
    close(e.p_value, 0.1605368171583018, 1e-9);
    close(e.abs_ci[0], -0.24460583396066704, 1e-9);
    close(e.abs_ci[1], 1.3536967430515756, 1e-9);
    // gbstats TwoSidedTTest(difference_type="relative"): 0.14219114219114212,
    // ci [-0.08342716336369682, 0.36780944774598107]
    close(e.rel.unwrap(), 0.14219114219114212, 1e-12);
    let ci = e.rel_ci.unwrap();
    close(ci[0], -0.08342716336369682, 1e-9);
    close(ci[1], 0.36780944774598107, 1e-9);
}

fn ratio(units: &[(f64, f64)]) -> RatioMoments {
    let xs: Vec<f64> = units.iter().map(|u| u.0).collect();
    let ys: Vec<f64> = units.iter().map(|u| u.1).collect();
    RatioMoments {
        num: Moments::of(&xs),
        den: Moments::of(&ys),
        cross: units.iter().map(|u| u.0 * u.1).sum(),
    }
}

/// Per user (origin calls, requests): control and treatment of
/// scripts/stats_reference.py's delta-method section.
fn delta_users() -> (RatioMoments, RatioMoments) {
    let c = ratio(&[(3.0, 2.0), (5.0, 4.0), (2.0, 2.0), (7.0, 5.0), (4.0, 3.0), (6.0, 4.0)]);
    let t = ratio(&[
        (1.0, 2.0),
        (2.0, 4.0),
        (0.0, 2.0),
        (3.0, 5.0),
        (1.0, 3.0),
        (2.0, 4.0),
        (1.0, 1.0),
    ]);
    (c, t)
}

#[test]
fn delta_method_ratio_matches_gbstats() {
    let (c, t) = delta_users();
    // Control 27/20 = 1.35 calls per request, treatment 10/21.
    assert_eq!(c.value(), Some(1.35));
    let e = delta_ratio(&c, &t).expect("effect");
    // gbstats TwoSidedTTest absolute: -0.8738095238095239,
    // ci [-1.0728737297769775, -0.6747453178420703], p 1.0624541999515458e-06
    close(e.abs, -0.8738095238095239, 1e-12);
    close(e.abs_ci[0], -1.0728737297769775, 1e-9);
    close(e.abs_ci[1], -0.6747453178420703, 1e-9);
    close(e.p_value, 1.0624541999515458e-06, 1e-12);
    // gbstats TwoSidedTTest relative: -0.6472663139329806,
    // ci [-0.7638984053062577, -0.5306342225597035]
    close(e.rel.unwrap(), -0.6472663139329806, 1e-12);
    let ci = e.rel_ci.unwrap();
    close(ci[0], -0.7638984053062577, 1e-9);
    close(ci[1], -0.5306342225597035, 1e-9);
}

#[test]
fn two_proportions_match_statsmodels() {
    let e = two_proportions(30, 1000, 18, 1100).expect("effect");
    close(e.abs, 18.0 / 1100.0 - 0.03, 1e-15);
    // statsmodels proportions_ztest([18,30],[1100,1000]): p 0.03676975046074846
    close(e.p_value, 0.03676975046074846, 1e-9);
    // confint_proportions_2indep(18,1100,30,1000,method='wald',compare='diff'):
    // (-0.026597729658185937, -0.0006749976145413294)
    close(e.abs_ci[0], -0.026597729658185937, 1e-9);
    close(e.abs_ci[1], -0.0006749976145413294, 1e-9);
    // gbstats frequentist_variance(relative) with the normal quantile:
    // -0.4545454545454545 in [-0.7698395614825531, -0.1392513476083559]
    close(e.rel.unwrap(), -0.4545454545454545, 1e-12);
    let ci = e.rel_ci.unwrap();
    close(ci[0], -0.7698395614825531, 1e-9);
    close(ci[1], -0.1392513476083559, 1e-9);
    // No events at all: nothing to test.
    assert_eq!(two_proportions(0, 100, 0, 100), None);
}

#[test]
fn srm_matches_scipy_chisquare() {
    // scipy.stats.chisquare([412,588],[500,500]): statistic 30.976, pvalue 2.6123890039623663e-08
    let s = srm(412, 588, 0.5).unwrap();
    close(s.chi2, 30.976, 1e-9);
    close(s.p_value, 2.6123890039623663e-08, 1e-15);
    assert!(s.mismatch);
    // scipy.stats.chisquare([905,95],[900,100]): 0.2777…, pvalue 0.5981614526835279
    let s = srm(905, 95, 0.9).unwrap();
    close(s.chi2, 0.2777777777777778, 1e-12);
    close(s.p_value, 0.5981614526835279, 1e-9);
    assert!(!s.mismatch);
    // scipy.stats.chisquare([430,70],[450,50]): 8.888…, pvalue 0.0028691127920766127 — not below 0.001
    let s = srm(430, 70, 0.9).unwrap();
    close(s.p_value, 0.0028691127920766127, 1e-9);
    assert!(!s.mismatch);
    assert_eq!(srm(0, 0, 0.5), None);
    assert_eq!(srm(10, 10, 1.0), None);
}

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal as Gauss, Poisson};

/// A simulated arm: its latency histogram (bucket → count) and per-user
/// sums (m, Σx, Σx²).
type SimArm = (std::collections::BTreeMap<i32, u64>, Vec<(f64, f64, f64)>);

/// An arm as the rollups hold it: latencies of `users` users, each with a
/// random user effect on the log scale (sd `between`), a Poisson number of
/// requests (mean `per_user`, at least 1) with request noise sd 0.5 around
/// it, and median `median` ms. Returns the histogram (bucket → count) and
/// the per-user sums (m, Σx, Σx²).
fn clustered_arm(rng: &mut ChaCha8Rng, users: usize, per_user: f64, median: f64, between: f64) -> SimArm {
    use super::sketch::bucket_of;
    let effect = Gauss::new(0.0, between).unwrap();
    let count = Poisson::new(per_user.max(1e-9)).unwrap();
    let mut hist = std::collections::BTreeMap::new();
    let mut sums = Vec::new();
    for _ in 0..users {
        let u = effect.sample(rng);
        let m = (count.sample(rng) as u64).max(1);
        let d = LogNormal::new(median.ln() + u, 0.5).unwrap();
        let (mut sx, mut sxx) = (0.0, 0.0);
        for _ in 0..m {
            let x: f64 = d.sample(rng);
            *hist.entry(bucket_of(x)).or_insert(0) += 1;
            sx += x;
            sxx += x * x;
        }
        sums.push((m as f64, sx, sxx));
    }
    (hist, sums)
}

fn quantile_of(h: &std::collections::BTreeMap<i32, u64>, p: f64) -> Option<f64> {
    let mut hist = super::sketch::Histogram::default();
    for (b, c) in h {
        hist.add(*b, *c);
    }
    hist.quantile(p)
}

fn deff_of(sums: &[(f64, f64, f64)]) -> f64 {
    let n: f64 = sums.iter().map(|s| s.0).sum();
    let m2: f64 = sums.iter().map(|s| s.0 * s.0).sum();
    let sx: f64 = sums.iter().map(|s| s.1).sum();
    let sxx: f64 = sums.iter().map(|s| s.2).sum();
    let between: f64 = sums.iter().map(|s| s.1 * s.1 / s.0).sum();
    design_effect(sums.len() as f64, n, m2, sx, sxx, between)
}

/// The p50 comparison of two simulated arms.
fn p50_effect(c: &SimArm, t: &SimArm, clustered: bool) -> Effect {
    let n = |h: &std::collections::BTreeMap<i32, u64>| h.values().sum::<u64>() as f64;
    let qc = |p: f64| quantile_of(&c.0, p);
    let qt = |p: f64| quantile_of(&t.0, p);
    let deff = |s: &[(f64, f64, f64)]| if clustered { deff_of(s) } else { 1.0 };
    quantile_effect(
        &QuantileArm {
            n: n(&c.0),
            design_effect: deff(&c.1),
            quantile: &qc,
        },
        &QuantileArm {
            n: n(&t.0),
            design_effect: deff(&t.1),
            quantile: &qt,
        },
        0.5,
    )
    .unwrap()
}

#[test]
fn design_effect_matches_the_anova_icc_by_hand() {
    // Two users: (1, 2) and (5, 6). N 4, Σm² 8, Σx 14, Σx² 66, Σ(user Σx)²/m 9/2 + 121/2 = 65.
    // x̄ 3.5; SSB 65 − 4·12.25 = 16, SSW 66 − 65 = 1; MSB 16, MSW 1/2;
    // m0 (4 − 8/4)/1 = 2; ρ (16 − 0.5)/(16 + 0.5) = 31/33; m̄_w 8/4 = 2 → deff 1 + 31/33.
    close(design_effect(2.0, 4.0, 8.0, 14.0, 66.0, 65.0), 1.0 + 31.0 / 33.0, 1e-12);
    // One request per user: no clustering.
    close(design_effect(3.0, 3.0, 3.0, 6.0, 14.0, 14.0), 1.0, 1e-12);
    // Not estimable: 1.
    assert_eq!(design_effect(1.0, 5.0, 25.0, 5.0, 5.0, 5.0), 1.0);
}

#[test]
fn quantile_effect_is_the_difference_with_a_rank_interval() {
    // Arms of 101 values 0..=100 (control) and 10..=110 (treatment), read
    // exactly: p50 50 and 60. With n 101 and no clustering the rank bound
    // half-width is z·√(0.25/101) = 0.0975 of the ranks, ±9.75 values: the
    // standard error of each median is 9.75 / z = 4.975, of the difference
    // 4.975·√2 = 7.036.
    let qc = |p: f64| Some(p * 100.0);
    let qt = |p: f64| Some(10.0 + p * 100.0);
    let arm = |q: &'static dyn Fn(f64) -> Option<f64>| QuantileArm {
        n: 101.0,
        design_effect: 1.0,
        quantile: q,
    };
    let (ac, at) = (arm(Box::leak(Box::new(qc))), arm(Box::leak(Box::new(qt))));
    let e = quantile_effect(&ac, &at, 0.5).unwrap();
    close(e.abs, 10.0, 1e-12);
    let z = 1.959963984540054;
    let se = (0.25f64 / 101.0).sqrt() * 100.0 * 2.0f64.sqrt();
    close(e.abs_ci[1] - e.abs, z * se, 1e-9);
    close(e.rel.unwrap(), 0.2, 1e-12);
    // A design effect of 4 doubles every width.
    let wide = QuantileArm {
        design_effect: 4.0,
        ..arm(Box::leak(Box::new(qc)))
    };
    let wide_t = QuantileArm {
        design_effect: 4.0,
        ..arm(Box::leak(Box::new(qt)))
    };
    let e4 = quantile_effect(&wide, &wide_t, 0.5).unwrap();
    close(e4.abs_ci[1] - e4.abs, 2.0 * z * se, 1e-9);
}

#[test]
fn quantile_intervals_hold_about_95_percent_with_clustered_users() {
    // A/A: both arms from the same population (median 80 ms, strong user
    // effects, ~30 requests per user, 60 users an arm), 400 experiments.
    // The difference of p50s is 0: a 95 % interval must hold it about 95 %
    // of the time (binomial sd ≈ 1.1 %, so 92–98 %). Without the design
    // effect the intervals are far too narrow and hold it far less often.
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let (mut with, mut without) = (0, 0);
    let runs = 400;
    for _ in 0..runs {
        let c = clustered_arm(&mut rng, 60, 30.0, 80.0, 0.6);
        let t = clustered_arm(&mut rng, 60, 30.0, 80.0, 0.6);
        let holds = |e: Effect| e.abs_ci[0] <= 0.0 && 0.0 <= e.abs_ci[1];
        with += u32::from(holds(p50_effect(&c, &t, true)));
        without += u32::from(holds(p50_effect(&c, &t, false)));
    }
    let share = f64::from(with) / runs as f64;
    assert!((0.92..=0.985).contains(&share), "cluster-adjusted coverage {share}");
    assert!(
        f64::from(without) / (runs as f64) < 0.8,
        "unadjusted coverage {without}/{runs}"
    );
}

#[test]
fn quantile_intervals_hold_a_known_effect_without_clustering() {
    // One request per user (no clustering): medians 100 and 70 ms, the true
    // p50 difference −30 ms (log-normal with σ 0.5 has median e^μ), 300
    // experiments of 400 users an arm: ~95 % of the intervals hold −30.
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut covered = 0;
    let runs = 300;
    for _ in 0..runs {
        let c = clustered_arm(&mut rng, 400, 0.0, 100.0, 1e-9);
        let t = clustered_arm(&mut rng, 400, 0.0, 70.0, 1e-9);
        let e = p50_effect(&c, &t, true);
        if e.abs_ci[0] <= -30.0 && -30.0 <= e.abs_ci[1] {
            covered += 1;
        }
    }
    let share = f64::from(covered) / runs as f64;
    assert!((0.91..=0.99).contains(&share), "coverage {share}");
}

#[test]
fn confidence_sequence_matches_gbstats() {
    // The delta-method users above, gbstats SequentialTwoSidedTTest.
    let (c, t) = delta_users();
    let seq = |tuning| sequential::Sequential { alpha: 0.05, tuning };
    // absolute, tuning 5000: ci [-2.4328925960571333, 0.6852735484380855], p 0.39297314209180256
    let e = delta_ratio_sequential(&c, &t, &seq(5000.0)).expect("effect");
    close(e.abs_ci[0], -2.4328925960571333, 1e-9);
    close(e.abs_ci[1], 0.6852735484380855, 1e-9);
    close(e.p_value, 0.39297314209180256, 1e-9);
    // relative, tuning 5000: ci [-1.5607360080810233, 0.2662033802150622]
    let ci = e.rel_ci.unwrap();
    close(ci[0], -1.5607360080810233, 1e-9);
    close(ci[1], 0.2662033802150622, 1e-9);
    // tuning 200: absolute [-1.266119363755691, -0.4814996838633569], p 1.5406587069192438e-07;
    // relative [-0.8771213844458484, -0.4174112434201128]
    let e = delta_ratio_sequential(&c, &t, &seq(200.0)).expect("effect");
    close(e.abs_ci[0], -1.266119363755691, 1e-9);
    close(e.abs_ci[1], -0.4814996838633569, 1e-9);
    close(e.p_value, 1.5406587069192438e-07, 1e-15);
    let ci = e.rel_ci.unwrap();
    close(ci[0], -0.8771213844458484, 1e-9);
    close(ci[1], -0.4174112434201128, 1e-9);
}

#[test]
fn cuped_matches_gbstats() {
    // Per user (period value, baseline value).
    let paired = |units: &[(f64, f64)]| {
        let mut p = Paired::default();
        for &(y, x) in units {
            p.add(y, x);
        }
        p
    };
    let c = paired(&[
        (3.0, 2.5),
        (5.0, 4.0),
        (2.0, 2.5),
        (7.0, 6.0),
        (4.0, 3.0),
        (6.0, 5.5),
        (4.0, 4.5),
    ]);
    let t = paired(&[(2.0, 2.0), (4.5, 5.0), (1.0, 1.5), (5.0, 6.5), (2.5, 3.0), (3.0, 4.0)]);
    let r = cuped(&c, &t);
    // gbstats TwoSidedTTest RA: theta 0.9617834394904465; absolute -1.10797694874128,
    // ci [-1.8197202574628775, -0.39623364001968264], p 0.005844452811927248;
    // relative -0.25018834326416, ci [-0.3792685487661414, -0.1211081377621786];
    // variance reduction (absolute) 0.8716695944364036.
    close(r.theta, 0.9617834394904465, 1e-12);
    let a = r.adjusted.expect("adjusted");
    close(a.abs, -1.10797694874128, 1e-12);
    close(a.abs_ci[0], -1.8197202574628775, 1e-9);
    close(a.abs_ci[1], -0.39623364001968264, 1e-9);
    close(a.p_value, 0.005844452811927248, 1e-9);
    close(a.rel.unwrap(), -0.25018834326416, 1e-12);
    let ci = a.rel_ci.unwrap();
    close(ci[0], -0.3792685487661414, 1e-9);
    close(ci[1], -0.1211081377621786, 1e-9);
    close(r.variance_reduction.unwrap(), 0.8716695944364036, 1e-9);
    // Unadjusted: the plain Welch test of the period values (31/7 against 18/6).
    let u = r.unadjusted.expect("unadjusted");
    close(u.abs, 3.0 - 31.0 / 7.0, 1e-12);
    // A covariate without variance: no adjustment.
    let flat = paired(&[(3.0, 1.0), (5.0, 1.0), (4.0, 1.0)]);
    let r = cuped(&flat, &flat);
    assert_eq!((r.theta, r.adjusted, r.variance_reduction), (0.0, None, None));
}

#[test]
fn holm_matches_statsmodels() {
    // multipletests([0.01, 0.04, 0.03, 0.2, 0.001, 0.049], method='holm'):
    // [0.05, 0.12, 0.12, 0.2, 0.006, 0.12]
    let got = sequential::holm(&[0.01, 0.04, 0.03, 0.2, 0.001, 0.049]);
    for (g, w) in got.iter().zip([0.05, 0.12, 0.12, 0.2, 0.006, 0.12]) {
        close(*g, w, 1e-12);
    }
}

#[test]
fn proportion_sequence_matches_scipy() {
    // beta_cs in scripts/stats_reference.py (scipy betaln + brentq), α 0.05, tuning 5000.
    let s = sequential::Sequential::default();
    for (x, n, center, lo, hi) in [
        (3.0, 200.0, 0.01, 0.0020841657142278997, 0.04890294746781552),
        (90.0, 3000.0, 0.01, 0.018409891998708353, 0.04549478318894731),
        (0.0, 200.0, 0.01, 0.0, 0.02342717626767614),
        (41.0, 50.0, 0.8, 0.6623969201115708, 0.9269611528770251),
    ] {
        let [l, h] = s.proportion(x, n, center);
        close(l, lo, 1e-9);
        close(h, hi, 1e-9);
    }
}
