//! `cacheroi impact`: the post-launch impact report over the whole rollout.

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::{Duration, NaiveDate};

use super::Written;
use super::inputs::{WindowData, load_window};
use crate::cli::ImpactArgs;
use crate::config::Settings;
use crate::evaluate::evaluate_all;
use crate::metrics::fold;
use crate::metrics::requests::{baseline, days_of, measure, measure_periods};
use crate::period::{IsoWeek, Period};
use crate::report::impact::{ImpactReport, WeekRow};
use crate::report::kind::ReportKind;
use crate::rollups::build::date_of;
use crate::{evaluate, metrics, render, report};

/// Build the impact report over `[from, to)` (defaults: the rollout start to
/// the day after the last request row).
pub fn build(settings: &Settings, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<ImpactReport> {
    build_from(settings, load_window(settings, from, to, true)?)
}

/// [`build`] over a window already loaded (its feedback from the first
/// baseline week on).
pub fn build_from(settings: &Settings, wd: WindowData) -> Result<ImpactReport> {
    let (tz, costs, ctx) = (settings.timezone, &settings.costs, settings.report_context());
    let WindowData {
        start,
        window,
        data,
        baseline_days,
        extent,
    } = wd;
    let rollups = &data.requests;
    let (b_from, b_to) = ctx.baseline()?;
    let base = baseline(rollups, baseline_days, None);
    let this = measure(rollups, &data.feedback, &window, &base, costs, None)?;
    let baseline_window = Period::new(b_from, b_to, tz);
    let before = measure(rollups, &data.feedback, &baseline_window, &base, costs, None)?;
    let weeks = window_weeks(rollups, b_from, start, &window);
    let periods: Vec<Period> = weeks.iter().map(|w| w.period(tz)).collect();
    let measured = measure_periods(rollups, &data.feedback, &periods, &base, costs, None)?;
    let trend_days = (days_of(&periods[0]).0, days_of(&window).1);
    let points: Vec<metrics::trend::TrendPoint> = measured.iter().map(Into::into).collect();
    let days = metrics::daily::points(rollups, &data.store, trend_days, tz);
    let trend = report::weekly::trend(&ctx, &weeks, &points, &this, &base, days)?;
    let plan = super::inputs::plan_of(settings)?;
    let rules = settings.gate_rules()?;
    let week_rows = week_rows(&rules, &ctx, plan.as_ref(), &data, (&weeks, &measured), start)?;
    let (risks, register) = risks_of(settings, &week_rows)?;
    let phases = match &plan {
        Some(plan) => evaluate::phases::results(&rules, plan, rollups, &data.feedback, &base, &window)?,
        None => Vec::new(),
    };
    let statistics = metrics::experiment::of_period(
        rollups,
        &data.feedback,
        days_of(&window),
        baseline_days,
        tz,
        settings.planned_share,
    )?;
    let customers = metrics::customers::rows(rollups, data.customers.as_ref(), &base, &window, costs)?;
    let redis = metrics::redis::measure(&data.store, &window);
    let comments = metrics::feedback::recent_comments(&data.feedback, &window, data.customers.as_ref(), tz)?;
    let by_customer = metrics::feedback::by_customer(&data.feedback, &window)?;
    let report = report::impact::assemble(
        &ctx,
        report::impact::ImpactParts {
            window,
            this,
            before,
            base,
            trend,
            weeks: week_rows,
            phases,
            customers,
            redis,
            comments,
            quality: data.quality,
            files: data.files,
        },
    )?;
    Ok(report::impact::with_statistics(report, statistics)
        .with_window_notes(report::window_notes(&ctx, window.start_date, window.end_date, extent))
        .with_glance(plan.as_ref(), ctx.currency())
        .with_case_studies(&by_customer)
        .with_risks(risks, register.as_ref().map_or(&[][..], |r| &r.escalation[..])))
}

/// The weeks of the trend and the weekly table: from the first baseline
/// week (or the window's start, when earlier) to the window's last, clipped
/// to the days that have rows: a window far wider than the data (say --from
/// 1970-01-01 --to 2199-12-31) costs no more than the data.
fn window_weeks(m: &crate::rollups::Merged, b_from: NaiveDate, start: NaiveDate, window: &Period) -> Vec<IsoWeek> {
    let (first_row, last_row) = match fold::day_extent(m) {
        Some((a, b)) => (date_of(a), date_of(b)),
        None => (None, None),
    };
    let first_week = IsoWeek::of(b_from.min(start).max(first_row.unwrap_or(start)));
    let end = window
        .end_date
        .min(last_row.map_or(start, |d| d.max(start)) + Duration::days(1));
    let last_week = IsoWeek::of(end - Duration::days(1));
    IsoWeek::range(first_week.min(last_week), last_week)
}

/// The risk register judged on every week of the window, and the register.
fn risks_of(
    settings: &Settings,
    week_rows: &[WeekRow],
) -> Result<(Vec<evaluate::risks::RiskStatus>, Option<evaluate::risks::Register>)> {
    let register = super::inputs::register_of(settings)?;
    let risks = register.as_ref().map_or_else(Vec::new, |r| {
        let cells: Vec<_> = week_rows.iter().map(|w| (w.iso_week.clone(), w.kpis.clone())).collect();
        evaluate::risks::assess(r, &cells)
    });
    Ok((risks, register))
}

/// Each week of the window (from the one holding `start`) with its KPIs,
/// its flags against the plan and, in the rollout, its gate as `cacheroi
/// gate` decides it.
fn week_rows(
    rules: &evaluate::week::Rules,
    ctx: &crate::report::Context,
    plan: Option<&crate::evaluate::plan::Plan>,
    data: &super::inputs::Loaded,
    (weeks, measured): (&[IsoWeek], &[crate::metrics::requests::Measured]),
    start: NaiveDate,
) -> Result<Vec<WeekRow>> {
    let rollups = &data.requests;
    let flag_rules = plan.and_then(|p| rules.flags(p));
    let flags = flag_rules.as_ref().map_or_else(
        || vec![None; weeks.len()],
        |r| evaluate::conformance::weeks(r, rollups, weeks),
    );
    let mut week_rows = Vec::new();
    for ((w, wm), conformance) in weeks
        .iter()
        .zip(measured)
        .zip(flags)
        .filter(|((w, _), _)| w.monday() + Duration::days(7) > start)
    {
        week_rows.push(WeekRow {
            iso_week: w.label(),
            rollout_week: ctx.rollout_week(w.monday()),
            gate: evaluate::week::in_rollout(
                rules,
                plan,
                *w,
                rollups,
                &data.feedback,
                evaluate::week::Known {
                    whole: Some(wm),
                    flags: conformance.as_ref(),
                },
            )?,
            kpis: evaluate_all(
                &evaluate::conformance::with_flags(&wm.overall, conformance.as_ref()),
                rules.targets,
            ),
            conformance,
        });
    }
    Ok(week_rows)
}

/// Build, render and write the impact report under `out`.
pub fn write(settings: &Settings, from: Option<NaiveDate>, to: Option<NaiveDate>, out: &Path) -> Result<Written> {
    let report = build(settings, from, to)?;
    let dir = ReportKind::Impact.dir(out, "");
    let tera = super::templates(settings)?;
    let rendered = render::files::impact(&tera, &report)?;
    let files = super::write_with_archive(&tera, &dir, &rendered, out)?;
    Ok(Written { dir, files, rendered })
}

/// `cacheroi impact`.
pub fn run(settings: &Settings, args: &ImpactArgs) -> Result<Written> {
    let out: PathBuf = args.out.clone().unwrap_or_else(|| settings.output_dir.clone());
    let (from, to) = args.dates();
    write(settings, from, to, &out)
}
