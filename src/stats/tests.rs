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

#[test]
fn delta_method_ratio_matches_gbstats() {
    // Per user: (origin calls, requests).
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

fn lognormal_sample(rng: &mut ChaCha8Rng, median: f64, n: usize) -> Vec<f64> {
    use rand_distr::{Distribution, LogNormal};
    let d = LogNormal::new(median.ln(), 0.5).unwrap();
    (0..n).map(|_| d.sample(rng)).collect()
}

#[test]
fn bootstrap_is_reproducible_under_a_seed() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let c = lognormal_sample(&mut rng, 100.0, 300);
    let t = lognormal_sample(&mut rng, 60.0, 300);
    let a = bootstrap_quantile(&c, &t, 0.5, 200, 42).unwrap();
    let b = bootstrap_quantile(&c, &t, 0.5, 200, 42).unwrap();
    assert_eq!(a, b);
    let other = bootstrap_quantile(&c, &t, 0.5, 200, 43).unwrap();
    assert_ne!(a.abs_ci, other.abs_ci);
    // The point estimate is the difference of the sample medians.
    let m = |v: &[f64]| crate::metrics::stats::linear_quantile(&mut v.to_vec(), 0.5).unwrap();
    close(a.abs, m(&t) - m(&c), 1e-12);
    assert!(a.abs_ci[0] <= a.abs && a.abs <= a.abs_ci[1]);
    assert!(a.p_value < 0.01, "a 40 % drop in the median is clear at n = 300");
}

#[test]
fn bootstrap_interval_covers_a_known_effect() {
    // Log-normal latencies with medians 100 and 70 ms: the true p50
    // difference is −30 ms. Over 100 experiments, a 95 % interval should
    // hold it about 95 times (binomial sd ≈ 2.2, so 88–100 is a wide band).
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut covered = 0;
    for i in 0..100 {
        let c = lognormal_sample(&mut rng, 100.0, 200);
        let t = lognormal_sample(&mut rng, 70.0, 200);
        let e = bootstrap_quantile(&c, &t, 0.5, 200, i).unwrap();
        if e.abs_ci[0] <= -30.0 && -30.0 <= e.abs_ci[1] {
            covered += 1;
        }
    }
    assert!((88..=100).contains(&covered), "covered {covered} of 100");
}

#[test]
fn bounded_sample_keeps_small_inputs_and_caps_large_ones() {
    let v: Vec<f64> = (0..10).map(f64::from).collect();
    assert_eq!(bounded_sample(&v, 20, 1), v);
    let big: Vec<f64> = (0..10_000).map(f64::from).collect();
    let s = bounded_sample(&big, 500, 1);
    assert_eq!(s.len(), 500);
    assert_eq!(s, bounded_sample(&big, 500, 1));
    let mut uniq = s.clone();
    uniq.dedup();
    assert_eq!(uniq.len(), 500, "without replacement");
}

#[test]
fn bootstrap_of_a_subsample_is_rescaled_to_the_whole() {
    // 20,000 values per arm; the interval from a 2,000-value subsample,
    // rescaled by √(2000/20000), should be about as wide as the interval
    // from all of them (√10 ≈ 3.2 times narrower than the raw subsample's).
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let c = lognormal_sample(&mut rng, 100.0, 20_000);
    let t = lognormal_sample(&mut rng, 70.0, 20_000);
    let full = bootstrap_quantile(&c, &t, 0.5, 200, 5).unwrap();
    let (sc, st) = (bounded_sample(&c, 2_000, 1), bounded_sample(&t, 2_000, 2));
    let exact_c = [crate::metrics::stats::linear_quantile(&mut c.clone(), 0.5).unwrap()];
    let exact_t = [crate::metrics::stats::linear_quantile(&mut t.clone(), 0.5).unwrap()];
    let sub = bootstrap_quantiles(
        &BootArm {
            sample: &sc,
            population: 20_000,
            exact: Some(&exact_c),
        },
        &BootArm {
            sample: &st,
            population: 20_000,
            exact: Some(&exact_t),
        },
        &[0.5],
        200,
        5,
    )[0]
    .unwrap();
    let raw = bootstrap_quantile(&sc, &st, 0.5, 200, 5).unwrap();
    let width = |e: &Effect| e.abs_ci[1] - e.abs_ci[0];
    // Centred on the exact difference of the whole arms.
    close(sub.abs, full.abs, 1e-9);
    let ratio = width(&sub) / width(&full);
    assert!((0.7..1.4).contains(&ratio), "rescaled width / full width = {ratio}");
    let raw_ratio = width(&raw) / width(&full);
    assert!(raw_ratio > 2.0, "an unscaled subsample is too wide: {raw_ratio}");
}
