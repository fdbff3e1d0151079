//! The archive: `<out>/index.html` and `index.md` list every weekly report
//! (and the impact and ROI reports) with its headline KPIs, built from the
//! metrics.json files of the reports written so far (read by
//! `sources::archive`).

use serde::Serialize;
use serde_json::Value;

use super::kind::ReportKind;
use crate::sources::archive::Written;

/// One weekly report in the archive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArchiveRow {
    pub iso_week: String,
    pub start: String,
    pub end: String,
    pub met: usize,
    pub with_target: usize,
    pub adoption: Option<f64>,
    pub cache_hit_rate: Option<f64>,
    pub api_call_reduction: Option<f64>,
    pub latency_improvement_p50: Option<f64>,
    pub error_rate: Option<f64>,
    pub customer_satisfaction: Option<f64>,
    pub cost_savings: Option<f64>,
    pub rows_rejected: u64,
    pub html: String,
    pub md: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpactLink {
    pub from: String,
    pub to: String,
    pub met: usize,
    pub with_target: usize,
    pub html: String,
}

/// The finance report, if one was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiLink {
    pub from: String,
    pub to: String,
    pub annualized_net_savings: Option<f64>,
    /// The run-rate week and its annualized net savings (at current adoption).
    pub run_rate_week: Option<String>,
    pub run_rate: Option<f64>,
    pub html: String,
    pub md: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Archive {
    pub weeks: Vec<ArchiveRow>,
    pub impact: Option<ImpactLink>,
    pub roi: Option<RoiLink>,
    pub currency: String,
}

fn value(kpis: &Value, key: &str) -> Option<f64> {
    kpis.get(key)?.get("value")?.as_f64()
}

fn met(kpis: &Value) -> (usize, usize) {
    let Some(map) = kpis.as_object() else { return (0, 0) };
    let with: Vec<_> = map
        .values()
        .filter(|c| c.get("target").is_some_and(|t| !t.is_null()))
        .collect();
    (
        with.iter()
            .filter(|c| c.get("status").and_then(Value::as_str) == Some("met"))
            .count(),
        with.len(),
    )
}

/// A report's file relative to the output folder ("weekly/2026-W46/summary.html").
fn link(kind: ReportKind, week: &str, file: &str) -> String {
    let dir = kind.dir(std::path::Path::new(""), week);
    format!("{}/{file}", dir.display())
}

/// The archive of the reports written so far, newest week first.
pub fn build(written: &Written) -> Archive {
    let mut archive = Archive::default();
    for (week, m) in &written.weeks {
        let week = week.clone();
        let kpis = &m["kpis"];
        let (met, with_target) = met(kpis);
        if archive.currency.is_empty() {
            archive.currency = m["generated"]["currency"].as_str().unwrap_or("USD").to_string();
        }
        archive.weeks.push(ArchiveRow {
            start: m["period"]["start"].as_str().unwrap_or_default().to_string(),
            end: m["period"]["end"].as_str().unwrap_or_default().to_string(),
            met,
            with_target,
            adoption: value(kpis, "adoption"),
            cache_hit_rate: value(kpis, "cache_hit_rate"),
            api_call_reduction: value(kpis, "api_call_reduction"),
            latency_improvement_p50: value(kpis, "latency_improvement_p50"),
            error_rate: value(kpis, "error_rate"),
            customer_satisfaction: value(kpis, "customer_satisfaction"),
            cost_savings: value(kpis, "cost_savings"),
            rows_rejected: m["data_quality"]["rows_rejected"].as_u64().unwrap_or(0),
            html: link(ReportKind::Weekly, &week, ReportKind::Weekly.spec().parts.html),
            md: link(ReportKind::Weekly, &week, ReportKind::Weekly.spec().parts.markdown),
            iso_week: week,
        });
    }
    archive.weeks.sort_by(|a, b| b.iso_week.cmp(&a.iso_week));
    if let Some(m) = &written.impact {
        let (met, with_target) = met(&m["kpis"]);
        archive.impact = Some(ImpactLink {
            from: m["window"]["from"].as_str().unwrap_or_default().to_string(),
            to: m["window"]["to"].as_str().unwrap_or_default().to_string(),
            met,
            with_target,
            html: link(ReportKind::Impact, "", ReportKind::Impact.spec().parts.html),
        });
    }
    if let Some(m) = &written.roi {
        archive.roi = Some(RoiLink {
            from: m["window"]["from"].as_str().unwrap_or_default().to_string(),
            to: m["window"]["to"].as_str().unwrap_or_default().to_string(),
            annualized_net_savings: m["roi"]["annualized_net_savings"].as_f64(),
            run_rate_week: m["run_rate"]["week"].as_str().map(str::to_string),
            run_rate: m["run_rate"]["figures"]["annualized_net_savings"].as_f64(),
            html: link(ReportKind::Roi, "", ReportKind::Roi.spec().parts.html),
            md: link(ReportKind::Roi, "", ReportKind::Roi.spec().parts.markdown),
        });
    }
    if archive.currency.is_empty() {
        archive.currency = "USD".into();
    }
    archive
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_newest_first_with_their_targets_met() {
        let week = |w: &str, api: f64| {
            (
                w.to_string(),
                serde_json::json!({
                    "period": {"start": "2026-11-16", "end": "2026-11-23"},
                    "kpis": {
                        "api_call_reduction": {"value": api, "target": 0.3, "status": if api >= 0.3 { "met" } else { "missed" }},
                        "requests": {"value": 10.0, "target": null, "status": null}
                    },
                    "generated": {"currency": "EUR"},
                    "data_quality": {"rows_rejected": 2}
                }),
            )
        };
        let written = Written {
            weeks: vec![week("2026-W46", 0.2), week("2026-W47", 0.4)],
            impact: None,
            roi: None,
        };
        let a = build(&written);
        let weeks: Vec<_> = a
            .weeks
            .iter()
            .map(|w| (w.iso_week.as_str(), w.met, w.with_target))
            .collect();
        // W47: 0.4 ≥ 0.3 met (1 of 1 with a target); W46: 0.2 missed (0 of 1).
        assert_eq!(weeks, [("2026-W47", 1, 1), ("2026-W46", 0, 1)]);
        assert_eq!(a.currency, "EUR");
        assert_eq!(a.weeks[1].rows_rejected, 2);
        assert_eq!(a.weeks[0].html, "weekly/2026-W47/summary.html");
    }
}
