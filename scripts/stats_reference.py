#!/usr/bin/env python3
"""Reference figures for the unit tests of src/stats.rs, from independent
tools: scipy (Welch t-test, chi-square), statsmodels (two-proportion z-test)
and GrowthBook's gbstats (delta method for ratio metrics and relative lifts).

    pip install scipy statsmodels gbstats && python3 scripts/stats_reference.py
"""
import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest, confint_proportions_2indep
from gbstats.models.statistics import SampleMeanStatistic, RatioStatistic, ProportionStatistic
from gbstats.frequentist.tests import TwoSidedTTest, FrequentistConfig, frequentist_variance

def smean(xs):
    xs = np.asarray(xs, dtype=float)
    return SampleMeanStatistic(n=len(xs), sum=xs.sum(), sum_squares=(xs ** 2).sum())

print("# Welch: satisfaction scores")
a = [4, 5, 3, 4, 4, 5, 2, 4, 5, 3]
b = [5, 5, 4, 5, 4, 5, 3, 5, 5, 4, 4]
r = stats.ttest_ind(b, a, equal_var=False)
print("scipy.stats.ttest_ind(b, a, equal_var=False):", repr(r.statistic), repr(r.pvalue), r.confidence_interval(0.95))
rel = TwoSidedTTest(smean(a), smean(b), FrequentistConfig(difference_type="relative")).compute_result()
print("gbstats TwoSidedTTest relative:", repr(rel.expected), rel.ci, repr(rel.p_value))

print("# Delta method: origin calls (x) per request (y), per user")
c = [(3, 2), (5, 4), (2, 2), (7, 5), (4, 3), (6, 4)]
t = [(1, 2), (2, 4), (0, 2), (3, 5), (1, 3), (2, 4), (1, 1)]
def ratio(units):
    x = np.array([u[0] for u in units], float)
    y = np.array([u[1] for u in units], float)
    return RatioStatistic(n=len(units), m_statistic=smean(x), d_statistic=smean(y), m_d_sum_of_products=(x * y).sum())
for kind in ["absolute", "relative"]:
    res = TwoSidedTTest(ratio(c), ratio(t), FrequentistConfig(difference_type=kind)).compute_result()
    print("gbstats TwoSidedTTest", kind, repr(res.expected), [repr(v) for v in res.ci], repr(res.p_value))

print("# Two proportions: 18/1100 (treatment) vs 30/1000 (control)")
z, p = proportions_ztest([18, 30], [1100, 1000])
print("statsmodels proportions_ztest([18,30],[1100,1000]):", repr(z), repr(p))
print("statsmodels confint_proportions_2indep(18,1100,30,1000,method='wald',compare='diff'):",
      confint_proportions_2indep(18, 1100, 30, 1000, method="wald", compare="diff"))
pt, pc = 18 / 1100, 30 / 1000
v = frequentist_variance(pc * (1 - pc), pc, 1000, pt * (1 - pt), pt, 1100, True)
w = stats.norm.ppf(0.975) * np.sqrt(v)
print("gbstats frequentist_variance relative, normal:", repr(pt / pc - 1), repr(pt / pc - 1 - w), repr(pt / pc - 1 + w))

print("# SRM")
print("scipy.stats.chisquare([412,588],[500,500]):", stats.chisquare([412, 588], [500, 500]))
print("scipy.stats.chisquare([905,95],[900,100]):", stats.chisquare([905, 95], [900, 100]))
print("scipy.stats.chisquare([430,70],[450,50]):", stats.chisquare([430, 70], [450, 50]))

# ---- The evidence reading of the gate (issue 28): sequential intervals, CUPED, Holm.
from gbstats.frequentist.tests import SequentialTwoSidedTTest, SequentialConfig
from gbstats.models.statistics import RegressionAdjustedStatistic
from statsmodels.stats.multitest import multipletests
from scipy.special import betaln
from scipy.optimize import brentq

print("# Confidence sequence (gbstats SequentialTwoSidedTTest), the delta-method users above")
for kind in ["absolute", "relative"]:
    for tuning in [5000, 200]:
        res = SequentialTwoSidedTTest(ratio(c), ratio(t), SequentialConfig(difference_type=kind, sequential_tuning_parameter=tuning)).compute_result()
        print("gbstats SequentialTwoSidedTTest", kind, "tuning", tuning, repr(res.expected), [repr(v) for v in res.ci], repr(res.p_value))

print("# CUPED (gbstats RegressionAdjustedStatistic): per user (period value, baseline value)")
cc = [(3.0, 2.5), (5.0, 4.0), (2.0, 2.5), (7.0, 6.0), (4.0, 3.0), (6.0, 5.5), (4.0, 4.5)]
tt = [(2.0, 2.0), (4.5, 5.0), (1.0, 1.5), (5.0, 6.5), (2.5, 3.0), (3.0, 4.0)]
def ra(units):
    y = np.array([u[0] for u in units]); x = np.array([u[1] for u in units])
    return RegressionAdjustedStatistic(n=len(units), post_statistic=smean(y), pre_statistic=smean(x), post_pre_sum_of_products=(x * y).sum(), theta=0)
for kind in ["absolute", "relative"]:
    a, b = ra(cc), ra(tt)
    test = TwoSidedTTest(a, b, FrequentistConfig(difference_type=kind))
    res = test.compute_result()
    print("gbstats TwoSidedTTest RA", kind, "theta", repr(test.stat_a.theta), repr(res.expected), [repr(v) for v in res.ci], repr(res.p_value))
    plain = TwoSidedTTest(smean([u[0] for u in cc]), smean([u[0] for u in tt]), FrequentistConfig(difference_type=kind))
    print("  variance reduction", repr(1 - test.variance / plain.variance))

print("# Holm (statsmodels multipletests, method='holm'; gbstats 0.8 has none)")
ps = [0.01, 0.04, 0.03, 0.2, 0.001, 0.049]
print("multipletests(", ps, ", method='holm'):", [repr(v) for v in multipletests(ps, method="holm")[1]])

print("# Beta-binomial mixture sequence of a rate (scipy betaln + brentq)")
def beta_cs(x, n, alpha=0.05, tuning=5000.0, center=0.01):
    l = -2 * np.log(alpha)
    rho2 = (l + np.log(l + 1)) / tuning
    r = 1 / rho2 - 1
    a, b = r * center, r * (1 - center)
    level = betaln(a + x, b + n - x) - betaln(a, b) - np.log(1 / alpha)
    f = lambda p: (x * np.log(p) if x > 0 else 0) + ((n - x) * np.log1p(-p) if n > x else 0) - level
    m = x / n
    lo = 0.0 if x == 0 else brentq(f, 1e-300, m, xtol=1e-18, rtol=1e-15)
    hi = 1.0 if x == n else brentq(f, m, 1 - 1e-16, xtol=1e-18, rtol=1e-15)
    return lo, hi
for x, n, center in [(3, 200, 0.01), (90, 3000, 0.01), (0, 200, 0.01), (41, 50, 0.8)]:
    print("beta_cs(%r, %r, center=%r):" % (x, n, center), [repr(v) for v in beta_cs(x, n, center=center)])
