//! `cacheroi roi`: the finance case over a window — totals and customers in
//! exact decimals, assumptions, scenarios, sensitivity (tornado), NPV — as
//! roi.html, roi.md, roi.csv, roi.xlsx and metrics.json under <out>/roi/.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use super::impact::{WindowData, load_window};
use crate::cli::RoiArgs;
use crate::config::Settings;
use crate::deliver::files::Bundle;
use crate::metrics::requests::{baseline, customer_stats, days_of, measure};
use crate::render::charts::Chart;
use crate::report::weekly::Generated;
use crate::roi::{self, CustomerInput, RoiCase, RoiInputs, cents_adding_up};
use crate::sources::customers;
use crate::{metrics, render};

/// `window` of roi's metrics.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiWindow {
    pub from: String,
    pub to: String,
    pub days: i64,
}

/// roi's metrics.json (CONTRACT §3) with the whole case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiMetrics {
    pub window: RoiWindow,
    #[serde(flatten)]
    pub case: RoiCase,
    pub data_quality: crate::quality::DataQuality,
    pub generated: Generated,
}

/// A customer row as shown: money in cents that add up to the shown totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShownCustomer {
    pub customer_id: String,
    pub name: String,
    pub tier: String,
    pub requests: u64,
    pub cached_requests: u64,
    pub origin_calls_avoided: f64,
    pub gross_savings: f64,
    pub redis_cost: f64,
    pub net_savings: f64,
    pub annualized_net_savings: f64,
    pub enterprise_range: Option<&'static str>,
}

/// Everything roi.html and roi.md show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiReport {
    pub metrics: RoiMetrics,
    pub customers: Vec<ShownCustomer>,
    pub enterprise: Vec<ShownCustomer>,
    pub currency: String,
    pub rows_rejected: u64,
    /// "3 years at 10.0 %".
    pub npv_label: String,
    /// The break-even origin call cost to six decimals, or "—".
    pub break_even: String,
}

