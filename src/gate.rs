//! Rollout gate (CONTRACT §6): the criteria of the product owner's plan,
//! parsed into checks and evaluated on a week's KPIs.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::evaluate::Status;
use crate::metrics::kpi::{ALL, Kpi};
use crate::report::KpiCell;

/// A comparison operator of `<metric> <op> <number>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "==")]
    Eq,
}

impl Op {
    fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Eq => (a - b).abs() < 1e-12,
        }
    }
}

/// One criterion as the plan writes it, understood.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// `<metric> <op> <number>[%|ms]`.
    Compare { kpi: Kpi, op: Op, value: f64 },
    /// `performance_targets_met`, `all_kpis_met`: these KPIs all `met`.
    AllMet(Vec<Kpi>),
    /// `positive_feedback`, `cost_savings_demonstrated`, `N%_kpi`.
    Threshold { kpi: Kpi, op: Op, value: f64 },
    /// Anything else: a person answers it (`--attest NAME=true|false`).
    Manual,
}

/// Map the plan's metric names to KPI keys (`p99_latency` → p99_latency_ms,
/// `customer_complaints` → complaints, `api_reduction` → api_call_reduction).
fn kpi_named(name: &str) -> Option<Kpi> {
    match name {
        "p99_latency" => Some(Kpi::P99LatencyMs),
        "customer_complaints" => Some(Kpi::Complaints),
        "api_reduction" => Some(Kpi::ApiCallReduction),
        other => Kpi::from_key(other),
    }
}

fn number(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Some(p) = t.strip_suffix('%') {
        return p.trim().parse::<f64>().ok().map(|v| v / 100.0);
    }
    if let Some(ms) = t.strip_suffix("ms") {
        return ms.trim().parse().ok();
    }
    t.parse().ok()
}

/// Understand one criterion; what cannot be measured is [`Check::Manual`].
pub fn parse(criterion: &str) -> Check {
    let c = criterion.trim();
    for (sym, op) in [
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("==", Op::Eq),
        (">", Op::Gt),
        ("<", Op::Lt),
    ] {
        if let Some((metric, value)) = c.split_once(sym)
            && let (Some(kpi), Some(value)) = (kpi_named(metric.trim()), number(value))
        {
            return Check::Compare { kpi, op, value };
        }
    }
    if let Some((n, name)) = c.split_once("%_")
        && let (Ok(n), Some(kpi)) = (n.parse::<f64>(), kpi_named(name))
    {
        return Check::Threshold {
            kpi,
            op: Op::Ge,
            value: n / 100.0,
        };
    }
    match c {
        "performance_targets_met" => Check::AllMet(vec![
            Kpi::CacheHitRate,
            Kpi::ErrorRate,
            Kpi::P99LatencyMs,
            Kpi::CacheAvailability,
        ]),
        "all_kpis_met" => Check::AllMet(Vec::new()),
        "positive_feedback" => Check::Threshold {
            kpi: Kpi::CustomerSatisfaction,
            op: Op::Ge,
            value: 4.0,
        },
        "cost_savings_demonstrated" => Check::Threshold {
            kpi: Kpi::CostSavings,
            op: Op::Gt,
            value: 0.0,
        },
        _ => Check::Manual,
    }
}

/// The outcome of one criterion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub criterion: String,
    /// `success` or `rollback`.
    pub kind: &'static str,
    /// The phase that lists it.
    pub phase: String,
    /// Whether it holds; None for a manual check nobody attested.
    pub holds: Option<bool>,
    pub manual: bool,
    /// What was measured, for people ("error_rate = 0.07 %").
    pub measured: String,
}

/// Evaluate one criterion on a week's KPI cells.
pub fn evaluate(
    criterion: &str,
    kind: &'static str,
    phase: &str,
    cells: &BTreeMap<Kpi, KpiCell>,
    attested: &BTreeMap<String, bool>,
) -> Outcome {
    let value = |k: Kpi| cells.get(&k).and_then(|c| c.value);
    let show = |k: Kpi| {
        let unit = k.unit().name();
        format!(
            "{} = {}",
            k.key(),
            crate::render::format::kpi(value(k), if unit == "ratio" { "ratio2" } else { unit }, "").trim_end()
        )
    };
    let (holds, manual, measured) = match parse(criterion) {
        Check::Compare { kpi, op, value: v } | Check::Threshold { kpi, op, value: v } => {
            // A criterion whose KPI has no data does not hold.
            (Some(value(kpi).is_some_and(|x| op.holds(x, v))), false, show(kpi))
        }
        Check::AllMet(list) => {
            let kpis: Vec<Kpi> = if list.is_empty() {
                ALL.iter()
                    .copied()
                    .filter(|k| cells.get(k).is_some_and(|c| c.target.is_some()))
                    .collect()
            } else {
                list
            };
            let not_met: Vec<&str> = kpis
                .iter()
                .filter(|k| cells.get(k).and_then(|c| c.status) != Some(Status::Met))
                .map(|k| k.key())
                .collect();
            let measured = if not_met.is_empty() {
                "all met".to_string()
            } else {
                format!("not met: {}", not_met.join(", "))
            };
            (Some(not_met.is_empty()), false, measured)
        }
        Check::Manual => {
            let a = attested.get(criterion.trim()).copied();
            let measured = match a {
                Some(v) => format!("attested {v}"),
                None => "manual check: not attested (--attest NAME=true|false)".into(),
            };
            (a, true, measured)
        }
    };
    Outcome {
        criterion: criterion.trim().to_string(),
        kind,
        phase: phase.to_string(),
        holds,
        manual,
        measured,
    }
}

