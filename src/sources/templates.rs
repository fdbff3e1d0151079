//! Custom templates (`templates_dir` of the config): every `.html` and `.md`
//! file of the folder, by file name, to replace a bundled template of the
//! same name (branding) or add one.

use std::path::Path;

use anyhow::{Context, Result};

/// (file name, text) of each template in `dir`, sorted by name.
pub fn read(dir: &Path) -> Result<Vec<(String, String)>> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("{}: cannot read the templates folder", dir.display()))?;
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.ends_with(".html") || name.ends_with(".md")) {
            continue;
        }
        let text = std::fs::read_to_string(entry.path())
            .with_context(|| format!("{}: cannot read", entry.path().display()))?;
        out.push((name, text));
    }
    out.sort();
    Ok(out)
}
