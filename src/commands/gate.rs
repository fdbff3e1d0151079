//! `cacheroi gate`: the rollout plan's phase for a week, its success criteria
//! and every rollback trigger so far, evaluated on that week's KPIs
//! restricted to the phase's segments (CONTRACT §6).

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};
use polars::prelude::*;

use crate::cli::GateArgs;
use crate::config::Settings;
use crate::error::UsageError;
use crate::frames::CACHE_ENABLED;
use crate::gate::{GateResult, Outcome, Verdict, evaluate, verdict};
use crate::metrics::requests::{Measured, baseline, measure};
use crate::period::{IsoWeek, resolve_week};
use crate::plan::{Phase, Plan};
use crate::report::evaluate_all;
use crate::sources::{self, MicrosRange};

fn parse_attest(items: &[String]) -> Result<BTreeMap<String, bool>, UsageError> {
    items
        .iter()
        .map(|a| {
            let (name, value) = a
                .split_once('=')
                .ok_or_else(|| UsageError(format!("--attest `{a}` is not NAME=true|false")))?;
            let v = match value.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => true,
                "false" | "no" | "0" => false,
                _ => return Err(UsageError(format!("--attest `{a}`: the value must be true or false"))),
            };
            Ok((name.trim().to_string(), v))
        })
        .collect()
}

/// The plan's phase for `week` and its rollout week number (1-based).
pub fn phase_for(settings: &Settings, plan: &Plan, week: IsoWeek) -> Result<(i64, Phase)> {
    let start = settings
        .rollout_start
        .ok_or_else(|| anyhow!("gate needs `[rollout] start` in {}", settings.path.display()))?;
    let days = (week.monday() - start).num_days();
    if days < 0 {
        return Err(anyhow!(
            "{} is before rollout week 1 (the rollout starts {start})",
            week.label()
        ));
    }
    let rollout_week = days / 7 + 1;
    let phase = plan.phase_of(rollout_week as u32).ok_or_else(|| {
        anyhow!(
            "{}: no phase of the plan covers rollout week {rollout_week}",
            settings
                .rollout_plan
                .as_deref()
                .unwrap_or(std::path::Path::new("plan"))
                .display()
        )
    })?;
    Ok((rollout_week, phase.clone()))
}

/// The rollout plan of the configuration.
pub fn read_plan(settings: &Settings) -> Result<Plan> {
    let path = settings
        .rollout_plan
        .as_ref()
        .ok_or_else(|| anyhow!("gate needs `[rollout] plan` in {}", settings.path.display()))?;
    crate::plan::read(path)
}

/// Evaluate the gate of `week` on rows already loaded (they must hold the
/// week and the baseline window's cache-off rows).
pub fn decide_on(
    settings: &Settings,
    plan: &Plan,
    week: IsoWeek,
    requests: &DataFrame,
    feedback: &DataFrame,
    attested: &BTreeMap<String, bool>,
    whole: Option<&Measured>,
) -> Result<GateResult> {
    let (rollout_week, phase) = phase_for(settings, plan, week)?;
    let cells = match whole.filter(|_| phase.all_users()) {
        // An all-users phase is measured on the week's KPIs over everyone.
        Some(m) => evaluate_all(&m.overall, &settings.targets),
        None => phase_cells(settings, &phase, week, requests, feedback)?,
    };
    outcome(plan, phase, week, rollout_week, &cells, attested)
}

/// The week's KPIs restricted to the phase's segments (B likewise, the
/// whole B where those segments have none), with their statuses.
fn phase_cells(
    settings: &Settings,
    phase: &Phase,
    week: IsoWeek,
    requests: &DataFrame,
    feedback: &DataFrame,
) -> Result<BTreeMap<crate::metrics::Kpi, crate::report::KpiCell>> {
    let period = week.period(settings.timezone);
    let b: MicrosRange = (
        settings.baseline.start.timestamp_micros(),
        settings.baseline.end.timestamp_micros(),
    );
    let req = sources::in_segments(requests, &phase.segments)?;
    let fb = sources::in_segments(feedback, &phase.segments)?;
    let own = baseline(&req, b)?;
    let base = if own.overall.rows > 0 {
        own
    } else {
        baseline(requests, b)?
    };
    let m = measure(&req, &fb, &period, &base, &settings.costs)?;
    Ok(evaluate_all(&m.overall, &settings.targets))
}

fn outcome(
    plan: &Plan,
    phase: Phase,
    week: IsoWeek,
    rollout_week: i64,
    cells: &BTreeMap<crate::metrics::Kpi, crate::report::KpiCell>,
    attested: &BTreeMap<String, bool>,
) -> Result<GateResult> {
    let mut outcomes: Vec<Outcome> = phase
        .success_criteria
        .iter()
        .map(|c| evaluate(c, "success", &phase.name, cells, attested))
        .collect();
    // Guardrails accumulate: the triggers of this phase and every earlier one.
    for earlier in plan.phases.iter().filter(|p| p.first_week <= phase.first_week) {
        outcomes.extend(
            earlier
                .rollback_trigger
                .iter()
                .map(|c| evaluate(c, "rollback", &earlier.name, cells, attested)),
        );
    }
    let v = verdict(&outcomes);
    Ok(GateResult {
        iso_week: week.label(),
        rollout_week,
        segments: if phase.all_users() {
            "all users".into()
        } else {
            phase.segments.join(", ")
        },
        phase: phase.name,
        verdict: v,
        exit_code: v.exit_code(),
        criteria: outcomes,
    })
}

/// Evaluate the gate for `args.week`.
pub fn decide(settings: &Settings, args: &GateArgs) -> Result<GateResult> {
    let attested = parse_attest(&args.attest)?;
    let week = resolve_week(&args.week, settings.now(), settings.timezone)?;
    let plan = read_plan(settings)?;
    // Fail on the plan and the week before reading any data.
    phase_for(settings, &plan, week)?;
    let period = week.period(settings.timezone);
    let b: MicrosRange = (
        settings.baseline.start.timestamp_micros(),
        settings.baseline.end.timestamp_micros(),
    );
    let keep = sources::in_ranges(&[b])
        .and(col(CACHE_ENABLED).not())
        .or(sources::in_ranges(&[period.micros()]));
    let data = sources::load(settings, keep, sources::in_ranges(&[period.micros()]))?;
    decide_on(settings, &plan, week, &data.requests, &data.feedback, &attested, None)
}

/// `cacheroi gate`: the lines for stdout and the exit code.
pub fn run(settings: &Settings, args: &GateArgs) -> Result<(Vec<String>, i32)> {
    let r = decide(settings, args)?;
    if args.json {
        return Ok((vec![serde_json::to_string_pretty(&r)?], r.exit_code));
    }
    let mut lines = vec![format!(
        "{} · rollout week {} · phase {} ({})",
        r.iso_week, r.rollout_week, r.phase, r.segments
    )];
    for o in &r.criteria {
        let mark = match o.holds {
            Some(true) => "yes",
            Some(false) => "no ",
            None => " ? ",
        };
        let from = if o.kind == "rollback" && o.phase != r.phase {
            format!("  [{}]", o.phase)
        } else {
            String::new()
        };
        lines.push(format!(
            "  {:<8} {mark}  {:<28} {}{from}",
            o.kind, o.criterion, o.measured
        ));
    }
    let verdict = match r.verdict {
        Verdict::Proceed => "proceed",
        Verdict::Hold => "hold",
        Verdict::Rollback => "rollback",
    };
    lines.push(format!("verdict: {verdict} (exit {})", r.exit_code));
    Ok((lines, r.exit_code))
}
