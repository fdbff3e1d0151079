//! The escalation of a week: when the gate says roll back or a risk of the
//! register triggered, the week's mail also goes up the escalation path,
//! its subject prefixed and what fired said first.

use serde::Serialize;

use super::flags::RiskRow;
use super::weekly::WeeklyReport;
use crate::evaluate::gate::{GateResult, Verdict};
use crate::evaluate::risks::{RiskState, RiskStatus};

/// What a week escalates, in the words of its mail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Escalation {
    pub iso_week: String,
    /// `ROLLBACK` when the gate says roll back, else `RISK TRIGGERED`.
    pub prefix: &'static str,
    /// One sentence: what to do now.
    pub headline: String,
    /// The gate's fired rollback triggers, in plain words.
    pub fired: Vec<String>,
    /// The risks that triggered: one line each, then its contingency.
    pub risks: Vec<EscalatedRisk>,
    /// The escalation levels the triggered risks name (register spelling,
    /// each once, in the register's order of appearance).
    pub levels: Vec<String>,
    /// The register's escalation path, "feature team → … → executive team".
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EscalatedRisk {
    pub risk: String,
    /// The signals, as the risk watch says them.
    pub signals: Vec<String>,
    pub owner: String,
    pub contingency: String,
    /// "engineering manager (3 of 5)".
    pub escalation: String,
}

impl Escalation {
    /// The subject of the escalated mail: the prefix before the week's own.
    pub fn subject(&self, subject: &str) -> String {
        format!("{}: {subject}", self.prefix)
    }
}

/// The week's escalation, if the gate says roll back or a risk triggered.
pub fn of_week(report: &WeeklyReport) -> Option<Escalation> {
    of(
        &report.metrics.period.iso_week,
        report.metrics.gate.as_ref(),
        &report.metrics.risks,
        &report.risk_rows,
        &report.escalation_path,
    )
}

/// The escalation of week `week` from its gate, its judged risks and their
/// rows as the risk watch shows them.
pub fn of(
    week: &str,
    gate: Option<&GateResult>,
    statuses: &[RiskStatus],
    rows: &[RiskRow],
    path: &str,
) -> Option<Escalation> {
    let rollback = gate.filter(|g| g.verdict == Verdict::Rollback);
    let fired = rollback.map(|g| super::gate::brief(g).reasons).unwrap_or_default();
    let risks: Vec<EscalatedRisk> = rows
        .iter()
        .filter(|r| r.state == RiskState::Triggered)
        .map(|r| EscalatedRisk {
            risk: r.risk.clone(),
            signals: r.signals.clone(),
            owner: r.owner.clone(),
            contingency: r.contingency.clone(),
            escalation: r.escalation.clone(),
        })
        .collect();
    if rollback.is_none() && risks.is_empty() {
        return None;
    }
    let mut levels: Vec<String> = Vec::new();
    for s in statuses.iter().filter(|s| s.state == RiskState::Triggered) {
        let level = s.risk.escalation.trim();
        if !level.is_empty() && !levels.iter().any(|l| l.eq_ignore_ascii_case(level)) {
            levels.push(level.to_string());
        }
    }
    let week = week.to_string();
    let headline = match rollback {
        Some(g) => format!(
            "{week}: the rollout gate says roll back {} now.",
            g.phase.replace('_', " ")
        ),
        None => format!(
            "{week}: {} of the risk register triggered; its contingency is due.",
            match risks.len() {
                1 => "a risk".to_string(),
                n => format!("{n} risks"),
            }
        ),
    };
    Some(Escalation {
        iso_week: week,
        prefix: if rollback.is_some() {
            "ROLLBACK"
        } else {
            "RISK TRIGGERED"
        },
        headline,
        fired,
        risks,
        levels,
        path: path.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::evaluate::KpiCell;
    use crate::evaluate::gate::Outcome;
    use crate::evaluate::risks::{assess, parse};
    use crate::ground::kpi::Kpi;

    const REGISTER: &str = "escalation: [feature team, product owner, engineering manager]\n\
risks:\n  stale:\n    risk: Stale data\n    owner: Feature lead\n    contingency: Flush the keys\n    \
escalation: engineering manager\n    signals:\n      - watch: stale_share > 2%\n        trigger: stale_share > 5%\n";

    fn gate(verdict: Verdict) -> GateResult {
        GateResult {
            iso_week: "2026-W41".into(),
            rollout_week: 1,
            phase: "phase_1_internal".into(),
            segments: String::new(),
            verdict,
            exit_code: verdict.exit_code(),
            criteria: vec![Outcome {
                criterion: "flag_leaks > 0".into(),
                kind: "rollback",
                phase: "phase_1_internal".into(),
                holds: Some(verdict == Verdict::Rollback),
                manual: false,
                measured: "2".into(),
                kpi: Some("flag_leaks"),
                value: Some(2.0),
                unit: Some("count"),
                threshold: Some(0.0),
                evidence: None,
            }],
            evidence: None,
        }
    }

    fn judged(stale: f64) -> (Vec<RiskStatus>, Vec<RiskRow>) {
        let reg = parse(REGISTER).unwrap();
        let cells = BTreeMap::from([(
            Kpi::StaleShare,
            KpiCell {
                value: Some(stale),
                target: None,
                status: None,
                reason: None,
            },
        )]);
        let s = assess(&reg, &[("2026-W41".into(), cells)]);
        let rows = crate::report::flags::risk_rows(&s, 3, "USD");
        (s, rows)
    }

    #[test]
    fn a_quiet_week_escalates_nothing() {
        // Hold, and stale answers at 3 % (on watch, not triggered).
        let (s, rows) = judged(0.03);
        assert_eq!(of("2026-W41", Some(&gate(Verdict::Hold)), &s, &rows, "a → b"), None);
        assert_eq!(of("2026-W41", None, &[], &[], ""), None);
    }

    #[test]
    fn a_rollback_says_its_fired_triggers_first() {
        let (s, rows) = judged(0.03);
        let e = of("2026-W41", Some(&gate(Verdict::Rollback)), &s, &rows, "a → b").unwrap();
        assert_eq!(e.prefix, "ROLLBACK");
        assert_eq!(
            e.headline,
            "2026-W41: the rollout gate says roll back phase 1 internal now."
        );
        assert_eq!(e.fired.len(), 1);
        assert!(e.fired[0].contains("is 2"), "{:?}", e.fired);
        assert!(e.risks.is_empty() && e.levels.is_empty());
        assert_eq!(e.subject("Cache rollout W41: …"), "ROLLBACK: Cache rollout W41: …");
    }

    #[test]
    fn a_triggered_risk_escalates_to_its_level() {
        // 6 % stale answers is above the 5 % trigger.
        let (s, rows) = judged(0.06);
        let e = of(
            "2026-W41",
            Some(&gate(Verdict::Hold)),
            &s,
            &rows,
            "feature team → product owner",
        )
        .unwrap();
        assert_eq!(e.prefix, "RISK TRIGGERED");
        assert_eq!(
            e.headline,
            "2026-W41: a risk of the risk register triggered; its contingency is due."
        );
        assert_eq!(e.levels, ["engineering manager"]);
        assert_eq!(e.risks[0].risk, "Stale data");
        assert_eq!(e.risks[0].contingency, "Flush the keys");
        assert_eq!(e.risks[0].escalation, "engineering manager (3 of 3)");
        assert!(e.fired.is_empty());
    }
}
