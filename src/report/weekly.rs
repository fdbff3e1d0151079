//! The weekly stakeholder summary: view model and metrics.json.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{KpiCell, KpiRow};
use crate::metrics::kpi::Kpi;
use crate::metrics::redis::RedisKpis;
use crate::quality::DataQuality;

/// `period` of metrics.json (`end` exclusive).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodInfo {
    pub start: String,
    pub end: String,
    pub iso_week: String,
    pub timezone: String,
    /// Rollout week number (1 = the week of `rollout.start`), if configured and reached.
    pub rollout_week: Option<i64>,
}

/// metrics.json of `weekly` (CONTRACT §3), plus context a reader needs to
/// re-derive the figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklyMetrics {
    pub period: PeriodInfo,
    pub kpis: BTreeMap<Kpi, KpiCell>,
    pub segments: BTreeMap<String, BTreeMap<Kpi, KpiCell>>,
    pub redis: RedisKpis,
    pub data_quality: DataQuality,
    pub previous_week: PreviousWeek,
    pub baseline: BaselineInfo,
    pub generated: Generated,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviousWeek {
    pub iso_week: String,
    pub kpis: BTreeMap<Kpi, Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineInfo {
    pub from: String,
    /// Exclusive.
    pub to: String,
    /// |B|: request rows in the window with the cache off.
    pub rows: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Generated {
    pub at: String,
    pub tool_version: String,
    pub config: String,
    pub config_hash: String,
    pub currency: String,
}

/// A feedback comment shown in the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comment {
    pub ts: String,
    pub customer: String,
    pub segment: String,
    pub score: i64,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedbackSection {
    pub responses: u64,
    pub mean: Option<f64>,
    pub complaints: u64,
    pub comments: Vec<Comment>,
}

/// One row of the per-segment table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentRow {
    pub name: String,
    pub kpis: BTreeMap<Kpi, KpiCell>,
}

/// Everything the weekly summary shows; every renderer works from this.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklyReport {
    pub metrics: WeeklyMetrics,
    /// Headline KPIs (those with a target), then the rest.
    pub headline: Vec<KpiRow>,
    pub other: Vec<KpiRow>,
    pub segments: Vec<SegmentRow>,
    pub feedback: FeedbackSection,
    /// Request-log hit rate minus Redis's, when both exist.
    pub hit_rate_gap: Option<f64>,
    pub inputs: Inputs,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inputs {
    pub requests: String,
    pub feedback: String,
    pub customers: Option<String>,
    pub redis_snapshots: String,
    pub files: Vec<crate::quality::FileQuality>,
    pub by_format: Vec<crate::quality::FormatGroup>,
    /// Rejected rows by reason, in the order of CONTRACT §5.
    pub rejections: Vec<crate::quality::ReasonCount>,
    pub examples: Vec<crate::quality::BadRow>,
}
