//! The rollout gate as a stakeholder reads it: each criterion in plain words
//! (KPI names, not keys), each rollback trigger once with the phases that
//! carry it, and no command-line syntax (that is for `cacheroi gate`).

use serde::Serialize;

use crate::evaluate::gate::{Check, GateResult, Op, Outcome, Verdict, parse};
use crate::ground::kpi::Kpi;
use crate::ground::units;

/// The gate box of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateView {
    pub verdict: Verdict,
    pub iso_week: String,
    pub rollout_week: i64,
    pub phase: String,
    pub segments: String,
    pub rows: Vec<GateRow>,
    /// Whether a manual check still waits for the product owner.
    pub pending_manual: bool,
    /// Under the evidence reading: what the intervals are drawn from, in
    /// words (None under the plan reading).
    pub evidence: Option<String>,
}

/// One criterion or trigger, said once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateRow {
    /// `met`, `not_met`, `clear`, `fired`, `unclear` (the evidence does not
    /// settle it yet) or `manual`.
    pub state: &'static str,
    /// `success` or `rollback`.
    pub kind: &'static str,
    pub criterion: String,
    /// The phases whose plan lists it ("phase 1 internal, this phase"),
    /// empty when only the week's own phase does.
    pub from_phases: String,
    pub measured: String,
}

fn op_words(op: Op) -> &'static str {
    match op {
        Op::Gt => "above",
        Op::Ge => "at least",
        Op::Lt => "below",
        Op::Le => "at most",
        Op::Eq => "equal to",
    }
}

fn shown(kpi: Kpi, v: Option<f64>) -> String {
    shown_in(kpi, v, "")
}

/// A KPI's value as the gate and the risk watch show it (small ratios with
/// two decimals), money in `currency`.
pub(crate) fn shown_in(kpi: Kpi, v: Option<f64>, currency: &str) -> String {
    let unit = kpi.unit().name();
    units::kpi(v, if unit == "ratio" { "ratio2" } else { unit }, currency)
        .trim_end()
        .to_string()
}

/// A criterion of the plan in plain words: "Error rate above 1.00 %",
/// "Every KPI target met", "Cost savings demonstrated".
pub fn plain_criterion(criterion: &str) -> String {
    match parse(criterion) {
        Ok(Check::Compare { kpi, op, value } | Check::Threshold { kpi, op, value }) => {
            format!("{} {} {}", kpi.label(), op_words(op), shown(kpi, Some(value)))
        }
        Ok(Check::AllMet(list)) if list.is_empty() => "Every KPI target met".into(),
        Ok(Check::AllMet(list)) => format!(
            "Targets met: {}",
            list.iter().map(|k| k.label()).collect::<Vec<_>>().join(", ")
        ),
        Ok(Check::Manual) | Err(_) => plain_name(criterion),
    }
}

/// The threshold of a comparison in words: "above 2.00 %", "at least 90.0 ms".
pub fn plain_threshold(criterion: &str) -> String {
    match parse(criterion) {
        Ok(Check::Compare { kpi, op, value } | Check::Threshold { kpi, op, value }) => {
            format!("{} {}", op_words(op), shown(kpi, Some(value)))
        }
        _ => criterion.to_string(),
    }
}

