//! Reports written earlier, read back for the archive index: each weekly
//! report's metrics.json (`<out>/weekly/<week>/`), the impact and the ROI
//! report's. An unreadable or unparsable file is left out: the archive
//! lists what it can read.

use std::path::Path;

use serde_json::Value;

/// The metrics.json of every report under an output folder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Written {
    /// (week folder name, its metrics.json), in no particular order.
    pub weeks: Vec<(String, Value)>,
    pub impact: Option<Value>,
    pub roi: Option<Value>,
}

fn json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Read what `out` holds.
pub fn read(out: &Path) -> Written {
    let mut written = Written::default();
    if let Ok(entries) = std::fs::read_dir(out.join("weekly")) {
        for entry in entries.flatten() {
            if let Some(m) = json(&entry.path().join("metrics.json")) {
                written
                    .weeks
                    .push((entry.file_name().to_string_lossy().into_owned(), m));
            }
        }
    }
    written.impact = json(&out.join("impact/metrics.json"));
    written.roi = json(&out.join("roi/metrics.json"));
    written
}
