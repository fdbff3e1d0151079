//! One thin file per subcommand: wire sources → metrics → report → render →
//! deliver.

pub mod gate;
pub mod impact;
pub mod roi;
pub mod run;
pub mod sample;
pub mod send;
pub mod snapshot;
pub mod weekly;

use std::path::{Path, PathBuf};

/// Write a rendered report, then rebuild the archive index of `out`;
/// returns every file written.
pub(crate) fn write_with_archive(
    bundle: &crate::deliver::files::Bundle,
    out: &Path,
    templates: Option<&Path>,
) -> anyhow::Result<Vec<PathBuf>> {
    bundle.write()?;
    let mut files: Vec<PathBuf> = bundle.files.iter().map(|(p, _)| p.clone()).collect();
    files.extend(crate::report::archive::rebuild(out, templates)?);
    Ok(files)
}
