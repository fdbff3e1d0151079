//! The risk register as data: each risk of the product brief with its
//! owner, mitigation, contingency and escalation level, and signals in the
//! gate's expression language (`stale_share > 2%`) with a `watch` and a
//! `trigger` threshold, judged week by week on the same KPIs as the gate.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};
use serde::Serialize;

use super::KpiCell;
use super::gate::{Check, Op, parse as parse_check};
use super::plan::{Entry, Ordered, Text, TextList, reset_budget};
use crate::ground::kpi::Kpi;

/// One measurable signal: the same KPI watched at one threshold and
/// triggering at another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub watch: String,
    pub trigger: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Risk {
    pub id: String,
    pub risk: String,
    pub impact: String,
    pub mitigation: String,
    pub owner: String,
    pub contingency: String,
    /// Who to escalate to when it triggers (a level of the escalation path).
    pub escalation: String,
    pub signals: Vec<Signal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Register {
    /// From the team that owns the feature to the executive team.
    pub escalation: Vec<String>,
    pub risks: Vec<Risk>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SignalModel {
    watch: Option<Text>,
    trigger: Option<Text>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RiskModel {
    risk: Option<Text>,
    impact: Option<Text>,
    mitigation: Option<Text>,
    owner: Option<Text>,
    contingency: Option<Text>,
    escalation: Option<Text>,
    signals: Option<Vec<SignalModel>>,
}

impl Entry for RiskModel {
    const EXPECTING: &'static str = "a map of risk names to risks";
    const PLURAL: &'static str = "risks";
    const LABEL: Option<&'static str> = Some("risk");
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterModel {
    escalation: Option<TextList>,
    /// The risks in the order written; an error names the risk.
    risks: Option<Ordered<RiskModel>>,
}

/// A signal's expression: it must compare a KPI with a number.
fn compare(risk: &str, field: &str, text: &str) -> Result<(Kpi, Op, f64)> {
    match parse_check(text) {
        Ok(Check::Compare { kpi, op, value } | Check::Threshold { kpi, op, value }) => Ok((kpi, op, value)),
        Ok(_) => Err(anyhow!(
            "risk `{risk}`: {field} `{}` must compare a KPI with a number, like stale_share > 2%",
            crate::error::clip(text, 80)
        )),
        Err(e) => Err(anyhow!("risk `{risk}`: {field} {e}")),
    }
}

/// Parse a register; errors name the risk, the field and the text.
pub fn parse(text: &str) -> Result<Register> {
    reset_budget();
    let one_line = |e: &dyn std::fmt::Display| crate::error::clip(&e.to_string().replace('\n', " "), 300);
    let doc: RegisterModel = match serde_yaml_ng::from_str::<Option<RegisterModel>>(text) {
        Ok(Some(doc)) => doc,
        Ok(None) => return Err(anyhow!("`risks` must map risk names to risks")),
        Err(e) => return Err(anyhow!("{}", one_line(&e))),
    };
    let escalation = doc.escalation.map(|l| l.0).unwrap_or_default();
    let mut risks = Vec::new();
    for (id, r) in doc
        .risks
        .ok_or_else(|| anyhow!("`risks` must map risk names to risks"))?
        .0
    {
        let text = |t: Option<Text>| t.map(|t| t.0.trim().to_string()).unwrap_or_default();
        let owner = text(r.owner);
        if owner.is_empty() {
            return Err(anyhow!(
                "risk `{id}`: `owner` is missing: every risk needs someone to act"
            ));
        }
        let level = text(r.escalation);
        if !level.is_empty() && !escalation.is_empty() && !escalation.iter().any(|l| l.eq_ignore_ascii_case(&level)) {
            return Err(anyhow!(
                "risk `{id}`: escalation `{}` is not on the escalation path ({})",
                crate::error::clip(&level, 60),
                escalation.join(" → ")
            ));
        }
        let mut signals = Vec::new();
        for s in r.signals.unwrap_or_default() {
            let (watch, trigger) = (text(s.watch), text(s.trigger));
            if watch.is_empty() || trigger.is_empty() {
                return Err(anyhow!("risk `{id}`: each signal needs a `watch` and a `trigger`"));
            }
            let (wk, ..) = compare(&id, "watch", &watch)?;
            let (tk, ..) = compare(&id, "trigger", &trigger)?;
            if wk != tk {
                return Err(anyhow!(
                    "risk `{id}`: watch `{watch}` and trigger `{trigger}` must read the same KPI"
                ));
            }
            signals.push(Signal { watch, trigger });
        }
        risks.push(Risk {
            risk: text(r.risk),
            impact: text(r.impact),
            mitigation: text(r.mitigation),
            contingency: text(r.contingency),
            owner,
            escalation: level,
            signals,
            id,
        });
    }
    Ok(Register { escalation, risks })
}

/// A risk's state in a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskState {
    /// No signal: a person reviews it.
    Review,
    /// A signal whose KPI has no value this week.
    NoData,
    Ok,
    Watch,
    Triggered,
}

impl RiskState {
    pub fn label(self) -> &'static str {
        match self {
            RiskState::Review => "for review",
            RiskState::NoData => "no data",
            RiskState::Ok => "ok",
            RiskState::Watch => "watch",
            RiskState::Triggered => "triggered",
        }
    }
}

/// One signal this week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalState {
    pub kpi: &'static str,
    pub value: Option<f64>,
    pub watch: String,
    pub trigger: String,
    pub state: RiskState,
}

/// One risk: its state this week and in the weeks before (oldest first).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskStatus {
    #[serde(flatten)]
    pub risk: Risk,
    pub state: RiskState,
    pub signals: Vec<SignalState>,
    /// (ISO week, state) for the weeks judged, oldest first, this week last.
    pub trend: Vec<(String, RiskState)>,
    /// The escalation level's place on the path (1-based), when on it.
    pub escalation_level: Option<usize>,
}

