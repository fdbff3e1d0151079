//! Rollout gate (docs/gate.md): the criteria of the product owner's plan,
//! parsed into checks and evaluated on a week's KPIs.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::evaluate::KpiCell;
use crate::evaluate::Status;
use crate::ground::kpi::{ALL, Kpi};

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
    pub fn holds(self, a: f64, b: f64) -> bool {
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
    let (digits, scale) = if let Some(p) = t.strip_suffix('%') {
        (p.trim(), 0.01)
    } else if let Some(ms) = t.strip_suffix("ms") {
        (ms.trim(), 1.0)
    } else {
        (t, 1.0)
    };
    digits.parse::<f64>().ok().filter(|v| v.is_finite()).map(|v| v * scale)
}

/// The plan's names for the KPIs (besides the KPI keys themselves).
const ALIASES: [&str; 3] = ["p99_latency", "customer_complaints", "api_reduction"];

fn known_metrics() -> String {
    let mut names: Vec<&str> = ALIASES.to_vec();
    names.extend(ALL.iter().map(|k| k.key()));
    names.join(", ")
}

/// The KPI `metric` of criterion `c`, or the error naming both.
fn kpi_in(c: &str, metric: &str) -> Result<Kpi, String> {
    kpi_named(metric).ok_or_else(|| {
        format!(
            "`{}`: unknown metric `{}` (known: {})",
            crate::error::clip(c, 80),
            crate::error::clip(metric, 40),
            known_metrics()
        )
    })
}

/// Understand one criterion. A comparison or threshold must name a KPI and
/// a number; anything else must be a named check or a manual check written
/// as one bare name (`no_critical_bugs`), so that a mistyped guardrail
/// (`p99 latency > 200ms`) is an error, never a manual check that cannot fire.
pub fn parse(criterion: &str) -> Result<Check, String> {
    let c = criterion.trim();
    for (sym, op) in [
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("==", Op::Eq),
        (">", Op::Gt),
        ("<", Op::Lt),
    ] {
        if let Some((metric, value)) = c.split_once(sym) {
            let kpi = kpi_in(c, metric.trim())?;
            let value = number(value).ok_or_else(|| {
                format!(
                    "`{}`: `{}` is not a number like 1%, 200ms or 3",
                    crate::error::clip(c, 80),
                    crate::error::clip(value.trim(), 40)
                )
            })?;
            return Ok(Check::Compare { kpi, op, value });
        }
    }
    if let Some((n, name)) = c.split_once("%_") {
        let n = n.parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| {
            format!(
                "`{}`: `{}` is not a percentage",
                crate::error::clip(c, 80),
                crate::error::clip(n, 40)
            )
        })?;
        let kpi = kpi_in(c, name)?;
        return Ok(Check::Threshold {
            kpi,
            op: Op::Ge,
            value: n / 100.0,
        });
    }
    Ok(match c {
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
        bare if !bare.is_empty()
            && bare.len() <= 80
            && bare.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') =>
        {
            Check::Manual
        }
        other => {
            return Err(format!(
                "`{}` is not a criterion: write a comparison (`error_rate > 1%`), a threshold (`50%_api_reduction`), \
                 a named check (`all_kpis_met`) or a manual check as one bare name (`no_critical_bugs`)",
                crate::error::clip(other, 80)
            ));
        }
    })
}

/// The outcome of one criterion.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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
    /// The KPI a comparison or threshold reads, its measured value and its
    /// unit (`ratio`, `ms`, `count`, `score`, `money`, `hours`), for scripts.
    pub kpi: Option<&'static str>,
    pub value: Option<f64>,
    pub unit: Option<&'static str>,
    /// The number the criterion compares with, in the KPI's unit.
    pub threshold: Option<f64>,
    /// Under `decide_on = "evidence"`: the interval and whether it settles
    /// the criterion (absent under the plan reading).
    #[serde(flatten)]
    pub evidence: Option<OnEvidence>,
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
        // A KPI whose source is not configured is not measured: never met.
        if let Some(reason) = cells.get(&k).and_then(|c| c.reason) {
            return format!("{} not measured ({reason})", k.key());
        }
        format!(
            "{} = {}",
            k.key(),
            crate::ground::units::kpi(value(k), if unit == "ratio" { "ratio2" } else { unit }, "").trim_end()
        )
    };
    let mut numbers = (None, None, None, None);
    // The plan was checked when it was read: an unparsable criterion here is a manual one.
    let (holds, manual, measured) = match parse(criterion).unwrap_or(Check::Manual) {
        Check::Compare { kpi, op, value: v } | Check::Threshold { kpi, op, value: v } => {
            numbers = (Some(kpi.key()), value(kpi), Some(kpi.unit().name()), Some(v));
            // A criterion whose KPI has no data does not hold.
            (Some(value(kpi).is_some_and(|x| op.holds(x, v))), false, show(kpi))
        }
        Check::AllMet(list) => {
            let kpis = all_met_kpis(list, cells);
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
        kpi: numbers.0,
        value: numbers.1,
        unit: numbers.2,
        threshold: numbers.3,
        evidence: None,
    }
}

