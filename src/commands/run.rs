//! `cacheroi run`: what cron calls every Monday — the weekly report, its
//! rollout gate and the e-mail, once per week. A lock keeps two runs from
//! overlapping; the delivery log keeps a rerun from mailing twice.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::RunArgs;
use crate::config::Settings;
use crate::deliver::store::StoreLock;
use crate::period::resolve_week;
use crate::report::kind::ReportKind;

/// A spinner on stderr only when it is a terminal and not --quiet.
fn spinner(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// `cacheroi run`: the lines for stdout.
pub fn run(settings: &Settings, args: &RunArgs, quiet: bool) -> Result<Vec<String>> {
    let out = args.out.clone().unwrap_or_else(|| settings.output_dir.clone());
    let lock_path = out.join(".cacheroi-run.lock");
    let Some(_lock) = StoreLock::try_lock_file(&lock_path)? else {
        bail!(
            "another `cacheroi run` is in progress (it holds {}); not starting a second one",
            lock_path.display()
        );
    };
    let week = resolve_week(&args.week, settings.now(), settings.timezone)?;
    let pb = spinner(quiet);
    pb.set_message(format!("reading and rendering {}", week.label()));
    let (written, report) = super::weekly::write(settings, week, Some(&out), true)?;
    let mut lines = vec![format!("{}: report written to {}", week.label(), written.dir.display())];
    if let Some(g) = &report.metrics.gate {
        lines.push(format!(
            "{}: gate {} (phase {}, exit code of `cacheroi gate`: {})",
            week.label(),
            g.verdict.label(),
            g.phase,
            g.exit_code
        ));
    }
    let escalation = crate::report::escalation::of_week(&report);
    let resend = args.resend || args.dry_run.is_some();
    match (!resend)
        .then(|| crate::deliver::log::last(&out, "weekly", &week.label()))
        .flatten()
    {
        Some(d) => lines.push(format!(
            "{}: already sent {} to {}; not sending again (--resend to send anyway)",
            week.label(),
            d.ts,
            d.to.join(", ")
        )),
        None => {
            pb.set_message("sending".to_string());
            let rendered = super::send::parts(ReportKind::Weekly, &written.rendered)?;
            let sent = super::send::deliver(
                settings,
                ReportKind::Weekly,
                &rendered,
                &[],
                args.dry_run.as_deref(),
                &out,
            );
            if sent.is_err() {
                pb.finish_and_clear();
            }
            lines.push(sent?);
        }
    }
    if let Some(e) = escalation {
        pb.set_message("escalating".to_string());
        let line = escalate(settings, &e, &written, args, &out);
        pb.finish_and_clear();
        lines.push(line?);
    }
    pb.finish_and_clear();
    Ok(lines)
}

/// Mail the week's report, opened by what fired, to the escalation
/// recipients — once per week, like the weekly mail.
fn escalate(
    settings: &Settings,
    e: &crate::report::escalation::Escalation,
    written: &super::Written,
    args: &RunArgs,
    out: &std::path::Path,
) -> Result<String> {
    let to = settings.escalation_recipients(&e.levels);
    let week = &e.iso_week;
    if to.is_empty() {
        tracing::warn!("{week}: {} but `[email] escalation_to` is not set", e.prefix);
        return Ok(format!(
            "{week}: {} — nobody escalated to: set `[email] escalation_to` (and `[email.escalation_levels]`)",
            e.prefix
        ));
    }
    if !args.resend
        && args.dry_run.is_none()
        && let Some(d) = crate::deliver::log::last(out, "escalation", week)
    {
        return Ok(format!(
            "{week}: escalation already sent {} to {}; not sending again (--resend to send anyway)",
            d.ts,
            d.to.join(", ")
        ));
    }
    let tera = super::templates(settings)?;
    let (html, markdown) = crate::render::files::escalation(&tera, e)?;
    let weekly = super::send::parts(ReportKind::Weekly, &written.rendered)?;
    let subject = e.subject(&weekly.subject);
    let rendered = weekly.prefaced("escalation", subject, &html, &crate::render::text::plain(&markdown));
    // A dry run writes the escalation beside the weekly message.
    let dry_run = args.dry_run.as_deref().map(|p| {
        let stem = p
            .file_stem()
            .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
        p.with_file_name(format!("{stem}.escalation.eml"))
    });
    super::send::deliver(settings, ReportKind::Weekly, &rendered, &to, dry_run.as_deref(), out)
}
