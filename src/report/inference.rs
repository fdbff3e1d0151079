//! "Is the gain real?": the comparisons of [`crate::metrics::experiment`]
//! formatted for the reports — values, change with its 95 % interval,
//! p-value, or "not enough data" — and the sample-ratio verdict.

use serde::Serialize;

use crate::ground::units::{p_value, signed_pct};
use crate::metrics::experiment::{Comparison, Statistics};
use crate::stats::Effect;

/// Significance level of the "significant" mark.
const ALPHA: f64 = 0.05;

/// One comparison as the tables show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonRow {
    pub metric: String,
    pub label: String,
    pub control: String,
    pub treatment: String,
    /// Relative change (ms and per-request ratios) or absolute (shares in
    /// points, scores), signed.
    pub change: String,
    /// "−76.0 % to −72.2 %", or empty.
    pub ci: String,
    pub p: String,
    pub enough: bool,
    /// p < 0.05 after Holm's correction over the section's comparisons.
    pub significant: bool,
    /// The Holm-adjusted p-value, or empty.
    pub p_adjusted: String,
    /// The change points the good way (None: no change measured).
    pub better: Option<bool>,
    /// "62 / 540 users".
    pub n: String,
    pub method: String,
}

/// A segment's split check and its main differences.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentStatRow {
    pub name: String,
    pub users: String,
    pub srm: String,
    pub srm_mismatch: bool,
    pub origin: String,
    pub p50: String,
}

/// Everything a report shows of the statistics.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct StatsView {
    /// "Cache on for 902 of 1,000 users … (90.2 % observed, 90.0 % planned): the split held (no sample ratio mismatch)."
    pub srm: Option<String>,
    pub srm_mismatch: bool,
    /// Segments whose split is broken.
    pub srm_segments: Vec<String>,
    pub before_after: Vec<ComparisonRow>,
    pub treatment_vs_control: Vec<ComparisonRow>,
    pub segments: Vec<SegmentStatRow>,
    /// Headline gains against the baseline with their intervals.
    pub gains: Vec<String>,
    /// Cache on against off per user, with and without CUPED.
    pub cuped: Vec<CupedRow>,
    /// "Marked real: p < 0.05 after Holm's correction over the 14 comparisons of this section."
    pub holm: String,
}

/// One CUPED comparison as the table shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CupedRow {
    pub label: String,
    /// "−74.0 % (−80.1 % to −67.9 %)" or "not enough data".
    pub unadjusted: String,
    /// The same with the baseline as covariate, or why there is none.
    pub adjusted: String,
    /// "41.0 %" of the variance removed, "none", or "—".
    pub variance_reduction: String,
    /// "28 / 35 of 40 / 50 users" with baseline history.
    pub history: String,
}

fn cuped_rows(s: &Statistics) -> Vec<CupedRow> {
    let effect = |unit: &str, e: Option<&Effect>| match e {
        Some(e) => {
            let (change, ci) = change_text(unit, e);
            format!("{change} ({ci})")
        }
        None => "not enough data".to_string(),
    };
    s.cuped
        .iter()
        .map(|c| {
            let x = c.cuped.as_ref();
            CupedRow {
                label: c.label.to_string(),
                unadjusted: effect(c.unit, x.and_then(|x| x.unadjusted.as_ref())),
                adjusted: match x {
                    None => "not enough data".into(),
                    Some(x) if x.adjusted.is_none() => {
                        "nothing to adjust by (no baseline values, or no variance in them)".into()
                    }
                    Some(x) => effect(c.unit, x.adjusted.as_ref()),
                },
                // A covariate that explains nothing can widen the interval a hair.
                variance_reduction: match x.and_then(|x| x.variance_reduction) {
                    None => "—".into(),
                    Some(v) if v < 0.0005 => "none".into(),
                    Some(v) => crate::ground::units::pct(Some(v)),
                },
                history: format!(
                    "{} / {} of {} / {} users",
                    c.with_history[0], c.with_history[1], c.users[0], c.users[1]
                ),
            }
        })
        .collect()
}

fn value(v: Option<f64>, unit: &str) -> String {
    let Some(x) = v else { return "—".into() };
    match unit {
        "ms" => format!("{x:.1} ms"),
        "ratio" => format!("{x:.3}"),
        "share" => crate::ground::units::pct(Some(x)),
        _ => format!("{x:.2}"),
    }
}

