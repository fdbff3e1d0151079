//! `cacheroi weekly`: the weekly stakeholder summary of one ISO week.

use std::path::PathBuf;

use anyhow::Result;
use polars::prelude::*;
use tracing::info;

use crate::cli::WeeklyArgs;
use crate::config::Settings;
use crate::deliver::files::Bundle;
use crate::evaluate::Status;
use crate::frames::CACHE_ENABLED;
use crate::metrics::requests::measure;
use crate::metrics::{self};
use crate::period::{IsoWeek, resolve_week};
use crate::quality::DataQuality;
use crate::render;
use crate::report::weekly::WeeklyReport;
use crate::report::{self};
use crate::sources::{self, MicrosRange, customers, feedback, redis_store, request_log};

/// The files a run wrote.
pub struct Written {
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
}

/// Everything read and computed for one week: the input of every renderer.
pub fn build(settings: &Settings, week: IsoWeek) -> Result<WeeklyReport> {
    let tz = settings.timezone;
    let period = week.period(tz);
    let previous_week = week.previous();
    let previous = previous_week.period(tz);
    let baseline: MicrosRange = (
        settings.baseline.start.timestamp_micros(),
        settings.baseline.end.timestamp_micros(),
    );
    let recent: MicrosRange = (previous.micros().0, period.micros().1);

    let request_paths = sources::resolve(&settings.sources.requests, "requests")?;
    let feedback_paths = sources::resolve(&settings.sources.feedback, "feedback")?;
    let customers = match &settings.sources.customers {
        Some(p) => Some(customers::read(&sources::resolve(p, "customers")?[0])?),
        None => None,
    };
    let store = redis_store::read(std::path::Path::new(&settings.sources.redis_snapshots))?;

    let started = std::time::Instant::now();
    info!(files = request_paths.len(), "reading request logs");
    // Keep B (baseline window, cache off) and the two weeks compared; every
    // other row is only counted for data quality.
    let keep = sources::in_ranges(&[baseline])
        .and(col(CACHE_ENABLED).not())
        .or(sources::in_ranges(&[recent]));
    let requests = sources::ingest(&request_paths, request_log::normalize, keep, &request_log::KPI_COLUMNS)?;
    info!(files = feedback_paths.len(), "reading feedback");
    let feedback = sources::ingest(
        &feedback_paths,
        feedback::normalize,
        sources::in_ranges(&[recent]),
        &feedback::KEPT_COLUMNS,
    )?;

    info!(elapsed = ?started.elapsed(), "read");
    let req_rows = customers::assign_segments(requests.rows, customers.as_ref())?;
    let fb_rows = customers::assign_segments(feedback.rows, customers.as_ref())?;
    info!(rows = req_rows.height(), elapsed = ?started.elapsed(), "computing KPIs");
    let base = metrics::requests::baseline(&req_rows, baseline)?;
    let this = measure(&req_rows, &fb_rows, &period, &base, &settings.costs)?;
    info!(elapsed = ?started.elapsed(), "this week");
    let before = measure(&req_rows, &fb_rows, &previous, &base, &settings.costs)?;
    info!(elapsed = ?started.elapsed(), "previous week");
    let redis = metrics::redis::measure(&store, &period);

    let comments = report::weekly::recent_comments(&fb_rows, &period, customers.as_ref(), settings)?;
    let mut files = requests.quality.files.clone();
    files.extend(feedback.quality.files.clone());
    let data_quality = DataQuality::new([("requests", requests.quality), ("feedback", feedback.quality)]);
    Ok(report::weekly::assemble(
        settings,
        week,
        &period,
        previous_week,
        this,
        before,
        redis,
        data_quality,
        comments,
        files,
    ))
}

/// The Markdown summary and metrics.json of a report, rendered in memory.
pub fn render_files(report: &WeeklyReport, dir: &std::path::Path) -> Result<Bundle> {
    let tera = render::environment()?;
    let count = |s: Status| report.headline.iter().filter(|r| r.status == Some(s)).count();
    #[derive(serde::Serialize)]
    struct View<'a> {
        #[serde(flatten)]
        report: &'a WeeklyReport,
        met: usize,
        at_risk: usize,
        no_data: usize,
        with_target: usize,
    }
    let view = View {
        report,
        met: count(Status::Met),
        at_risk: count(Status::AtRisk),
        no_data: count(Status::NoData),
        with_target: report.headline.len(),
    };
    let mut bundle = Bundle::default();
    let mut json = serde_json::to_string_pretty(&report.metrics)?;
    json.push('\n');
    bundle.add(dir.join("metrics.json"), json);
    bundle.add(dir.join("summary.md"), render::render(&tera, "weekly.md", &view)?);
    Ok(bundle)
}

/// `cacheroi weekly`: build, render, then write everything at once.
pub fn run(settings: &Settings, args: &WeeklyArgs) -> Result<Written> {
    let week = resolve_week(&args.week, settings.now(), settings.timezone)?;
    let report = build(settings, week)?;
    let out = args.out.clone().unwrap_or_else(|| settings.output_dir.clone());
    let dir = out.join("weekly").join(week.label());
    let bundle = render_files(&report, &dir)?;
    bundle.write()?;
    Ok(Written {
        dir,
        files: bundle.files.into_iter().map(|(p, _)| p).collect(),
    })
}
