//! The gate of a week: the rollout plan's phase for it, its success
//! criteria and every rollback trigger so far, evaluated on that week's KPIs
//! restricted to the phase's segments (docs/gate.md).

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};
use polars::prelude::*;

use super::gate::{GateResult, Outcome, evaluate, verdict};
use super::plan::{Phase, Plan};
use super::{KpiCell, evaluate_all};
use crate::ground::kpi::Kpi;
use crate::ground::money::Costs;
use crate::metrics::fold::{self, Days};
use crate::metrics::requests::{Measured, baseline, days_of, measure};
use crate::period::{IsoWeek, Period};
use crate::rollups::Merged;
use crate::sources;

/// What judging a week needs of the configuration (made by `config`).
#[derive(Debug, Clone)]
pub struct Rules<'a> {
    /// The configuration and plan files as named in messages.
    pub config: String,
    pub plan: String,
    pub rollout_start: Option<chrono::NaiveDate>,
    pub baseline_days: Days,
    pub timezone: chrono_tz::Tz,
    pub costs: &'a Costs,
    pub targets: &'a crate::ground::kpi::Targets,
    /// `[rollout] planned_share` (None: every user of a due segment).
    pub planned_share: Option<f64>,
    /// `[rollout] decide_on`: the plan's reading or the evidence's.
    pub reading: Reading,
}

/// How the gate reads the plan's criteria (`[rollout] decide_on`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Reading {
    /// The week's point estimate against each threshold.
    #[default]
    Plan,
    /// Anytime-valid intervals over the phase so far.
    Evidence(crate::stats::sequential::Sequential),
}

impl Rules<'_> {
    /// What judging the flags against `plan` needs (None without a start).
    pub fn flags<'p>(&self, plan: &'p Plan) -> Option<super::conformance::FlagRules<'p>> {
        Some(super::conformance::FlagRules {
            plan,
            rollout_start: self.rollout_start?,
            planned_share: self.planned_share.unwrap_or(1.0),
        })
    }
}

/// The plan's phase for `week` and its rollout week number (1-based).
pub fn phase_for(rules: &Rules, plan: &Plan, week: IsoWeek) -> Result<(i64, Phase)> {
    let start = rules
        .rollout_start
        .ok_or_else(|| anyhow!("gate needs `[rollout] start` in {}", rules.config))?;
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
            rules.plan
        )
    })?;
    Ok((rollout_week, phase.clone()))
}

/// What a report has already computed for the week, so the gate does not
/// compute it again.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    /// The week's KPIs over everyone.
    pub whole: Option<&'a Measured>,
    /// The week's flags against the plan.
    pub flags: Option<&'a super::conformance::WeekConformance>,
}

/// Evaluate the gate of `week` on inputs already loaded (the rollups, and
/// feedback of the week — of the phase so far under the evidence reading).
pub fn decide_on(
    rules: &Rules,
    plan: &Plan,
    week: IsoWeek,
    requests: &Merged,
    feedback: &DataFrame,
    attested: &BTreeMap<String, bool>,
    known: Known,
) -> Result<GateResult> {
    let (rollout_week, phase) = phase_for(rules, plan, week)?;
    let judged = Judged { week, rollout_week };
    if let Reading::Evidence(seq) = rules.reading {
        let so_far = phase_so_far(rules, &phase, week);
        let mut scoped = phase_cells(rules, &phase, &so_far, requests, feedback)?;
        with_flags(&mut scoped.cells, rules, plan, week, requests, known);
        let sample = crate::metrics::evidence::phase(
            requests,
            &scoped.feedback,
            days_of(&so_far),
            rules.baseline_days,
            scoped.scope.as_ref(),
            scoped.baseline_scope.as_ref(),
            so_far.micros(),
        )?;
        let on = super::evidence::Phase { sample: &sample, seq };
        let mut r = outcome(plan, phase, &judged, |c, kind, name| {
            super::evidence::outcome(c, kind, name, &scoped.cells, attested, &on)
        });
        r.evidence = Some(super::gate::Basis {
            from: so_far.start_date.to_string(),
            to: so_far.end_date.to_string(),
            requests: sample.requests,
            requests_per_day: sample.per_day(),
            alpha: seq.alpha,
            tuning: seq.tuning,
        });
        return Ok(r);
    }
    let mut cells = match known.whole.filter(|_| phase.all_users()) {
        // An all-users phase is measured on the week's KPIs over everyone.
        Some(m) => evaluate_all(&m.overall, rules.targets),
        None => phase_cells(rules, &phase, &week.period(rules.timezone), requests, feedback)?.cells,
    };
    with_flags(&mut cells, rules, plan, week, requests, known);
    Ok(outcome(plan, phase, &judged, |c, kind, name| {
        evaluate(c, kind, name, &cells, attested)
    }))
}

/// The phase's days so far: from its first day to the end of `week`.
pub fn phase_so_far(rules: &Rules, phase: &Phase, week: IsoWeek) -> Period {
    let week_period = week.period(rules.timezone);
    let start = rules
        .rollout_start
        .map(|s| s + chrono::Duration::days(7 * (i64::from(phase.first_week) - 1)))
        .filter(|s| *s < week_period.end_date)
        .unwrap_or(week_period.start_date);
    Period::new(start, week_period.end_date, rules.timezone)
}

