//! `cacheroi impact`: the post-launch impact report over the whole rollout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use chrono::{Duration, NaiveDate};

use super::Loaded;
use crate::cli::ImpactArgs;
use crate::commands::weekly::Written;
use crate::config::Settings;
use crate::deliver::files::Bundle;
use crate::evaluate::Status;
use crate::evaluate::evaluate_all;
use crate::evaluate::plan::{self, Plan};
use crate::ground::kpi::{ALL, Kpi};
use crate::ground::units::{kpi as fmt, money, pct};
use crate::metrics::fold::{self, Days};
use crate::metrics::requests::{
    Baseline, Measured, baseline, customer_stats, days_of, measure, measure_periods, redis_cost,
};
use crate::period::{IsoWeek, Period, local_midnight};
use crate::report::impact::*;
use crate::report::weekly::{BaselineInfo, FeedbackSection, Generated, Inputs, SegmentRow};
use crate::report::{kpi_rows, sentence};
use crate::rollups::build::{date_of, epoch_day};
use crate::sources::{self, customers};
use crate::{metrics, render, report};

/// A report window with its inputs.
pub(crate) struct WindowData {
    pub start: NaiveDate,
    pub window: Period,
    pub data: Loaded,
    /// The baseline window's days.
    pub baseline_days: Days,
}

/// Resolve `[from, to)` (defaults: the rollout start to the day after the
/// last request row) and load its rows; with `from_baseline`, rows from the
/// first baseline week on (for week-by-week trends).
pub(crate) fn load_window(
    settings: &Settings,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    from_baseline: bool,
) -> Result<WindowData> {
    let tz = settings.timezone;
    for (flag, d) in [("--from", from), ("--to", to)] {
        if let Some(d) = d
            && !crate::period::sane_date(d)
        {
            return Err(crate::error::UsageError(format!(
                "{flag} {d} is outside {}–{}",
                crate::period::FIRST_YEAR,
                crate::period::LAST_YEAR
            ))
            .into());
        }
    }
    let start = from
        .or(settings.rollout_start)
        .ok_or_else(|| anyhow!("needs --from or `[rollout] start` in {}", settings.path.display()))?;
    if let Some(to) = to
        && to <= start
    {
        return Err(crate::error::UsageError(format!("--to {to} must be after the window start {start}")).into());
    }
    // The default window ends with the last complete day before `as_of` (or
    // now): a row from a host with a wrong clock must not stretch it and
    // dilute every annualized figure (such rows are counted in data quality).
    let today = settings.now().with_timezone(&tz).date_naive();
    let b = settings.baseline()?;
    let baseline_days = (epoch_day(b.from), epoch_day(b.to));
    let first = if from_baseline {
        IsoWeek::of(b.from.min(start)).period(tz).micros().0
    } else {
        local_midnight(start, tz).timestamp_micros()
    };
    let upper = local_midnight(to.unwrap_or(today), tz).timestamp_micros();
    let keep_feedback = sources::in_ranges(&[(first, upper), (b.start.timestamp_micros(), b.end.timestamp_micros())]);
    let mut data = super::load(settings, keep_feedback)?;
    let end = match to {
        Some(d) => d,
        None => last_request_date(&data.requests, epoch_day(today))
            .filter(|d| *d >= start)
            .map(|d| d + Duration::days(1))
            .ok_or_else(|| anyhow!("no valid request rows on or after the window start {start}: nothing to report"))?,
    };
    let window = Period::new(start, end, tz);
    // Per-user records of windows that are not whole weeks come by day: the
    // window (and the phases and comparisons inside it) and the baseline.
    data.requests.load_days(&[days_of(&window), baseline_days])?;
    Ok(WindowData {
        start,
        window,
        data,
        baseline_days,
    })
}