/// What `gate` decided for a week, as `--json` prints it and the reports show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateResult {
    pub iso_week: String,
    pub rollout_week: i64,
    pub phase: String,
    pub segments: String,
    pub verdict: Verdict,
    pub exit_code: i32,
    pub criteria: Vec<Outcome>,
}

/// The gate's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Proceed,
    Hold,
    Rollback,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Proceed => "proceed",
            Verdict::Hold => "hold",
            Verdict::Rollback => "roll back",
        }
    }

    /// CONTRACT §2: 0 proceed, 3 hold, 4 rollback.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Proceed => 0,
            Verdict::Hold => 3,
            Verdict::Rollback => 4,
        }
    }
}

/// Rollback if any trigger holds; else proceed if every measurable (or
/// attested) success criterion holds; else hold.
pub fn verdict(outcomes: &[Outcome]) -> Verdict {
    if outcomes.iter().any(|o| o.kind == "rollback" && o.holds == Some(true)) {
        return Verdict::Rollback;
    }
    let success = outcomes
        .iter()
        .filter(|o| o.kind == "success" && (!o.manual || o.holds.is_some()));
    if success.clone().all(|o| o.holds == Some(true)) {
        Verdict::Proceed
    } else {
        Verdict::Hold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(pairs: &[(Kpi, f64, Option<Status>)]) -> BTreeMap<Kpi, KpiCell> {
        pairs
            .iter()
            .map(|(k, v, s)| {
                (
                    *k,
                    KpiCell {
                        value: Some(*v),
                        target: s.map(|_| 1.0),
                        status: *s,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn every_criterion_form_parses() {
        assert_eq!(
            parse("error_rate > 1%"),
            Check::Compare {
                kpi: Kpi::ErrorRate,
                op: Op::Gt,
                value: 0.01
            }
        );
        assert_eq!(
            parse("p99_latency > 200ms"),
            Check::Compare {
                kpi: Kpi::P99LatencyMs,
                op: Op::Gt,
                value: 200.0
            }
        );
        assert_eq!(
            parse("cache_hit_rate < 60%"),
            Check::Compare {
                kpi: Kpi::CacheHitRate,
                op: Op::Lt,
                value: 0.60
            }
        );
        assert_eq!(
            parse("customer_complaints > 3"),
            Check::Compare {
                kpi: Kpi::Complaints,
                op: Op::Gt,
                value: 3.0
            }
        );
        assert_eq!(
            parse("50%_api_reduction"),
            Check::Threshold {
                kpi: Kpi::ApiCallReduction,
                op: Op::Ge,
                value: 0.5
            }
        );
        assert_eq!(
            parse("90%_adoption"),
            Check::Threshold {
                kpi: Kpi::Adoption,
                op: Op::Ge,
                value: 0.9
            }
        );
        assert_eq!(
            parse("positive_feedback"),
            Check::Threshold {
                kpi: Kpi::CustomerSatisfaction,
                op: Op::Ge,
                value: 4.0
            }
        );
        assert_eq!(
            parse("cost_savings_demonstrated"),
            Check::Threshold {
                kpi: Kpi::CostSavings,
                op: Op::Gt,
                value: 0.0
            }
        );
        assert!(matches!(parse("performance_targets_met"), Check::AllMet(v) if v.len() == 4));
        assert_eq!(parse("all_kpis_met"), Check::AllMet(Vec::new()));
        for manual in ["no_critical_bugs", "any_data_loss", "security_incident"] {
            assert_eq!(parse(manual), Check::Manual);
        }
    }

    #[test]
    fn evaluation_and_verdicts() {
        let none = BTreeMap::new();
        let c = cells(&[
            (Kpi::ErrorRate, 0.02, Some(Status::Missed)),
            (Kpi::ApiCallReduction, 0.55, Some(Status::AtRisk)),
        ]);
        // 2 % errors > 1 %: the trigger holds.
        assert_eq!(
            evaluate("error_rate > 1%", "rollback", "p", &c, &none).holds,
            Some(true)
        );
        // 55 % ≥ 50 %: holds; a KPI without data does not hold.
        assert_eq!(
            evaluate("50%_api_reduction", "success", "p", &c, &none).holds,
            Some(true)
        );
        assert_eq!(evaluate("90%_adoption", "success", "p", &c, &none).holds, Some(false));
        // all_kpis_met: error rate missed, API reduction at risk → not met.
        let o = evaluate("all_kpis_met", "success", "p", &c, &none);
        assert_eq!(o.holds, Some(false));
        assert!(o.measured.contains("error_rate") && o.measured.contains("api_call_reduction"));
        let attested: BTreeMap<String, bool> = [("security_incident".to_string(), true)].into();
        let o = evaluate("security_incident", "rollback", "p", &c, &attested);
        assert_eq!((o.holds, o.manual), (Some(true), true));
        let unattested = evaluate("no_critical_bugs", "success", "p", &c, &none);
        assert_eq!(unattested.holds, None);

        let ok = |kind, holds| Outcome {
            criterion: String::new(),
            kind,
            phase: String::new(),
            holds,
            manual: false,
            measured: String::new(),
        };
        assert_eq!(
            verdict(&[ok("success", Some(true)), ok("rollback", Some(false))]),
            Verdict::Proceed
        );
        assert_eq!(
            verdict(&[ok("success", Some(false)), ok("rollback", Some(false))]),
            Verdict::Hold
        );
        assert_eq!(
            verdict(&[ok("success", Some(true)), ok("rollback", Some(true))]),
            Verdict::Rollback
        );
        // An unattested manual success criterion is listed, not guessed: it does not block.
        assert_eq!(verdict(&[ok("success", Some(true)), unattested]), Verdict::Proceed);
        assert_eq!(Verdict::Rollback.exit_code(), 4);
    }
}
