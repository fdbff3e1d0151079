//! `cacheroi weekly`: the weekly stakeholder summary of one ISO week.

use anyhow::Result;

use super::Written;
use crate::cli::WeeklyArgs;
use crate::config::Settings;
use crate::evaluate;
use crate::metrics::requests::{days_of, measure_periods};
use crate::metrics::{self};
use crate::period::{IsoWeek, Period, resolve_week};
use crate::render;
use crate::report::weekly::WeeklyReport;
use crate::report::{self};
use crate::sources::{self, MicrosRange};

/// The most weeks a weekly report's trend shows.
pub const TREND_WEEKS: i64 = 53;
/// Weeks the risks are judged on (the reported week and the ones before).
pub const RISK_WEEKS: usize = 4;
/// Rollout weeks the flag matrix shows.
pub const FLAG_WEEKS: usize = 8;

/// The weeks a weekly report reads: the week, its trend (from the first
/// baseline week, at most a year), the dashboard's year and the window
/// since the rollout's start.
struct Span {
    period: Period,
    previous_week: IsoWeek,
    year_before: IsoWeek,
    weeks: Vec<IsoWeek>,
    periods: Vec<Period>,
    since: Option<Period>,
}

impl Span {
    fn of(settings: &Settings, week: IsoWeek) -> Result<Span> {
        let tz = settings.timezone;
        let period = week.period(tz);
        let previous_week = week.previous();
        // The trend runs from the first baseline week to the reported week, at
        // most a year of weeks (a week far from the baseline costs no more).
        let year_before = IsoWeek::of(week.monday() - chrono::Duration::weeks(TREND_WEEKS - 1));
        let first = IsoWeek::of(settings.baseline()?.from)
            .max(year_before)
            .min(previous_week);
        let weeks = IsoWeek::range(first, week);
        let periods = weeks.iter().map(|w| w.period(tz)).collect();
        let since = settings
            .rollout_start
            .filter(|s| *s < period.end_date)
            .map(|s| Period::new(s, period.end_date, tz));
        Ok(Span {
            period,
            previous_week,
            year_before,
            weeks,
            periods,
            since,
        })
    }

    /// Load the inputs: feedback of the dashboard's year, the trend and the
    /// baseline window; Redis figures of the trend; the per-user days of the
    /// week, the baseline and the window since the rollout (which may cut weeks).
    fn load(&self, settings: &Settings) -> Result<super::inputs::Loaded> {
        let tz = settings.timezone;
        let base_window = settings.baseline()?;
        let trend_range: MicrosRange = (self.periods[0].micros().0, self.period.micros().1);
        let dashboard_from = self.year_before.period(tz).micros().0.min(trend_range.0);
        let keep_feedback = sources::in_ranges(&[
            (dashboard_from, trend_range.1),
            (base_window.start.timestamp_micros(), base_window.end.timestamp_micros()),
        ]);
        let mut data = super::inputs::load(settings, keep_feedback, &[trend_range], true)?;
        let mut day_windows = vec![days_of(&self.period), settings.baseline_days()?];
        day_windows.extend(self.since.as_ref().map(days_of));
        data.requests.load_days(&day_windows)?;
        Ok(data)
    }
}

