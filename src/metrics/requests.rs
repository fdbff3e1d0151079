//! KPIs of docs/kpis.md#the-kpis derived from sufficient statistics. Each KPI is one
//! small function; a KPI is `None` exactly when its formula divides by zero
//! or takes a mean or quantile of nothing.

use std::collections::BTreeMap;

use std::collections::BTreeSet;

use anyhow::Result;
use polars::prelude::*;

use super::fold::{self, Days, Segments};
use super::stats::{BaselineStats, FeedbackStats, PeriodStats, feedback_aggs};
use crate::frames::{SEGMENT, TS};
use crate::ground::kpi::{ALL, Kpi};
use crate::ground::money::Costs;
use crate::period::Period;
use crate::rollups::Merged;
use crate::rollups::build::epoch_day;

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

pub(crate) fn ratio(a: f64, b: f64) -> Option<f64> {
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
/// cost_savings: origin_calls_avoided × origin_call_cost − the Redis cost of
/// P, allocated by the group's share of |E| (currency).
pub fn cost_savings(i: &Inputs) -> Option<f64> {
    let gross = origin_calls_avoided(i)? * i.costs.origin_call_cost;
    Some(gross - i.costs.redis_cost(i.days) * i.redis_share?)
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

/// stale_share: STALE rows of E / |E| (stale data served: the invalidation risk).
pub fn stale_share(i: &Inputs) -> Option<f64> {
    ratio(i.p.e_stale as f64, i.p.e_rows as f64)
}

/// complaint_share: complaints / feedback responses in P (a share, unlike the
/// count, does not grow with the number of users asked).
pub fn complaint_share(i: &Inputs) -> Option<f64> {
    ratio(i.f.complaints as f64, i.f.responses as f64)
}

/// redis_cost_per_month: `[costs] redis_monthly_cost` (the bill as
/// configured), allocated like the Redis cost of `cost_savings`.
pub fn redis_cost_per_month(i: &Inputs) -> Option<f64> {
    Some(i.costs.redis_monthly_cost * i.redis_share?)
}

/// latency_regression_segments: segments whose requests with the cache are
/// slower than their baseline at the median or at p95 (a latency
/// improvement below 0); segments without the figures are not counted.
pub fn latency_regressions(segments: &BTreeMap<String, KpiValues>) -> usize {
    segments
        .values()
        .filter(|k| {
            [Kpi::LatencyImprovementP50, Kpi::LatencyImprovementP95]
                .iter()
                .any(|x| k.get(x).copied().flatten().is_some_and(|v| v < 0.0))
        })
        .count()
}

/// Measured over a group's segments or by the plan, not from one group's sums.
fn not_from_sums(_: &Inputs) -> Option<f64> {
    None
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
                Kpi::StaleShare => stale_share,
                Kpi::ComplaintShare => complaint_share,
                Kpi::RedisCostPerMonth => redis_cost_per_month,
                Kpi::LatencyRegressionSegments
                | Kpi::RolloutComplete
                | Kpi::RolloutProgress
                | Kpi::FlagLeaks
                | Kpi::FlagFlips
                | Kpi::ControlShare => not_from_sums,
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

/// The local days of a period, as epoch days.
pub fn days_of(p: &Period) -> Days {
    (epoch_day(p.start_date), epoch_day(p.end_date))
}

/// Statistics of the baseline B, overall and per segment: computed once and
/// shared by every period compared with it.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub overall: BaselineStats,
    /// Segments with at least one baseline row.
    pub segments: BTreeMap<String, BaselineStats>,
}

/// B = request rows in the baseline window with the cache off, within
/// `scope` (a phase's segments; None: everyone).
pub fn baseline(m: &Merged, window: Days, scope: Segments) -> Baseline {
    let overall = fold::baseline(m, window, scope);
    let mut segments = BTreeMap::new();
    for (name, id) in fold::segments_in(m, window) {
        if !scope.is_none_or(|s| s.contains(&id)) {
            continue;
        }
        let one = BTreeSet::from([id]);
        let stats = fold::baseline(m, window, Some(&one));
        if stats.rows > 0 {
            segments.insert(name, stats);
        }
    }
    Baseline { overall, segments }
}

/// Compute the KPIs of `period` from the merged rollups and the feedback
/// rows (segments assigned, already restricted to `scope`) against the
/// baseline, within `scope` (None: everyone). Per segment, B is the
/// segment's own, or the whole B where the segment has no baseline rows.
/// The Redis cost is allocated by share of the period's whole |E|.
pub fn measure(
    m: &Merged,
    feedback: &DataFrame,
    period: &Period,
    base: &Baseline,
    costs: &Costs,
    scope: Segments,
) -> Result<Measured> {
    let mut all = measure_periods(m, feedback, std::slice::from_ref(period), base, costs, scope)?;
    Ok(all.pop().unwrap_or_default())
}

const PERIOD: &str = "__period";

/// The index of the period a row falls in (null: none), by a binary search
/// over the periods' start instants: one flat expression however many
/// periods (a `when/then` chain nests one level per period and grows the
/// plan, the stack and the time with every week). Periods must not overlap.
fn period_index(periods: &[Period]) -> Expr {
    let mut ranges: Vec<(i64, i64, i32)> = periods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (a, b) = p.micros();
            (a, b, i as i32)
        })
        .collect();
    ranges.sort_unstable();
    col(TS)
        .map(
            move |c: Column| {
                let ts = c.i64()?;
                let out: Int32Chunked = ts
                    .iter()
                    .map(|t| {
                        let t = t?;
                        // The last period starting at or before t, if t is before its end.
                        let k = ranges.partition_point(|r| r.0 <= t);
                        let (_, end, i) = *ranges.get(k.checked_sub(1)?)?;
                        (t < end).then_some(i)
                    })
                    .collect();
                Ok(out.with_name(PERIOD.into()).into_column())
            },
            |_, f| Ok(Field::new(f.name().clone(), DataType::Int32)),
        )
        .alias(PERIOD)
}

