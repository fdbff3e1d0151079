//! `cacheroi risks`: the risk register judged for a week on the same KPIs
//! as the weekly report — exit 0 when every measured risk is ok, 3 when one
//! is on watch, 4 when one triggered (for cron, like `gate`).

use anyhow::{Result, anyhow};

use crate::cli::RisksArgs;
use crate::config::Settings;
use crate::evaluate::risks::exit_code;
use crate::period::resolve_week;

/// The lines for stdout and the exit code.
pub fn run(settings: &Settings, args: &RisksArgs) -> Result<(Vec<String>, i32)> {
    if settings.risks.is_none() {
        return Err(anyhow!(
            "risks needs `[rollout] risks` (a risk register file) in {}",
            settings.path.display()
        ));
    }
    let week = resolve_week(&args.week, settings.now(), settings.timezone)?;
    let report = super::weekly::build(settings, week)?;
    let statuses = &report.metrics.risks;
    let code = exit_code(statuses);
    if args.json {
        return Ok((vec![serde_json::to_string_pretty(statuses)?], code));
    }
    Ok((
        crate::report::flags::risk_lines(&report.metrics.period.iso_week, &report.risk_rows),
        code,
    ))
}