/// Build the impact report over `[from, to)` (defaults: the rollout start to
/// the day after the last request row).
pub fn build(settings: &Settings, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<ImpactReport> {
    let tz = settings.timezone;
    let WindowData {
        start,
        window,
        data,
        baseline_days,
    } = load_window(settings, from, to, true)?;
    let m = &data.requests;
    // Weeks are listed where there are rows: a window far wider than the data
    // (say --from 1970-01-01 --to 2199-12-31) costs no more than the data.
    let (first_row, last_row) = match fold::day_extent(m) {
        Some((a, b)) => (date_of(a), date_of(b)),
        None => (None, None),
    };
    let first_week = IsoWeek::of(settings.baseline()?.from.min(start).max(first_row.unwrap_or(start)));
    let end = window
        .end_date
        .min(last_row.map_or(start, |d| d.max(start)) + Duration::days(1));
    let base = baseline(m, baseline_days, None);
    let this = measure(m, &data.feedback, &window, &base, &settings.costs, None)?;
    let baseline_period = Period::new(settings.baseline()?.from, settings.baseline()?.to, tz);
    let before = measure(m, &data.feedback, &baseline_period, &base, &settings.costs, None)?;

    let last_week = IsoWeek::of(end - Duration::days(1));
    let weeks = IsoWeek::range(first_week.min(last_week), last_week);
    let periods: Vec<Period> = weeks.iter().map(|w| w.period(tz)).collect();
    let measured = measure_periods(m, &data.feedback, &periods, &base, &settings.costs, None)?;
    let trend_days = (days_of(&periods[0]).0, days_of(&window).1);
    let points: Vec<metrics::requests::TrendPoint> = measured.iter().map(Into::into).collect();
    let trend = report::weekly::trend(
        &settings.report_context(),
        &weeks,
        &points,
        &this,
        m,
        &data.store,
        &base,
        trend_days,
    )?;
    let week_rows: Vec<WeekRow> = weeks
        .iter()
        .zip(&measured)
        .filter(|(w, _)| w.monday() + Duration::days(7) > start)
        .map(|(w, m)| WeekRow {
            iso_week: w.label(),
            rollout_week: settings
                .rollout_start
                .map(|s| (w.monday() - s).num_days())
                .filter(|d| *d >= 0)
                .map(|d| d / 7 + 1),
            gate: None,
            kpis: evaluate_all(&m.overall, &settings.targets),
        })
        .collect();
    let mut week_rows = week_rows;

    let plan = settings.rollout_plan.as_deref().map(plan::read).transpose()?;
    let phases = match &plan {
        Some(plan) => phase_results(settings, plan, &data, &base, &window)?,
        None => Vec::new(),
    };
    // The gate of every rollout week, as `cacheroi gate` decides it.
    if let Some(plan) = &plan {
        let shown = weeks
            .iter()
            .zip(&measured)
            .filter(|(w, _)| w.monday() + Duration::days(7) > start);
        for (row, (week, m)) in week_rows.iter_mut().zip(shown) {
            if row.rollout_week.is_some() {
                row.gate = Some(super::gate::decide_on(
                    settings,
                    plan,
                    *week,
                    &data.requests,
                    &data.feedback,
                    &BTreeMap::new(),
                    Some(m),
                )?);
            }
        }
    }
    let groups = metrics::experiment::groups(m, &data.feedback, days_of(&window), baseline_days, tz)?;
    let statistics = metrics::experiment::analyze(&groups, settings.planned_share);
    let customers = customer_rows(settings, &data, &base, &window)?;
    let redis = metrics::redis::measure(&data.store, &window);
    let comments = report::weekly::recent_comments(
        &data.feedback,
        &window,
        data.customers.as_ref(),
        &settings.report_context(),
    )?;
    let mut report = assemble(
        settings, &window, this, before, base, trend, week_rows, phases, customers, redis, comments, data,
    )?;
    let stats = report::inference::view(&statistics);
    // The headline gains with their uncertainty, and whether the split held.
    let at = report.narrative.len().saturating_sub(1);
    let mut extra = Vec::new();
    if !stats.gains.is_empty() {
        extra.push(format!(
            "Against the baseline, with 95 % confidence intervals: {}.",
            stats.gains.join("; ")
        ));
    }
    if let Some(srm) = &stats.srm {
        extra.push(if stats.srm_mismatch {
            format!("Sample ratio mismatch: {srm}")
        } else {
            format!("Split check: {srm}")
        });
    }
    report.narrative.splice(at..at, extra);
    report.stats = stats;
    report.metrics.statistics = statistics;
    Ok(report)
}

/// The local date of the last valid request row before `before` (an epoch day).
fn last_request_date(m: &crate::rollups::Merged, before: i32) -> Option<NaiveDate> {
    m.requests
        .iter()
        .filter(|r| r.day < before)
        .map(|r| r.day)
        .max()
        .and_then(date_of)
}

/// Each phase of the plan over its weeks (clipped to the window), restricted
/// to its segments, with B restricted likewise (the whole B where those
/// segments have no baseline rows).
fn phase_results(
    settings: &Settings,
    plan: &Plan,
    data: &Loaded,
    base: &Baseline,
    window: &Period,
) -> Result<Vec<PhaseResult>> {
    let Some(rollout) = settings.rollout_start else {
        return Ok(Vec::new());
    };
    let b = settings.baseline()?;
    let baseline_days = (epoch_day(b.from), epoch_day(b.to));
    let mut out = Vec::new();
    for phase in &plan.phases {
        let p_from = rollout + Duration::days(7 * (i64::from(phase.first_week) - 1));
        let p_to = rollout + Duration::days(7 * i64::from(phase.last_week));
        let (from, to) = (p_from.max(window.start_date), p_to.min(window.end_date));
        let in_window = from < to;
        let kpis = if in_window {
            let ids = (!phase.all_users()).then(|| fold::segment_ids(&data.requests, &phase.segments));
            let fb = sources::in_segments(&data.feedback, &phase.segments)?;
            let own = baseline(&data.requests, baseline_days, ids.as_ref());
            let b = if own.overall.rows > 0 { own } else { base.clone() };
            let m = measure(
                &data.requests,
                &fb,
                &Period::new(from, to, settings.timezone),
                &b,
                &settings.costs,
                ids.as_ref(),
            )?;
            evaluate_all(&m.overall, &settings.targets)
        } else {
            BTreeMap::new()
        };
        out.push(PhaseResult {
            name: phase.name.clone(),
            weeks: phase.weeks_label(),
            from: p_from.to_string(),
            to: p_to.to_string(),
            segments: if phase.all_users() {
                "all users".into()
            } else {
                phase.segments.join(", ")
            },
            features: phase.features.clone(),
            success_criteria: phase.success_criteria.clone(),
            rollback_trigger: phase.rollback_trigger.clone(),
            in_window,
            kpis,
        });
    }
    Ok(out)
}

/// Per customer: origin calls avoided against the whole B, gross savings,
/// the Redis cost allocated by share of |E|, net savings, mean latency gain
/// (mean, not p50: the rollups keep latency histograms per segment, not per
/// customer, and means are exact).
/// The rows add up to the window's totals.
fn customer_rows(settings: &Settings, data: &Loaded, base: &Baseline, window: &Period) -> Result<Vec<CustomerRow>> {
    let stats = customer_stats(&data.requests, days_of(window));
    let names = customers::names_and_tiers(data.customers.as_ref())?;
    let b = &base.overall;
    let per_request = (b.rows > 0).then(|| b.origin / b.rows as f64);
    let b_mean = (b.rows > 0).then(|| b.latency_sum / b.rows as f64);
    let total_e: u64 = stats.iter().map(|s| s.e_rows).sum();
    let redis = redis_cost(&settings.costs, window.days());
    Ok(stats
        .into_iter()
        .map(|s| {
            let avoided = per_request.map(|m| s.e_rows as f64 * m - s.e_origin);
            let gross = avoided.map(|a| a * settings.costs.origin_call_cost);
            let alloc = (total_e > 0).then(|| redis * s.e_rows as f64 / total_e as f64);
            let (name, tier) = names
                .get(&s.customer_id)
                .cloned()
                .unwrap_or_else(|| (s.customer_id.clone(), String::new()));
            CustomerRow {
                name,
                tier,
                requests: s.requests,
                cached_requests: s.e_rows,
                origin_calls_avoided: avoided,
                gross_savings: gross,
                redis_cost: alloc,
                net_savings: gross.zip(alloc).map(|(g, a)| g - a),
                latency_improvement_mean: s
                    .e_mean_latency
                    .zip(b_mean)
                    .filter(|(_, b)| *b != 0.0)
                    .map(|(e, b)| 1.0 - e / b),
                customer_id: s.customer_id,
            }
        })
        .collect())
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b != 0.0).then(|| a / b)
}