fn judge(risk: &Risk, cells: &BTreeMap<Kpi, KpiCell>) -> (RiskState, Vec<SignalState>) {
    if risk.signals.is_empty() {
        return (RiskState::Review, Vec::new());
    }
    let signals: Vec<SignalState> = risk
        .signals
        .iter()
        .filter_map(|s| {
            let (kpi, wop, wv) = compare(&risk.id, "watch", &s.watch).ok()?;
            let (_, top, tv) = compare(&risk.id, "trigger", &s.trigger).ok()?;
            let value = cells.get(&kpi).and_then(|c| c.value);
            let state = match value {
                None => RiskState::NoData,
                Some(v) if top.holds(v, tv) => RiskState::Triggered,
                Some(v) if wop.holds(v, wv) => RiskState::Watch,
                Some(_) => RiskState::Ok,
            };
            Some(SignalState {
                kpi: kpi.key(),
                value,
                watch: s.watch.clone(),
                trigger: s.trigger.clone(),
                state,
            })
        })
        .collect();
    // The worst measured signal; no data only when nothing was measured.
    let measured = signals
        .iter()
        .map(|s| s.state)
        .filter(|s| *s != RiskState::NoData)
        .max();
    (measured.unwrap_or(RiskState::NoData), signals)
}

/// Every risk of the register judged on each week's KPI cells (oldest
/// first, the reported week last).
pub fn assess(register: &Register, weeks: &[(String, BTreeMap<Kpi, KpiCell>)]) -> Vec<RiskStatus> {
    register
        .risks
        .iter()
        .map(|r| {
            let trend: Vec<(String, RiskState)> =
                weeks.iter().map(|(w, cells)| (w.clone(), judge(r, cells).0)).collect();
            let (state, signals) = weeks
                .last()
                .map(|(_, cells)| judge(r, cells))
                .unwrap_or((RiskState::NoData, Vec::new()));
            RiskStatus {
                escalation_level: register
                    .escalation
                    .iter()
                    .position(|l| l.eq_ignore_ascii_case(&r.escalation))
                    .map(|i| i + 1),
                risk: r.clone(),
                state: if r.signals.is_empty() { RiskState::Review } else { state },
                signals,
                trend,
            }
        })
        .collect()
}

