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