fn plain_measured(o: &Outcome) -> String {
    if o.manual {
        return match o.holds {
            None => "to be confirmed by the product owner".into(),
            Some(true) => "confirmed".into(),
            Some(false) => "confirmed as not met".into(),
        };
    }
    if let Some(kpi) = o.kpi.and_then(Kpi::from_key) {
        return shown(kpi, o.value);
    }
    // Every-target checks: "not met: key, key" → their names.
    match o.measured.strip_prefix("not met: ") {
        Some(keys) => format!(
            "not met: {}",
            keys.split(", ")
                .map(|k| Kpi::from_key(k).map_or(k, |k| k.label()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => o.measured.clone(),
    }
}

/// The gate of a week as its report shows it.
pub fn view(g: &GateResult) -> GateView {
    let mut rows: Vec<GateRow> = Vec::new();
    let mut phases: Vec<Vec<String>> = Vec::new();
    for o in &g.criteria {
        let unclear = o
            .evidence
            .as_ref()
            .is_some_and(|e| e.evidence == crate::evaluate::gate::Evidence::Unclear);
        let state = match (o.holds, o.kind) {
            _ if unclear => "unclear",
            (None, _) => "manual",
            (Some(true), "rollback") => "fired",
            (Some(false), "rollback") => "clear",
            (Some(true), _) => "met",
            (Some(false), _) => "not_met",
        };
        let criterion = plain_criterion(&o.criterion);
        // A trigger carried by several phases is evaluated once per phase on
        // the same figures: say it once, naming the phases.
        let name = |p: &str| {
            if p == g.phase {
                "this phase".to_string()
            } else {
                p.replace('_', " ")
            }
        };
        if let Some(i) = rows.iter().position(|r| r.kind == o.kind && r.criterion == criterion) {
            if !phases[i].contains(&name(&o.phase)) {
                phases[i].push(name(&o.phase));
            }
            continue;
        }
        phases.push(vec![name(&o.phase)]);
        rows.push(GateRow {
            state,
            kind: o.kind,
            criterion,
            from_phases: String::new(),
            measured: o
                .evidence
                .as_ref()
                .map_or_else(|| plain_measured(o), |e| e.reading.clone()),
        });
    }
    for (row, p) in rows.iter_mut().zip(phases) {
        if p != ["this phase"] {
            row.from_phases = p.join(", ");
        }
    }
    GateView {
        verdict: g.verdict,
        iso_week: g.iso_week.clone(),
        rollout_week: g.rollout_week,
        phase: g.phase.replace('_', " "),
        segments: g.segments.clone(),
        pending_manual: rows.iter().any(|r| r.state == "manual"),
        rows,
        evidence: g.evidence.as_ref().map(|b| {
            format!(
                "Judged on the evidence: intervals over the phase's data so far ({} to {}, {} requests with the cache) that stay right however often the gate is run ({} chance of ever being wrong).",
                b.from,
                // The basis's end is exclusive; people read the last day.
                chrono::NaiveDate::parse_from_str(&b.to, "%Y-%m-%d")
                    .map_or_else(|_| b.to.clone(), |d| (d - chrono::Duration::days(1)).to_string()),
                units::count(Some(b.requests as f64)),
                units::pct(Some(b.alpha)),
            )
        }),
    }
}

/// A week's gate in a table cell: the verdict and, in plain words and each
/// once, what decided it — the triggers that fired on a rollback, the
/// criteria not met (or still to be confirmed) on a hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateBrief {
    pub verdict: Verdict,
    pub reasons: Vec<String>,
}

pub fn brief(g: &GateResult) -> GateBrief {
    let view = view(g);
    let reasons = view
        .rows
        .iter()
        .filter(|r| match g.verdict {
            Verdict::Rollback => r.state == "fired",
            Verdict::Hold => {
                r.state == "not_met" || r.state == "unclear" || (r.state == "manual" && r.kind == "success")
            }
            Verdict::Proceed => false,
        })
        .map(|r| {
            if r.state == "manual" {
                format!("{} (to be confirmed)", r.criterion)
            } else if r.state == "unclear" {
                format!("{} (unclear: {})", r.criterion, r.measured)
            } else if let Some(which) = r.measured.strip_prefix("not met: ") {
                // An every-target check: name the targets that failed.
                format!("Not met: {which}")
            } else if r.measured.is_empty() {
                r.criterion.clone()
            } else {
                format!("{} (is {})", r.criterion, r.measured)
            }
        })
        .collect();
    GateBrief {
        verdict: g.verdict,
        reasons,
    }
}

/// A phase of the plan in plain words: "Phase 1 internal", "basic caching",
/// criteria and triggers as [`plain_criterion`] says them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseWords {
    pub title: String,
    pub features: Vec<String>,
    pub success: Vec<String>,
    pub triggers: Vec<String>,
}

/// "phase_1_internal" → "Phase 1 internal".
pub fn plain_name(key: &str) -> String {
    let words = key.trim().replace('_', " ");
    let mut c = words.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

pub fn phase_words(name: &str, features: &[String], success: &[String], triggers: &[String]) -> PhaseWords {
    PhaseWords {
        title: plain_name(name),
        features: features.iter().map(|f| f.trim().replace('_', " ")).collect(),
        success: success.iter().map(|c| plain_criterion(c)).collect(),
        triggers: triggers.iter().map(|c| plain_criterion(c)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::KpiCell;
    use crate::evaluate::gate::evaluate;
    use std::collections::BTreeMap;

    #[test]
    fn criteria_read_in_plain_words_and_triggers_once() {
        let mut cells = BTreeMap::new();
        // error_rate 0.07 % against a 1 % trigger: clear; api_call_reduction
        // 0.6 against 0.7: not met; p99 80 ms against 100 ms: met.
        let cell = |v: f64, t: Option<f64>, s| KpiCell {
            value: Some(v),
            target: t,
            status: s,
            reason: None,
        };
        use crate::evaluate::Status;
        cells.insert(Kpi::ErrorRate, cell(0.0007, Some(0.001), Some(Status::Met)));
        cells.insert(Kpi::ApiCallReduction, cell(0.6, Some(0.7), Some(Status::Missed)));
        cells.insert(Kpi::P99LatencyMs, cell(80.0, Some(100.0), Some(Status::Met)));
        let none = BTreeMap::new();
        let g = GateResult {
            iso_week: "2026-W46".into(),
            rollout_week: 6,
            phase: "phase_4_general_availability".into(),
            segments: "all users".into(),
            verdict: Verdict::Hold,
            exit_code: 3,
            criteria: vec![
                evaluate("all_kpis_met", "success", "phase_4_general_availability", &cells, &none),
                evaluate(
                    "cost_savings_demonstrated_to_finance",
                    "success",
                    "phase_4_general_availability",
                    &cells,
                    &none,
                ),
                evaluate("error_rate > 1%", "rollback", "phase_1_internal", &cells, &none),
                evaluate("error_rate > 1%", "rollback", "phase_2_early_adopters", &cells, &none),
                evaluate(
                    "error_rate > 1%",
                    "rollback",
                    "phase_4_general_availability",
                    &cells,
                    &none,
                ),
            ],
            evidence: None,
        };
        let v = view(&g);
        let texts: Vec<(&str, &str, &str)> = v
            .rows
            .iter()
            .map(|r| (r.state, r.criterion.as_str(), r.measured.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                ("not_met", "Every KPI target met", "not met: API call reduction"),
                (
                    "manual",
                    "Cost savings demonstrated to finance",
                    "to be confirmed by the product owner"
                ),
                ("clear", "Error rate (5xx) above 1.00 %", "0.07 %"),
            ]
        );
        assert_eq!(
            v.rows[2].from_phases,
            "phase 1 internal, phase 2 early adopters, this phase"
        );
        assert_eq!(v.rows[0].from_phases, "");
        assert!(v.pending_manual);
        assert_eq!(v.phase, "phase 4 general availability");
        let all = serde_json::to_string(&v).unwrap();
        assert!(!all.contains("--attest") && !all.contains("all_kpis_met") && !all.contains("api_call_reduction"));
        // In a table cell: a hold names what is not met or still to confirm.
        assert_eq!(
            brief(&g).reasons,
            [
                "Not met: API call reduction",
                "Cost savings demonstrated to finance (to be confirmed)"
            ]
        );
    }

    #[test]
    fn a_phase_reads_in_plain_words() {
        let w = phase_words(
            "phase_2_early_adopters",
            &["basic_caching".into()],
            &["50%_api_reduction".into(), "positive_feedback".into()],
            &["cache_hit_rate < 60%".into(), "customer_complaints > 3".into()],
        );
        assert_eq!(w.title, "Phase 2 early adopters");
        assert_eq!(w.features, ["basic caching"]);
        assert_eq!(
            w.triggers,
            ["Cache hit rate below 60.00 %", "Complaints (score ≤ 2) above 3"]
        );
        // Named criteria of the plan say what they measure.
        assert_eq!(
            w.success,
            [
                "API call reduction at least 50.00 %",
                "Customer satisfaction at least 4.00 / 5"
            ]
        );
    }
}
