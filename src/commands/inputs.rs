//! The inputs of a report, wired: the request log's rollups brought up to
//! date and merged, the feedback rows a report keeps, customers, the Redis
//! store, their data quality; and a report window resolved from the flags,
//! the rollout start and the data.

use std::path::Path;

use anyhow::anyhow;
use chrono::{Duration, NaiveDate};

use anyhow::Result;
use polars::prelude::*;

use crate::config::Settings;
use crate::metrics::fold::Days;
use crate::metrics::requests::days_of;
use crate::period::{IsoWeek, Period, local_midnight};
use crate::quality::{DataQuality, FileQuality};
use crate::rollups::Merged;
use crate::rollups::build::epoch_day;
use crate::sources::{self, customers, feedback, redis_store};

/// Every input of a report: the merged rollups of the request log (brought
/// up to date first), the feedback rows its predicate keeps (segments
/// assigned), customers, the Redis store, and the data quality of both
/// sources over every row.
#[derive(Clone)]
pub struct Loaded {
    pub requests: Merged,
    pub feedback: DataFrame,
    pub customers: Option<DataFrame>,
    pub store: redis_store::Store,
    pub quality: DataQuality,
    pub files: Vec<FileQuality>,
}

/// The rollups of the configuration, up to date (files modified before
/// `since` are not rolled up), merged.
pub fn rollups(
    settings: &Settings,
    customers: Option<&DataFrame>,
    since: Option<chrono::DateTime<chrono::Utc>>,
    endpoints: bool,
) -> Result<(Merged, crate::rollups::Refreshed)> {
    let root = settings.rollups_dir();
    let external = root.join(crate::rollups::schema::MARKER).is_file() && !root.join("manifest.json").is_file();
    let customers_path = settings.sources.customers.as_deref().map(Path::new);
    let loc = crate::rollups::Location {
        root,
        external,
        timezone: settings.timezone,
        customers,
        customers_hash: crate::rollups::customers_hash(customers_path)?,
        limits: &settings.limits,
        mapping: settings.sources.mapping.as_ref(),
        endpoints,
    };
    let paths = if external {
        Vec::new()
    } else {
        sources::resolve(settings.sources.requests()?, "requests")?
    };
    crate::rollups::refresh_and_load(&loc, &paths, since)
}

/// The customers table, if the configuration names one.
pub fn customers_table(settings: &Settings) -> Result<Option<DataFrame>> {
    match &settings.sources.customers {
        Some(p) => Ok(Some(customers::read(
            &sources::resolve(p, "customers")?[0],
            &settings.limits,
        )?)),
        None => Ok(None),
    }
}

/// Read every input of a report (docs/inputs.md); a missing file or column is
/// an error naming it, before anything is computed.
/// `endpoints`: also read the rollups' per-endpoint table (the weekly report).
/// `redis`: the ranges whose Redis figures the command shows (read from
/// Prometheus over just those; the snapshot store is read whole).
pub fn load(
    settings: &Settings,
    keep_feedback: Expr,
    redis: &[crate::sources::MicrosRange],
    endpoints: bool,
) -> Result<Loaded> {
    // Feedback and Redis are optional; configured, a path that matches no
    // file is an error (a typo must not drop a section silently).
    let feedback_paths = match settings.sources.feedback() {
        Some(glob) => sources::resolve(glob, "feedback")?,
        None => Vec::new(),
    };
    let customers = customers_table(settings)?;
    let store = match (&settings.sources.redis_snapshots, &settings.sources.prometheus) {
        (Some(path), _) => redis_store::read(Path::new(path))?,
        (None, Some(p)) => {
            let instant = |us: i64| chrono::DateTime::from_timestamp_micros(us).unwrap_or_default();
            let ranges: Vec<_> = redis.iter().map(|(a, b)| (instant(*a), instant(*b))).collect();
            crate::sources::prometheus::read(p, &ranges, settings.now())?
        }
        (None, None) => redis_store::Store::default(),
    };
    let (requests, _) = rollups(settings, customers.as_ref(), None, endpoints)?;
    let now = settings.now();
    let fb = sources::ingest_mapped(
        &feedback_paths,
        &feedback::SOURCE,
        keep_feedback,
        now.timestamp_micros(),
        &settings.limits,
        settings.sources.feedback_mapping.as_ref(),
    )?;
    let fb_rows = if feedback_paths.is_empty() {
        feedback::empty()?
    } else {
        fb.rows
    };
    let fb_rows = customers::assign_segments(fb_rows, customers.as_ref())?;
    let mut req_quality = requests.quality.clone();
    let today = crate::rollups::build::epoch_day(now.with_timezone(&settings.timezone).date_naive());
    let (late, latest) = crate::metrics::fold::rows_from(&requests, today);
    req_quality.rows_after_as_of = late;
    req_quality.latest_after_as_of = latest;
    let mut files = req_quality.files.clone();
    files.extend(fb.quality.files.clone());
    let quality = DataQuality::new([("requests", req_quality), ("feedback", fb.quality)]);
    Ok(Loaded {
        requests,
        feedback: fb_rows,
        customers,
        store,
        quality,
        files,
    })
}

