//! A rendered report as named files — names relative to the report's folder,
//! bytes in memory — one function per report kind. Nothing is written here:
//! `deliver` writes a complete set, so an error while rendering writes
//! nothing.

use anyhow::Result;
use tera::Tera;

use super::charts::{self, Chart};
use super::{View, render};
pub use crate::ground::files::Files;
use crate::ground::kpi::Kpi;
use crate::metrics::roi::RoiInputs;
use crate::report::archive::Archive;
use crate::report::impact::ImpactReport;
use crate::report::roi::RoiReport;
use crate::report::weekly::WeeklyReport;

/// Every chart as `charts/<name>.png` and `charts/<name>.svg`.
fn add_charts(f: &mut Files, charts: &[Chart]) {
    for c in charts {
        f.add(format!("charts/{}.png", c.name), c.png.clone());
        f.add(format!("charts/{}.svg", c.name), c.svg.clone());
    }
}

/// metrics.json, summary.md, summary.html and the charts.
pub fn weekly(tera: &Tera, report: &WeeklyReport) -> Result<Files> {
    let charts = charts::weekly::charts(&charts::weekly::Context::weekly(report))?;
    let view = View::new(report, &report.headline, &charts);
    let mut f = Files::default();
    f.add_json("metrics.json", &report.metrics)?;
    f.add("summary.md", render(tera, "weekly.md", &view)?);
    f.add("summary.html", render(tera, "weekly.html", &view)?);
    add_charts(&mut f, &charts);
    Ok(f)
}

/// metrics.json, impact.md, impact.html and the charts.
pub fn impact(tera: &Tera, report: &ImpactReport) -> Result<Files> {
    let ctx = charts::weekly::Context {
        trend: &report.trend,
        targets: report
            .metrics
            .kpis
            .iter()
            .filter_map(|(k, c)| c.target.map(|t| (*k, t)))
            .collect(),
        label: "rollout".into(),
        log_hit_rate: report.metrics.kpis.get(&Kpi::CacheHitRate).and_then(|c| c.value),
        redis_hit_rate: report.metrics.redis.hit_rate,
    };
    let charts = charts::weekly::charts(&ctx)?;
    let view = View::new(report, &report.headline, &charts);
    let mut f = Files::default();
    f.add_json("metrics.json", &report.metrics)?;
    f.add("impact.md", render(tera, "impact.md", &view)?);
    f.add("impact.html", render(tera, "impact.html", &view)?);
    add_charts(&mut f, &charts);
    Ok(f)
}

/// metrics.json, roi.md, roi.html, roi.csv, roi.xlsx (live formulas) and
/// the tornado chart.
pub fn roi(tera: &Tera, inputs: &RoiInputs, report: &RoiReport) -> Result<Files> {
    let charts = vec![charts::tornado::of_case(&report.metrics.case, &report.currency)?];
    let view = View::new(report, &[], &charts);
    let mut f = Files::default();
    f.add_json("metrics.json", &report.metrics)?;
    f.add("roi.md", render(tera, "roi.md", &view)?);
    f.add("roi.html", render(tera, "roi.html", &view)?);
    f.add("roi.csv", super::roi_csv::roi_csv(&report.metrics.case)?);
    f.add("roi.xlsx", super::roi_xlsx::roi_xlsx(inputs, &report.metrics.case)?);
    add_charts(&mut f, &charts);
    Ok(f)
}

/// A customer's report.html, report.md and metrics.json.
pub fn customer(tera: &Tera, report: &crate::report::customer::CustomerReport) -> Result<Files> {
    let view = View::new(report, &[], &[]);
    let mut f = Files::default();
    f.add_json("metrics.json", report)?;
    f.add("report.md", render(tera, "customer.md", &view)?);
    f.add("report.html", render(tera, "customer.html", &view)?);
    Ok(f)
}

/// The file of the dashboard's series under the output folder.
pub const DASHBOARD_JSON: &str = "dashboard.json";

/// `dashboard.json`: the KPIs of every week in the rollups, oldest first.
pub fn dashboard(series: &crate::report::archive::Series) -> Result<Files> {
    let mut f = Files::default();
    f.add_json(DASHBOARD_JSON, series)?;
    Ok(f)
}

/// The archive's index.html and index.md — the dashboard: the success
/// metrics' cards and their trend charts over every week on record.
pub fn index(tera: &Tera, archive: &Archive) -> Result<Files> {
    let charts = charts::dashboard::charts(archive, &archive.currency)?;
    let view = View::new(archive, &[], &charts);
    let mut f = Files::default();
    f.add("index.html", render(tera, "index.html", &view)?);
    f.add("index.md", render(tera, "index.md", &view)?);
    add_charts(&mut f, &charts);
    Ok(f)
}

/// The opening of an escalated mail: (HTML box, Markdown), each placed
/// before the week's own report.
pub fn escalation(tera: &Tera, e: &crate::report::escalation::Escalation) -> Result<(String, String)> {
    #[derive(serde::Serialize)]
    struct V<'a> {
        e: &'a crate::report::escalation::Escalation,
    }
    Ok((
        render(tera, "escalation.html", &V { e })?,
        render(tera, "escalation.md", &V { e })?,
    ))
}

/// A brief's brief.html, brief.md and metrics.json (the brief as data).
pub fn brief(tera: &Tera, brief: &crate::report::brief::Brief) -> Result<Files> {
    let view = View::new(brief, &[], &[]);
    let mut f = Files::default();
    f.add_json("metrics.json", brief)?;
    f.add("brief.md", render(tera, "brief.md", &view)?);
    f.add("brief.html", render(tera, "brief.html", &view)?);
    Ok(f)
}
