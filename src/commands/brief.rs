//! `cacheroi brief --audience …`: the week's weekly report said for one
//! audience, written beside it under `<out>/brief-<audience>/<week>/`.

use std::path::Path;

use anyhow::Result;

use super::Written;
use crate::cli::BriefArgs;
use crate::config::Settings;
use crate::period::{IsoWeek, resolve_week};
use crate::report::brief::{self, Audience, PlanWeek};
use crate::report::kind::ReportKind;

/// `cacheroi brief`.
pub fn run(settings: &Settings, args: &BriefArgs) -> Result<Written> {
    let week = resolve_week(&args.week.week, settings.now(), settings.timezone)?;
    let out = args.week.out.clone().unwrap_or_else(|| settings.output_dir.clone());
    write(settings, args.audience, week, &out)
}

/// Build, render and write the brief of `audience` for `week` under `out`.
/// A week without request rows is an error: a brief of nothing is not sent.
pub fn write(settings: &Settings, audience: Audience, week: IsoWeek, out: &Path) -> Result<Written> {
    let report = super::weekly::build(settings, week)?;
    if report.no_rows {
        anyhow::bail!(
            "{} ({} to {}) has no valid request rows in {}: nothing to brief — are that week's logs in place?",
            week.label(),
            report.metrics.period.start,
            report.metrics.period.end,
            settings.sources.requests()?
        );
    }
    let plan = super::inputs::plan_of(settings)?;
    let phase_before = report.metrics.gate.as_ref().and_then(|g| {
        let w = u32::try_from(g.rollout_week - 1).ok().filter(|w| *w > 0)?;
        Some(plan.as_ref()?.phase_of(w)?.name.clone())
    });
    let built = brief::build(audience, &report, &PlanWeek { phase_before });
    let tera = super::templates(settings)?;
    let rendered = crate::render::files::brief(&tera, &built)?;
    let dir = ReportKind::brief(audience).dir(out, &week.label());
    let files = crate::deliver::files::write(&dir, &rendered)?;
    Ok(Written { dir, files, rendered })
}
