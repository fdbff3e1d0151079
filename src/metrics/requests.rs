//! KPIs of CONTRACT §4 derived from sufficient statistics. Each KPI is one
//! small function; a KPI is `None` exactly when its formula divides by zero
//! or takes a mean or quantile of nothing.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use polars::prelude::*;

use super::kpi::{ALL, Kpi};
use super::stats::{BaselineStats, FeedbackStats, PeriodStats, baseline_aggs, feedback_aggs, period_aggs};
use crate::config::Costs;
use crate::frames::{CACHE_ENABLED, SEGMENT, TS};
use crate::period::Period;
use crate::sources::MicrosRange;

/// The value of every KPI (None: no data).
pub type KpiValues = BTreeMap<Kpi, Option<f64>>;

/// What one group's KPIs are computed from.
pub struct Inputs<'a> {
    pub p: &'a PeriodStats,
    pub b: &'a BaselineStats,
    pub f: &'a FeedbackStats,
    /// days(P).
    pub days: i64,
    pub costs: &'a Costs,
    /// This group's share of |E| of the whole period, for allocating the Redis
    /// cost (1 for the whole; None when the whole has no E rows).
    pub redis_share: Option<f64>,
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b != 0.0).then(|| a / b)
}

/// requests: rows in P.
pub fn requests(i: &Inputs) -> Option<f64> {
    Some(i.p.requests as f64)
}
/// active_users: distinct user_id in P.
pub fn active_users(i: &Inputs) -> Option<f64> {
    Some(i.p.users as f64)
}
/// adoption: distinct users in E / distinct users in P (ratio 0–1).
pub fn adoption(i: &Inputs) -> Option<f64> {
    ratio(i.p.e_users as f64, i.p.users as f64)
}
/// cache_hit_rate: (HIT + STALE) / (HIT + STALE + MISS + ERROR) over E.
pub fn cache_hit_rate(i: &Inputs) -> Option<f64> {
    ratio(i.p.e_hits as f64, i.p.e_lookups as f64)
}
/// Mean origin calls per request over B.
fn baseline_origin_per_request(i: &Inputs) -> Option<f64> {
    ratio(i.b.origin, i.b.rows as f64)
}
/// api_call_reduction: 1 − (origin per request over E) / (the same over B).
pub fn api_call_reduction(i: &Inputs) -> Option<f64> {
    let e = ratio(i.p.e_origin, i.p.e_rows as f64)?;
    ratio(e, baseline_origin_per_request(i)?).map(|r| 1.0 - r)
}
/// origin_calls_avoided: |E| × (origin per request over B) − Σ origin over E (calls).
pub fn origin_calls_avoided(i: &Inputs) -> Option<f64> {
    Some(i.p.e_rows as f64 * baseline_origin_per_request(i)? - i.p.e_origin)
}
/// latency_improvement_p50: 1 − p50(E) / p50(B).
pub fn latency_improvement_p50(i: &Inputs) -> Option<f64> {
    ratio(i.p.e_p50?, i.b.p50?).map(|r| 1.0 - r)
}
/// latency_improvement_p95: 1 − p95(E) / p95(B).
pub fn latency_improvement_p95(i: &Inputs) -> Option<f64> {
    ratio(i.p.e_p95?, i.b.p95?).map(|r| 1.0 - r)
}
/// p99_latency_ms: p99 of latency over E (ms).
pub fn p99_latency_ms(i: &Inputs) -> Option<f64> {
    i.p.e_p99
}
/// error_rate: rows of E with status ≥ 500 / |E|.
pub fn error_rate(i: &Inputs) -> Option<f64> {
    ratio(i.p.e_server_errors as f64, i.p.e_rows as f64)
}
/// cache_availability: 1 − ERROR rows of E / rows of E with a cache_status.
pub fn cache_availability(i: &Inputs) -> Option<f64> {
    ratio(i.p.e_cache_errors as f64, i.p.e_cacheable as f64).map(|r| 1.0 - r)
}
/// customer_satisfaction: mean score of feedback in P (1–5).
pub fn customer_satisfaction(i: &Inputs) -> Option<f64> {
    ratio(i.f.score_sum, i.f.responses as f64)
}
/// feedback_responses: feedback rows in P.
pub fn feedback_responses(i: &Inputs) -> Option<f64> {
    Some(i.f.responses as f64)
}
/// complaints: feedback rows in P with score ≤ 2.
pub fn complaints(i: &Inputs) -> Option<f64> {
    Some(i.f.complaints as f64)
}
/// Redis cost of the period: monthly cost × 12 / 365 × days(P) (currency).
pub fn redis_cost(costs: &Costs, days: i64) -> f64 {
    costs.redis_monthly_cost * 12.0 / 365.0 * days as f64
}
/// cost_savings: origin_calls_avoided × origin_call_cost − the Redis cost of
/// P, allocated by the group's share of |E| (currency).
pub fn cost_savings(i: &Inputs) -> Option<f64> {
    let gross = origin_calls_avoided(i)? * i.costs.origin_call_cost;
    Some(gross - redis_cost(i.costs, i.days) * i.redis_share?)
}
/// annualized_savings: cost_savings × 365 / days(P) (currency per year).
pub fn annualized_savings(i: &Inputs) -> Option<f64> {
    ratio(cost_savings(i)? * 365.0, i.days as f64)
}
/// user_time_saved_hours_per_user_week: |E| × (mean latency B − mean latency E)
/// / 3,600,000 / distinct users in E × 7 / days(P) (hours).
pub fn user_time_saved_hours_per_user_week(i: &Inputs) -> Option<f64> {
    let mean_b = ratio(i.b.latency_sum, i.b.rows as f64)?;
    let mean_e = ratio(i.p.e_latency_sum, i.p.e_rows as f64)?;
    let hours = i.p.e_rows as f64 * (mean_b - mean_e) / 3_600_000.0;
    ratio(hours, i.p.e_users as f64).and_then(|h| ratio(h * 7.0, i.days as f64))
}

