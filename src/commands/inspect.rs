//! `cacheroi inspect FILE…`: what the tool sees in request-log files, and
//! the config section that reads them.

use anyhow::Result;

use crate::cli::InspectArgs;
use crate::config::Settings;
use crate::sources::inspect::{Inspection, inspect};

/// `cacheroi inspect`: the lines for stdout. The configured mapping reads
/// the files when there is one; else one is guessed from their columns.
/// `--log-format` says how to split nginx lines either way.
pub fn run(settings: Option<&Settings>, args: &InspectArgs) -> Result<Vec<String>> {
    let limits = settings.map(|s| s.limits.clone()).unwrap_or_default();
    let configured = settings.and_then(|s| s.sources.mapping.as_ref());
    let log_format = log_format_arg(args.log_format.as_ref())?;
    lines(&inspect(&args.files, configured, log_format, &limits)?, args.json)
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

fn lines(i: &Inspection, json: bool) -> Result<Vec<String>> {
    if json {
        return Ok(vec![serde_json::to_string_pretty(i)?]);
    }
    let mut out = Vec::new();
    for f in &i.files {
        out.push(format!(
            "{}: {}, {} records{}",
            f.path,
            f.format,
            f.records,
            if f.malformed > 0 {
                format!(", {} not matching the layout", f.malformed)
            } else {
                String::new()
            }
        ));
        for e in &f.malformed_examples {
            out.push(format!("  {e}"));
        }
        out.push(format!("  columns: {}", f.columns.join(", ")));
    }
    out.push(String::new());
    match &i.status_column {
        Some(c) => {
            out.push(format!("Cache status (`{c}`):"));
            for (w, n, to) in &i.status_words {
                let w = if w.is_empty() { "(empty)" } else { w.as_str() };
                out.push(format!("  {w:<14} {n:>10}  → {to}"));
            }
        }
        None => out.push("No cache-status column found: name it in the mapping (cache_status = \"…\").".into()),
    }
    out.push(String::new());
    out.push(format!("First rows after mapping ({}):", i.mapping_from));
    for r in &i.first_rows {
        out.push(format!(
            "  {} {} {} {} {} {} ms {} cache={} origin={}",
            r["ts"],
            r["customer_id"],
            r["user_id"],
            r["endpoint"],
            r["status"],
            r["latency_ms"],
            if r["cache_status"].is_empty() {
                "-"
            } else {
                &r["cache_status"]
            },
            r["cache_enabled"],
            r["upstream_calls"]
        ));
    }
    let t = &i.totals;
    out.push(String::new());
    if let Some(p) = &i.problem {
        out.push(format!("Totals: not counted — {p}"));
    }
    out.push(format!(
        "Totals: {} rows, {} valid{}; with the cache {}, 5xx {}, origin calls {}",
        t.rows,
        t.valid,
        if t.rejected.is_empty() {
            String::new()
        } else {
            format!(
                " (rejected: {})",
                t.rejected
                    .iter()
                    .map(|(r, n)| format!("{r} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        t.with_cache,
        t.server_errors,
        t.origin_calls
    ));
    out.push(format!(
        "  by cache status: {}",
        t.cache_status
            .iter()
            .map(|(w, n)| format!("{} {n}", if w.is_empty() { "none" } else { w }))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out.push(String::new());
    out.push(i.suggestion.clone());
    Ok(out)
}
