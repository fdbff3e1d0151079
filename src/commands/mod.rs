//! One thin file per subcommand: wire sources → metrics → report → render →
//! deliver.

pub mod gate;
pub mod impact;
pub mod inputs;
pub mod roi;
pub mod rollup;
pub mod run;
pub mod sample;
pub mod send;
pub mod snapshot;
pub mod weekly;

use std::path::{Path, PathBuf};

use crate::config::Settings;

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
    let archive = crate::report::archive::build(&crate::sources::archive::read(out));
    written.extend(crate::deliver::files::write(
        out,
        &crate::render::files::index(tera, &archive)?,
    )?);
    Ok(written)
}
