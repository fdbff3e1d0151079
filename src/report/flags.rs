//! The flags against the plan and the risk watch as reports show them: a
//! segment × week matrix in traffic-light colours, the week's findings in
//! plain sentences, and each risk with its owner, trend and contingency.

use serde::Serialize;

use crate::evaluate::conformance::{SegmentCell, WeekConformance};
use crate::evaluate::risks::{RiskState, RiskStatus};
use crate::ground::kpi::Kpi;
use crate::ground::units::{self, pct, plural};

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixCell {
    pub color: &'static str,
    /// "90.0 %" or "—".
    pub text: String,
    /// The finding in words ("leak", "gap", …), empty when on plan.
    pub note: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixRow {
    pub segment: String,
    pub cells: Vec<MatrixCell>,
}

/// A milestone of the plan against the measured rollout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MilestoneRow {
    pub iso_week: String,
    pub rollout_week: i64,
    pub milestone: String,
    pub target: f64,
    pub measured: Option<f64>,
    pub met: bool,
}

/// The flags section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlagsView {
    pub current: WeekConformance,
    /// Column headers ("W41 · 1").
    pub weeks: Vec<String>,
    pub rows: Vec<MatrixRow>,
    /// The week's findings, one sentence each.
    pub findings: Vec<String>,
    pub milestones: Vec<MilestoneRow>,
}

fn note(c: &SegmentCell) -> &'static str {
    match c.finding {
        "leak" => "leak",
        "gap" => "gap",
        "no_control" => "no control group",
        "off_plan" => "off plan",
        "flips" => "flips",
        _ => "",
    }
}

/// The week's findings in plain sentences.
pub fn findings(c: &WeekConformance) -> Vec<String> {
    let mut out = Vec::new();
    if c.flag_leaks > 0 {
        out.push(format!(
            "Leak: {} had the cache in segments the plan has not reached yet (e.g. {}): check the flag rule for them.",
            plural(Some(c.flag_leaks as f64), "user"),
            c.leak_examples.join(", ")
        ));
    }
    for s in c.segments.iter().filter(|s| s.finding == "gap") {
        out.push(format!(
            "Gap: {} is due but only {} of its users have the cache (plan {}): was its flag switched on?",
            s.segment,
            pct(s.share),
            pct(Some(s.expected))
        ));
    }
    for s in c.segments.iter().filter(|s| s.finding == "no_control") {
        out.push(format!(
            "No control group in {}: {} of its users have the cache (plan {}).",
            s.segment,
            pct(s.share),
            pct(Some(s.expected))
        ));
    }
    for s in c.segments.iter().filter(|s| s.finding == "off_plan") {
        out.push(format!(
            "Off plan: {} of {}'s users have the cache (plan {}).",
            pct(s.share),
            s.segment,
            pct(Some(s.expected))
        ));
    }
    if c.flag_flips > 0 {
        out.push(format!(
            "Flips: {} changed flag after their phase began (e.g. {}): sticky bucketing may be broken.",
            plural(Some(c.flag_flips as f64), "user"),
            c.flip_examples.join(", ")
        ));
    }
    if let Some(control) = c.control_share
        && (control - c.expected_control_share).abs() > crate::evaluate::conformance::ON_PLAN
    {
        out.push(format!(
            "Control share {} of the users in due segments, against the plan's {}.",
            pct(Some(control)),
            pct(Some(c.expected_control_share))
        ));
    }
    if let Some(m) = &c.milestone {
        out.push(format!(
            "Rollout complete {} ({} of {} target segments enabled) against the {} milestone of {}: {}.",
            pct(c.rollout_complete),
            c.segments_enabled,
            c.target_segments,
            m.weeks,
            pct(Some(m.target)),
            if m.met { "on track" } else { "behind" }
        ));
    }
    if out.is_empty() {
        out.push("The flags did what the plan says: no leak, no gap, no flip.".into());
    }
    out
}

/// The section from the recent weeks' conformance (oldest first) and the
/// reported week's.
pub fn view(current: WeekConformance, history: &[WeekConformance]) -> FlagsView {
    let mut segments: Vec<String> = history
        .iter()
        .flat_map(|w| w.segments.iter().map(|s| s.segment.clone()))
        .collect();
    segments.sort();
    segments.dedup();
    let rows = segments
        .iter()
        .map(|name| MatrixRow {
            segment: name.clone(),
            cells: history
                .iter()
                .map(|w| match w.segments.iter().find(|s| &s.segment == name) {
                    Some(s) => MatrixCell {
                        color: s.color,
                        text: pct(s.share),
                        note: note(s),
                    },
                    None => MatrixCell {
                        color: "grey",
                        text: "—".into(),
                        note: "",
                    },
                })
                .collect(),
        })
        .collect();
    let milestones = history
        .iter()
        .filter_map(|w| {
            let m = w.milestone.as_ref()?;
            Some(MilestoneRow {
                iso_week: w.iso_week.clone(),
                rollout_week: w.rollout_week,
                milestone: m.weeks.clone(),
                target: m.target,
                measured: w.rollout_complete,
                met: m.met,
            })
        })
        .collect();
    FlagsView {
        weeks: history
            .iter()
            .map(|w| {
                format!(
                    "{} · {}",
                    w.iso_week.split_once('-').map_or(w.iso_week.as_str(), |x| x.1),
                    w.rollout_week
                )
            })
            .collect(),
        rows,
        findings: findings(&current),
        milestones,
        current,
    }
}

