//! The dashboard's trend charts: every week on record, from the archive's
//! cards (each card's value week by week).

use anyhow::Result;

use super::line::{LineChart, Series};
use super::{Chart, YFormat};
use crate::ground::units;
use crate::report::archive::{Archive, Card};

fn card<'a>(a: &'a Archive, key: &str) -> Option<&'a Card> {
    a.cards.iter().find(|c| c.key == key)
}

/// A card's name in a chart legend (the cards' own labels are too long).
fn short_label(key: &str) -> &str {
    match key {
        "api_call_reduction" => "API calls cut",
        "latency_improvement_p50" => "p50 latency cut",
        "cache_hit_rate" => "Hit rate",
        "adoption" => "Adoption",
        "p99_latency_ms" => "p99 latency",
        "enterprise_savings" => "Per enterprise customer",
        other => other,
    }
}

fn short(week: &str) -> String {
    week.split_once('-').map_or(week.to_string(), |(_, w)| w.to_string())
}

/// One line chart of some cards (with their targets dashed), with its alt
/// text and data table.
fn lines(
    a: &Archive,
    name: &str,
    title: &str,
    keys: &[&str],
    y: YFormat,
    fmt: &dyn Fn(Option<f64>) -> String,
) -> Result<Chart> {
    let cards: Vec<&Card> = keys.iter().filter_map(|k| card(a, k)).collect();
    let mut series = Vec::new();
    for (i, c) in cards.iter().enumerate() {
        series.push(Series {
            name: short_label(c.key).into(),
            values: c.history.clone(),
            color: i,
            dashed: false,
        });
        if let Some(t) = c.target_value {
            series.push(Series {
                name: format!("target {}", fmt(Some(t))),
                values: vec![Some(t); c.history.len()],
                color: i,
                dashed: true,
            });
        }
    }
    let spec = LineChart {
        title: title.into(),
        x_desc: "ISO week".into(),
        y_desc: String::new(),
        x_labels: a.chart_weeks.iter().map(|w| short(w)).collect(),
        series,
        y_format: y,
    };
    let latest = a.latest.clone().unwrap_or_default();
    let now: Vec<String> = cards.iter().map(|c| format!("{} {}", c.label, c.value)).collect();
    let mut headers = vec!["Week".to_string()];
    headers.extend(cards.iter().map(|c| c.label.to_string()));
    let rows = a
        .chart_weeks
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mut row = vec![w.clone()];
            row.extend(cards.iter().map(|c| fmt(c.history.get(i).copied().flatten())));
            row
        })
        .collect();
    let alt = format!(
        "Line chart: {title}, from {} to {latest}. Latest: {}.",
        a.chart_weeks.first().map_or("", String::as_str),
        now.join(", ")
    );
    super::weekly::chart(name, &spec, alt, headers, rows)
}

/// The dashboard's charts: the headline shares, p99 latency, and the
/// enterprise customers' savings a year; none without a week on record.
pub fn charts(a: &Archive, currency: &str) -> Result<Vec<Chart>> {
    if a.chart_weeks.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![
        lines(
            a,
            "dashboard-headline",
            "Headline KPIs by week, with targets (dashed)",
            &[
                "api_call_reduction",
                "latency_improvement_p50",
                "cache_hit_rate",
                "adoption",
            ],
            YFormat::Percent,
            &units::pct,
        )?,
        lines(
            a,
            "dashboard-p99",
            "p99 latency by week, with its target (dashed)",
            &["p99_latency_ms"],
            YFormat::Milliseconds,
            &|v| units::kpi(v, "milliseconds", ""),
        )?,
        lines(
            a,
            "dashboard-enterprise",
            "Savings per enterprise customer a year, by week",
            &["enterprise_savings"],
            YFormat::Number,
            &|v| units::money(v, currency),
        )?,
    ])
}
