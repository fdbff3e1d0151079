//! The archive: `<out>/index.html` and `index.md` list every weekly report
//! (and the impact report) with its headline KPIs, rebuilt from the
//! metrics.json files on disk after each run.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;

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

/// Read every report under `out`, newest week first. Unreadable entries are
/// skipped: the archive lists what it can read.
pub fn scan(out: &Path) -> Result<Archive> {
    let mut archive = Archive::default();
    if let Ok(entries) = std::fs::read_dir(out.join("weekly")) {
        for entry in entries.flatten() {
            let Ok(text) = std::fs::read_to_string(entry.path().join("metrics.json")) else {
                continue;
            };
            let Ok(m) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            let week = entry.file_name().to_string_lossy().into_owned();
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
                html: format!("weekly/{week}/summary.html"),
                md: format!("weekly/{week}/summary.md"),
                iso_week: week,
            });
        }
    }
    archive.weeks.sort_by(|a, b| b.iso_week.cmp(&a.iso_week));
    if let Ok(text) = std::fs::read_to_string(out.join("impact/metrics.json"))
        && let Ok(m) = serde_json::from_str::<Value>(&text)
    {
        let (met, with_target) = met(&m["kpis"]);
        archive.impact = Some(ImpactLink {
            from: m["window"]["from"].as_str().unwrap_or_default().to_string(),
            to: m["window"]["to"].as_str().unwrap_or_default().to_string(),
            met,
            with_target,
            html: "impact/impact.html".into(),
        });
    }
    if let Ok(text) = std::fs::read_to_string(out.join("roi/metrics.json"))
        && let Ok(m) = serde_json::from_str::<Value>(&text)
    {
        archive.roi = Some(RoiLink {
            from: m["window"]["from"].as_str().unwrap_or_default().to_string(),
            to: m["window"]["to"].as_str().unwrap_or_default().to_string(),
            annualized_net_savings: m["roi"]["annualized_net_savings"].as_f64(),
            html: "roi/roi.html".into(),
            md: "roi/roi.md".into(),
        });
    }
    if archive.currency.is_empty() {
        archive.currency = "USD".into();
    }
    Ok(archive)
}

/// Rebuild `index.html` and `index.md` under `out`.
pub fn rebuild(out: &Path, templates: Option<&Path>) -> Result<Vec<std::path::PathBuf>> {
    let archive = scan(out)?;
    let tera = crate::render::environment(templates)?;
    let mut bundle = crate::deliver::files::Bundle::default();
    bundle.add(
        out.join("index.html"),
        crate::render::render(&tera, "index.html", &archive)?,
    );
    bundle.add(
        out.join("index.md"),
        crate::render::render(&tera, "index.md", &archive)?,
    );
    bundle.write()?;
    Ok(bundle.files.into_iter().map(|(p, _)| p).collect())
}