/// Everything read and computed for one week: the input of every renderer.
pub fn build(settings: &Settings, week: IsoWeek) -> Result<WeeklyReport> {
    let tz = settings.timezone;
    let baseline_days = settings.baseline_days()?;
    let span = Span::of(settings, week)?;
    let data = span.load(settings)?;
    let Span {
        period,
        previous_week,
        year_before,
        weeks,
        periods,
        since,
    } = span;
    let t = std::time::Instant::now();
    let n = periods.len();
    let rollout_from = settings.rollout_start.map_or(0, |start| {
        weeks
            .iter()
            .take_while(|w| w.monday() + chrono::Duration::days(7) <= start)
            .count()
    });
    let m = &data.requests;
    let base = metrics::requests::baseline(m, baseline_days, None);
    let mut points = metrics::trend::trend_points(m, &periods, rollout_from);
    metrics::trend::against_baseline(&mut points, &base);
    // The week, the one before, and two more for the risks' trend.
    let judged = n.min(RISK_WEEKS);
    let mut measured = measure_periods(m, &data.feedback, &periods[n - judged..], &base, &settings.costs, None)?;
    let ts = std::time::Instant::now();
    let groups = metrics::experiment::groups(m, &data.feedback, days_of(&period), baseline_days, tz)?;
    let statistics = metrics::experiment::analyze(&groups, settings.planned_share);
    tracing::debug!(elapsed = ?ts.elapsed(), "statistics (arms, CUPED, Holm)");
    // The flags against the plan over the recent rollout weeks, and the
    // conformance KPIs of each judged week.
    let plan = settings
        .rollout_plan
        .as_deref()
        .map(super::inputs::read_plan)
        .transpose()?;
    let rules = settings.gate_rules()?;
    let flag_rules = plan.as_ref().and_then(|p| rules.flags(p));
    let (history, risks, register) = flags_and_risks(settings, m, &weeks, &mut measured, flag_rules.as_ref())?;
    let this = measured.pop().unwrap_or_default();
    let before = measured.pop().unwrap_or_default();
    tracing::debug!(elapsed = ?t.elapsed(), "KPIs, trend points and statistics");
    let ctx = settings.report_context();
    let trend_days = (days_of(&periods[0]).0, days_of(&period).1);
    let days = metrics::daily::points(m, &data.store, trend_days, tz);
    let trend = report::weekly::trend(&ctx, &weeks, &points, &this, &base, days)?;
    let redis = metrics::redis::measure(&data.store, &period);
    let comments = metrics::feedback::recent_comments(&data.feedback, &period, data.customers.as_ref(), tz)?;
    let current = history.iter().find(|c| c.iso_week == week.label()).cloned();
    let known = evaluate::week::Known {
        whole: Some(&this),
        flags: current.as_ref(),
    };
    let gate = evaluate::week::in_rollout(&rules, plan.as_ref(), week, m, &data.feedback, known)?;
    tracing::debug!(elapsed = ?t.elapsed(), "gate");
    let mut report = report::weekly::assemble(
        &ctx,
        report::weekly::WeeklyParts {
            week,
            period,
            previous_week,
            this,
            before,
            redis,
            data_quality: data.quality,
            comments,
            files: data.files,
            trend,
        },
    )?;
    report.stats = report::inference::view(&statistics);
    report.metrics.statistics = statistics;
    // The briefs' figures, from the same data.
    report.metrics.endpoints = metrics::endpoints::by_endpoint(m, days_of(&period), baseline_days);
    let (audience, enterprise) = metrics::audience::of_week(
        m,
        &data.feedback,
        data.customers.as_ref(),
        &base,
        (&period, &previous_week.period(tz), since.as_ref()),
        &settings.costs,
    )?;
    report.metrics.enterprise_savings = enterprise;
    report.audience = audience;
    let td = std::time::Instant::now();
    report.dashboard = dashboard(
        settings,
        m,
        &data.feedback,
        &base,
        year_before,
        week,
        flag_rules.as_ref(),
    )?;
    tracing::debug!(elapsed = ?td.elapsed(), weeks = report.dashboard.weeks.len(), "dashboard series");
    Ok(report
        .with_gate(gate, plan.as_ref(), ctx.currency())
        .with_flags_and_risks(
            current,
            &history,
            risks,
            register.as_ref().map_or(&[][..], |r| &r.escalation[..]),
        ))
}

/// The flags of the recent weeks against the plan (each week's users read
/// once; the judged weeks are among them) with the judged weeks' KPIs given
/// their conformance figures, and the risk register judged on the rollout's
/// weeks among those: the flag history, the risks and the register.
fn flags_and_risks(
    settings: &Settings,
    m: &crate::rollups::Merged,
    weeks: &[IsoWeek],
    measured: &mut [crate::metrics::requests::Measured],
    flag_rules: Option<&evaluate::conformance::FlagRules>,
) -> Result<(
    Vec<evaluate::conformance::WeekConformance>,
    Vec<evaluate::risks::RiskStatus>,
    Option<evaluate::risks::Register>,
)> {
    let (n, judged) = (weeks.len(), measured.len());
    let tf = std::time::Instant::now();
    let recent = &weeks[n.saturating_sub(FLAG_WEEKS.max(judged))..];
    let flags: Vec<_> = flag_rules.map_or_else(
        || vec![None; recent.len()],
        |r| evaluate::conformance::weeks(r, m, recent),
    );
    tracing::debug!(elapsed = ?tf.elapsed(), "flags against the plan");
    let history: Vec<_> = flags
        .iter()
        .skip(recent.len().saturating_sub(FLAG_WEEKS))
        .flatten()
        .cloned()
        .collect();
    let judged_weeks = &weeks[n - judged..];
    let judged_flags = &flags[flags.len() - judged..];
    for (mw, f) in measured.iter_mut().zip(judged_flags) {
        mw.overall = evaluate::conformance::with_flags(&mw.overall, f.as_ref());
    }
    let register = settings
        .risks
        .as_deref()
        .map(super::inputs::read_register)
        .transpose()?;
    let risks = register.as_ref().map_or_else(Vec::new, |r| {
        // The rollout's weeks only: before it most signals have no data.
        let cells: Vec<_> = measured
            .iter()
            .zip(judged_weeks)
            .filter(|(_, w)| {
                settings
                    .rollout_start
                    .is_none_or(|s| w.monday() + chrono::Duration::days(7) > s)
            })
            .map(|(mw, w)| (w.label(), evaluate::evaluate_all(&mw.overall, &settings.targets)))
            .collect();
        evaluate::risks::assess(r, &cells)
    });
    Ok((history, risks, register))
}

