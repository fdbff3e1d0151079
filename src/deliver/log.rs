//! The delivery log `<out>/deliveries.ndjson`: one line per message the SMTP
//! server accepted, so a rerun of `cacheroi run` for the same week does not
//! mail the same report twice. Appended under the store lock, like the
//! snapshot store; a failed send writes nothing.

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::store;

/// One delivered message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub ts: String,
    pub report: String,
    pub period: String,
    pub to: Vec<String>,
    pub subject: String,
    /// The server's reply, e.g. "250 OK queued as …".
    pub reply: String,
}

pub fn path(out: &Path) -> PathBuf {
    out.join("deliveries.ndjson")
}

/// Record a delivery.
pub fn record(out: &Path, report: &str, period: &str, to: &[String], subject: &str, reply: &str) -> Result<()> {
    let d = Delivery {
        ts: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        report: report.into(),
        period: period.into(),
        to: to.to_vec(),
        subject: subject.into(),
        reply: reply.into(),
    };
    store::append(&path(out), &[serde_json::to_string(&d)?])
}

/// The last delivery of `report` for `period`, if any (unreadable lines are
/// skipped: the log only ever prevents a duplicate).
pub fn last(out: &Path, report: &str, period: &str) -> Option<Delivery> {
    let text = std::fs::read_to_string(path(out)).ok()?;
    text.lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Delivery>(l).ok())
        .find(|d| d.report == report && d.period == period)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_delivery_is_found_by_report_and_period() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(last(dir.path(), "weekly", "2026-W46"), None);
        record(
            dir.path(),
            "weekly",
            "2026-W46",
            &["a@example.com".into()],
            "s",
            "250 OK",
        )
        .unwrap();
        record(
            dir.path(),
            "weekly",
            "2026-W47",
            &["a@example.com".into()],
            "t",
            "250 OK",
        )
        .unwrap();
        let d = last(dir.path(), "weekly", "2026-W46").unwrap();
        assert_eq!((d.subject.as_str(), d.to.len()), ("s", 1));
        assert_eq!(last(dir.path(), "roi", "2026-W46"), None);
    }
}
