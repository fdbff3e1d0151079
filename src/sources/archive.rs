//! Reports written earlier, read back for the archive index: each weekly
//! report's metrics.json (`<out>/weekly/<week>/`), the impact and the ROI
//! report's. An unreadable or unparsable file is left out: the archive
//! lists what it can read.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::ground::files::Files;

/// The metrics.json of every report under an output folder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Written {
    /// (week folder name, its metrics.json), in no particular order.
    pub weeks: Vec<(String, Value)>,
    pub impact: Option<Value>,
    pub roi: Option<Value>,
    /// `<out>/dashboard.json`: the KPIs of every week in the rollups.
    pub dashboard: Option<Value>,
}

fn json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Read the reports in their folders: `weekly` holds one folder per week,
/// `impact` and `roi` one report each.
pub fn read(weekly: &Path, impact: &Path, roi: &Path, dashboard: &Path) -> Written {
    let mut written = Written::default();
    if let Ok(entries) = std::fs::read_dir(weekly) {
        for entry in entries.flatten() {
            if let Some(m) = json(&entry.path().join("metrics.json")) {
                written
                    .weeks
                    .push((entry.file_name().to_string_lossy().into_owned(), m));
            }
        }
    }
    written.impact = json(&impact.join("metrics.json"));
    written.roi = json(&roi.join("metrics.json"));
    written.dashboard = json(dashboard);
    written
}

/// A report written earlier, read back whole from its folder: every regular
/// file in it and in its `charts/` (a custom template can thus mail only
/// what the report itself holds).
pub fn report(dir: &Path) -> Result<Files> {
    let mut files = Files::default();
    for (sub, prefix) in [(dir.to_path_buf(), ""), (dir.join("charts"), "charts/")] {
        let Ok(entries) = std::fs::read_dir(&sub) else {
            continue;
        };
        let mut names: Vec<_> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in names {
            let path = sub.join(&name);
            let bytes =
                std::fs::read(&path).with_context(|| format!("{}: cannot read the rendered report", path.display()))?;
            files.add(format!("{prefix}{name}"), bytes);
        }
    }
    Ok(files)
}