/// The KPIs an every-target check reads: its list, or every KPI with a target.
pub fn all_met_kpis(list: Vec<Kpi>, cells: &BTreeMap<Kpi, KpiCell>) -> Vec<Kpi> {
    if list.is_empty() {
        ALL.iter()
            .copied()
            .filter(|k| cells.get(k).is_some_and(|c| c.target.is_some()))
            .collect()
    } else {
        list
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
    /// Under `decide_on = "evidence"`: the phase's data the intervals are
    /// drawn from (absent under the plan reading).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Basis>,
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

    /// docs/gate.md#how-the-gate-decides: 0 proceed, 3 hold, 4 rollback.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Proceed => 0,
            Verdict::Hold => 3,
            Verdict::Rollback => 4,
        }
    }
}

/// Rollback if any trigger holds; else hold if the evidence leaves any
/// criterion unclear; else proceed if every measurable (or attested)
/// success criterion holds; else hold.
pub fn verdict(outcomes: &[Outcome]) -> Verdict {
    if outcomes.iter().any(|o| o.kind == "rollback" && o.holds == Some(true)) {
        return Verdict::Rollback;
    }
    if outcomes
        .iter()
        .any(|o| o.evidence.as_ref().is_some_and(|e| e.evidence == Evidence::Unclear))
    {
        return Verdict::Hold;
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

/// Whether the interval settles a criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Evidence {
    Clear,
    Unclear,
}

/// The phase's data the intervals of a gate are drawn from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Basis {
    /// The phase's days so far: its first day to the end of the gate's week
    /// (`to` exclusive, as every period of metrics.json).
    pub from: String,
    pub to: String,
    /// Requests with the cache in those days within the phase's segments.
    pub requests: u64,
    /// Of them per day (null without any).
    pub requests_per_day: Option<f64>,
    /// The error level α and tuning of the confidence sequences.
    pub alpha: f64,
    pub tuning: f64,
}

/// A criterion's evidence, beside its plan-reading fields in `gate --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OnEvidence {
    /// [low, high] of the KPI over the phase so far (high null when
    /// unbounded); null for an every-target check.
    pub interval: Option<[Option<f64>; 2]>,
    pub evidence: Evidence,
    /// When unclear: the traffic that would settle it.
    #[serde(flatten)]
    pub wait: Option<Wait>,
    /// In plain words: "1.50 % errors in 200 requests: could be 0.21 % or 4.89 %; …".
    pub reading: String,
}

/// How much more traffic an unclear criterion needs, were its estimate to
/// hold (null: no amount would, or the phase has no traffic to time it by).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Wait {
    pub needed_requests: Option<u64>,
    pub needed_days: Option<f64>,
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
                        reason: None,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn a_mistyped_comparison_is_an_error_not_a_manual_check() {
        for bad in [
            "p99 latency > 200ms",
            "eror_rate > 1%",
            "error_rate > lots",
            "error_rate > 1e999",
            "5x%_api_reduction",
            "50%_api_reducton",
            "no critical bugs",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let err = parse("p99 latency > 200ms").unwrap_err();
        assert!(err.contains("unknown metric `p99 latency`"), "{err}");
        assert_eq!(parse("no_critical_bugs"), Ok(Check::Manual));
    }

    #[test]
    fn every_criterion_form_parses() {
        assert_eq!(
            parse("error_rate > 1%"),
            Ok(Check::Compare {
                kpi: Kpi::ErrorRate,
                op: Op::Gt,
                value: 0.01
            })
        );
        assert_eq!(
            parse("p99_latency > 200ms"),
            Ok(Check::Compare {
                kpi: Kpi::P99LatencyMs,
                op: Op::Gt,
                value: 200.0
            })
        );
        assert_eq!(
            parse("cache_hit_rate < 60%"),
            Ok(Check::Compare {
                kpi: Kpi::CacheHitRate,
                op: Op::Lt,
                value: 0.60
            })
        );
        assert_eq!(
            parse("customer_complaints > 3"),
            Ok(Check::Compare {
                kpi: Kpi::Complaints,
                op: Op::Gt,
                value: 3.0
            })
        );
        assert_eq!(
            parse("50%_api_reduction"),
            Ok(Check::Threshold {
                kpi: Kpi::ApiCallReduction,
                op: Op::Ge,
                value: 0.5
            })
        );
        assert_eq!(
            parse("90%_adoption"),
            Ok(Check::Threshold {
                kpi: Kpi::Adoption,
                op: Op::Ge,
                value: 0.9
            })
        );
        assert_eq!(
            parse("positive_feedback"),
            Ok(Check::Threshold {
                kpi: Kpi::CustomerSatisfaction,
                op: Op::Ge,
                value: 4.0
            })
        );
        assert_eq!(
            parse("cost_savings_demonstrated"),
            Ok(Check::Threshold {
                kpi: Kpi::CostSavings,
                op: Op::Gt,
                value: 0.0
            })
        );
        assert!(matches!(parse("performance_targets_met"), Ok(Check::AllMet(v)) if v.len() == 4));
        assert_eq!(parse("all_kpis_met"), Ok(Check::AllMet(Vec::new())));
        for manual in ["no_critical_bugs", "any_data_loss", "security_incident"] {
            assert_eq!(parse(manual), Ok(Check::Manual));
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
            kpi: None,
            value: None,
            unit: None,
            threshold: None,
            evidence: None,
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
