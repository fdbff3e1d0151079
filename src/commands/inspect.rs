//! `cacheroi inspect FILE…`: what the tool sees in request-log files, and
//! the config section that reads them.

use anyhow::Result;

use crate::cli::InspectArgs;
use crate::config::Settings;
use crate::sources::inspect::inspect;

/// `cacheroi inspect`: the lines for stdout. The configured mapping reads
/// the files when there is one; else one is guessed from their columns.
/// `--log-format` says how to split nginx lines either way.
pub fn run(settings: Option<&Settings>, args: &InspectArgs) -> Result<Vec<String>> {
    let limits = settings.map(|s| s.limits.clone()).unwrap_or_default();
    let configured = settings.and_then(|s| s.sources.mapping.as_ref());
    let log_format = log_format_arg(args.log_format.as_ref())?;
    let inspection = inspect(&args.files, configured, log_format, &limits)?;
    if args.json {
        return Ok(vec![serde_json::to_string_pretty(&inspection)?]);
    }
    Ok(crate::render::inspect::lines(&inspection))
}

/// `--log-format` (of `inspect` and `init`) compiled, with its text.
pub(crate) fn log_format_arg(given: Option<&String>) -> Result<Option<(String, crate::formats::nginx::LogFormat)>> {
    given
        .map(|f| {
            crate::formats::nginx::compile(f)
                .map(|c| (f.clone(), c))
                .map_err(|e| anyhow::anyhow!("--log-format: {e}"))
        })
        .transpose()
}