/// Every KPI of one group.
pub fn kpis(i: &Inputs) -> KpiValues {
    ALL.iter()
        .map(|k| {
            let f: fn(&Inputs) -> Option<f64> = match k {
                Kpi::Requests => requests,
                Kpi::ActiveUsers => active_users,
                Kpi::Adoption => adoption,
                Kpi::CacheHitRate => cache_hit_rate,
                Kpi::ApiCallReduction => api_call_reduction,
                Kpi::OriginCallsAvoided => origin_calls_avoided,
                Kpi::LatencyImprovementP50 => latency_improvement_p50,
                Kpi::LatencyImprovementP95 => latency_improvement_p95,
                Kpi::P99LatencyMs => p99_latency_ms,
                Kpi::ErrorRate => error_rate,
                Kpi::CacheAvailability => cache_availability,
                Kpi::CustomerSatisfaction => customer_satisfaction,
                Kpi::FeedbackResponses => feedback_responses,
                Kpi::Complaints => complaints,
                Kpi::CostSavings => cost_savings,
                Kpi::AnnualizedSavings => annualized_savings,
                Kpi::UserTimeSavedHoursPerUserWeek => user_time_saved_hours_per_user_week,
            };
            (*k, f(i))
        })
        .collect()
}

/// KPIs of one period, overall and per segment, with the statistics behind them.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    pub overall: KpiValues,
    pub segments: BTreeMap<String, KpiValues>,
    pub period: PeriodStats,
    pub baseline: BaselineStats,
    pub feedback: FeedbackStats,
}

fn in_range(range: MicrosRange) -> Expr {
    col(TS).gt_eq(lit(range.0)).and(col(TS).lt(lit(range.1)))
}

/// Compute the KPIs of `period` from request rows (segments assigned) and
/// feedback rows (segments assigned). Per segment, B is restricted to the
/// segment, or the whole B where the segment has no baseline rows.
pub fn measure(
    requests: &DataFrame,
    feedback: &DataFrame,
    period: &Period,
    baseline: MicrosRange,
    costs: &Costs,
) -> Result<Measured> {
    let p = in_range(period.micros());
    let b = in_range(baseline).and(col(CACHE_ENABLED).not());
    let mut req_aggs = period_aggs(p.clone());
    req_aggs.extend(baseline_aggs(b));
    let fb_aggs = feedback_aggs(p.clone());

    let overall_req = requests.clone().lazy().select(req_aggs.clone()).collect()?;
    let overall_fb = feedback.clone().lazy().select(fb_aggs.clone()).collect()?;
    let seg_req = requests
        .clone()
        .lazy()
        .group_by([col(SEGMENT)])
        .agg(req_aggs)
        .collect()?;
    let seg_fb = feedback
        .clone()
        .lazy()
        .group_by([col(SEGMENT)])
        .agg(fb_aggs)
        .collect()?;

    let period_stats = PeriodStats::from_row(&overall_req, 0)?;
    let baseline_stats = BaselineStats::from_row(&overall_req, 0)?;
    let feedback_stats = FeedbackStats::from_row(&overall_fb, 0)?;
    let days = period.days();
    let overall = kpis(&Inputs {
        p: &period_stats,
        b: &baseline_stats,
        f: &feedback_stats,
        days,
        costs,
        redis_share: Some(1.0),
    });

    let mut per_seg: BTreeMap<String, (PeriodStats, Option<BaselineStats>, FeedbackStats)> = BTreeMap::new();
    let names = seg_req.column(SEGMENT)?.str()?.clone();
    for (row, name) in names.iter().enumerate() {
        let Some(name) = name else { continue };
        let ps = PeriodStats::from_row(&seg_req, row)?;
        let bs = BaselineStats::from_row(&seg_req, row)?;
        let entry = per_seg.entry(name.to_string()).or_default();
        entry.0 = ps;
        entry.1 = (bs.rows > 0).then_some(bs);
    }
    let names = seg_fb.column(SEGMENT)?.str()?.clone();
    for (row, name) in names.iter().enumerate() {
        let Some(name) = name else { continue };
        per_seg.entry(name.to_string()).or_default().2 = FeedbackStats::from_row(&seg_fb, row)?;
    }
    let active: BTreeSet<String> = per_seg
        .iter()
        .filter(|(_, (p, _, f))| p.requests > 0 || f.responses > 0)
        .map(|(k, _)| k.clone())
        .collect();
    let mut segments = BTreeMap::new();
    for name in active {
        let (ps, bs, fs) = &per_seg[&name];
        let share = ratio(ps.e_rows as f64, period_stats.e_rows as f64);
        segments.insert(
            name,
            kpis(&Inputs {
                p: ps,
                b: bs.as_ref().unwrap_or(&baseline_stats),
                f: fs,
                days,
                costs,
                redis_share: share,
            }),
        );
    }
    Ok(Measured {
        overall,
        segments,
        period: period_stats,
        baseline: baseline_stats,
        feedback: feedback_stats,
    })
}
