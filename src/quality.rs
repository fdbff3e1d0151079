//! Data quality (`data_quality` of docs/metrics-json.md, docs/bad-input.md): rows read and rejected, by
//! reason, with the first examples pointing at file and line.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::formats::Location;

/// The reject reasons of docs/bad-input.md, in the order they are tested, plus
/// `malformed_row` for a record that is not a row at all (a torn NDJSON line).
pub mod reason {
    pub const MALFORMED_ROW: &str = "malformed_row";
    pub const MISSING_VALUE: &str = "missing_value";
    pub const BAD_TIMESTAMP: &str = "bad_timestamp";
    pub const INVALID_VALUE: &str = "invalid_value";
    pub const NEGATIVE_LATENCY: &str = "negative_latency";
    pub const UNKNOWN_CACHE_STATUS: &str = "unknown_cache_status";
    pub const SCORE_OUT_OF_RANGE: &str = "score_out_of_range";

    /// Every reason, in the order of docs/bad-input.md.
    pub const ALL: [&str; 7] = [
        MALFORMED_ROW,
        MISSING_VALUE,
        BAD_TIMESTAMP,
        INVALID_VALUE,
        NEGATIVE_LATENCY,
        UNKNOWN_CACHE_STATUS,
        SCORE_OUT_OF_RANGE,
    ];
}

/// A reason and how many rows it rejected, for reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    pub rows: u64,
}

/// Files of one format, for the inputs section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormatGroup {
    pub format: String,
    pub files: u64,
    pub rows_read: u64,
    pub rows_rejected: u64,
}

/// How many examples are kept per reason and source.
pub const EXAMPLES_PER_REASON: usize = 3;

/// One rejected row, for people to find and fix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BadRow {
    pub file: String,
    pub location: Location,
    /// The location for people: `line 17`, `row 3`.
    pub at: String,
    pub reason: String,
    pub column: Option<String>,
    pub value: Option<String>,
}

/// Rows read from one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileQuality {
    pub file: String,
    pub format: String,
    pub rows_read: u64,
    pub rows_rejected: u64,
}

/// Data quality of one source (requests or feedback).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceQuality {
    pub rows_read: u64,
    pub rows_rejected: u64,
    /// Valid rows dated at or after `as_of` (or the clock): a host with a
    /// wrong clock, or logs of tomorrow. They are in no default window.
    pub rows_after_as_of: u64,
    /// The latest of them, epoch µs.
    #[serde(skip)]
    pub latest_after_as_of: Option<i64>,
    pub rejected_by_reason: BTreeMap<String, u64>,
    pub examples: Vec<BadRow>,
    pub files: Vec<FileQuality>,
}

impl SourceQuality {
    /// Whether another example of `reason` is still wanted.
    pub fn wants_example(&self, reason: &str) -> bool {
        self.examples.iter().filter(|e| e.reason == reason).count() < EXAMPLES_PER_REASON
    }
}

/// `data_quality` of metrics.json: the totals of docs/metrics-json.md over requests and
/// feedback, then each source on its own.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DataQuality {
    pub rows_read: u64,
    pub rows_rejected: u64,
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Valid rows dated at or after `as_of` (or the clock), over every source,
    /// and the latest timestamp among them (RFC 3339).
    pub rows_after_as_of: u64,
    pub latest_after_as_of: Option<String>,
    pub sources: BTreeMap<String, SourceQuality>,
}

impl DataQuality {
    /// Every file named relative to `base` (the configuration's folder)
    /// where it lies below it: reports never show a server's full paths.
    pub fn relative_to(mut self, base: &str) -> Self {
        for s in self.sources.values_mut() {
            for f in &mut s.files {
                f.file = relative(&f.file, base);
            }
            for e in &mut s.examples {
                e.file = relative(&e.file, base);
            }
        }
        self
    }

    /// Rejections in the order of docs/bad-input.md, reasons with none left out.
    pub fn reasons(&self) -> Vec<ReasonCount> {
        reason::ALL
            .iter()
            .filter_map(|r| {
                self.rejected_by_reason.get(*r).map(|n| ReasonCount {
                    reason: r.to_string(),
                    rows: *n,
                })
            })
            .collect()
    }

    /// Every example of every source, requests first.
    pub fn examples(&self) -> Vec<BadRow> {
        let order = ["requests", "feedback"];
        let mut out: Vec<BadRow> = Vec::new();
        for name in order {
            if let Some(q) = self.sources.get(name) {
                out.extend(q.examples.iter().cloned());
            }
        }
        out
    }

    /// Files by format.
    pub fn formats(&self) -> Vec<FormatGroup> {
        let mut groups: Vec<FormatGroup> = Vec::new();
        for f in self.sources.values().flat_map(|q| q.files.iter()) {
            match groups.iter_mut().find(|g| g.format == f.format) {
                Some(g) => {
                    g.files += 1;
                    g.rows_read += f.rows_read;
                    g.rows_rejected += f.rows_rejected;
                }
                None => groups.push(FormatGroup {
                    format: f.format.clone(),
                    files: 1,
                    rows_read: f.rows_read,
                    rows_rejected: f.rows_rejected,
                }),
            }
        }
        groups
    }

    pub fn new(sources: impl IntoIterator<Item = (&'static str, SourceQuality)>) -> Self {
        let mut dq = DataQuality::default();
        let mut latest: Option<i64> = None;
        for (name, q) in sources {
            dq.rows_read += q.rows_read;
            dq.rows_rejected += q.rows_rejected;
            dq.rows_after_as_of += q.rows_after_as_of;
            latest = latest.max(q.latest_after_as_of);
            for (r, n) in &q.rejected_by_reason {
                *dq.rejected_by_reason.entry(r.clone()).or_default() += n;
            }
            dq.sources.insert(name.to_string(), q);
        }
        dq.latest_after_as_of = latest
            .and_then(chrono::DateTime::<chrono::Utc>::from_timestamp_micros)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        dq
    }
}

/// `path` without the leading `base/`, if it starts with it.
pub fn relative(path: &str, base: &str) -> String {
    let base = base.trim_end_matches('/');
    match path.strip_prefix(base).and_then(|rest| rest.strip_prefix('/')) {
        Some(rest) if !base.is_empty() => rest.to_string(),
        _ => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_below_the_config_folder_are_shown_relative() {
        assert_eq!(
            relative("/srv/cache/data/requests/r1.csv", "/srv/cache/data"),
            "requests/r1.csv"
        );
        assert_eq!(
            relative("/srv/cache/data/requests/r1.csv", "/srv/cache/data/"),
            "requests/r1.csv"
        );
        // Elsewhere, or a folder that merely starts with the same name: as is.
        assert_eq!(relative("/var/log/app.log", "/srv/cache/data"), "/var/log/app.log");
        assert_eq!(
            relative("/srv/cache/data2/r.csv", "/srv/cache/data"),
            "/srv/cache/data2/r.csv"
        );
        assert_eq!(relative("requests/*.csv", ""), "requests/*.csv");
    }
}