/// The dashboard's series: every ISO week with request rows from `first`
/// (a year back at most) to `week`, each measured and judged as its own
/// weekly report is (the same measure, flags and evaluation), so a week's
/// point equals that week's metrics.json.
fn dashboard(
    settings: &Settings,
    m: &crate::rollups::Merged,
    feedback: &polars::prelude::DataFrame,
    base: &metrics::requests::Baseline,
    first: IsoWeek,
    week: IsoWeek,
    flag_rules: Option<&evaluate::conformance::FlagRules>,
) -> Result<report::archive::Series> {
    let tz = settings.timezone;
    let first = match metrics::fold::day_extent(m).and_then(|(a, _)| crate::rollups::build::date_of(a)) {
        Some(d) => IsoWeek::of(d).max(first),
        None => return Ok(Default::default()),
    };
    let weeks: Vec<IsoWeek> = IsoWeek::range(first.min(week), week)
        .into_iter()
        .filter(|w| {
            let days = days_of(&w.period(tz));
            !crate::rollups::merged::within(&m.requests, |r| r.day, days).is_empty()
        })
        .collect();
    let periods: Vec<Period> = weeks.iter().map(|w| w.period(tz)).collect();
    let measured = measure_periods(m, feedback, &periods, base, &settings.costs, None)?;
    let flags = flag_rules.map_or_else(
        || vec![None; weeks.len()],
        |r| evaluate::conformance::weeks(r, m, &weeks),
    );
    Ok(report::archive::Series {
        weeks: weeks
            .iter()
            .zip(measured)
            .zip(flags)
            .map(|((w, mw), f)| {
                let cells = evaluate::evaluate_all(
                    &evaluate::conformance::with_flags(&mw.overall, f.as_ref()),
                    &settings.targets,
                );
                report::archive::SeriesWeek {
                    week: w.label(),
                    kpis: cells.into_iter().map(|(k, c)| (k, c.value)).collect(),
                }
            })
            .collect(),
    })
}

/// `cacheroi weekly`: build, render, then write everything at once.
pub fn run(settings: &Settings, args: &WeeklyArgs) -> Result<Written> {
    let week = resolve_week(&args.week, settings.now(), settings.timezone)?;
    Ok(write(settings, week, args.out.as_deref(), false)?.0)
}

/// Build, render and write the weekly report of `week` under `out` (default
/// `output_dir`). With `require_rows`, a week without request rows is an
/// error and nothing is written (what is mailed must not be empty).
pub fn write(
    settings: &Settings,
    week: IsoWeek,
    out: Option<&std::path::Path>,
    require_rows: bool,
) -> Result<(Written, WeeklyReport)> {
    let report = build(settings, week)?;
    let requests = report
        .metrics
        .kpis
        .get(&crate::metrics::Kpi::Requests)
        .and_then(|c| c.value)
        .unwrap_or(0.0);
    if !require_rows && requests == 0.0 {
        tracing::warn!(
            "{} ({} to {}) has no valid request rows in {}: every KPI of the report is without data — are that week's logs in place?",
            week.label(),
            report.metrics.period.start,
            report.metrics.period.end,
            settings.sources.requests().unwrap_or("the request log")
        );
    }
    if require_rows && requests == 0.0 {
        anyhow::bail!(
            "{} ({} to {}) has no valid request rows in {}: nothing to report — are that week's logs in place?",
            week.label(),
            report.metrics.period.start,
            report.metrics.period.end,
            settings.sources.requests()?
        );
    }
    let out = out.map_or_else(|| settings.output_dir.clone(), std::path::Path::to_path_buf);
    let dir = crate::report::kind::ReportKind::Weekly.dir(&out, &week.label());
    let t = std::time::Instant::now();
    let tera = super::templates(settings)?;
    let rendered = render::files::weekly(&tera, &report)?;
    tracing::debug!(elapsed = ?t.elapsed(), "rendered");
    // The dashboard's series first: the index draws its charts from it.
    let mut files = crate::deliver::files::write(&out, &render::files::dashboard(&report.dashboard)?)?;
    files.extend(super::write_with_archive(&tera, &dir, &rendered, &out)?);
    Ok((Written { dir, files, rendered }, report))
}
