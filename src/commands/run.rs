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
    if args.dry_run.is_none()
        && !args.resend
        && let Some(d) = crate::deliver::log::last(&out, "weekly", &week.label())
    {
        pb.finish_and_clear();
        lines.push(format!(
            "{}: already sent {} to {}; not sending again (--resend to send anyway)",
            week.label(),
            d.ts,
            d.to.join(", ")
        ));
        return Ok(lines);
    }
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
    pb.finish_and_clear();
    lines.push(sent?);
    Ok(lines)
}