/// The flags of `week` against the plan, judged over every segment
/// whatever the phase, in place of the cells' conformance KPIs.
fn with_flags(
    cells: &mut BTreeMap<Kpi, KpiCell>,
    rules: &Rules,
    plan: &Plan,
    week: IsoWeek,
    requests: &Merged,
    known: Known,
) {
    let computed = match known.flags {
        Some(_) => None,
        None => rules
            .flags(plan)
            .and_then(|r| super::conformance::week(&r, requests, week)),
    };
    if let Some(c) = known.flags.or(computed.as_ref()) {
        let flags = evaluate_all(&c.kpis().into_iter().collect(), rules.targets);
        for (k, _) in c.kpis() {
            if let Some(cell) = flags.get(&k) {
                cells.insert(k, cell.clone());
            }
        }
    }
}

/// The gate of `week` when there is a plan and the week is in the rollout
/// (no manual check attested); None otherwise.
pub fn in_rollout(
    rules: &Rules,
    plan: Option<&Plan>,
    week: IsoWeek,
    requests: &Merged,
    feedback: &DataFrame,
    known: Known,
) -> Result<Option<GateResult>> {
    match (plan, rules.rollout_start) {
        (Some(plan), Some(start)) if week.monday() >= start => {
            decide_on(rules, plan, week, requests, feedback, &BTreeMap::new(), known).map(Some)
        }
        _ => Ok(None),
    }
}

/// A period's KPIs within a phase's segments, and the scopes they used.
struct Scoped {
    cells: BTreeMap<Kpi, KpiCell>,
    /// The phase's segments (None: everyone).
    scope: Option<std::collections::BTreeSet<u16>>,
    /// The segments of the baseline used: the phase's, or everyone's where
    /// those have no baseline rows.
    baseline_scope: Option<std::collections::BTreeSet<u16>>,
    /// The feedback of the phase's segments.
    feedback: DataFrame,
}

/// The KPIs of `period` restricted to the phase's segments (B likewise, the
/// whole B where those segments have none; the Redis cost allocated by the
/// phase's share of the period's |E|), with their statuses.
fn phase_cells(
    rules: &Rules,
    phase: &Phase,
    period: &Period,
    requests: &Merged,
    feedback: &DataFrame,
) -> Result<Scoped> {
    let b_days = rules.baseline_days;
    let scope = (!phase.all_users()).then(|| fold::segment_ids(requests, &phase.segments));
    let fb = sources::in_segments(feedback, &phase.segments)?;
    let own = baseline(requests, b_days, scope.as_ref());
    let (base, baseline_scope) = if own.overall.rows > 0 {
        (own, scope.clone())
    } else {
        (baseline(requests, b_days, None), None)
    };
    let m = measure(requests, &fb, period, &base, rules.costs, scope.as_ref())?;
    Ok(Scoped {
        cells: evaluate_all(&m.overall, rules.targets),
        scope,
        baseline_scope,
        feedback: fb,
    })
}

/// The week judged and its rollout week.
struct Judged {
    week: IsoWeek,
    rollout_week: i64,
}