/// A report window with its inputs.
pub struct WindowData {
    pub start: NaiveDate,
    pub window: Period,
    pub data: Loaded,
    /// The baseline window's days.
    pub baseline_days: Days,
    /// The first and last local day with request rows.
    pub extent: Option<(NaiveDate, NaiveDate)>,
}

/// Resolve `[from, to)` (defaults: the rollout start to the day after the
/// last request row) and load its rows; with `from_baseline`, rows from the
/// first baseline week on (for week-by-week trends).
pub fn load_window(
    settings: &Settings,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    from_baseline: bool,
) -> Result<WindowData> {
    let tz = settings.timezone;
    let start = window_start(settings, from, to)?;
    let baseline = settings.baseline()?;
    let first = if from_baseline {
        IsoWeek::of(baseline.from.min(start)).period(tz).micros().0
    } else {
        local_midnight(start, tz).timestamp_micros()
    };
    let today = settings.now().with_timezone(&tz).date_naive();
    let upper = local_midnight(to.unwrap_or(today), tz).timestamp_micros();
    let keep_feedback = sources::in_ranges(&[
        (first, upper),
        (baseline.start.timestamp_micros(), baseline.end.timestamp_micros()),
    ]);
    // Of the window reports, impact (asked from the baseline on) shows Redis figures.
    let redis = if from_baseline {
        vec![(first, upper)]
    } else {
        Vec::new()
    };
    window_of(settings, load(settings, keep_feedback, &redis, false)?, from, to)
}

/// The window's first day: `--from`, else the rollout start.
fn window_start(settings: &Settings, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<NaiveDate> {
    crate::period::window_start(from, to, settings.rollout_start)?
        .ok_or_else(|| anyhow!("needs --from or `[rollout] start` in {}", settings.path.display()))
}

/// The window `[from, to)` over inputs already loaded (their feedback must
/// hold the window's and the baseline's rows): its end resolved, refused
/// when it holds no request row, and the per-user records every range cut
/// from it needs loaded.
pub fn window_of(
    settings: &Settings,
    mut data: Loaded,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<WindowData> {
    let tz = settings.timezone;
    let start = window_start(settings, from, to)?;
    // The default window ends with the last complete day before `as_of` (or
    // now): a row from a host with a wrong clock must not stretch it and
    // dilute every annualized figure (such rows are counted in data quality).
    let today = settings.now().with_timezone(&tz).date_naive();
    let baseline_days = settings.baseline_days()?;
    let end = match to {
        Some(d) => d,
        None => crate::metrics::fold::last_day_before(&data.requests, epoch_day(today))
            .filter(|d| *d >= start)
            .map(|d| d + Duration::days(1))
            .ok_or_else(|| {
                // Rows of today (not yet complete) are left out of a default window: say so.
                let later = crate::metrics::fold::day_extent(&data.requests)
                    .and_then(|(_, last)| crate::rollups::build::date_of(last))
                    .filter(|last| *last >= today.max(start));
                match later {
                    Some(last) => anyhow!(
                        "no complete day of request rows from the window start {start}: rows of today ({today}) \
                         or later are left out of a default window until the day is over; pass --to {} to include them",
                        last + Duration::days(1)
                    ),
                    None => anyhow!("no valid request rows on or after the window start {start}: nothing to report"),
                }
            })?,
    };
    let window = Period::new(start, end, tz);
    // A window with no request rows would read as zero savings.
    let rows: u64 = crate::rollups::merged::within(&data.requests.requests, |r| r.day, days_of(&window))
        .iter()
        .map(|r| r.rows)
        .sum();
    let extent = crate::metrics::fold::day_extent(&data.requests)
        .and_then(|(a, b)| Some((crate::rollups::build::date_of(a)?, crate::rollups::build::date_of(b)?)));
    if rows == 0 {
        let data_span = extent.map_or_else(
            || "the request log has no valid rows".to_string(),
            |(a, b)| format!("the request log has rows from {a} to {b}"),
        );
        return Err(anyhow!(
            "no request rows in the window {start} to {end} (end exclusive): {data_span}; nothing to report"
        ));
    }
    // Per-user records: the window (and the phases and comparisons cut from
    // it) and the baseline, by day where a range needs it.
    data.requests.load_days(&[days_of(&window), baseline_days])?;
    Ok(WindowData {
        start,
        window,
        data,
        baseline_days,
        extent,
    })
}

/// The rollout plan at `path`, read and parsed; errors start with the file.
pub fn read_plan(path: &std::path::Path) -> Result<crate::evaluate::plan::Plan> {
    let text = sources::documents::read(path, "the rollout plan")?;
    crate::evaluate::plan::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// The configured rollout plan (`rollout_plan`), read and parsed; None
/// without one.
pub fn plan_of(settings: &Settings) -> Result<Option<crate::evaluate::plan::Plan>> {
    settings.rollout_plan.as_deref().map(read_plan).transpose()
}

/// The configured risk register (`risks`), read and parsed; None without
/// one.
pub fn register_of(settings: &Settings) -> Result<Option<crate::evaluate::risks::Register>> {
    settings.risks.as_deref().map(read_register).transpose()
}

/// The risk register at `path`, read and parsed; errors start with the file.
pub fn read_register(path: &std::path::Path) -> Result<crate::evaluate::risks::Register> {
    let text = sources::documents::read(path, "the risk register")?;
    crate::evaluate::risks::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}
