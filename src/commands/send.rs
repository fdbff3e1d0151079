//! `cacheroi send`: mail a rendered report (rendering it first when it is not
//! there) to the report's recipients, or write the message with --dry-run.

use std::path::Path;

use anyhow::{Context, Result};

use crate::cli::SendArgs;
use crate::config::Settings;
use crate::deliver::files::write_atomic;
use crate::deliver::mail::{self, Rendered};
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
    let week = match args.report {
        ReportKind::Weekly => resolve_week(&args.week, settings.now(), settings.timezone)?.label(),
        _ => String::new(),
    };
    let dir = args.report.dir(&out, &week);
    if !dir.join("metrics.json").exists() {
        tracing::info!("{} is not rendered yet: rendering it", dir.display());
        match args.report {
            ReportKind::Weekly => {
                let w = resolve_week(&args.week, settings.now(), settings.timezone)?;
                super::weekly::write(settings, w, Some(&out), true)?;
            }
            ReportKind::Impact => {
                super::impact::run(
                    settings,
                    &crate::cli::ImpactArgs {
                        from: None,
                        to: None,
                        out: Some(out.clone()),
                    },
                )?;
            }
            ReportKind::Roi => {
                super::roi::run(
                    settings,
                    &crate::cli::RoiArgs {
                        from: None,
                        to: None,
                        out: Some(out.clone()),
                    },
                )?;
            }
        }
    }
    let rendered = load(args.report, &dir)?;
    if args.report == ReportKind::Weekly {
        refuse_empty(&dir, &week)?;
    }
    Ok(vec![deliver(
        settings,
        args.report,
        &rendered,
        &args.to,
        args.dry_run.as_deref(),
        &out,
    )?])
}

/// A rendered report of `kind` read back from `dir`, with its subject.
pub fn load(kind: ReportKind, dir: &Path) -> Result<Rendered> {
    let file = dir.join("metrics.json");
    let bytes = std::fs::read(&file).with_context(|| format!("{}: cannot read the rendered report", file.display()))?;
    let metrics: serde_json::Value =
        serde_json::from_slice(&bytes).with_context(|| format!("{}: not JSON", file.display()))?;
    let (subject, period) = kind.subject(&metrics);
    mail::load(dir, &kind.spec().parts, kind.name().to_string(), period, subject)
}

/// A weekly report without request rows is not mailed.
fn refuse_empty(dir: &Path, week: &str) -> Result<()> {
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("metrics.json"))?)?;
    if m["kpis"]["requests"]["value"].as_f64().unwrap_or(0.0) == 0.0 {
        anyhow::bail!("{week}: the report has no request rows; not sending an empty report");
    }
    Ok(())
}
