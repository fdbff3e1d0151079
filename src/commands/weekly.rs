//! `cacheroi weekly`: the weekly stakeholder summary of one ISO week.

use anyhow::Result;

use super::Written;
use crate::cli::WeeklyArgs;
use crate::config::Settings;
use crate::evaluate;
use crate::metrics::requests::{Measured, days_of, measure_periods};
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
    let started = std::time::Instant::now();
    let rollups = &data.requests;
    let base = metrics::requests::baseline(rollups, baseline_days, None);
    let points = metrics::trend::of_weeks(rollups, &span.weeks, &span.periods, settings.rollout_start, &base);
    let statistics = metrics::experiment::of_period(
        rollups,
        &data.feedback,
        days_of(&span.period),
        baseline_days,
        tz,
        settings.planned_share,
    )?;
    let plan = super::inputs::plan_of(settings)?;
    let rules = settings.gate_rules()?;
    let flag_rules = plan.as_ref().and_then(|p| rules.flags(p));
    let judged = judge(
        settings,
        (week, &span),
        &data,
        &base,
        (&rules, plan.as_ref(), flag_rules.as_ref()),
    )?;
    tracing::debug!(elapsed = ?started.elapsed(), "KPIs, trend points, statistics and gate");
    let ctx = settings.report_context();
    let trend_days = (days_of(&span.periods[0]).0, days_of(&span.period).1);
    let days = metrics::daily::points(rollups, &data.store, trend_days, tz);
    let trend = report::weekly::trend(&ctx, &span.weeks, &points, &judged.this, &base, days)?;
    let mut report = report::weekly::assemble(
        &ctx,
        report::weekly::WeeklyParts {
            week,
            period: span.period,
            previous_week: span.previous_week,
            this: judged.this,
            before: judged.before,
            redis: metrics::redis::measure(&data.store, &span.period),
            data_quality: data.quality.clone(),
            comments: metrics::feedback::recent_comments(&data.feedback, &span.period, data.customers.as_ref(), tz)?,
            files: data.files.clone(),
            trend,
        },
    )?;
    report.stats = report::inference::view(&statistics);
    report.metrics.statistics = statistics;
    briefs(&mut report, settings, &span, &data, &base)?;
    let dashboard_started = std::time::Instant::now();
    let series = evaluate::week::series(
        &rules,
        rollups,
        &data.feedback,
        &base,
        (span.year_before, week),
        flag_rules.as_ref(),
        &judged.known,
    )?;
    report.dashboard = report::archive::Series::of(series);
    tracing::debug!(elapsed = ?dashboard_started.elapsed(), weeks = report.dashboard.weeks.len(), "dashboard series");
    Ok(report
        .with_gate(judged.gate, plan.as_ref(), ctx.currency())
        .with_flags_and_risks(
            judged.current,
            &judged.history,
            judged.risks,
            judged.register.as_ref().map_or(&[][..], |r| &r.escalation[..]),
        ))
}

/// The week and the one before measured, the flags, risks and gate judged.
struct Judged {
    this: Measured,
    before: Measured,
    /// The judged and flagged weeks, for the dashboard's series.
    known: evaluate::week::SeriesKnown,
    history: Vec<evaluate::conformance::WeekConformance>,
    current: Option<evaluate::conformance::WeekConformance>,
    risks: Vec<evaluate::risks::RiskStatus>,
    register: Option<evaluate::risks::Register>,
    gate: Option<evaluate::gate::GateResult>,
}

/// Measure the judged weeks (the week, the one before, and two more for the
/// risks' trend), judge the flags against the plan over the recent rollout
/// weeks (giving each judged week its conformance KPIs), the risks, and
/// the week's gate.
fn judge(
    settings: &Settings,
    (week, span): (IsoWeek, &Span),
    data: &super::inputs::Loaded,
    base: &metrics::requests::Baseline,
    (rules, plan, flag_rules): (
        &evaluate::week::Rules,
        Option<&evaluate::plan::Plan>,
        Option<&evaluate::conformance::FlagRules>,
    ),
) -> Result<Judged> {
    let rollups = &data.requests;
    let periods = &span.periods;
    let judged = &periods[periods.len() - periods.len().min(RISK_WEEKS)..];
    let mut measured = measure_periods(rollups, &data.feedback, judged, base, &settings.costs, None)?;
    let Recent {
        history,
        risks,
        register,
        known: series_known,
    } = flags_and_risks(settings, rollups, &span.weeks, &mut measured, flag_rules)?;
    let this = measured.pop().unwrap_or_default();
    let before = measured.pop().unwrap_or_default();
    let current = history.iter().find(|c| c.iso_week == week.label()).cloned();
    let known = evaluate::week::Known {
        whole: Some(&this),
        flags: current.as_ref(),
    };
    let gate = evaluate::week::in_rollout(rules, plan, week, rollups, &data.feedback, known)?;
    Ok(Judged {
        this,
        before,
        known: series_known,
        history,
        current,
        risks,
        register,
        gate,
    })
}

/// The briefs' figures, from the same data: endpoints, the audience and
/// the enterprise customers' savings.
fn briefs(
    report: &mut WeeklyReport,
    settings: &Settings,
    span: &Span,
    data: &super::inputs::Loaded,
    base: &metrics::requests::Baseline,
) -> Result<()> {
    let baseline_days = settings.baseline_days()?;
    report.metrics.endpoints = metrics::endpoints::by_endpoint(&data.requests, days_of(&span.period), baseline_days);
    let (audience, enterprise) = metrics::audience::of_week(
        &data.requests,
        &data.feedback,
        data.customers.as_ref(),
        base,
        (
            &span.period,
            &span.previous_week.period(settings.timezone),
            span.since.as_ref(),
        ),
        &settings.costs,
    )?;
    report.metrics.enterprise_savings = enterprise;
    report.audience = audience;
    Ok(())
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
) -> Result<Recent> {
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
    // The dashboard's series reads these weeks again: handed on, not redone.
    let known = evaluate::week::SeriesKnown {
        kpis: judged_weeks
            .iter()
            .zip(measured.iter())
            .map(|(w, mw)| (*w, mw.overall.clone()))
            .collect(),
        flags: recent.iter().copied().zip(flags.iter().cloned()).collect(),
    };
    let register = super::inputs::register_of(settings)?;
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
    Ok(Recent {
        history,
        risks,
        register,
        known,
    })
}

/// The recent weeks judged: the flag history, the risks, the register, and
/// what the dashboard's series can reuse.
struct Recent {
    history: Vec<evaluate::conformance::WeekConformance>,
    risks: Vec<evaluate::risks::RiskStatus>,
    register: Option<evaluate::risks::Register>,
    known: evaluate::week::SeriesKnown,
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
    let started = std::time::Instant::now();
    let tera = super::templates(settings)?;
    let rendered = render::files::weekly(&tera, &report)?;
    tracing::debug!(elapsed = ?started.elapsed(), "rendered");
    // The dashboard's series first: the index draws its charts from it.
    let mut files = crate::deliver::files::write(&out, &render::files::dashboard(&report.dashboard)?)?;
    files.extend(super::write_with_archive(&tera, &dir, &rendered, &out)?);
    Ok((Written { dir, files, rendered }, report))
}
