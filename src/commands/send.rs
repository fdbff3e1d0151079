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
    if args.report == ReportKind::Customer {
        return customers(settings, args, &out);
    }
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

/// `send --report customer`: each customer with a `contact_email` gets its
/// own report (rendered first when it is not there), one message each;
/// `--dry-run F.eml` writes `F-<customer>.eml` for each. `--to` sends every
/// customer's message to those addresses instead (an account manager).
fn customers(settings: &Settings, args: &SendArgs, out: &Path) -> Result<Vec<String>> {
    let table = super::inputs::customers_table(settings)?.with_context(|| {
        format!(
            "{}: `send --report customer` needs [sources] customers with a contact_email column",
            settings.path.display()
        )
    })?;
    let source = settings.sources.customers.clone().unwrap_or_default();
    let contacts = crate::sources::customers::contacts(&table)?;
    if contacts.is_empty() {
        anyhow::bail!("{source}: no customer has a contact_email: nothing to send");
    }
    for (id, email) in &contacts {
        mail::check_address(email)
            .with_context(|| format!("{source}: customer {}: contact_email", crate::error::clip(id, 60)))?;
    }
    let folder = |id: &str| {
        ReportKind::Customer
            .dir(out, "")
            .join(super::customer_report::folder_name(id))
    };
    let missing: Vec<String> = contacts
        .iter()
        .filter(|(id, _)| !folder(id).join("metrics.json").exists())
        .map(|(id, _)| id.clone())
        .collect();
    let mut lines = Vec::new();
    let mut without_rows = Vec::new();
    if !missing.is_empty() {
        tracing::info!("rendering the reports of {} customers first", missing.len());
        let window = crate::cli::WindowArgs {
            from: None,
            to: None,
            month: None,
            quarter: None,
            year: None,
            out: Some(out.to_path_buf()),
        };
        let made =
            super::customer_report::write(settings, super::customer_report::Choice::Ids(&missing), &window, out)?;
        for id in &made.without_rows {
            lines.push(format!(
                "{id}: no request rows in {} to {}; no report, not sent",
                made.window.0, made.window.1
            ));
        }
        without_rows = made.without_rows;
    }
    for (id, email) in contacts.iter().filter(|(id, _)| !without_rows.contains(id)) {
        let files = crate::sources::archive::report(&folder(id))?;
        let rendered = parts(ReportKind::Customer, &files)?;
        let to = if args.to.is_empty() {
            vec![email.clone()]
        } else {
            args.to.clone()
        };
        let dry_run = args.dry_run.as_deref().map(|p| {
            let stem = p
                .file_stem()
                .map_or_else(|| "customer".into(), |s| s.to_string_lossy().into_owned());
            p.with_file_name(format!("{stem}-{}.eml", super::customer_report::folder_name(id)))
        });
        lines.push(deliver(
            settings,
            ReportKind::Customer,
            &rendered,
            &to,
            dry_run.as_deref(),
            out,
        )?);
    }
    Ok(lines)
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
