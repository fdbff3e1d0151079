//! `cacheroi weekly`: the weekly stakeholder summary of one ISO week.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use chrono::{DateTime, Utc};
use polars::prelude::*;
use tracing::info;

use crate::cli::WeeklyArgs;
use crate::config::Settings;
use crate::deliver::files::Bundle;
use crate::evaluate::Status;
use crate::frames::{CACHE_ENABLED, COMMENT, CUSTOMER_ID, SCORE, SEGMENT, TS};
use crate::metrics::kpi::Kpi;
use crate::metrics::requests::{Measured, measure};
use crate::metrics::{self};
use crate::period::{IsoWeek, Period, resolve_week};
use crate::quality::DataQuality;
use crate::render;
use crate::report::weekly::*;
use crate::report::{evaluate_all, kpi_rows};
use crate::sources::{self, MicrosRange, customers, feedback, redis_store, request_log};

/// How many recent comments the summary shows.
const COMMENTS_SHOWN: usize = 5;

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

    let comments = recent_comments(&fb_rows, &period, customers.as_ref(), settings)?;
    let mut files = requests.quality.files.clone();
    files.extend(feedback.quality.files.clone());
    let data_quality = DataQuality::new([("requests", requests.quality), ("feedback", feedback.quality)]);
    Ok(assemble(
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

#[allow(
    clippy::too_many_arguments,
    reason = "one call site assembling the model from its parts"
)]
fn assemble(
    settings: &Settings,
    week: IsoWeek,
    period: &Period,
    previous_week: IsoWeek,
    this: Measured,
    before: Measured,
    redis: metrics::redis::RedisKpis,
    data_quality: DataQuality,
    comments: Vec<Comment>,
    files: Vec<crate::quality::FileQuality>,
) -> WeeklyReport {
    let cells = evaluate_all(&this.overall, &settings.targets);
    let rows = kpi_rows(&cells, &before.overall);
    let (headline, other): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.target.is_some());
    let segments: BTreeMap<String, _> = this
        .segments
        .iter()
        .map(|(name, values)| (name.clone(), evaluate_all(values, &settings.targets)))
        .collect();
    let rollout_week = settings
        .rollout_start
        .map(|start| (period.start_date - start).num_days())
        .filter(|d| *d >= 0)
        .map(|d| d / 7 + 1);
    let by_format = data_quality.formats();
    let rejections = data_quality.reasons();
    let examples = data_quality.examples();
    let hit_rate_gap = this
        .overall
        .get(&Kpi::CacheHitRate)
        .copied()
        .flatten()
        .zip(redis.hit_rate)
        .map(|(a, b)| a - b);
    let metrics = WeeklyMetrics {
        period: PeriodInfo {
            start: period.start_date.to_string(),
            end: period.end_date.to_string(),
            iso_week: week.label(),
            timezone: settings.timezone.name().to_string(),
            rollout_week,
        },
        kpis: cells,
        segments: segments.clone(),
        redis,
        data_quality,
        previous_week: PreviousWeek {
            iso_week: previous_week.label(),
            kpis: before.overall.clone(),
        },
        baseline: BaselineInfo {
            from: settings.baseline.from.to_string(),
            to: settings.baseline.to.to_string(),
            rows: this.baseline.rows,
        },
        generated: Generated {
            at: Utc::now()
                .with_timezone(&settings.timezone)
                .format("%Y-%m-%d %H:%M %Z")
                .to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            config: settings.path.display().to_string(),
            config_hash: settings.hash.clone(),
            currency: settings.costs.currency.clone(),
        },
    };
    let feedback = FeedbackSection {
        responses: this.feedback.responses,
        mean: this.overall.get(&Kpi::CustomerSatisfaction).copied().flatten(),
        complaints: this.feedback.complaints,
        comments,
    };
    WeeklyReport {
        headline,
        other,
        segments: segments
            .into_iter()
            .map(|(name, kpis)| SegmentRow { name, kpis })
            .collect(),
        feedback,
        hit_rate_gap,
        inputs: Inputs {
            requests: settings.sources.requests.clone(),
            feedback: settings.sources.feedback.clone(),
            customers: settings.sources.customers.clone(),
            redis_snapshots: settings.sources.redis_snapshots.clone(),
            files,
            by_format,
            rejections,
            examples,
        },
        metrics,
    }
}

/// The most recent non-empty comments of the period, newest first.
fn recent_comments(
    fb: &DataFrame,
    period: &Period,
    customers: Option<&DataFrame>,
    settings: &Settings,
) -> Result<Vec<Comment>> {
    let (a, b) = period.micros();
    let recent = fb
        .clone()
        .lazy()
        .filter(
            col(TS)
                .gt_eq(lit(a))
                .and(col(TS).lt(lit(b)))
                .and(col(COMMENT).is_not_null()),
        )
        .sort([TS], SortMultipleOptions::default().with_order_descending(true))
        .limit(COMMENTS_SHOWN as IdxSize)
        .collect()?;
    let names: BTreeMap<String, String> = match customers {
        Some(c) => {
            let ids = c.column(CUSTOMER_ID)?.str()?;
            let names = c.column(customers::NAME)?.str()?;
            ids.iter()
                .zip(names.iter())
                .filter_map(|(i, n)| Some((i?.to_string(), n?.to_string())))
                .collect()
        }
        None => BTreeMap::new(),
    };
    let ts = recent.column(TS)?.i64()?;
    let cust = recent.column(CUSTOMER_ID)?.str()?;
    let seg = recent.column(SEGMENT)?.str()?;
    let score = recent.column(SCORE)?.i64()?;
    let text = recent.column(COMMENT)?.str()?;
    let mut out = Vec::new();
    for i in 0..recent.height() {
        let id = cust.get(i).unwrap_or_default();
        out.push(Comment {
            ts: ts
                .get(i)
                .and_then(DateTime::<Utc>::from_timestamp_micros)
                .map(|t| t.with_timezone(&settings.timezone).format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
            customer: names.get(id).cloned().unwrap_or_else(|| id.to_string()),
            segment: seg.get(i).unwrap_or_default().to_string(),
            score: score.get(i).unwrap_or_default(),
            text: text.get(i).unwrap_or_default().to_string(),
        });
    }
    Ok(out)
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