fn index_of(df: &DataFrame, row: usize) -> Result<usize> {
    Ok(df.column(PERIOD)?.i32()?.get(row).unwrap_or_default() as usize)
}

/// Feedback statistics per period: overall, and per segment.
type PeriodFeedback = (Vec<FeedbackStats>, Vec<BTreeMap<String, FeedbackStats>>);

/// Feedback statistics of each period, overall and per segment.
fn feedback_stats(feedback: &DataFrame, periods: &[Period]) -> Result<PeriodFeedback> {
    let fb = feedback
        .clone()
        .lazy()
        .with_column(period_index(periods))
        .filter(col(PERIOD).is_not_null());
    let overall = fb.clone().group_by([col(PERIOD)]).agg(feedback_aggs()).collect()?;
    let per_seg = fb
        .group_by([col(PERIOD), col(SEGMENT)])
        .agg(feedback_aggs())
        .collect()?;
    let mut all = vec![FeedbackStats::default(); periods.len()];
    for row in 0..overall.height() {
        all[index_of(&overall, row)?] = FeedbackStats::from_row(&overall, row)?;
    }
    let mut segs = vec![BTreeMap::new(); periods.len()];
    for (row, name) in per_seg.column(SEGMENT)?.str()?.iter().enumerate() {
        let Some(name) = name else { continue };
        segs[index_of(&per_seg, row)?].insert(name.to_string(), FeedbackStats::from_row(&per_seg, row)?);
    }
    Ok((all, segs))
}