/// Whether `metric` improves when it goes down.
fn lower_is_better(metric: &str) -> bool {
    metric != "customer_satisfaction"
}

/// Change and interval: relative for ms and per-request ratios, absolute
/// for shares (points) and scores.
fn change_text(unit: &str, e: &Effect) -> (String, String) {
    let abs_fmt = |x: f64| {
        let shown = if unit == "share" { x * 100.0 } else { x };
        // No sign on what rounds to zero.
        let sign = if format!("{:.2}", shown.abs()) == "0.00" {
            ""
        } else if x < 0.0 {
            "−"
        } else {
            "+"
        };
        let suffix = if unit == "share" { " pts" } else { "" };
        format!("{sign}{:.2}{suffix}", shown.abs())
    };
    match (unit, e.rel, e.rel_ci) {
        ("ms" | "ratio", Some(rel), Some(ci)) => (
            signed_pct(rel),
            format!("{} to {}", signed_pct(ci[0]), signed_pct(ci[1])),
        ),
        _ => (
            abs_fmt(e.abs),
            format!("{} to {}", abs_fmt(e.abs_ci[0]), abs_fmt(e.abs_ci[1])),
        ),
    }
}

fn row(c: &Comparison, unit_name: &str) -> ComparisonRow {
    let (change, ci, p, better) = match &c.effect {
        Some(e) => {
            let (change, ci) = change_text(c.unit, e);
            let better = (e.abs != 0.0).then_some((e.abs < 0.0) == lower_is_better(c.metric));
            (change, ci, p_value(e.p_value), better)
        }
        None => ("not enough data".into(), String::new(), String::new(), None),
    };
    ComparisonRow {
        metric: c.metric.to_string(),
        label: c.label.to_string(),
        control: value(c.control, c.unit),
        treatment: value(c.treatment, c.unit),
        change,
        ci,
        p,
        enough: c.effect.is_some(),
        significant: c.p_adjusted.is_some_and(|p| p < ALPHA),
        p_adjusted: c.p_adjusted.map(p_value).unwrap_or_default(),
        better,
        n: format!("{} / {} {unit_name}", c.control_n, c.treatment_n),
        method: c.method.label().to_string(),
    }
}

/// What a comparison counts: feedback answers or users.
fn units_of(c: &Comparison) -> &'static str {
    if matches!(c.metric, "customer_satisfaction" | "complaint_share") {
        "answers"
    } else {
        "users"
    }
}

fn rows(cs: &[Comparison]) -> Vec<ComparisonRow> {
    cs.iter().map(|c| row(c, units_of(c))).collect()
}

/// "API calls per request −74.1 % (95 % CI −76.0 % to −72.2 %)".
pub fn gain_sentence(c: &Comparison) -> String {
    let label = match c.metric {
        "origin_calls_per_request" => "API calls per request",
        "p50_latency_ms" => "Median latency",
        "p95_latency_ms" => "p95 latency",
        "mean_latency_ms" => "Mean latency",
        "error_rate" => "5xx per request",
        "customer_satisfaction" => "Satisfaction",
        other => other,
    };
    match &c.effect {
        Some(e) => {
            let (change, ci) = change_text(c.unit, e);
            format!(
                "{label} {change} (95 % sure the true change lies between {})",
                ci.replacen(" to ", " and ", 1)
            )
        }
        None => format!(
            "{label}: not enough data for an interval ({} / {} {})",
            c.control_n,
            c.treatment_n,
            units_of(c)
        ),
    }
}

/// The view of `s`: tables, SRM verdict and headline gains.
pub fn view(s: &Statistics) -> StatsView {
    let srm = s.srm.as_ref();
    let srm_line = srm.map(srm_sentence);
    let srm_segments = srm
        .map(|c| {
            c.segments
                .iter()
                .filter(|(_, s)| s.mismatch)
                .map(|(n, _)| n.clone())
                .collect()
        })
        .unwrap_or_default();
    let gains = [
        "origin_calls_per_request",
        "p50_latency_ms",
        "p95_latency_ms",
        "error_rate",
        "customer_satisfaction",
    ]
    .iter()
    .filter_map(|m| s.before_after(m))
    .map(gain_sentence)
    .collect();
    StatsView {
        srm_mismatch: srm.is_some_and(|c| c.mismatch()),
        srm: srm_line,
        srm_segments,
        before_after: rows(&s.before_after),
        treatment_vs_control: rows(&s.treatment_vs_control.overall),
        segments: segment_rows(s),
        gains,
        cuped: cuped_rows(s),
        holm: format!(
            "A difference is marked real when p < 0.05 after Holm's correction over the {} comparisons of this section (every metric, overall and per segment), so that reading many at once does not make noise look real; the intervals are each 95 %.",
            s.holm_family
        ),
    }
}

