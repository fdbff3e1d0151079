//! Each phase of the rollout plan over its weeks (clipped to a window),
//! measured on its own segments and judged against the targets.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::Duration;
use polars::prelude::DataFrame;
use serde::Serialize;

use super::plan::Plan;
use super::{KpiCell, evaluate_all};
use crate::ground::kpi::Kpi;
use crate::metrics::fold;
use crate::metrics::requests::{Baseline, baseline, measure};
use crate::period::Period;
use crate::rollups::Merged;
use crate::sources;

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

/// Each phase of the plan over its weeks (clipped to the window), restricted
/// to its segments, with B restricted likewise (the whole B where those
/// segments have no baseline rows).
/// `rules` gives the rollout's start, the baseline, the time zone, the
/// costs and the targets; without a rollout start there are no phases.
pub fn results(
    rules: &super::week::Rules,
    plan: &Plan,
    requests: &Merged,
    feedback: &DataFrame,
    base: &Baseline,
    window: &Period,
) -> Result<Vec<PhaseResult>> {
    let Some(rollout) = rules.rollout_start else {
        return Ok(Vec::new());
    };
    let (baseline_days, timezone, costs, targets) = (rules.baseline_days, rules.timezone, rules.costs, rules.targets);
    let mut out = Vec::new();
    for phase in &plan.phases {
        let p_from = rollout + Duration::days(7 * (i64::from(phase.first_week) - 1));
        let p_to = rollout + Duration::days(7 * i64::from(phase.last_week));
        let (from, to) = (p_from.max(window.start_date), p_to.min(window.end_date));
        let in_window = from < to;
        let kpis = if in_window {
            let ids = (!phase.all_users()).then(|| fold::segment_ids(requests, &phase.segments));
            let fb = sources::in_segments(feedback, &phase.segments)?;
            let own = baseline(requests, baseline_days, ids.as_ref());
            let b = if own.overall.rows > 0 { own } else { base.clone() };
            let m = measure(requests, &fb, &Period::new(from, to, timezone), &b, costs, ids.as_ref())?;
            evaluate_all(&m.overall, targets)
        } else {
            BTreeMap::new()
        };
        out.push(PhaseResult {
            name: phase.name.clone(),
            weeks: phase.weeks_label(),
            from: p_from.to_string(),
            to: p_to.to_string(),
            segments: if phase.all_users() {
                "all users".into()
            } else {
                phase.segments.join(", ")
            },
            features: phase.features.clone(),
            success_criteria: phase.success_criteria.clone(),
            rollback_trigger: phase.rollback_trigger.clone(),
            in_window,
            kpis,
        });
    }
    Ok(out)
}
