//! The post-launch impact report over the whole rollout: view model and
//! metrics.json (CONTRACT §3: `window` and `kpis` as the weekly one).

use std::collections::BTreeMap;

use serde::Serialize;

use super::weekly::{FeedbackSection, Generated, SegmentRow, Trend};
use super::{KpiCell, KpiRow};
use crate::ground::kpi::Kpi;
use crate::metrics::redis::RedisKpis;
use crate::quality::DataQuality;

/// `window` of metrics.json: `[from, to)` in local dates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    pub from: String,
    pub to: String,
    pub days: i64,
    pub timezone: String,
}

/// One week of the rollout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekRow {
    pub iso_week: String,
    pub rollout_week: Option<i64>,
    /// The rollout gate of the week (None before the rollout or without a plan).
    pub gate: Option<crate::evaluate::gate::GateResult>,
    pub kpis: BTreeMap<Kpi, KpiCell>,
}

/// A phase of the rollout plan and how it went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseResult {
    pub name: String,
    pub weeks: String,
    pub from: String,
    pub to: String,
    pub segments: String,
    pub features: Vec<String>,
    pub success_criteria: Vec<String>,
    pub rollback_trigger: Vec<String>,
    /// Whether the window holds any of the phase's days.
    pub in_window: bool,
    pub kpis: BTreeMap<Kpi, KpiCell>,
}

/// One customer's savings and latency gain over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRow {
    pub customer_id: String,
    pub name: String,
    pub tier: String,
    pub requests: u64,
    /// Requests with the cache on.
    pub cached_requests: u64,
    pub origin_calls_avoided: Option<f64>,
    pub gross_savings: Option<f64>,
    /// Redis cost allocated by the customer's share of |E|.
    pub redis_cost: Option<f64>,
    pub net_savings: Option<f64>,
    /// 1 − p50 of the customer's E rows / p50 of B.
    /// 1 − mean latency of the customer's requests with the cache ÷ mean latency of B.
    pub latency_improvement_mean: Option<f64>,
}

/// A figure before the rollout (baseline) and during it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BeforeAfter {
    pub label: String,
    /// How to format: ratio, milliseconds, score, count.
    pub unit: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
    /// after − before, or the relative change where `relative`.
    pub change: Option<f64>,
    pub relative: bool,
}

/// metrics.json of `impact`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpactMetrics {
    pub window: Window,
    pub kpis: BTreeMap<Kpi, KpiCell>,
    pub segments: BTreeMap<String, BTreeMap<Kpi, KpiCell>>,
    pub weeks: Vec<WeekRow>,
    pub phases: Vec<PhaseResult>,
    pub customers: Vec<CustomerRow>,
    pub redis: RedisKpis,
    pub data_quality: DataQuality,
    pub baseline: super::weekly::BaselineInfo,
    /// Baseline against the window, cache on against off, the split check.
    pub statistics: crate::metrics::experiment::Statistics,
    pub generated: Generated,
}

/// Everything the impact report shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpactReport {
    pub metrics: ImpactMetrics,
    pub headline: Vec<KpiRow>,
    pub other: Vec<KpiRow>,
    pub before_after: Vec<BeforeAfter>,
    pub sentences: Vec<String>,
    pub narrative: Vec<String>,
    pub stats: super::inference::StatsView,
    pub segments: Vec<SegmentRow>,
    pub top_savings: Vec<CustomerRow>,
    pub bottom_savings: Vec<CustomerRow>,
    pub top_latency: Vec<CustomerRow>,
    pub bottom_latency: Vec<CustomerRow>,
    pub feedback: FeedbackSection,
    pub inputs: super::weekly::Inputs,
    pub trend: Trend,
    /// Targets, for the methodology appendix.
    pub targets: Vec<(String, String)>,
}

/// How many customers each top/bottom table shows.
pub const CUSTOMERS_SHOWN: usize = 5;

/// Top and bottom customers by a figure (customers without it left out).
pub fn top_bottom(rows: &[CustomerRow], key: fn(&CustomerRow) -> Option<f64>) -> (Vec<CustomerRow>, Vec<CustomerRow>) {
    let mut with: Vec<&CustomerRow> = rows.iter().filter(|r| key(r).is_some()).collect();
    with.sort_by(|a, b| {
        key(b)
            .partial_cmp(&key(a))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.customer_id.cmp(&b.customer_id))
    });
    let top: Vec<CustomerRow> = with.iter().take(CUSTOMERS_SHOWN).map(|r| (*r).clone()).collect();
    let bottom: Vec<CustomerRow> = with.iter().rev().take(CUSTOMERS_SHOWN).map(|r| (*r).clone()).collect();
    (top, bottom)
}
