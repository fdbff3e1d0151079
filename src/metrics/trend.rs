//! The trend: the headline KPIs week by week (those that need only counts,
//! sums and the p50) and adoption per segment.

use std::collections::BTreeMap;

use super::fold;
use super::requests::{Baseline, Measured, days_of, ratio};
use crate::ground::kpi::Kpi;
use crate::period::Period;
use crate::rollups::Merged;

/// The figures of one week of a trend chart: the headline KPIs that need
/// only counts, sums and the p50, and adoption per segment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrendPoint {
    pub kpis: BTreeMap<Kpi, Option<f64>>,
    pub segment_adoption: BTreeMap<String, Option<f64>>,
    /// Origin calls per request and p50 over E, until compared with B by
    /// [`against_baseline`].
    pub e_origin_per_request: Option<f64>,
    pub e_p50: Option<f64>,
}

/// The trend of `weeks` (their periods `periods`): one point per week,
/// segments from the first week that ends after the rollout's start, each
/// compared with the baseline.
pub fn of_weeks(
    m: &Merged,
    weeks: &[crate::period::IsoWeek],
    periods: &[Period],
    rollout_start: Option<chrono::NaiveDate>,
    base: &Baseline,
) -> Vec<TrendPoint> {
    let rollout_from = rollout_start.map_or(0, |start| {
        weeks
            .iter()
            .take_while(|w| w.monday() + chrono::Duration::days(7) <= start)
            .count()
    });
    let mut points = trend_points(m, periods, rollout_from);
    against_baseline(&mut points, base);
    points
}

/// Fill the KPIs that compare a trend point with the baseline (API call
/// reduction, p50 latency improvement).
pub fn against_baseline(points: &mut [TrendPoint], base: &Baseline) {
    let b_per_request = ratio(base.overall.origin, base.overall.rows as f64);
    for p in points
        .iter_mut()
        .filter(|p| p.e_origin_per_request.is_some() || p.e_p50.is_some())
    {
        let reduction = p
            .e_origin_per_request
            .zip(b_per_request)
            .and_then(|(e, b)| ratio(e, b))
            .map(|r| 1.0 - r);
        let gain = p
            .e_p50
            .zip(base.overall.p50)
            .and_then(|(e, b)| ratio(e, b))
            .map(|r| 1.0 - r);
        p.kpis.insert(Kpi::ApiCallReduction, reduction);
        p.kpis.insert(Kpi::LatencyImprovementP50, gain);
    }
}

/// The KPIs a trend point carries.
pub const TREND_KPIS: [Kpi; 4] = [
    Kpi::ApiCallReduction,
    Kpi::CacheHitRate,
    Kpi::LatencyImprovementP50,
    Kpi::Adoption,
];

impl From<&Measured> for TrendPoint {
    fn from(m: &Measured) -> Self {
        TrendPoint {
            kpis: TREND_KPIS
                .iter()
                .map(|k| (*k, m.overall.get(k).copied().flatten()))
                .collect(),
            segment_adoption: m
                .segments
                .iter()
                .map(|(s, k)| (s.clone(), k.get(&Kpi::Adoption).copied().flatten()))
                .collect(),
            e_origin_per_request: None,
            e_p50: None,
        }
    }
}

/// Trend points for many periods. Adoption per segment is computed from
/// period `segments_from` on (the rollout weeks; before them nobody has the
/// cache).
pub fn trend_points(m: &Merged, periods: &[Period], segments_from: usize) -> Vec<TrendPoint> {
    periods
        .iter()
        .enumerate()
        .map(|(i, period)| {
            let days = days_of(period);
            let (p, seg_ps) = fold::period_by_segment(m, days, None, i >= segments_from);
            let mut point = TrendPoint {
                kpis: TREND_KPIS.iter().map(|k| (*k, None)).collect(),
                ..Default::default()
            };
            point
                .kpis
                .insert(Kpi::Adoption, ratio(p.e_users as f64, p.users as f64));
            point
                .kpis
                .insert(Kpi::CacheHitRate, ratio(p.e_hits as f64, p.e_lookups as f64));
            point.e_origin_per_request = ratio(p.e_origin, p.e_rows as f64);
            point.e_p50 = p.e_p50;
            for (id, sp) in &seg_ps {
                point.segment_adoption.insert(
                    m.segments[*id as usize].clone(),
                    ratio(sp.e_users as f64, sp.users as f64),
                );
            }
            point
        })
        .collect()
}