#[allow(
    clippy::too_many_arguments,
    reason = "one call site assembling the model from its parts"
)]
fn assemble(
    settings: &Settings,
    window: &Period,
    this: Measured,
    before: Measured,
    base: Baseline,
    trend: report::weekly::Trend,
    weeks: Vec<WeekRow>,
    phases: Vec<PhaseResult>,
    customers: Vec<CustomerRow>,
    redis: metrics::redis::RedisKpis,
    comments: Vec<report::weekly::Comment>,
    data: Loaded,
) -> Result<ImpactReport> {
    let cells = evaluate_all(&this.overall, &settings.targets);
    let none = BTreeMap::new();
    let rows = kpi_rows(&cells, &none);
    let (headline, other): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.target.is_some());
    let sentences = headline.iter().map(sentence).collect();
    let segments: BTreeMap<String, _> = this
        .segments
        .iter()
        .map(|(n, v)| (n.clone(), evaluate_all(v, &settings.targets)))
        .collect();
    let (b, e) = (&base.overall, &this.period);
    let rel = |before: Option<f64>, after: Option<f64>| before.zip(after).and_then(|(b, a)| ratio(a - b, b));
    let abs = |before: Option<f64>, after: Option<f64>| before.zip(after).map(|(b, a)| a - b);
    let origin_b = ratio(b.origin, b.rows as f64);
    let origin_e = ratio(e.e_origin, e.e_rows as f64);
    let err_b = ratio(b.server_errors as f64, b.rows as f64);
    let err_e = ratio(e.e_server_errors as f64, e.e_rows as f64);
    let sat_b = before.overall.get(&Kpi::CustomerSatisfaction).copied().flatten();
    let sat_e = this.overall.get(&Kpi::CustomerSatisfaction).copied().flatten();
    let ba = |label: &str, unit: &str, before: Option<f64>, after: Option<f64>, relative: bool| BeforeAfter {
        label: label.into(),
        unit: unit.into(),
        before,
        after,
        change: if relative {
            rel(before, after)
        } else {
            abs(before, after)
        },
        relative,
    };
    let before_after = vec![
        ba("Origin calls per request", "number", origin_b, origin_e, true),
        ba("p50 latency", "milliseconds", b.p50, e.e_p50, true),
        ba("p95 latency", "milliseconds", b.p95, e.e_p95, true),
        ba("p99 latency", "milliseconds", b.p99, e.e_p99, true),
        ba(
            "Mean latency",
            "milliseconds",
            ratio(b.latency_sum, b.rows as f64),
            ratio(e.e_latency_sum, e.e_rows as f64),
            true,
        ),
        ba("Error rate (5xx)", "ratio", err_b, err_e, false),
        ba("Customer satisfaction", "score", sat_b, sat_e, false),
    ];
    let cur = settings.costs.currency.as_str();
    let value = |k: Kpi| this.overall.get(&k).copied().flatten();
    let mut narrative = vec![format!(
        "Over the rollout window, {} to {} ({} days), {} requests were served, {} of them with the cache on, for {} active users.",
        window.start_date,
        window.end_date - Duration::days(1),
        window.days(),
        fmt(Some(e.requests as f64), "count", cur),
        fmt(Some(e.e_rows as f64), "count", cur),
        fmt(Some(e.users as f64), "count", cur),
    )];
    if let (Some(ob), Some(oe)) = (origin_b, origin_e) {
        narrative.push(format!(
            "Requests with the cache made {:.2} origin calls each against {:.2} in the baseline: an API call reduction of {}, or {} origin calls avoided.",
            oe,
            ob,
            pct(value(Kpi::ApiCallReduction)),
            fmt(value(Kpi::OriginCallsAvoided), "count", cur)
        ));
    }
    if let (Some(pb), Some(pe)) = (b.p50, e.e_p50) {
        narrative.push(format!(
            "Median latency fell from {} to {} ({}); p99 went from {} to {}.",
            fmt(Some(pb), "milliseconds", cur),
            fmt(Some(pe), "milliseconds", cur),
            pct(value(Kpi::LatencyImprovementP50)),
            fmt(b.p99, "milliseconds", cur),
            fmt(e.e_p99, "milliseconds", cur)
        ));
    }
    narrative.push(format!(
        "The cache answered {} of lookups by the request log ({} by Redis's own counters), with an error rate of {} against {} before.",
        pct(value(Kpi::CacheHitRate)),
        pct(redis.hit_rate),
        pct(err_e),
        pct(err_b)
    ));
    narrative.push(format!(
        "Customer satisfaction moved from {} to {} over {} responses; {} complaint(s) (score ≤ 2).",
        fmt(sat_b, "score", cur),
        fmt(sat_e, "score", cur),
        this.feedback.responses,
        this.feedback.complaints
    ));
    let gross = value(Kpi::OriginCallsAvoided).map(|a| a * settings.costs.origin_call_cost);
    narrative.push(format!(
        "Origin calls avoided are worth {} gross; net of the Redis cost of {} the rollout saved {} ({} a year at this rate).",
        money(gross, cur),
        money(Some(redis_cost(&settings.costs, window.days())), cur),
        money(value(Kpi::CostSavings), cur),
        money(value(Kpi::AnnualizedSavings), cur)
    ));
    let met = headline.iter().filter(|r| r.status == Some(Status::Met)).count();
    let missed: Vec<&str> = headline
        .iter()
        .filter(|r| matches!(r.status, Some(Status::Missed | Status::AtRisk)))
        .map(|r| r.label)
        .collect();
    narrative.push(if missed.is_empty() {
        format!("All {met} targets were met.")
    } else {
        format!(
            "{met} of {} targets were met; not met: {}.",
            headline.len(),
            missed.join(", ")
        )
    });

    let (top_savings, bottom_savings) = top_bottom(&customers, |c| c.net_savings);
    let (top_latency, bottom_latency) = top_bottom(&customers, |c| c.latency_improvement_mean);
    let targets = ALL
        .iter()
        .filter_map(|k| {
            settings
                .targets
                .get(k)
                .map(|t| (k.label().to_string(), fmt(Some(*t), k.unit().name(), cur)))
        })
        .collect();
    let metrics = ImpactMetrics {
        window: crate::report::impact::Window {
            from: window.start_date.to_string(),
            to: window.end_date.to_string(),
            days: window.days(),
            timezone: settings.timezone.name().to_string(),
        },
        kpis: cells,
        segments: segments.clone(),
        weeks,
        phases,
        customers,
        redis,
        data_quality: data.quality.clone(),
        baseline: BaselineInfo {
            from: settings.baseline()?.from.to_string(),
            to: settings.baseline()?.to.to_string(),
            rows: b.rows,
        },
        statistics: Default::default(),
        generated: Generated::new(&settings.report_context()),
    };
    Ok(ImpactReport {
        headline,
        other,
        before_after,
        sentences,
        narrative,
        stats: Default::default(),
        segments: segments
            .into_iter()
            .map(|(name, kpis)| SegmentRow { name, kpis })
            .collect(),
        top_savings,
        bottom_savings,
        top_latency,
        bottom_latency,
        feedback: FeedbackSection {
            responses: this.feedback.responses,
            mean: sat_e,
            complaints: this.feedback.complaints,
            comments,
        },
        inputs: Inputs {
            requests: settings.sources.requests()?.to_string(),
            feedback: settings.sources.feedback()?.to_string(),
            customers: settings.sources.customers.clone(),
            redis_snapshots: settings.sources.redis_snapshots.clone(),
            by_format: data.quality.formats(),
            rejections: data.quality.reasons(),
            examples: data.quality.examples(),
            files: data.files,
        },
        trend,
        targets,
        metrics,
    })
}

