//! `cacheroi roi`: the finance case over a window — totals and customers in
//! exact decimals, assumptions, scenarios, sensitivity (tornado), NPV — as
//! roi.html, roi.md, roi.csv, roi.xlsx and metrics.json under <out>/roi/.

use std::path::Path;

use chrono::NaiveDate;

use anyhow::{Result, anyhow};

use super::Written;
use super::inputs::{WindowData, load_window};
use crate::cli::RoiArgs;
use crate::config::Settings;
use crate::metrics::requests::{baseline, days_of, measure};
use crate::metrics::roi::{self, CustomerInput, RoiInputs};
use crate::report::kind::ReportKind;
use crate::report::roi::RoiReport;
use crate::{metrics, render, report};

/// Read, measure and compute the case for `[from, to)`.
/// `by_month`: also each calendar month of the window (`roi --by month`).
pub fn build(
    settings: &Settings,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    by_month: bool,
) -> Result<(RoiInputs, RoiReport)> {
    build_from(settings, load_window(settings, from, to, false)?, by_month)
}

/// [`build`] over a window already loaded.
pub fn build_from(settings: &Settings, wd: WindowData, by_month: bool) -> Result<(RoiInputs, RoiReport)> {
    let WindowData {
        window,
        data,
        baseline_days,
        extent,
        ..
    } = wd;
    let b_window = settings.baseline()?;
    let base = baseline(&data.requests, baseline_days, None);
    let baseline_sums = &base.overall;
    if baseline_sums.rows == 0 {
        return Err(anyhow!(
            "no baseline requests with the cache off between {} and {}: the ROI has nothing to compare with",
            b_window.from,
            b_window.to
        ));
    }
    let measured = measure(&data.requests, &data.feedback, &window, &base, &settings.costs, None)?;
    let customers: Vec<CustomerInput> =
        metrics::customers::named(&data.requests, data.customers.as_ref(), days_of(&window))?
            .into_iter()
            .map(|(s, name, tier)| CustomerInput {
                name,
                tier,
                requests: s.requests,
                e_rows: s.e_rows,
                e_origin: s.e_origin.round() as u64,
                customer_id: s.customer_id,
            })
            .collect();
    let stats = metrics::experiment::of_period(
        &data.requests,
        &data.feedback,
        days_of(&window),
        baseline_days,
        settings.timezone,
        settings.planned_share,
    )?;
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
        b_rows: baseline_sums.rows,
        b_origin: baseline_sums.origin.round() as u64,
        customers,
        costs: settings.costs.clone(),
        settings: settings.roi.clone(),
        b_mean_latency: mean(baseline_sums.latency_sum, baseline_sums.rows),
        e_mean_latency: mean(measured.period.e_latency_sum, measured.period.e_rows),
        reduction_ci,
        baseline_from: b_window.from.to_string(),
        baseline_to: b_window.to.to_string(),
        weeks: roi::weeks::week_inputs(&data.requests, &window, settings.timezone),
        months: Vec::new(),
    };
    let inputs = RoiInputs {
        months: if by_month {
            let ids: Vec<String> = inputs.customers.iter().map(|c| c.customer_id.clone()).collect();
            roi::weeks::month_inputs(&data.requests, &window, settings.timezone, &ids)
        } else {
            Vec::new()
        },
        ..inputs
    };
    let case = roi::compute(&inputs)?.ok_or_else(|| anyhow!("no baseline to compare with"))?;
    let ctx = settings.report_context();
    let mut report = report::roi::shown(&ctx, &settings.roi, &inputs, case, data.quality);
    report.metrics.window.notes = report::window_notes(&ctx, window.start_date, window.end_date, extent);
    Ok((inputs, report))
}

/// Build, render and write the ROI report under `out`.
pub fn write(
    settings: &Settings,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    by_month: bool,
    out: &Path,
) -> Result<Written> {
    let (inputs, report) = build(settings, from, to, by_month)?;
    let dir = ReportKind::Roi.dir(out, "");
    let tera = super::templates(settings)?;
    let rendered = render::files::roi(&tera, &inputs, &report)?;
    let files = super::write_with_archive(&tera, &dir, &rendered, out)?;
    Ok(Written { dir, files, rendered })
}

/// `cacheroi roi`: build, render, write everything at once.
pub fn run(settings: &Settings, args: &RoiArgs) -> Result<Written> {
    let out = args.window.out.clone().unwrap_or_else(|| settings.output_dir.clone());
    let (from, to) = args.window.dates();
    write(settings, from, to, args.by == Some(crate::cli::Split::Month), &out)
}