/// A risk as the risk watch shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskRow {
    pub id: String,
    pub risk: String,
    pub impact: String,
    pub state: RiskState,
    pub state_label: &'static str,
    /// "stale_share 0.4 % (watch > 1%, trigger > 2%)" per signal, or why
    /// there is none.
    pub signals: Vec<String>,
    /// "W44 ok · W45 watch · W46 watch".
    pub trend: String,
    /// The state of each week judged, oldest first.
    pub states: Vec<RiskState>,
    pub owner: String,
    pub mitigation: String,
    pub contingency: String,
    /// "engineering manager (3 of 5)".
    pub escalation: String,
}

fn shown(kpi: &str, v: Option<f64>, currency: &str) -> String {
    Kpi::from_key(kpi).map_or_else(|| units::count(v), |k| super::gate::shown_in(k, v, currency))
}

/// The risk watch's rows, most urgent first (triggered, watch, then the rest
/// in the register's order).
pub fn risk_rows(statuses: &[RiskStatus], path_len: usize, currency: &str) -> Vec<RiskRow> {
    let mut rows: Vec<RiskRow> = statuses
        .iter()
        .map(|s| RiskRow {
            id: s.risk.id.clone(),
            risk: if s.risk.risk.is_empty() {
                s.risk.id.replace('_', " ")
            } else {
                s.risk.risk.clone()
            },
            impact: s.risk.impact.clone(),
            state: s.state,
            state_label: s.state.label(),
            signals: if s.risk.signals.is_empty() {
                vec!["no measurable signal: the owner reviews it".into()]
            } else {
                s.signals
                    .iter()
                    .map(|g| match g.value {
                        Some(_) => format!(
                            "{} {} (watch {}, trigger {})",
                            Kpi::from_key(g.kpi).map_or(g.kpi, |k| k.label()),
                            shown(g.kpi, g.value, currency),
                            super::gate::plain_threshold(&g.watch),
                            super::gate::plain_threshold(&g.trigger)
                        ),
                        None => format!(
                            "{}: no data this week (watch {}, trigger {})",
                            Kpi::from_key(g.kpi).map_or(g.kpi, |k| k.label()),
                            super::gate::plain_threshold(&g.watch),
                            super::gate::plain_threshold(&g.trigger)
                        ),
                    })
                    .collect()
            },
            trend: s
                .trend
                .iter()
                .map(|(w, st)| format!("{} {}", w.split_once('-').map_or(w.as_str(), |x| x.1), st.label()))
                .collect::<Vec<_>>()
                .join(" · "),
            states: s.trend.iter().map(|t| t.1).collect(),
            owner: s.risk.owner.clone(),
            mitigation: s.risk.mitigation.clone(),
            contingency: s.risk.contingency.clone(),
            escalation: match s.escalation_level {
                Some(l) => format!("{} ({l} of {path_len})", s.risk.escalation),
                None => s.risk.escalation.clone(),
            },
        })
        .collect();
    rows.sort_by_key(|r| {
        std::cmp::Reverse(matches!(r.state, RiskState::Triggered | RiskState::Watch) as u8 * r.state as u8)
    });
    rows
}

/// The risk watch as `cacheroi risks` prints it.
pub fn risk_lines(iso_week: &str, rows: &[RiskRow]) -> Vec<String> {
    let count = |st: RiskState| rows.iter().filter(|r| r.state == st).count();
    let mut out = vec![format!(
        "Risk watch {iso_week}: {} triggered, {} on watch, {} ok, {} without data, {} for review",
        count(RiskState::Triggered),
        count(RiskState::Watch),
        count(RiskState::Ok),
        count(RiskState::NoData),
        count(RiskState::Review)
    )];
    for r in rows {
        out.push(format!(
            "{:<10} {} (owner: {})",
            r.state_label.to_uppercase(),
            r.risk,
            r.owner
        ));
        for s in &r.signals {
            out.push(format!("           {s}"));
        }
        out.push(format!("           trend: {}", r.trend));
        if matches!(r.state, RiskState::Triggered | RiskState::Watch) {
            out.push(format!("           if triggered: {}", r.contingency));
            if !r.escalation.is_empty() {
                out.push(format!("           escalate to: {}", r.escalation));
            }
        }
    }
    out
}
