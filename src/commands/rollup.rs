//! `cacheroi rollup`: bring the rollups of the request log up to date, and
//! nothing else (for an hourly or daily cron; every report does it too).

use anyhow::{Result, bail};

use crate::cli::RollupArgs;
use crate::config::Settings;

/// The stdout lines: what was rolled up, reused and removed.
pub fn run(settings: &Settings, args: &RollupArgs) -> Result<Vec<String>> {
    let root = settings.rollups_dir();
    if root.join(crate::rollups::schema::MARKER).is_file() && !root.join("manifest.json").is_file() {
        bail!(
            "{}: these rollups were made elsewhere (sql/rollup.sql): cacheroi reads them but does not refresh them",
            root.display()
        );
    }
    let customers = super::inputs::customers_table(settings)?;
    let since = args.since.map(|d| crate::period::local_midnight(d, settings.timezone));
    let (merged, done) = super::inputs::rollups(settings, customers.as_ref(), since, false)?;
    let rows: u64 = merged.requests.iter().map(|r| r.rows).sum();
    let mut lines = vec![format!(
        "{}: {} file(s) rolled up, {} reused, {} removed{}",
        root.display(),
        done.rolled_up,
        done.reused,
        done.removed,
        if done.skipped > 0 {
            format!(", {} older than --since left alone", done.skipped)
        } else {
            String::new()
        }
    )];
    lines.push(format!(
        "{} valid request rows, {} rejected, in {} file(s)",
        rows,
        merged.quality.rows_rejected,
        merged.quality.files.len()
    ));
    Ok(lines)
}
