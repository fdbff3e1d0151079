//! The first screen of a report: the verdict, three numbers against their
//! targets, and the next step — what a stakeholder reads before scrolling.

use serde::Serialize;

use super::KpiRow;
use crate::evaluate::Status;
use crate::evaluate::gate::{GateResult, Verdict};
use crate::evaluate::plan::Plan;
use crate::ground::units;

/// One of the three numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Number {
    /// "API calls cut".
    pub label: &'static str,
    /// "64.9 %".
    pub value: String,
    /// "target 70.0 % · at risk", "18,099.32 USD a year at this rate".
    pub note: String,
    pub status: Option<Status>,
}

/// The first screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Glance {
    /// The gate's verdict, None without a gate (no plan, before the rollout).
    pub verdict: Option<Verdict>,
    /// "HOLD at phase 4 general availability" or "5 of 9 targets met".
    pub title: String,
    pub numbers: Vec<Number>,
    /// What to do now, in one or two sentences.
    pub next_step: String,
}

fn row<'a>(rows: &'a [KpiRow], key: &str) -> Option<&'a KpiRow> {
    rows.iter().find(|r| r.key == key)
}

fn against_target(r: Option<&KpiRow>) -> (String, Option<Status>) {
    let Some(r) = r else {
        return ("no data".into(), None);
    };
    let target = r
        .target
        .map(|t| format!("target {}", units::kpi(Some(t), r.unit.name(), "")));
    let note = match (target, r.status) {
        (Some(t), Some(s)) => format!("{t} · {}", s.label()),
        (Some(t), None) => t,
        (None, _) => String::new(),
    };
    (note, r.status)
}

/// The three numbers: API calls cut, median latency, and the money of the
/// period with its annual rate (from the KPI rows the report shows).
pub fn numbers(rows: &[KpiRow], currency: &str, period: &str, rate: &str) -> Vec<Number> {
    let api = row(rows, "api_call_reduction");
    let p50 = row(rows, "latency_improvement_p50");
    let (api_note, api_status) = against_target(api);
    let (p50_note, p50_status) = against_target(p50);
    let savings = row(rows, "cost_savings").and_then(|r| r.value);
    let annual = row(rows, "annualized_savings").and_then(|r| r.value);
    vec![
        Number {
            label: "API calls cut",
            value: units::pct(api.and_then(|r| r.value)),
            note: api_note,
            status: api_status,
        },
        Number {
            label: "Median latency cut",
            value: units::pct(p50.and_then(|r| r.value)),
            note: p50_note,
            status: p50_status,
        },
        Number {
            label: "Net savings",
            value: units::money(savings, currency),
            note: match annual {
                Some(_) => format!("{period}; {} a year {rate}", units::money(annual, currency)),
                None => period.to_string(),
            },
            status: None,
        },
    ]
}

/// The next step the gate (or its absence) calls for.
pub fn next_step(gate: Option<&GateResult>, plan: Option<&Plan>) -> String {
    let Some(g) = gate else {
        return "No rollout gate this week (no plan configured, or before the rollout): read the targets below.".into();
    };
    let phase = g.phase.replace('_', " ");
    match g.verdict {
        Verdict::Rollback => format!(
            "Roll back {phase} now and follow the rollback procedure: {}.",
            super::gate::brief(g).reasons.join("; ")
        ),
        Verdict::Hold => {
            let view = super::gate::view(g);
            let reach: Vec<String> = view
                .rows
                .iter()
                .filter(|r| r.state == "not_met")
                .map(|r| match r.measured.strip_prefix("not met: ") {
                    Some(which) => format!("the targets for {which}"),
                    None => format!("{} (is {})", r.criterion, r.measured),
                })
                .collect();
            let confirm: Vec<&str> = view
                .rows
                .iter()
                .filter(|r| r.state == "manual" && r.kind == "success")
                .map(|r| r.criterion.as_str())
                .collect();
            let mut text = format!("Hold at {phase}.");
            if !reach.is_empty() {
                text += &format!(" Still to reach: {}.", reach.join("; "));
            }
            if !confirm.is_empty() {
                text += &format!(" Still to confirm (the product owner's call): {}.", confirm.join("; "));
            }
            text
        }
        Verdict::Proceed => {
            let next = u32::try_from(g.rollout_week + 1).ok().and_then(|w| {
                let p = plan?.phase_of(w)?;
                Some((w, p))
            });
            match next {
                Some((w, p)) if p.name != g.phase => format!(
                    "Proceed: rollout week {w} starts {} ({}).",
                    p.name.replace('_', " "),
                    if p.all_users() {
                        "all users".to_string()
                    } else {
                        p.segments.join(", ")
                    }
                ),
                Some((w, p)) if w <= p.last_week => format!("Proceed: {phase} continues into rollout week {w}."),
                _ => format!("Proceed: {phase} is the plan's last phase — the rollout is complete."),
            }
        }
    }
}

fn verdict_title(g: &GateResult) -> String {
    let word = match g.verdict {
        Verdict::Proceed => "PROCEED",
        Verdict::Hold => "HOLD",
        Verdict::Rollback => "ROLL BACK",
    };
    format!("{word} — {}", g.phase.replace('_', " "))
}