/// The phase's success criteria and every trigger so far, each judged by
/// `judge(criterion, kind, phase)`, and the verdict.
fn outcome(plan: &Plan, phase: Phase, j: &Judged, judge: impl Fn(&str, &'static str, &str) -> Outcome) -> GateResult {
    let mut outcomes: Vec<Outcome> = phase
        .success_criteria
        .iter()
        .map(|c| judge(c, "success", &phase.name))
        .collect();
    // Guardrails accumulate: the triggers of this phase and every earlier one.
    for earlier in plan.phases.iter().filter(|p| p.first_week <= phase.first_week) {
        outcomes.extend(
            earlier
                .rollback_trigger
                .iter()
                .map(|c| judge(c, "rollback", &earlier.name)),
        );
    }
    let v = verdict(&outcomes);
    GateResult {
        iso_week: j.week.label(),
        rollout_week: j.rollout_week,
        segments: if phase.all_users() {
            "all users".into()
        } else {
            phase.segments.join(", ")
        },
        phase: phase.name,
        verdict: v,
        exit_code: v.exit_code(),
        criteria: outcomes,
        evidence: None,
    }
}

/// What the weekly report already computed for some of the series' weeks:
/// their KPIs with the flags' figures, and their flags against the plan.
#[derive(Debug, Clone, Default)]
pub struct SeriesKnown {
    pub kpis: BTreeMap<IsoWeek, crate::metrics::requests::KpiValues>,
    pub flags: BTreeMap<IsoWeek, Option<super::conformance::WeekConformance>>,
}

/// The dashboard's series: every ISO week with request rows from `first`
/// (a year back at most) to `week`, each measured and judged as its own
/// weekly report is (the same measure, flags and evaluation), so a week's
/// point equals that week's metrics.json. Weeks in `known` are taken from
/// it (each week's figures stand alone: the same either way).
pub fn series(
    rules: &Rules,
    m: &Merged,
    feedback: &DataFrame,
    base: &crate::metrics::requests::Baseline,
    (first, week): (IsoWeek, IsoWeek),
    flag_rules: Option<&super::conformance::FlagRules>,
    known: &SeriesKnown,
) -> Result<Vec<(IsoWeek, crate::metrics::requests::KpiValues)>> {
    let tz = rules.timezone;
    let first = match fold::day_extent(m).and_then(|(a, _)| crate::rollups::build::date_of(a)) {
        Some(d) => IsoWeek::of(d).max(first),
        None => return Ok(Vec::new()),
    };
    let weeks: Vec<IsoWeek> = IsoWeek::range(first.min(week), week)
        .into_iter()
        .filter(|w| {
            let days = days_of(&w.period(tz));
            !crate::rollups::merged::within(&m.requests, |r| r.day, days).is_empty()
        })
        .collect();
    let unflagged: Vec<IsoWeek> = weeks.iter().filter(|w| !known.flags.contains_key(w)).copied().collect();
    let mut flags = known.flags.clone();
    flags.extend(unflagged.iter().copied().zip(flag_rules.map_or_else(
        || vec![None; unflagged.len()],
        |r| super::conformance::weeks(r, m, &unflagged),
    )));
    let unmeasured: Vec<IsoWeek> = weeks.iter().filter(|w| !known.kpis.contains_key(w)).copied().collect();
    let periods: Vec<Period> = unmeasured.iter().map(|w| w.period(tz)).collect();
    let measured = crate::metrics::requests::measure_periods(m, feedback, &periods, base, rules.costs, None)?;
    let mut kpis = known.kpis.clone();
    for (w, mw) in unmeasured.iter().zip(measured) {
        let f = flags.get(w).cloned().flatten();
        kpis.insert(*w, super::conformance::with_flags(&mw.overall, f.as_ref()));
    }
    Ok(weeks
        .into_iter()
        .filter_map(|w| {
            let cells = evaluate_all(kpis.get(&w)?, rules.targets);
            Some((w, cells.into_iter().map(|(k, c)| (k, c.value)).collect()))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    //! A phase's cost savings carry the Redis cost by the phase's share of
    //! the week's |E| (docs/kpis.md#segments-and-customers), and the verdict depends on it.
    //!
    //! Costs: origin_call_cost 1, Redis 36.5 a month → 36.5 × 12 / 365 × 7 =
    //! 8.4 for the week. Baseline (cache off): segments a and b, one origin
    //! call per request. Week 2026-W47: 5 cache-on HITs in a, 5 in b (0
    //! origin calls each). Phase `p` = segment a: avoided 5 × 1 − 0 = 5 →
    //! gross 5; its share of |E| is 5 / 10, so its Redis cost is 4.2 and its
    //! cost savings 5 − 4.2 = +0.8 (charging it the whole 8.4 would give
    //! −3.4 and a hold).
    use super::*;
    use crate::evaluate::gate::Verdict;
    use crate::frames::*;
    use crate::rollups::build::epoch_day;

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
        let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let costs = Costs {
            currency: "USD".into(),
            origin_call_cost: 1.0,
            redis_monthly_cost: 36.5,
            implementation_cost: 0.0,
            hourly_value_of_user_time: 0.0,
        };
        let targets = crate::ground::kpi::Targets::default();
        let rules = Rules {
            config: "cacheroi.toml".into(),
            plan: "plan.yml".into(),
            rollout_start: Some(date("2026-11-09")),
            baseline_days: (epoch_day(date("2026-09-07")), epoch_day(date("2026-10-05"))),
            timezone: chrono_tz::UTC,
            costs: &costs,
            targets: &targets,
            planned_share: None,
            reading: Reading::Plan,
        };
        let plan = super::super::plan::parse(
            "rollout_phases:\n  p:\n    week: 1-9\n    segments: [a]\n    success_criteria: [cost_savings_demonstrated]\n",
        )
        .unwrap();
        let feedback = df!(TS => Vec::<i64>::new(), CUSTOMER_ID => Vec::<String>::new(), USER_ID => Vec::<String>::new(), SCORE => Vec::<f64>::new(), SEGMENT => Vec::<String>::new()).unwrap();
        let week = IsoWeek { year: 2026, week: 47 };
        let merged = crate::rollups::merged_from_rows(rows(), chrono_tz::UTC).unwrap();
        let r = decide_on(
            &rules,
            &plan,
            week,
            &merged,
            &feedback,
            &BTreeMap::new(),
            Known::default(),
        )
        .unwrap();
        let c = &r.criteria[0];
        assert_eq!(c.kpi, Some("cost_savings"));
        assert!((c.value.unwrap() - 0.8).abs() < 1e-9, "{:?}", c.value);
        assert_eq!((c.unit, c.threshold), (Some("money"), Some(0.0)));
        assert_eq!(r.verdict, Verdict::Proceed);
    }
}