/// The exit code of `cacheroi risks`: 4 when a risk triggered, 3 when one
/// is on watch, else 0 (risks for review or without data are listed, not
/// counted as ok).
pub fn exit_code(statuses: &[RiskStatus]) -> i32 {
    match statuses.iter().map(|s| s.state).max() {
        Some(RiskState::Triggered) => 4,
        Some(RiskState::Watch) => 3,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTER: &str = "escalation: [feature team, product owner, engineering manager]\n\
risks:\n  stale:\n    risk: Stale data\n    owner: Feature lead\n    contingency: Flush\n    escalation: engineering manager\n    \
signals:\n      - watch: stale_share > 2%\n        trigger: stale_share > 5%\n      - watch: flag_leaks > 0\n        trigger: flag_leaks > 10\n  \
review:\n    risk: Vendor lock-in\n    owner: Architect\n";

    fn cells(stale: Option<f64>, leaks: Option<f64>) -> BTreeMap<Kpi, KpiCell> {
        let cell = |v| KpiCell {
            value: v,
            target: None,
            status: None,
            reason: None,
        };
        BTreeMap::from([(Kpi::StaleShare, cell(stale)), (Kpi::FlagLeaks, cell(leaks))])
    }

    #[test]
    fn the_sample_register_holds_the_briefs_five_risks() {
        let r = parse(include_str!("../../sample-data/risks.yml")).unwrap();
        let ids: Vec<&str> = r.risks.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "stale_data",
                "performance_degradation",
                "customer_confusion",
                "partial_adoption",
                "infrastructure_costs"
            ]
        );
        assert_eq!(r.escalation.len(), 5);
        assert!(
            r.risks
                .iter()
                .all(|r| !r.owner.is_empty() && !r.contingency.is_empty() && !r.signals.is_empty())
        );
    }

    #[test]
    fn watch_and_trigger_by_hand_and_the_worst_signal_wins() {
        let reg = parse(REGISTER).unwrap();
        let weeks = vec![
            // 1 %: below the 2 % watch; no leak → ok.
            ("2026-W44".to_string(), cells(Some(0.01), Some(0.0))),
            // 3 %: above the watch, below the 5 % trigger → watch.
            ("2026-W45".to_string(), cells(Some(0.03), Some(0.0))),
            // 6 % → triggered, whatever the leaks (1: on watch).
            ("2026-W46".to_string(), cells(Some(0.06), Some(1.0))),
        ];
        let s = assess(&reg, &weeks);
        assert_eq!(s[0].state, RiskState::Triggered);
        let trend: Vec<RiskState> = s[0].trend.iter().map(|t| t.1).collect();
        assert_eq!(trend, [RiskState::Ok, RiskState::Watch, RiskState::Triggered]);
        let signal: Vec<RiskState> = s[0].signals.iter().map(|g| g.state).collect();
        assert_eq!(signal, [RiskState::Triggered, RiskState::Watch]);
        assert_eq!(s[0].escalation_level, Some(3));
        // A risk without signals is for review, never ok.
        assert_eq!(s[1].state, RiskState::Review);
        assert_eq!(exit_code(&s), 4);
        // Stale share without data and no leak: the measured signal (ok) decides.
        let s = assess(&reg, &[("2026-W46".into(), cells(None, Some(0.0)))]);
        assert_eq!(s[0].state, RiskState::Ok);
        assert_eq!(s[0].signals[0].state, RiskState::NoData);
        // Nothing measured at all: no data, and the exit code stays 0.
        let s = assess(&reg, &[("2026-W46".into(), cells(None, None))]);
        assert_eq!(s[0].state, RiskState::NoData);
        assert_eq!(exit_code(&s), 0);
        let s = assess(&reg, &[("2026-W46".into(), cells(Some(0.03), Some(0.0)))]);
        assert_eq!(exit_code(&s), 3);
    }

    #[test]
    fn register_errors_name_the_risk_the_field_and_the_text() {
        let err = |text: &str| parse(text).unwrap_err().to_string();
        assert_eq!(
            err("risks:\n  r1:\n    risk: x\n"),
            "risk `r1`: `owner` is missing: every risk needs someone to act"
        );
        let e = err(
            "risks:\n  r1:\n    owner: o\n    signals:\n      - watch: stale share > 2%\n        trigger: stale_share > 5%\n",
        );
        assert!(
            e.starts_with("risk `r1`: watch `stale share > 2%`: unknown metric `stale share`"),
            "{e}"
        );
        let e = err(
            "risks:\n  r1:\n    owner: o\n    signals:\n      - watch: all_kpis_met\n        trigger: stale_share > 5%\n",
        );
        assert_eq!(
            e,
            "risk `r1`: watch `all_kpis_met` must compare a KPI with a number, like stale_share > 2%"
        );
        let e = err(
            "risks:\n  r1:\n    owner: o\n    signals:\n      - watch: stale_share > 2%\n        triger: stale_share > 5%\n",
        );
        assert!(e.contains("risk `r1`") && e.contains("unknown field `triger`"), "{e}");
        let e = err(
            "risks:\n  r1:\n    owner: o\n    signals:\n      - watch: stale_share > 2%\n        trigger: p99_latency_ms > 200\n",
        );
        assert_eq!(
            e,
            "risk `r1`: watch `stale_share > 2%` and trigger `p99_latency_ms > 200` must read the same KPI"
        );
        let e = err("escalation: [team, cto]\nrisks:\n  r1:\n    owner: o\n    escalation: ceo\n");
        assert_eq!(
            e,
            "risk `r1`: escalation `ceo` is not on the escalation path (team → cto)"
        );
        assert_eq!(err("escalation: [a]\n"), "`risks` must map risk names to risks");
    }
}