/// The impact report's first screen: the latest week's gate, and the three
/// numbers over the whole window (its annual rate includes the ramp-up).
pub fn impact(
    headline: &[KpiRow],
    other: &[KpiRow],
    latest: Option<&GateResult>,
    plan: Option<&Plan>,
    currency: &str,
    days: i64,
) -> Glance {
    let rows: Vec<KpiRow> = headline.iter().chain(other).cloned().collect();
    let met = headline.iter().filter(|r| r.status == Some(Status::Met)).count();
    let with_target = headline.iter().filter(|r| r.target.is_some()).count();
    Glance {
        verdict: latest.map(|g| g.verdict),
        title: match latest {
            Some(g) => format!("{} (gate of {})", verdict_title(g), g.iso_week),
            None => format!("{met} of {with_target} targets met over the rollout"),
        },
        numbers: numbers(
            &rows,
            currency,
            &format!("over {days} days"),
            "at the window's average rate, ramp-up included",
        ),
        next_step: next_step(latest, plan),
    }
}

/// The weekly report's first screen.
pub fn weekly(
    headline: &[KpiRow],
    other: &[KpiRow],
    gate: Option<&GateResult>,
    plan: Option<&Plan>,
    currency: &str,
) -> Glance {
    let rows: Vec<KpiRow> = headline.iter().chain(other).cloned().collect();
    let met = headline.iter().filter(|r| r.status == Some(Status::Met)).count();
    let with_target = headline.iter().filter(|r| r.target.is_some()).count();
    let title = match gate {
        Some(g) => {
            let word = match g.verdict {
                Verdict::Proceed => "PROCEED",
                Verdict::Hold => "HOLD",
                Verdict::Rollback => "ROLL BACK",
            };
            format!(
                "{word} — phase {}",
                g.phase.replace('_', " ").trim_start_matches("phase ")
            )
        }
        None => format!("{met} of {with_target} targets met"),
    };
    Glance {
        verdict: gate.map(|g| g.verdict),
        title,
        numbers: numbers(&rows, currency, "this week", "at this rate"),
        next_step: next_step(gate, plan),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::plan::parse;
    use crate::ground::kpi::{Direction, Kpi};

    fn kpi_row(k: Kpi, value: f64, target: Option<f64>, status: Option<Status>) -> KpiRow {
        KpiRow {
            key: k.key(),
            label: k.label(),
            unit: k.unit(),
            direction: Direction::HigherIsBetter,
            value: Some(value),
            target,
            status,
            previous: None,
            change: None,
            improved: None,
        }
    }

    fn gate(verdict: Verdict, phase: &str, week: i64) -> GateResult {
        GateResult {
            iso_week: "2026-W42".into(),
            rollout_week: week,
            phase: phase.into(),
            segments: String::new(),
            verdict,
            exit_code: 0,
            criteria: Vec::new(),
            evidence: None,
        }
    }

    #[test]
    fn the_first_screen_has_the_verdict_three_numbers_and_the_next_step() {
        let headline = [
            kpi_row(Kpi::ApiCallReduction, 0.649, Some(0.70), Some(Status::AtRisk)),
            kpi_row(Kpi::LatencyImprovementP50, 0.892, Some(0.50), Some(Status::Met)),
        ];
        // 347.11 a week is 347.11 × 365 / 7 = 18,099.32 a year.
        let other = [
            kpi_row(Kpi::CostSavings, 347.11, None, None),
            kpi_row(Kpi::AnnualizedSavings, 18_099.32, None, None),
        ];
        let plan = parse(
            "rollout_phases:\n  phase_1_internal:\n    week: 1\n    segments: [internal_qa]\n  \
             phase_2_early_adopters:\n    week: 2-3\n    segments: [early_adopters, power_users]\n",
        )
        .unwrap();
        let g = gate(Verdict::Proceed, "phase_1_internal", 1);
        let glance = weekly(&headline, &other, Some(&g), Some(&plan), "USD");
        assert_eq!(glance.title, "PROCEED — phase 1 internal");
        let shown: Vec<(&str, &str, &str)> = glance
            .numbers
            .iter()
            .map(|n| (n.label, n.value.as_str(), n.note.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("API calls cut", "64.9 %", "target 70.0 % · at risk"),
                ("Median latency cut", "89.2 %", "target 50.0 % · met"),
                (
                    "Net savings",
                    "347.11 USD",
                    "this week; 18,099.32 USD a year at this rate"
                ),
            ]
        );
        assert_eq!(
            glance.next_step,
            "Proceed: rollout week 2 starts phase 2 early adopters (early_adopters, power_users)."
        );
        // Inside a two-week phase, then past the plan's end.
        let g = gate(Verdict::Proceed, "phase_2_early_adopters", 2);
        assert_eq!(
            next_step(Some(&g), Some(&plan)),
            "Proceed: phase 2 early adopters continues into rollout week 3."
        );
        let g = gate(Verdict::Proceed, "phase_2_early_adopters", 3);
        assert_eq!(
            next_step(Some(&g), Some(&plan)),
            "Proceed: phase 2 early adopters is the plan's last phase — the rollout is complete."
        );
        assert!(next_step(None, None).starts_with("No rollout gate this week"));
        let g = gate(Verdict::Rollback, "phase_2_early_adopters", 3);
        assert!(next_step(Some(&g), Some(&plan)).starts_with("Roll back phase 2 early adopters now"));
    }
}
