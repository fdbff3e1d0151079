//! `cacheroi gate`: the rollout plan's phase for a week, its success criteria
//! and every rollback trigger so far, evaluated on that week's KPIs
//! restricted to the phase's segments (CONTRACT §6).

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};
use polars::prelude::*;

use crate::cli::GateArgs;
use crate::config::Settings;
use crate::error::UsageError;
use crate::evaluate::evaluate_all;
use crate::evaluate::gate::{GateResult, Outcome, Verdict, evaluate, verdict};
use crate::evaluate::plan::{Phase, Plan};
use crate::metrics::fold;
use crate::metrics::requests::{Measured, baseline, measure};
use crate::period::{IsoWeek, resolve_week};
use crate::rollups::Merged;
use crate::rollups::build::epoch_day;
use crate::sources;

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
    crate::evaluate::plan::read(path)
}

/// Evaluate the gate of `week` on inputs already loaded (the rollups, and
/// feedback of the week).
pub fn decide_on(
    settings: &Settings,
    plan: &Plan,
    week: IsoWeek,
    requests: &Merged,
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
/// whole B where those segments have none; the Redis cost allocated by the
/// phase's share of the week's |E|), with their statuses.
fn phase_cells(
    settings: &Settings,
    phase: &Phase,
    week: IsoWeek,
    requests: &Merged,
    feedback: &DataFrame,
) -> Result<BTreeMap<crate::metrics::Kpi, crate::evaluate::KpiCell>> {
    let period = week.period(settings.timezone);
    let b = settings.baseline()?;
    let b_days = (epoch_day(b.from), epoch_day(b.to));
    let ids = (!phase.all_users()).then(|| fold::segment_ids(requests, &phase.segments));
    let scope = ids.as_ref();
    let fb = sources::in_segments(feedback, &phase.segments)?;
    let own = baseline(requests, b_days, scope);
    let base = if own.overall.rows > 0 {
        own
    } else {
        baseline(requests, b_days, None)
    };
    let m = measure(requests, &fb, &period, &base, &settings.costs, scope)?;
    Ok(evaluate_all(&m.overall, &settings.targets))
}

fn outcome(
    plan: &Plan,
    phase: Phase,
    week: IsoWeek,
    rollout_week: i64,
    cells: &BTreeMap<crate::metrics::Kpi, crate::evaluate::KpiCell>,
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
    let data = super::load(settings, sources::in_ranges(&[period.micros()]))?;
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

#[cfg(test)]
mod tests {
    //! A phase's cost savings carry the Redis cost by the phase's share of
    //! the week's |E| (CONTRACT §4), and the verdict depends on it.
    //!
    //! Costs: origin_call_cost 1, Redis 36.5 a month → 36.5 × 12 / 365 × 7 =
    //! 8.4 for the week. Baseline (cache off): segments a and b, one origin
    //! call per request. Week 2026-W47: 5 cache-on HITs in a, 5 in b (0
    //! origin calls each). Phase `p` = segment a: avoided 5 × 1 − 0 = 5 →
    //! gross 5; its share of |E| is 5 / 10, so its Redis cost is 4.2 and its
    //! cost savings 5 − 4.2 = +0.8 (charging it the whole 8.4 would give
    //! −3.4 and a hold).
    use super::*;
    use crate::frames::*;

    fn us(s: &str) -> i64 {
        parse_rfc3339_micros(s).unwrap()
    }

    fn rows() -> DataFrame {
        let mut ts = Vec::new();
        let mut seg = Vec::new();
        let mut on = Vec::new();
        let mut status = Vec::new();
        let mut origin = Vec::new();
        for s in ["a", "b"] {
            for day in ["2026-09-08", "2026-09-09"] {
                ts.push(us(&format!("{day}T10:00:00Z")));
                seg.push(s);
                on.push(false);
                status.push(None);
                origin.push(1i64);
            }
            for i in 0..5 {
                ts.push(us(&format!("2026-11-{}T10:00:00Z", 16 + i)));
                seg.push(s);
                on.push(true);
                status.push(Some(cache_code(CacheStatus::Hit)));
                origin.push(0);
            }
        }
        let n = ts.len();
        df!(
            TS => ts,
            CUSTOMER_ID => vec!["c1"; n],
            USER_ID => (0..n).map(|i| format!("u{}", i % 3)).collect::<Vec<_>>(),
            SEGMENT => seg,
            STATUS => vec![200i64; n],
            LATENCY_MS => vec![10.0f64; n],
            CACHE_STATUS => status,
            CACHE_ENABLED => on,
            UPSTREAM_CALLS => origin,
        )
        .unwrap()
    }

    #[test]
    fn a_phase_carries_its_share_of_the_redis_cost() {
        let settings = crate::config::parse(
            std::path::Path::new("/tmp/cacheroi.toml"),
            "[sources]\nrequests = \"r.csv\"\nfeedback = \"f.csv\"\nredis_snapshots = \"s.ndjson\"\n\
             [baseline]\nfrom = \"2026-09-07\"\nto = \"2026-10-05\"\n[rollout]\nstart = \"2026-11-09\"\n\
             [costs]\norigin_call_cost = 1.0\nredis_monthly_cost = 36.5\n",
        )
        .unwrap();
        let plan = crate::evaluate::plan::parse(
            "rollout_phases:\n  p:\n    week: 1-9\n    segments: [a]\n    success_criteria: [cost_savings_demonstrated]\n",
        )
        .unwrap();
        let feedback = df!(TS => Vec::<i64>::new(), CUSTOMER_ID => Vec::<String>::new(), USER_ID => Vec::<String>::new(), SCORE => Vec::<i64>::new(), SEGMENT => Vec::<String>::new()).unwrap();
        let week = IsoWeek { year: 2026, week: 47 };
        let merged = crate::rollups::merged_from_rows(rows(), chrono_tz::UTC).unwrap();
        let r = decide_on(&settings, &plan, week, &merged, &feedback, &BTreeMap::new(), None).unwrap();
        let c = &r.criteria[0];
        assert_eq!(c.kpi, Some("cost_savings"));
        assert!((c.value.unwrap() - 0.8).abs() < 1e-9, "{:?}", c.value);
        assert_eq!((c.unit, c.threshold), (Some("money"), Some(0.0)));
        assert_eq!(r.verdict, Verdict::Proceed);
    }
}