/// [`measure`] for several non-overlapping periods (e.g. every week of a trend).
pub fn measure_periods(
    m: &Merged,
    feedback: &DataFrame,
    periods: &[Period],
    base: &Baseline,
    costs: &Costs,
    scope: Segments,
) -> Result<Vec<Measured>> {
    let (fb_all, fb_segs) = feedback_stats(feedback, periods)?;
    let mut out = Vec::with_capacity(periods.len());
    for (i, period) in periods.iter().enumerate() {
        let days = days_of(period);
        let (ps, seg_ps) = fold::period_by_segment(m, days, scope, true);
        // |E| of the whole period, whatever the scope: the Redis cost is shared by it.
        let whole_e = if scope.is_none() {
            ps.e_rows
        } else {
            fold::period(m, days, None).e_rows
        };
        let share = |e_rows: u64| ratio(e_rows as f64, whole_e as f64);
        let overall = kpis(&Inputs {
            p: &ps,
            b: &base.overall,
            f: &fb_all[i],
            days: period.days(),
            costs,
            redis_share: share(ps.e_rows),
        });
        let mut names: BTreeMap<String, Option<u16>> = seg_ps
            .keys()
            .map(|id| (m.segments[*id as usize].clone(), Some(*id)))
            .collect();
        for name in fb_segs[i].keys() {
            names.entry(name.clone()).or_insert(None);
        }
        let mut segments = BTreeMap::new();
        for (name, id) in names {
            let sp = id.and_then(|id| seg_ps.get(&id)).cloned().unwrap_or_default();
            let sf = fb_segs[i].get(&name).cloned().unwrap_or_default();
            if sp.requests == 0 && sf.responses == 0 {
                continue;
            }
            let b = base.segments.get(&name).unwrap_or(&base.overall);
            segments.insert(
                name,
                kpis(&Inputs {
                    p: &sp,
                    b,
                    f: &sf,
                    days: period.days(),
                    costs,
                    redis_share: share(sp.e_rows),
                }),
            );
        }
        let mut overall = overall;
        overall.insert(
            Kpi::LatencyRegressionSegments,
            Some(latency_regressions(&segments) as f64),
        );
        out.push(Measured {
            overall,
            segments,
            period: ps,
            baseline: base.overall.clone(),
            feedback: fb_all[i].clone(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    //! One hand-computed test per KPI on a tiny frame.
    //!
    //! Period P = 2026-W47 in UTC, [2026-11-16, 2026-11-23); baseline
    //! [2026-09-07, 2026-10-05). Costs: origin_call_cost 0.5, Redis 36.5 a
    //! month, so the Redis cost of a 7-day week is 36.5 × 12 / 365 × 7 = 8.4.
    //!
    //! Baseline rows (cache off), all in segment `a`:
    //!   B1 u1 latency 100 origin 2 · B2 u2 latency 200 origin 1 · B3 u3 latency 300 origin 3
    //!   (+ one baseline row with the cache ON, which is not in B).
    //!   |B| = 3, Σorigin = 6 (mean 2), latencies 100/200/300: p50 200,
    //!   p95 = 200 + 0.9 × 100 = 290 (position 0.95 × 2 = 1.9), mean 200.
    //! Rows of P (segment, user, cache on?, cache_status, latency, origin, status):
    //!   P1 a u1 on  HIT     10 0 200
    //!   P2 a u1 on  MISS   110 2 200
    //!   P3 a u2 on  STALE   20 0 200
    //!   P4 b u4 on  ERROR  150 1 503
    //!   P5 b u5 off —      180 1 200
    //!   P6 b u4 on  BYPASS 120 1 200
    //!   P7 a u2 on  —       90 1 500
    //!   (+ one row at 2026-11-23T00:00Z, the exclusive end: not in P.)
    //! E = P1 P2 P3 P4 P6 P7 (|E| = 6, users u1 u2 u4); latencies of E sorted:
    //!   10 20 90 110 120 150.
    //! Feedback in P: a 5, a 2, b 4, b 1 (+ a 3 before P, not counted).
    use super::*;
    use crate::frames::*;
    use crate::period::IsoWeek;

    fn us(s: &str) -> i64 {
        parse_rfc3339_micros(s).expect("ts")
    }

    fn code(s: &str) -> i32 {
        CACHE_STATUSES.iter().position(|c| *c == s).expect("status") as i32 + 1
    }

    fn requests() -> DataFrame {
        // (ts, segment, user, cache on, cache_status, latency, origin, status)
        type Row<'a> = (&'a str, &'a str, &'a str, bool, Option<&'a str>, f64, i64, i64);
        let rows: [Row; 12] = [
            ("2026-09-08T10:00:00Z", "a", "u1", false, None, 100.0, 2, 200),
            ("2026-09-09T10:00:00Z", "a", "u2", false, None, 200.0, 1, 200),
            ("2026-09-10T10:00:00Z", "a", "u3", false, None, 300.0, 3, 200),
            ("2026-09-11T10:00:00Z", "a", "u3", true, Some("HIT"), 5.0, 0, 200),
            ("2026-11-16T00:00:00Z", "a", "u1", true, Some("HIT"), 10.0, 0, 200),
            ("2026-11-17T10:00:00Z", "a", "u1", true, Some("MISS"), 110.0, 2, 200),
            ("2026-11-18T10:00:00Z", "a", "u2", true, Some("STALE"), 20.0, 0, 200),
            ("2026-11-19T10:00:00Z", "b", "u4", true, Some("ERROR"), 150.0, 1, 503),
            ("2026-11-20T10:00:00Z", "b", "u5", false, None, 180.0, 1, 200),
            ("2026-11-21T10:00:00Z", "b", "u4", true, Some("BYPASS"), 120.0, 1, 200),
            ("2026-11-22T23:59:59.999Z", "a", "u2", true, None, 90.0, 1, 500),
            ("2026-11-23T00:00:00Z", "a", "u9", true, Some("HIT"), 1.0, 0, 200),
        ];
        df!(
            TS => rows.iter().map(|r| us(r.0)).collect::<Vec<_>>(),
            CUSTOMER_ID => rows.iter().map(|_| "c1").collect::<Vec<_>>(),
            USER_ID => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
            SEGMENT => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
            STATUS => rows.iter().map(|r| r.7).collect::<Vec<_>>(),
            LATENCY_MS => rows.iter().map(|r| r.5).collect::<Vec<_>>(),
            CACHE_STATUS => rows.iter().map(|r| r.4.map(code)).collect::<Vec<_>>(),
            CACHE_ENABLED => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            UPSTREAM_CALLS => rows.iter().map(|r| r.6).collect::<Vec<_>>(),
        )
        .unwrap()
    }

    fn feedback() -> DataFrame {
        df!(
            TS => [us("2026-11-16T09:00:00Z"), us("2026-11-17T09:00:00Z"), us("2026-11-18T09:00:00+01:00"), us("2026-11-19T09:00:00Z"), us("2026-11-15T23:00:00Z")],
            CUSTOMER_ID => ["c1", "c1", "c1", "c1", "c1"],
            SCORE => [5.0, 2.0, 4.0, 1.0, 3.0],
            SEGMENT => ["a", "a", "b", "b", "a"],
        )
        .unwrap()
    }

    fn costs() -> Costs {
        Costs {
            currency: "USD".into(),
            origin_call_cost: 0.5,
            redis_monthly_cost: 36.5,
            implementation_cost: 1000.0,
            hourly_value_of_user_time: 75.0,
        }
    }

    /// The rows rolled up and merged, as every report sees them.
    fn merged() -> Merged {
        crate::rollups::merged_from_rows(requests(), chrono_tz::UTC).unwrap()
    }

    /// The baseline window [2026-09-07, 2026-10-05) as epoch days.
    fn window() -> Days {
        let d = |s: &str| epoch_day(chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
        (d("2026-09-07"), d("2026-10-05"))
    }

    fn measured() -> Measured {
        let period = IsoWeek { year: 2026, week: 47 }.period(chrono_tz::UTC);
        let m = merged();
        let base = baseline(&m, window(), None);
        measure(&m, &feedback(), &period, &base, &costs(), None).unwrap()
    }

    fn overall(k: Kpi) -> Option<f64> {
        measured().overall[&k]
    }

    fn segment(name: &str, k: Kpi) -> Option<f64> {
        measured().segments[name][&k]
    }

    fn close(a: Option<f64>, b: f64) {
        let a = a.expect("a value");
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    /// A latency quantile read from the rollups' histograms: within a
    /// relative α of the exact value.
    fn close_alpha(a: Option<f64>, b: f64) {
        let a = a.expect("a value");
        let alpha = crate::rollups::schema::ALPHA;
        assert!(
            (a - b).abs() <= alpha * b.abs() * (1.0 + 1e-9),
            "{a} not within α of {b}"
        );
    }

    /// A ratio of two histogram quantiles (1 − e/b): e and b each within α,
    /// so e/b within (1 ± α)/(1 ∓ α) of the exact ratio.
    fn close_ratio_alpha(a: Option<f64>, e: f64, b: f64) {
        let a = a.expect("a value");
        let alpha = crate::rollups::schema::ALPHA;
        let (lo, hi) = (
            1.0 - e / b * (1.0 + alpha) / (1.0 - alpha),
            1.0 - e / b * (1.0 - alpha) / (1.0 + alpha),
        );
        assert!(a >= lo - 1e-12 && a <= hi + 1e-12, "{a} not in [{lo}, {hi}]");
    }

    #[test]
    fn stale_share_is_stale_rows_of_e() {
        // E has 6 rows, one STALE (P3): 1/6; segment a: P1 P2 P3 P7, one STALE: 1/4.
        close(overall(Kpi::StaleShare), 1.0 / 6.0);
        close(segment("a", Kpi::StaleShare), 0.25);
        // Segment b's E (P4 P6) has none.
        close(segment("b", Kpi::StaleShare), 0.0);
    }

    #[test]
    fn complaint_share_is_complaints_over_answers() {
        // Answers 5, 2, 4, 1: complaints (≤ 2) are 2 of 4; a: 1 of 2; b: 1 of 2.
        close(overall(Kpi::ComplaintShare), 0.5);
        close(segment("a", Kpi::ComplaintShare), 0.5);
        close(segment("b", Kpi::ComplaintShare), 0.5);
    }

    #[test]
    fn redis_cost_per_month_is_allocated_like_the_redis_cost() {
        // 36.5 a month for everyone; a has 4 of the 6 rows of E: 36.5 × 4/6.
        close(overall(Kpi::RedisCostPerMonth), 36.5);
        close(segment("a", Kpi::RedisCostPerMonth), 36.5 * 4.0 / 6.0);
        close(segment("b", Kpi::RedisCostPerMonth), 36.5 * 2.0 / 6.0);
    }

    #[test]
    fn latency_regressions_count_segments_slower_than_their_baseline() {
        // The fixture: a's E p50 55 ms and b's 135 ms are both below B's 200 ms,
        // p95 107 and 148.5 below 290: no regression.
        close(overall(Kpi::LatencyRegressionSegments), 0.0);
        // By hand: a slower at p50; b faster at p50 but slower at p95; c
        // faster without a p95; d without figures — 2 segments regress.
        let seg = |p50: Option<f64>, p95: Option<f64>| {
            KpiValues::from([(Kpi::LatencyImprovementP50, p50), (Kpi::LatencyImprovementP95, p95)])
        };
        let segments = BTreeMap::from([
            ("a".to_string(), seg(Some(-0.1), Some(0.2))),
            ("b".to_string(), seg(Some(0.2), Some(-0.05))),
            ("c".to_string(), seg(Some(0.3), None)),
            ("d".to_string(), seg(None, None)),
        ]);
        assert_eq!(latency_regressions(&segments), 2);
    }

    #[test]
    fn requests_counts_rows_in_p_only() {
        // P1..P7; the row at the exclusive end and baseline rows are out: 7.
        close(overall(Kpi::Requests), 7.0);
    }

    #[test]
    fn active_users_are_distinct_users_in_p() {
        // u1 u2 u4 u5 = 4.
        close(overall(Kpi::ActiveUsers), 4.0);
    }

    #[test]
    fn adoption_is_users_with_the_cache_over_all_users() {
        // E users u1 u2 u4 = 3 of 4 → 0.75; segment b: u4 of {u4, u5} → 0.5.
        close(overall(Kpi::Adoption), 0.75);
        close(segment("b", Kpi::Adoption), 0.5);
    }

    #[test]
    fn cache_hit_rate_counts_stale_as_hit_and_ignores_bypass() {
        // (HIT P1 + STALE P3) / (P1 P2 P3 P4) = 2 / 4 = 0.5; BYPASS and empty are out.
        close(overall(Kpi::CacheHitRate), 0.5);
        // Segment a: P1 P3 of P1 P2 P3 → 2/3.
        close(segment("a", Kpi::CacheHitRate), 2.0 / 3.0);
    }

    #[test]
    fn api_call_reduction_compares_origin_per_request() {
        // Σorigin E = 0+2+0+1+1+1 = 5 over 6 rows; B: 6 over 3 = 2 → 1 − (5/6)/2 = 7/12.
        close(overall(Kpi::ApiCallReduction), 7.0 / 12.0);
        // Segment b has no baseline rows, so the whole B: E = P4 P6, 2 calls over 2 → 1 − 1/2 = 0.5.
        close(segment("b", Kpi::ApiCallReduction), 0.5);
    }

    #[test]
    fn origin_calls_avoided_is_expected_minus_actual() {
        // |E| × 2 − 5 = 12 − 5 = 7.
        close(overall(Kpi::OriginCallsAvoided), 7.0);
    }

    #[test]
    fn latency_improvement_p50_uses_linear_quantiles() {
        // p50 of E: position 0.5 × 5 = 2.5 → 90 + 0.5 × 20 = 100; B p50 200 → 1 − 100/200 = 0.5
        // (each quantile read from its histogram bucket: within α).
        close_ratio_alpha(overall(Kpi::LatencyImprovementP50), 100.0, 200.0);
    }

    #[test]
    fn latency_improvement_p95_uses_linear_quantiles() {
        // p95 of E: position 4.75 → 120 + 0.75 × 30 = 142.5; B p95 290 → 1 − 142.5/290.
        close_ratio_alpha(overall(Kpi::LatencyImprovementP95), 142.5, 290.0);
    }

    #[test]
    fn p99_latency_is_over_e() {
        // Position 0.99 × 5 = 4.95 → 120 + 0.95 × 30 = 148.5 ms (within α).
        close_alpha(overall(Kpi::P99LatencyMs), 148.5);
    }

    #[test]
    fn error_rate_counts_5xx_in_e() {
        // P4 (503) and P7 (500) of 6 → 1/3; P5 is not in E.
        close(overall(Kpi::ErrorRate), 2.0 / 6.0);
    }

    #[test]
    fn cache_availability_is_one_minus_error_share_of_cacheable_rows() {
        // ERROR rows 1 (P4) over rows of E with a cache_status (P1 P2 P3 P4 P6 = 5) → 1 − 1/5 = 0.8.
        close(overall(Kpi::CacheAvailability), 0.8);
    }

    #[test]
    fn customer_satisfaction_is_the_mean_score_in_p() {
        // (5 + 2 + 4 + 1) / 4 = 3.0; the 3 before P is out.
        close(overall(Kpi::CustomerSatisfaction), 3.0);
        close(segment("a", Kpi::CustomerSatisfaction), 3.5);
    }

    #[test]
    fn feedback_responses_count_rows_in_p() {
        close(overall(Kpi::FeedbackResponses), 4.0);
    }

    #[test]
    fn complaints_are_scores_of_two_or_less() {
        // 2 and 1 → 2.
        close(overall(Kpi::Complaints), 2.0);
    }

    #[test]
    fn cost_savings_subtract_the_redis_cost_of_the_period() {
        // 7 × 0.5 − 36.5 × 12 / 365 × 7 = 3.5 − 8.4 = −4.9.
        close(overall(Kpi::CostSavings), -4.9);
        // Segments allocate Redis by share of |E|: a has 4 of 6 E rows, avoided
        // 4 × 2 − 3 = 5 → 2.5 − 8.4 × 4/6 = −3.1; b: 2 × 2 − 2 = 2 → 1 − 2.8 = −1.8.
        close(segment("a", Kpi::CostSavings), -3.1);
        close(segment("b", Kpi::CostSavings), -1.8);
    }

    #[test]
    fn annualized_savings_scale_a_week_to_a_year() {
        // −4.9 × 365 / 7 = −255.5.
        close(overall(Kpi::AnnualizedSavings), -255.5);
    }

    #[test]
    fn user_time_saved_is_hours_per_user_week() {
        // Mean B 200 ms, mean E 500/6 ms: 6 × (200 − 500/6) = 700 ms = 700 / 3.6e6 h,
        // over 3 users, × 7/7 → 700 / 10.8e6.
        close(overall(Kpi::UserTimeSavedHoursPerUserWeek), 700.0 / 10.8e6);
    }

    #[test]
    fn segments_are_those_with_rows_in_p() {
        let m = measured();
        assert_eq!(m.segments.keys().collect::<Vec<_>>(), vec!["a", "b"]);
    }

    #[test]
    fn thousands_of_periods_are_measured_each() {
        // 4,000 weeks (a far-future --week once built one nested when/then per
        // week): the rows still land in their week, fast and without recursion.
        let first = IsoWeek { year: 2026, week: 1 }.monday();
        let periods: Vec<Period> = (0..4000)
            .map(|k| {
                let monday = first + chrono::Duration::weeks(k);
                Period::new(monday, monday + chrono::Duration::days(7), chrono_tz::UTC)
            })
            .collect();
        let m = merged();
        let base = baseline(&m, window(), None);
        let all = measure_periods(&m, &feedback(), &periods, &base, &costs(), None).unwrap();
        let w47 = IsoWeek { year: 2026, week: 47 }.monday();
        let k = ((w47 - first).num_days() / 7) as usize;
        // The same 7 rows of W47 as the single-period measure.
        close(all[k].overall[&Kpi::Requests], 7.0);
        close(all[k].overall[&Kpi::ApiCallReduction], 7.0 / 12.0);
        assert_eq!(all[k + 1].overall[&Kpi::Requests], Some(1.0));
        assert_eq!(all[3999].overall[&Kpi::Requests], Some(0.0));
    }

    #[test]
    fn a_week_without_rows_has_no_data_but_zero_counts() {
        let period = IsoWeek { year: 2026, week: 30 }.period(chrono_tz::UTC);
        let merged = merged();
        let base = baseline(&merged, window(), None);
        let m = measure(&merged, &feedback(), &period, &base, &costs(), None).unwrap();
        assert_eq!(m.overall[&Kpi::Requests], Some(0.0));
        assert_eq!(m.overall[&Kpi::Complaints], Some(0.0));
        for k in [
            Kpi::Adoption,
            Kpi::CacheHitRate,
            Kpi::ApiCallReduction,
            Kpi::P99LatencyMs,
            Kpi::ErrorRate,
            Kpi::CustomerSatisfaction,
        ] {
            assert_eq!(m.overall[&k], None, "{k:?}");
        }
        assert!(m.segments.is_empty());
    }

    #[test]
    fn trend_points_agree_with_the_full_measure() {
        use crate::metrics::trend::{TREND_KPIS, TrendPoint, against_baseline, trend_points};
        // The light trend of W47 gives the same four KPIs and segment adoption
        // as the full measure (hand values above: 7/12, 0.5, 0.5, 0.75; a 1.0, b 0.5).
        let weeks: Vec<_> = [46, 47]
            .iter()
            .map(|w| IsoWeek { year: 2026, week: *w }.period(chrono_tz::UTC))
            .collect();
        let m = merged();
        let base = baseline(&m, window(), None);
        let mut points = trend_points(&m, &weeks, 1);
        against_baseline(&mut points, &base);
        let full = TrendPoint::from(&measured());
        for k in TREND_KPIS {
            let (a, b) = (points[1].kpis[&k].unwrap(), full.kpis[&k].unwrap());
            assert!((a - b).abs() < 1e-12, "{k:?}: {a} vs {b}");
        }
        close(points[1].kpis[&Kpi::ApiCallReduction], 7.0 / 12.0);
        assert_eq!(points[1].segment_adoption, full.segment_adoption);
        // W46 has no rows: no data, and segments before `segments_from` are not computed.
        assert_eq!(points[0].kpis[&Kpi::CacheHitRate], None);
        assert!(points[0].segment_adoption.is_empty());
    }
}
