//! Targets → status (docs/kpis.md#targets-and-status): `met`, `at_risk` (missed by less than 10 %
//! of the target, relative), `missed`, or `no_data` when the KPI has no value.

pub mod conformance;
pub mod evidence;
pub mod gate;
pub mod phases;
pub mod plan;
pub mod risks;
#[cfg(test)]
mod simulation;
pub mod week;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ground::kpi::{ALL, Direction, Kpi, Targets};
use crate::metrics::requests::KpiValues;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    AtRisk,
    Missed,
    NoData,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::AtRisk => "at risk",
            Status::Missed => "missed",
            Status::NoData => "no data",
        }
    }
}

/// The relative miss still counted as `at_risk`.
pub const AT_RISK_MARGIN: f64 = 0.10;

/// Status of a KPI against its target; `None` when the KPI has no target
/// (docs/kpis.md#targets-and-status: `target: null, status: null`) unless the value is missing.
pub fn status(kpi: Kpi, value: Option<f64>, target: Option<f64>) -> Option<Status> {
    let Some(v) = value else {
        return Some(Status::NoData);
    };
    let t = target?;
    let margin = AT_RISK_MARGIN * t.abs();
    Some(match kpi.direction() {
        Direction::HigherIsBetter if v >= t => Status::Met,
        Direction::HigherIsBetter if v > t - margin => Status::AtRisk,
        Direction::LowerIsBetter if v <= t => Status::Met,
        Direction::LowerIsBetter if v < t + margin => Status::AtRisk,
        _ => Status::Missed,
    })
}

/// A KPI with its target and status (the `kpis` entries of metrics.json).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiCell {
    pub value: Option<f64>,
    pub target: Option<f64>,
    pub status: Option<Status>,
    /// Why there is no value when the KPI is not measured at all
    /// (`no_source:feedback`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

/// KPI values with their targets and status, keyed by KPI.
/// A KPI whose source is not configured has no value and says why (never
/// a zero count, never "met").
pub fn evaluate_all(values: &KpiValues, targets: &Targets) -> BTreeMap<Kpi, KpiCell> {
    ALL.iter()
        .map(|k| {
            let reason = targets.unmeasured.get(k).copied();
            let value = values.get(k).copied().flatten().filter(|_| reason.is_none());
            let target = targets.get(k).copied();
            (
                *k,
                KpiCell {
                    value,
                    target,
                    status: status(*k, value, target),
                    reason,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_of_met_at_risk_and_missed() {
        let st = |k, v, t| status(k, Some(v), Some(t));
        // Higher is better, target 0.70: 0.70 met; 0.65 (7 % short) at risk; 0.62 missed.
        assert_eq!(st(Kpi::ApiCallReduction, 0.70, 0.70), Some(Status::Met));
        assert_eq!(st(Kpi::ApiCallReduction, 0.65, 0.70), Some(Status::AtRisk));
        assert_eq!(st(Kpi::ApiCallReduction, 0.62, 0.70), Some(Status::Missed));
        // Satisfaction target 4.5: 4.06 is 9.8 % short (at risk); 4.0 is 11 % short (missed).
        assert_eq!(st(Kpi::CustomerSatisfaction, 4.06, 4.5), Some(Status::AtRisk));
        assert_eq!(st(Kpi::CustomerSatisfaction, 4.0, 4.5), Some(Status::Missed));
        // Lower is better, target 100 ms: 100 met; 109.9 at risk (missed by less
        // than 10 %); 110 missed (by exactly 10 %, which is not less than 10 %).
        assert_eq!(st(Kpi::P99LatencyMs, 100.0, 100.0), Some(Status::Met));
        assert_eq!(st(Kpi::P99LatencyMs, 109.9, 100.0), Some(Status::AtRisk));
        assert_eq!(st(Kpi::P99LatencyMs, 110.0, 100.0), Some(Status::Missed));
        // No value: no_data, whatever the target; no target: null.
        assert_eq!(status(Kpi::ErrorRate, None, Some(0.001)), Some(Status::NoData));
        assert_eq!(status(Kpi::Requests, Some(5.0), None), None);
    }
}
