//! One thin file per subcommand: wire sources → metrics → report → render →
//! deliver.

pub mod gate;
pub mod impact;
pub mod roi;
pub mod rollup;
pub mod run;
pub mod sample;
pub mod send;
pub mod snapshot;
pub mod weekly;

use std::path::{Path, PathBuf};

use anyhow::Result;
use polars::prelude::*;

use crate::config::Settings;
use crate::quality::{DataQuality, FileQuality};
use crate::rollups::Merged;
use crate::sources::{self, customers, feedback, redis_store};

/// Every input of a report: the merged rollups of the request log (brought
/// up to date first), the feedback rows its predicate keeps (segments
/// assigned), customers, the Redis store, and the data quality of both
/// sources over every row.
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
    };
    let paths = if external {
        Vec::new()
    } else {
        sources::resolve(settings.sources.requests()?, "requests")?
    };
    crate::rollups::refresh_and_load(&loc, &paths, since)
}

/// Read every input of a report (CONTRACT §1); a missing file or column is
/// an error naming it, before anything is computed.
pub fn load(settings: &Settings, keep_feedback: Expr) -> Result<Loaded> {
    let feedback_paths = sources::resolve(settings.sources.feedback()?, "feedback")?;
    let customers = match &settings.sources.customers {
        Some(p) => Some(customers::read(
            &sources::resolve(p, "customers")?[0],
            &settings.limits,
        )?),
        None => None,
    };
    let store = redis_store::read(Path::new(&settings.sources.redis_snapshots))?;
    let (requests, _) = rollups(settings, customers.as_ref(), None)?;
    let now = settings.now();
    let fb = sources::ingest(
        &feedback_paths,
        &feedback::SOURCE,
        keep_feedback,
        now.timestamp_micros(),
        &settings.limits,
    )?;
    let fb_rows = customers::assign_segments(fb.rows, customers.as_ref())?;
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

/// Write a rendered report, then rebuild the archive index of `out`;
/// returns every file written.
pub(crate) fn write_with_archive(
    bundle: &crate::deliver::files::Bundle,
    out: &Path,
    templates: Option<&Path>,
) -> anyhow::Result<Vec<PathBuf>> {
    bundle.write()?;
    let mut files: Vec<PathBuf> = bundle.files.iter().map(|(p, _)| p.clone()).collect();
    // The index of every report written so far: read, built, rendered, written.
    let archive = crate::report::archive::build(&crate::sources::archive::read(out));
    let tera = crate::render::environment(templates)?;
    let mut index = crate::deliver::files::Bundle::default();
    index.add(
        out.join("index.html"),
        crate::render::render(&tera, "index.html", &archive)?,
    );
    index.add(
        out.join("index.md"),
        crate::render::render(&tera, "index.md", &archive)?,
    );
    index.write()?;
    files.extend(index.files.into_iter().map(|(p, _)| p));
    Ok(files)
}
