//! One thin file per subcommand: wire sources → metrics → report → render →
//! deliver.

pub mod brief;
pub mod customer_report;
pub mod export;
pub mod gate;
pub mod impact;
pub mod init;
pub mod inputs;
pub mod inspect;
pub mod notify;
pub mod risks;
pub mod roi;
pub mod rollup;
pub mod run;
pub mod sample;
pub mod send;
pub mod snapshot;
pub mod weekly;

#[cfg(test)]
mod any_window;

use std::path::{Path, PathBuf};

use crate::config::Settings;
use crate::period::IsoWeek;
use crate::report::kind::ReportKind;

/// The files a report command wrote, and the report as rendered (what is
/// mailed, without reading it back).
pub struct Written {
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    pub rendered: crate::ground::files::Files,
}

/// Build, render and write a report of `kind` under `out` with its default
/// window (`week` for the weekly one, which must have request rows: what is
/// mailed must not be empty). One line per kind.
pub fn write_report(settings: &Settings, kind: ReportKind, out: &Path, week: IsoWeek) -> anyhow::Result<Written> {
    match kind {
        ReportKind::Weekly => Ok(weekly::write(settings, week, Some(out), true)?.0),
        ReportKind::Impact => impact::write(settings, None, None, out),
        ReportKind::Roi => roi::write(settings, None, None, false, out),
        ReportKind::BriefExecutive => brief::write(settings, crate::report::brief::Audience::Executive, week, out),
        ReportKind::BriefTechnical => brief::write(settings, crate::report::brief::Audience::Technical, week, out),
        ReportKind::BriefSupport => brief::write(settings, crate::report::brief::Audience::Support, week, out),
        ReportKind::Customer => {
            anyhow::bail!("customer reports are made one per customer: run `cacheroi customer-report`")
        }
    }
}

/// The template environment with the config's custom templates, if any.
pub(crate) fn templates(settings: &Settings) -> anyhow::Result<tera::Tera> {
    let custom = match &settings.templates_dir {
        Some(dir) => crate::sources::templates::read(dir)?,
        None => Vec::new(),
    };
    crate::render::environment(&custom)
}

/// Write a rendered report's files under `dir`, then rebuild the archive
/// index of `out` from every report written so far; returns every file
/// written.
pub(crate) fn write_with_archive(
    tera: &tera::Tera,
    dir: &Path,
    files: &crate::render::files::Files,
    out: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = crate::deliver::files::write(dir, files)?;
    let dir_of = |kind: ReportKind| kind.dir(out, "");
    let reports = crate::sources::archive::read(
        &dir_of(ReportKind::Weekly),
        &dir_of(ReportKind::Impact),
        &dir_of(ReportKind::Roi),
        &out.join(crate::render::files::DASHBOARD_JSON),
    );
    let archive = crate::report::archive::build(&reports);
    written.extend(crate::deliver::files::write(
        out,
        &crate::render::files::index(tera, &archive)?,
    )?);
    Ok(written)
}
