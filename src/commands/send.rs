//! `cacheroi send`: mail a rendered report (rendering it first when it is not
//! there) to the report's recipients, or write the message with --dry-run.

use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::SendArgs;
use crate::config::Settings;
use crate::deliver::files::write_atomic;
use crate::deliver::mail::{self, Rendered};
use crate::ground::files::Files;
use crate::period::resolve_week;
use crate::report::kind::ReportKind;

/// Compose `r` for `to` and send it — or write it to `dry_run` — and record
/// a real delivery in the log under `out`. Returns what happened, for stdout.
pub fn deliver(
    settings: &Settings,
    kind: ReportKind,
    r: &Rendered,
    to: &[String],
    dry_run: Option<&Path>,
    out: &Path,
) -> Result<String> {
    let cfg = settings.smtp(dry_run.is_none())?;
    let to: Vec<String> = if to.is_empty() {
        settings.recipients(kind)
    } else {
        to.to_vec()
    };
    let msg = mail::compose(r, &cfg.from, &to)?;
    if let Some(file) = dry_run {
        write_atomic(file, &msg.formatted())?;
        return Ok(format!(
            "{}: “{}” for {} written (not sent)",
            file.display(),
            r.subject,
            to.join(", ")
        ));
    }
    let reply = mail::send(&msg, &cfg)?;
    crate::deliver::log::record(out, &r.label, &r.period, &to, &r.subject, &reply)?;
    Ok(format!(
        "sent “{}” to {} via {}",
        r.subject,
        to.join(", "),
        cfg.server()
    ))
}

/// `cacheroi send`.
pub fn run(settings: &Settings, args: &SendArgs) -> Result<Vec<String>> {
    let out = args.out.clone().unwrap_or_else(|| settings.output_dir.clone());
    let week = resolve_week(&args.week, settings.now(), settings.timezone)?;
    let dir = args.report.dir(&out, &week.label());
    let files = if dir.join("metrics.json").exists() {
        crate::sources::archive::report(&dir)?
    } else {
        tracing::info!("{} is not rendered yet: rendering it", dir.display());
        super::write_report(settings, args.report, &out, week)?.rendered
    };
    let rendered = parts(args.report, &files)?;
    if args.report == ReportKind::Weekly {
        refuse_empty(&files, &week.label())?;
    }
    let sent = deliver(
        settings,
        args.report,
        &rendered,
        &args.to,
        args.dry_run.as_deref(),
        &out,
    )?;
    Ok(vec![sent])
}

/// The message parts of a rendered report of `kind`, with its subject.
pub fn parts(kind: ReportKind, files: &Files) -> Result<Rendered> {
    let bytes = files
        .get("metrics.json")
        .context("the rendered report has no metrics.json")?;
    let metrics: serde_json::Value = serde_json::from_slice(bytes).context("metrics.json: not JSON")?;
    let (subject, period) = kind.subject(&metrics);
    mail::parts_of(files, &kind.spec().parts, kind.name().to_string(), period, subject)
}

/// A weekly report without request rows is not mailed.
fn refuse_empty(files: &Files, week: &str) -> Result<()> {
    let m: serde_json::Value = serde_json::from_slice(files.get("metrics.json").unwrap_or_default())?;
    if m["kpis"]["requests"]["value"].as_f64().unwrap_or(0.0) == 0.0 {
        anyhow::bail!("{week}: the report has no request rows; not sending an empty report");
    }
    Ok(())
}
