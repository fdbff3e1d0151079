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

/// `<out>/dashboard.json`: every ISO week with request rows, up to the
/// reported one, with the KPI values its own weekly metrics.json holds.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Series {
    pub weeks: Vec<SeriesWeek>,
}

impl Series {
    /// The series of weeks and their KPI values, in order.
    pub fn of(weeks: Vec<(crate::period::IsoWeek, crate::metrics::requests::KpiValues)>) -> Series {
        Series {
            weeks: weeks
                .into_iter()
                .map(|(w, kpis)| SeriesWeek { week: w.label(), kpis })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesWeek {
    pub week: String,
    pub kpis: std::collections::BTreeMap<crate::ground::kpi::Kpi, Option<f64>>,
}

/// A metric card of the dashboard: the newest week's value against its
/// target, and its move since the week before on record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
    /// "target 70.0 %" (empty without one).
    pub target: String,
    /// `met`, `at_risk`, `missed`, `no_data`, or None without a target.
    pub status: Option<String>,
    /// ▲, ▼ or → (no change or nothing to compare with).
    pub arrow: &'static str,
    /// Whether the move is for the better (None: no move).
    pub better: Option<bool>,
    /// "+2.1 pts since 2026-W45" (empty without a week before).
    pub change: String,
    /// Each week's value on record, oldest first, and the newest week's
    /// target (for the charts).
    #[serde(skip)]
    pub history: Vec<Option<f64>>,
    #[serde(skip)]
    pub target_value: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Archive {
    /// The dashboard: the brief's success metrics for the newest week.
    pub cards: Vec<Card>,
    /// The newest week on record ("2026-W46"), for the cards' heading.
    pub latest: Option<String>,
    /// ISO weeks on record, oldest first (the charts' x axis).
    pub chart_weeks: Vec<String>,
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

/// The dashboard's cards: the success metrics of the product brief.
/// (key, label, where: a KPI key, or `enterprise_savings`.)
pub const CARDS: [(&str, &str); 11] = [
    ("api_call_reduction", "API call reduction"),
    ("latency_improvement_p50", "Page-load (p50 latency) improvement"),
    ("cache_hit_rate", "Cache hit rate"),
    ("enterprise_savings", "Savings per enterprise customer, a year"),
    ("user_time_saved_hours_per_user_week", "Time saved per user and week"),
    ("customer_satisfaction", "Customer satisfaction"),
    ("adoption", "Adoption"),
    ("active_users", "Active users"),
    ("error_rate", "Error rate"),
    ("p99_latency_ms", "p99 latency"),
    ("cache_availability", "Cache availability"),
];

/// A card's value in one week's metrics.json, its target and status.
fn card_cell(m: &Value, key: &str) -> (Option<f64>, Option<f64>, Option<String>) {
    if key == "enterprise_savings" {
        let v = m["enterprise_savings"]["mean_annual_net_savings"].as_f64();
        // Met from the low end of the brief's range on.
        let (lo, _) = crate::metrics::roi::ENTERPRISE_RANGE;
        let status = v.map(|x| if x < lo as f64 { "missed" } else { "met" }.to_string());
        return (v, Some(lo as f64), status);
    }
    let c = &m["kpis"][key];
    (
        c["value"].as_f64(),
        c["target"].as_f64(),
        c["status"].as_str().map(str::to_string),
    )
}

fn cards(newest_first: &[(&String, &Value)], currency: &str) -> Vec<Card> {
    use crate::ground::kpi::{Direction, Kpi};
    use crate::ground::units;
    let Some((_, latest)) = newest_first.first() else {
        return Vec::new();
    };
    let before = newest_first.get(1);
    CARDS
        .iter()
        .map(|(key, label)| {
            let kpi = Kpi::from_key(key);
            let unit = kpi.map_or("money", |k| k.unit().name());
            let shown = |v: Option<f64>| units::kpi(v, unit, currency).trim_end().to_string();
            let (value, target, status) = card_cell(latest, key);
            let previous = before.and_then(|(_, m)| card_cell(m, key).0);
            let higher_is_better = kpi.is_none_or(|k| k.direction() == Direction::HigherIsBetter);
            let (arrow, better, change) = match (value, previous) {
                (Some(v), Some(p)) if v != p => {
                    let d = v - p;
                    let sign = if d > 0.0 { "+" } else { "−" };
                    let pts = d.abs() * 100.0;
                    let change = match unit {
                        "ratio" if pts < 0.1 => format!("{sign}{pts:.2} pts"),
                        "ratio" => format!("{sign}{pts:.1} pts"),
                        _ => format!("{sign}{}", shown(Some(d.abs()))),
                    };
                    (
                        if d > 0.0 { "▲" } else { "▼" },
                        Some((d > 0.0) == higher_is_better),
                        format!("{change} since {}", before.map_or("", |b| b.0.as_str())),
                    )
                }
                (Some(_), Some(_)) => (
                    "→",
                    None,
                    format!("unchanged since {}", before.map_or("", |b| b.0.as_str())),
                ),
                _ => ("→", None, String::new()),
            };
            let target = match (*key, target) {
                ("enterprise_savings", Some(_)) => {
                    let (lo, hi) = crate::metrics::roi::ENTERPRISE_RANGE;
                    format!(
                        "brief: {}–{} {currency}",
                        units::count(Some(lo as f64)),
                        units::count(Some(hi as f64))
                    )
                }
                (_, Some(t)) => format!("target {}", shown(Some(t))),
                (_, None) => String::new(),
            };
            Card {
                key,
                label,
                value: shown(value),
                target,
                status,
                arrow,
                better,
                change,
                history: newest_first.iter().rev().map(|(_, m)| card_cell(m, key).0).collect(),
                target_value: card_cell(latest, key).1,
            }
        })
        .collect()
}

/// The charts over every week of the rollups (`dashboard.json`), not only
/// the weeks whose report was written: a KPI's history from the series, a
/// card that is no KPI (enterprise savings) from the reports on record.
fn with_series(archive: &mut Archive, series: &[Value], reports: &[(&String, &Value)]) {
    let weeks: Vec<String> = series
        .iter()
        .filter_map(|w| w["week"].as_str().map(str::to_string))
        .collect();
    if weeks.len() != series.len() || weeks.is_empty() {
        return;
    }
    for card in &mut archive.cards {
        card.history = if crate::ground::kpi::Kpi::from_key(card.key).is_some() {
            series.iter().map(|w| w["kpis"][card.key].as_f64()).collect()
        } else {
            weeks
                .iter()
                .map(|w| {
                    reports
                        .iter()
                        .find(|(r, _)| *r == w)
                        .and_then(|(_, m)| card_cell(m, card.key).0)
                })
                .collect()
        };
    }
    archive.chart_weeks = weeks;
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
    let mut newest_first: Vec<(&String, &Value)> = written.weeks.iter().map(|(w, m)| (w, m)).collect();
    newest_first.sort_by(|a, b| b.0.cmp(a.0));
    let currency = if archive.currency.is_empty() {
        "USD"
    } else {
        archive.currency.as_str()
    };
    archive.cards = cards(&newest_first, currency);
    archive.latest = newest_first.first().map(|w| w.0.clone());
    archive.chart_weeks = newest_first.iter().rev().map(|w| w.0.clone()).collect();
    if let Some(series) = written.dashboard.as_ref().and_then(|d| d["weeks"].as_array()) {
        with_series(&mut archive, series, &newest_first);
    }
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
            dashboard: None,
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
        // The dashboard: W47's 40 % against 30 %, up 20 points from W46's 20 %.
        let card = &a.cards[0];
        assert_eq!(
            (
                card.key,
                card.value.as_str(),
                card.target.as_str(),
                card.status.as_deref()
            ),
            ("api_call_reduction", "40.0 %", "target 30.0 %", Some("met"))
        );
        assert_eq!(
            (card.arrow, card.better, card.change.as_str()),
            ("▲", Some(true), "+20.0 pts since 2026-W46")
        );
        assert_eq!(card.history, [Some(0.2), Some(0.4)]);
        assert_eq!(a.chart_weeks, ["2026-W46", "2026-W47"]);
        // A KPI without data: no value, no arrow.
        let p99 = a.cards.iter().find(|c| c.key == "p99_latency_ms").unwrap();
        assert_eq!((p99.value.as_str(), p99.arrow, p99.better), ("—", "→", None));
    }

    #[test]
    fn a_lower_is_better_kpi_going_down_is_for_the_better() {
        let week = |w: &str, errors: f64, enterprise: f64| {
            (
                w.to_string(),
                serde_json::json!({
                    "period": {"start": "2026-11-16", "end": "2026-11-23"},
                    "kpis": {"error_rate": {"value": errors, "target": 0.001, "status": "met"}},
                    "enterprise_savings": {"customers": 2, "mean_annual_net_savings": enterprise},
                    "generated": {"currency": "USD"},
                    "data_quality": {"rows_rejected": 0}
                }),
            )
        };
        let written = Written {
            weeks: vec![week("2026-W46", 0.0008, 12_000.0), week("2026-W47", 0.0005, 9_000.0)],
            impact: None,
            roi: None,
            dashboard: None,
        };
        let a = build(&written);
        let errors = a.cards.iter().find(|c| c.key == "error_rate").unwrap();
        // 0.08 % → 0.05 %: down 0.03 points, for the better.
        assert_eq!(
            (errors.arrow, errors.better, errors.change.as_str()),
            ("▼", Some(true), "−0.03 pts since 2026-W46")
        );
        // 9,000 a year is below the brief's 10,000–50,000: missed, and worse.
        let e = a.cards.iter().find(|c| c.key == "enterprise_savings").unwrap();
        assert_eq!(
            (e.value.as_str(), e.target.as_str(), e.status.as_deref(), e.better),
            ("9,000.00 USD", "brief: 10,000–50,000 USD", Some("missed"), Some(false))
        );
    }
}
