//! Report view models: plain `Serialize` structs, one per report kind. Numbers
//! stay raw here; the renderers format them.

pub mod weekly;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::evaluate::{Status, status};
use crate::metrics::kpi::{ALL, Direction, Kpi, Unit};
use crate::metrics::requests::KpiValues;

/// A KPI with its target and status (the `kpis` entries of metrics.json).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiCell {
    pub value: Option<f64>,
    pub target: Option<f64>,
    pub status: Option<Status>,
}

/// KPI values with their targets and status, keyed by KPI.
pub fn evaluate_all(values: &KpiValues, targets: &BTreeMap<Kpi, f64>) -> BTreeMap<Kpi, KpiCell> {
    ALL.iter()
        .map(|k| {
            let value = values.get(k).copied().flatten();
            let target = targets.get(k).copied();
            (
                *k,
                KpiCell {
                    value,
                    target,
                    status: status(*k, value, target),
                },
            )
        })
        .collect()
}

/// One KPI as a report line: this period against its target and the period before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiRow {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    pub direction: Direction,
    pub value: Option<f64>,
    pub target: Option<f64>,
    pub status: Option<Status>,
    /// The same KPI in the previous period.
    pub previous: Option<f64>,
    /// value − previous (in the KPI's unit).
    pub change: Option<f64>,
    /// Whether the change is for the better (None: no change or unknown).
    pub improved: Option<bool>,
}

pub fn kpi_rows(cells: &BTreeMap<Kpi, KpiCell>, previous: &KpiValues) -> Vec<KpiRow> {
    cells
        .iter()
        .map(|(k, c)| {
            let prev = previous.get(k).copied().flatten();
            let change = c.value.zip(prev).map(|(v, p)| v - p);
            let improved = change.filter(|d| *d != 0.0).map(|d| match k.direction() {
                Direction::HigherIsBetter => d > 0.0,
                Direction::LowerIsBetter => d < 0.0,
            });
            KpiRow {
                key: k.key(),
                label: k.label(),
                unit: k.unit(),
                direction: k.direction(),
                value: c.value,
                target: c.target,
                status: c.status,
                previous: prev,
                change,
                improved,
            }
        })
        .collect()
}