/// Whether the split of users held, in one sentence.
fn srm_sentence(check: &crate::metrics::experiment::SrmCheck) -> String {
    match &check.overall {
        Some(o) => format!(
            "Cache on for {} of {} users in the rollout's segments ({} observed, {} planned): {}.",
            crate::ground::units::count(Some(o.treatment as f64)),
            crate::ground::units::count(Some((o.treatment + o.control) as f64)),
            crate::ground::units::pct(Some(o.observed_share)),
            crate::ground::units::pct(Some(o.planned_share)),
            if o.mismatch {
                "the split is broken (sample ratio mismatch), so no comparison below can be trusted"
            } else {
                "the split held (no sample ratio mismatch)"
            }
        ),
        None => "No users with the cache in this period: no split to check.".into(),
    }
}

/// Per segment: its users per arm, its split's p-value, and the origin and
/// p50 effects in short.
fn segment_rows(s: &Statistics) -> Vec<SegmentStatRow> {
    let srm = s.srm.as_ref();
    let short = |cs: &[Comparison], metric: &str| {
        cs.iter()
            .find(|c| c.metric == metric)
            .map(|c| match &c.effect {
                Some(e) => {
                    let (change, ci) = change_text(c.unit, e);
                    format!("{change} ({ci})")
                }
                None => "not enough data".into(),
            })
            .unwrap_or_default()
    };
    let mut names: Vec<&String> = s.treatment_vs_control.segments.keys().collect();
    if let Some(c) = srm {
        names.extend(c.segments.keys());
    }
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let cs = s
                .treatment_vs_control
                .segments
                .get(name)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let split = srm.and_then(|c| c.segments.get(name));
            SegmentStatRow {
                name: name.clone(),
                users: split
                    .map(|x| format!("{} / {}", x.control, x.treatment))
                    .or_else(|| cs.first().map(|c| format!("{} / {}", c.control_n, c.treatment_n)))
                    .unwrap_or_default(),
                srm: split.map_or_else(|| "—".into(), |x| p_value(x.p_value)),
                srm_mismatch: split.is_some_and(|x| x.mismatch),
                origin: if cs.is_empty() {
                    "no control users".into()
                } else {
                    short(cs, "origin_calls_per_request")
                },
                p50: if cs.is_empty() {
                    "no control users".into()
                } else {
                    short(cs, "p50_latency_ms")
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Method;

    fn comparison(unit: &'static str, effect: Option<Effect>) -> Comparison {
        Comparison {
            metric: "origin_calls_per_request",
            label: "Origin calls per request",
            unit,
            method: Method::DeltaRatio,
            control: Some(1.6),
            treatment: Some(0.4),
            control_n: 400,
            treatment_n: 3600,
            effect,
            p_adjusted: effect.map(|e| e.p_value),
        }
    }

    #[test]
    fn gains_read_as_the_issue_asks() {
        let e = Effect {
            abs: -1.2,
            abs_ci: [-1.25, -1.15],
            rel: Some(-0.74),
            rel_ci: Some([-0.76, -0.72]),
            p_value: 1e-9,
        };
        assert_eq!(
            gain_sentence(&comparison("ratio", Some(e))),
            "API calls per request −74.0 % (95 % sure the true change lies between −76.0 % and −72.0 %)"
        );
        let r = row(&comparison("ratio", Some(e)), "users");
        assert_eq!(
            (r.change.as_str(), r.better, r.significant),
            ("−74.0 %", Some(true), true)
        );
        let none = row(&comparison("ratio", None), "users");
        assert_eq!(none.change, "not enough data");
        assert_eq!((none.ci.as_str(), none.p.as_str(), none.enough), ("", "", false));
        // Shares change in points.
        let s = Effect {
            abs: 0.0004,
            abs_ci: [-0.0001, 0.0009],
            rel: Some(0.5),
            rel_ci: Some([-0.2, 1.2]),
            p_value: 0.1234,
        };
        assert_eq!(
            change_text("share", &s),
            ("+0.04 pts".to_string(), "−0.01 pts to +0.09 pts".to_string())
        );
        assert_eq!(p_value(0.1234), "0.123");
    }
}