/// Every file of the impact report, rendered in memory.
pub fn render_files(report: &ImpactReport, dir: &Path, templates: Option<&Path>) -> Result<Bundle> {
    let tera = render::environment(templates)?;
    let ctx = render::charts::weekly::Context {
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
    let charts = render::charts::weekly::charts(&ctx)?;
    let view = render::View::new(report, &report.headline, &charts);
    let mut bundle = Bundle::default();
    bundle.add_json(dir.join("metrics.json"), &report.metrics)?;
    bundle.add(dir.join("impact.md"), render::render(&tera, "impact.md", &view)?);
    bundle.add(dir.join("impact.html"), render::render(&tera, "impact.html", &view)?);
    bundle.add_charts(&dir.join("charts"), &charts);
    Ok(bundle)
}

/// `cacheroi impact`.
pub fn run(settings: &Settings, args: &ImpactArgs) -> Result<Written> {
    let report = build(settings, args.from, args.to)?;
    let out: PathBuf = args.out.clone().unwrap_or_else(|| settings.output_dir.clone());
    let dir = out.join("impact");
    let bundle = render_files(&report, &dir, settings.templates_dir.as_deref())?;
    let files = super::write_with_archive(&bundle, &out, settings.templates_dir.as_deref())?;
    Ok(Written { dir, files })
}