/// Read, measure and compute the case for `[from, to)`.
pub fn build(
    settings: &Settings,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Result<(RoiInputs, RoiReport)> {
    let WindowData {
        window,
        data,
        baseline_days,
        ..
    } = load_window(settings, from, to, false)?;
    let base = baseline(&data.requests, baseline_days, None);
    let b = &base.overall;
    if b.rows == 0 {
        return Err(anyhow!(
            "no baseline requests with the cache off between {} and {}: the ROI has nothing to compare with",
            settings.baseline()?.from,
            settings.baseline()?.to
        ));
    }
    let m = measure(&data.requests, &data.feedback, &window, &base, &settings.costs, None)?;
    let names = customers::names_and_tiers(data.customers.as_ref())?;
    let customers: Vec<CustomerInput> = customer_stats(&data.requests, days_of(&window))
        .into_iter()
        .map(|s| {
            let (name, tier) = names
                .get(&s.customer_id)
                .cloned()
                .unwrap_or_else(|| (s.customer_id.clone(), String::new()));
            CustomerInput {
                name,
                tier,
                requests: s.requests,
                e_rows: s.e_rows,
                e_origin: s.e_origin.round() as u64,
                customer_id: s.customer_id,
            }
        })
        .collect();
    let groups = metrics::experiment::groups(
        &data.requests,
        &data.feedback,
        days_of(&window),
        baseline_days,
        settings.timezone,
    )?;
    let stats = metrics::experiment::analyze(&groups, settings.planned_share);
    // API call reduction = −(relative change of origin calls per request).
    let reduction_ci = stats
        .before_after("origin_calls_per_request")
        .and_then(|c| c.effect)
        .and_then(|e| e.rel_ci)
        .map(|[lo, hi]| [-hi, -lo]);
    let mean = |sum: f64, n: u64| (n > 0).then(|| sum / n as f64);
    let inputs = RoiInputs {
        from: window.start_date.to_string(),
        to: window.end_date.to_string(),
        days: window.days(),
        b_rows: b.rows,
        b_origin: b.origin.round() as u64,
        customers,
        costs: settings.costs.clone(),
        settings: settings.roi.clone(),
        b_mean_latency: mean(b.latency_sum, b.rows),
        e_mean_latency: mean(m.period.e_latency_sum, m.period.e_rows),
        reduction_ci,
        baseline_from: settings.baseline()?.from.to_string(),
        baseline_to: settings.baseline()?.to.to_string(),
    };
    let case = roi::compute(&inputs)?.ok_or_else(|| anyhow!("no baseline to compare with"))?;
    let report = shown(settings, &inputs, case, data.quality);
    Ok((inputs, report))
}

fn shown(settings: &Settings, i: &RoiInputs, case: RoiCase, quality: crate::quality::DataQuality) -> RoiReport {
    let be = case.break_even_origin_call_cost;
    let rows = &case.customers;
    let r = &case.roi;
    let col = |f: fn(&roi::CustomerRoi) -> Decimal, total: Decimal| -> Vec<f64> {
        cents_adding_up(&rows.iter().map(f).collect::<Vec<_>>(), total)
            .into_iter()
            .map(|x| x.to_f64().unwrap_or(0.0))
            .collect()
    };
    let avoided = col(|c| c.origin_calls_avoided, r.origin_calls_avoided);
    let gross = col(|c| c.gross_savings, r.gross_savings);
    let redis = col(|c| c.redis_cost, r.redis_cost);
    let net = col(|c| c.net_savings, r.net_savings);
    let annual = col(|c| c.annualized_net_savings, r.annualized_net_savings);
    let customers: Vec<ShownCustomer> = rows
        .iter()
        .enumerate()
        .map(|(k, c)| ShownCustomer {
            customer_id: c.customer_id.clone(),
            name: c.name.clone(),
            tier: c.tier.clone(),
            requests: c.requests,
            cached_requests: c.cached_requests,
            origin_calls_avoided: avoided[k],
            gross_savings: gross[k],
            redis_cost: redis[k],
            net_savings: net[k],
            annualized_net_savings: annual[k],
            enterprise_range: c.enterprise_range,
        })
        .collect();
    let enterprise = customers
        .iter()
        .filter(|c| c.enterprise_range.is_some())
        .cloned()
        .collect();
    RoiReport {
        rows_rejected: quality.rows_rejected,
        metrics: RoiMetrics {
            window: RoiWindow {
                from: i.from.clone(),
                to: i.to.clone(),
                days: i.days,
            },
            case,
            data_quality: quality,
            generated: Generated::new(&settings.report_context()),
        },
        customers,
        enterprise,
        currency: settings.costs.currency.clone(),
        break_even: be.map_or_else(
            || "—".into(),
            |x| format!("{:.6} {}", x.round_dp(6), settings.costs.currency),
        ),
        npv_label: format!(
            "{} years at {}",
            settings.roi.npv_horizon_years,
            crate::ground::units::pct(Some(settings.roi.discount_rate))
        ),
    }
}

/// The tornado chart of the sensitivity table.
fn tornado(report: &RoiReport) -> Result<Chart> {
    use crate::render::charts::tornado::Tornado;
    let case = &report.metrics.case;
    let f = |x: Decimal| x.to_f64().unwrap_or(0.0);
    let cur = &report.currency;
    let money = |x: Decimal| crate::ground::units::money(x.to_f64(), cur);
    let spec = Tornado {
        title: "Annualized net savings: one driver at a time".into(),
        base: f(case.roi.annualized_net_savings),
        bars: case
            .sensitivity
            .iter()
            .map(|s| (s.driver.to_string(), f(s.low), f(s.high)))
            .collect(),
        x_desc: format!("annualized net savings ({cur})"),
    };
    let (svg, png) = render::charts::render(&spec)?;
    Ok(Chart {
        name: "tornado".into(),
        title: spec.title.clone(),
        alt: format!(
            "Tornado chart of annualized net savings around the base case {}: {}.",
            money(case.roi.annualized_net_savings),
            case.sensitivity
                .iter()
                .map(|s| format!("{} {} to {}", s.driver, money(s.low), money(s.high)))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        headers: vec!["Driver".into(), "Low".into(), "High".into()],
        rows: case
            .sensitivity
            .iter()
            .map(|s| vec![s.driver.to_string(), money(s.low), money(s.high)])
            .collect(),
        width: render::charts::WIDTH,
        height: render::charts::HEIGHT,
        svg,
        png,
    })
}

/// Every file of the ROI report, rendered in memory.
pub fn render_files(inputs: &RoiInputs, report: &RoiReport, dir: &Path, templates: Option<&Path>) -> Result<Bundle> {
    let tera = render::environment(templates)?;
    let charts = vec![tornado(report)?];
    let view = render::View::new(report, &[], &charts);
    let mut bundle = Bundle::default();
    bundle.add_json(dir.join("metrics.json"), &report.metrics)?;
    bundle.add(dir.join("roi.md"), render::render(&tera, "roi.md", &view)?);
    bundle.add(dir.join("roi.html"), render::render(&tera, "roi.html", &view)?);
    bundle.add(dir.join("roi.csv"), roi::csv::roi_csv(&report.metrics.case)?);
    bundle.add(dir.join("roi.xlsx"), roi::xlsx::roi_xlsx(inputs, &report.metrics.case)?);
    bundle.add_charts(&dir.join("charts"), &charts);
    Ok(bundle)
}

/// `cacheroi roi`: build, render, write everything at once.
pub fn run(settings: &Settings, args: &RoiArgs) -> Result<Vec<PathBuf>> {
    let (inputs, report) = build(settings, args.from, args.to)?;
    let out = args.out.clone().unwrap_or_else(|| settings.output_dir.clone());
    let bundle = render_files(&inputs, &report, &out.join("roi"), settings.templates_dir.as_deref())?;
    super::write_with_archive(&bundle, &out, settings.templates_dir.as_deref())
}
