//! `cacheroi gate`: the rollout plan's phase for a week, its success criteria
//! and every rollback trigger so far, evaluated on that week's KPIs
//! restricted to the phase's segments (docs/gate.md).

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};

use crate::cli::GateArgs;
use crate::config::Settings;
use crate::error::UsageError;
use crate::evaluate::gate::{GateResult, Verdict};
use crate::evaluate::plan::Plan;
use crate::evaluate::week::{Reading, decide_on, phase_for, phase_so_far};
use crate::metrics::requests::days_of;
use crate::period::resolve_week;
use crate::sources;

fn parse_attest(items: &[String]) -> Result<BTreeMap<String, bool>, UsageError> {
    items
        .iter()
        .map(|a| {
            let (name, value) = a
                .split_once('=')
                .ok_or_else(|| UsageError(format!("--attest `{a}` is not NAME=true|false")))?;
            let on = match value.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => true,
                "false" | "no" | "0" => false,
                _ => return Err(UsageError(format!("--attest `{a}`: the value must be true or false"))),
            };
            Ok((name.trim().to_string(), on))
        })
        .collect()
}

/// The rollout plan of the configuration.
pub fn read_plan(settings: &Settings) -> Result<Plan> {
    let path = settings
        .rollout_plan
        .as_ref()
        .ok_or_else(|| anyhow!("gate needs `[rollout] plan` in {}", settings.path.display()))?;
    super::inputs::read_plan(path)
}

/// Evaluate the gate for `args.week`.
pub fn decide(settings: &Settings, args: &GateArgs) -> Result<GateResult> {
    let attested = parse_attest(&args.attest)?;
    let week = resolve_week(&args.week, settings.now(), settings.timezone)?;
    let plan = read_plan(settings)?;
    // Fail on the plan and the week before reading any data.
    let rules = settings.gate_rules()?;
    let (_, phase) = phase_for(&rules, &plan, week)?;
    // The week's feedback; under the evidence reading, the phase's so far
    // and the baseline's per-user records.
    let period = match rules.reading {
        Reading::Plan => week.period(settings.timezone),
        Reading::Evidence(_) => phase_so_far(&rules, &phase, week),
    };
    let mut data = super::inputs::load(settings, sources::in_ranges(&[period.micros()]), &[], false)?;
    if let Reading::Evidence(_) = rules.reading {
        data.requests.load_days(&[days_of(&period), rules.baseline_days])?;
    }
    decide_on(
        &rules,
        &plan,
        week,
        &data.requests,
        &data.feedback,
        &attested,
        crate::evaluate::week::Known::default(),
    )
}

/// `cacheroi gate`: the lines for stdout and the exit code.
pub fn run(settings: &Settings, args: &GateArgs) -> Result<(Vec<String>, i32)> {
    let result = decide(settings, args)?;
    if args.json {
        return Ok((vec![serde_json::to_string_pretty(&result)?], result.exit_code));
    }
    let mut lines = vec![format!(
        "{} · rollout week {} · phase {} ({})",
        result.iso_week, result.rollout_week, result.phase, result.segments
    )];
    if let Some(b) = &result.evidence {
        lines.push(format!(
            "  on the evidence: {} to {}, {} requests with the cache (α {}, tuning {})",
            b.from, b.to, b.requests, b.alpha, b.tuning
        ));
    }
    for o in &result.criteria {
        let mark = match (o.holds, &o.evidence) {
            (Some(true), _) => "yes",
            (Some(false), _) => "no ",
            (None, Some(_)) => "~  ",
            (None, None) => " ? ",
        };
        let from = if o.kind == "rollback" && o.phase != result.phase {
            format!("  [{}]", o.phase)
        } else {
            String::new()
        };
        let measured = o.evidence.as_ref().map_or(o.measured.as_str(), |e| e.reading.as_str());
        lines.push(format!("  {:<8} {mark}  {:<28} {measured}{from}", o.kind, o.criterion));
    }
    let verdict = match result.verdict {
        Verdict::Proceed => "proceed",
        Verdict::Hold => "hold",
        Verdict::Rollback => "rollback",
    };
    lines.push(format!("verdict: {verdict} (exit {})", result.exit_code));
    Ok((lines, result.exit_code))
}
