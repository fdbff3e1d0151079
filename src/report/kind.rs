//! The report kinds: each one's name, folder, files and mail parts in one
//! table. Adding a kind is its view model, its templates, its command and
//! one line here (a variant and its row of [`KINDS`]).

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportKind {
    Weekly,
    Impact,
    Roi,
    BriefExecutive,
    BriefTechnical,
    BriefSupport,
    // Each customer's own report, mailed to its `contact_email` (no doc
    // comment: clap would list every value with its description).
    Customer,
}

/// The files of a rendered report that a message carries: the HTML (its
/// `charts/*.png` inlined), the Markdown as the text part, attachments.
#[derive(Debug, Clone, Copy)]
pub struct Parts {
    pub html: &'static str,
    pub markdown: &'static str,
    /// (file name, content type).
    pub attachments: &'static [(&'static str, &'static str)],
}

/// What a kind is made of.
pub struct Spec {
    pub name: &'static str,
    /// One report per ISO week (`<out>/<name>/<week>/`), else one folder.
    pub per_week: bool,
    pub parts: Parts,
    /// (subject, period label) of its message, from its metrics.json.
    pub subject: fn(&Value) -> (String, String),
}

const JSON: (&str, &str) = ("metrics.json", "application/json");
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const BRIEF: Parts = Parts {
    html: "brief.html",
    markdown: "brief.md",
    attachments: &[JSON],
};

/// Every kind, in the order of [`ReportKind`].
pub const KINDS: [Spec; 7] = [
    Spec {
        name: "weekly",
        per_week: true,
        parts: Parts {
            html: "summary.html",
            markdown: "summary.md",
            attachments: &[JSON],
        },
        subject: weekly_subject,
    },
    Spec {
        name: "impact",
        per_week: false,
        parts: Parts {
            html: "impact.html",
            markdown: "impact.md",
            attachments: &[JSON],
        },
        subject: impact_subject,
    },
    Spec {
        name: "roi",
        per_week: false,
        parts: Parts {
            html: "roi.html",
            markdown: "roi.md",
            attachments: &[("roi.csv", "text/csv; charset=utf-8"), ("roi.xlsx", XLSX)],
        },
        subject: roi_subject,
    },
    Spec {
        name: "brief-executive",
        per_week: true,
        parts: BRIEF,
        subject: brief_subject,
    },
    Spec {
        name: "brief-technical",
        per_week: true,
        parts: BRIEF,
        subject: brief_subject,
    },
    Spec {
        name: "brief-support",
        per_week: true,
        parts: BRIEF,
        subject: brief_subject,
    },
    Spec {
        name: "customer",
        per_week: false,
        parts: Parts {
            html: "report.html",
            markdown: "report.md",
            attachments: &[JSON],
        },
        subject: customer_subject,
    },
];

impl ReportKind {
    /// The kind of an audience's brief.
    pub fn brief(audience: crate::report::brief::Audience) -> ReportKind {
        use crate::report::brief::Audience;
        match audience {
            Audience::Executive => ReportKind::BriefExecutive,
            Audience::Technical => ReportKind::BriefTechnical,
            Audience::Support => ReportKind::BriefSupport,
        }
    }

    pub fn spec(self) -> &'static Spec {
        &KINDS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The folder of a report under `out` (`week`: its ISO week label, for
    /// a kind made per week).
    pub fn dir(self, out: &Path, week: &str) -> PathBuf {
        if self == ReportKind::Customer {
            // One folder per customer below it.
            return out.join("customers");
        }
        let d = out.join(self.name());
        if self.spec().per_week { d.join(week) } else { d }
    }

    /// (subject, period label) of the message carrying a report.
    pub fn subject(self, metrics: &Value) -> (String, String) {
        (self.spec().subject)(metrics)
    }
}

fn count_met(kpis: &Value) -> (usize, usize) {
    let Some(map) = kpis.as_object() else { return (0, 0) };
    let with: Vec<&Value> = map.values().filter(|c| !c["target"].is_null()).collect();
    (with.iter().filter(|c| c["status"] == "met").count(), with.len())
}

fn api_calls(kpis: &Value) -> String {
    match kpis["api_call_reduction"]["value"].as_f64() {
        Some(v) if v >= 0.0 => format!("API calls −{:.0} %", v * 100.0),
        Some(v) => format!("API calls +{:.0} %", -v * 100.0),
        None => "API calls: no data".into(),
    }
}

fn weekly_subject(m: &Value) -> (String, String) {
    let week = m["period"]["iso_week"].as_str().unwrap_or("?").to_string();
    let short = week.split_once('-').map_or(week.as_str(), |(_, w)| w).to_string();
    let (met, with) = count_met(&m["kpis"]);
    let gate = m["gate"]["verdict"]
        .as_str()
        .map(|v| format!(" · gate: {}", if v == "rollback" { "roll back" } else { v }))
        .unwrap_or_default();
    let calls = api_calls(&m["kpis"]);
    (
        format!("Cache rollout {short}: {calls}, {met} of {with} targets met{gate}"),
        week,
    )
}

/// The report's window "from..to" (`to` exclusive), from metrics.json.
fn window(m: &Value) -> (&str, &str) {
    (
        m["window"]["from"].as_str().unwrap_or("?"),
        m["window"]["to"].as_str().unwrap_or("?"),
    )
}

fn impact_subject(m: &Value) -> (String, String) {
    let (from, to) = window(m);
    let (met, with) = count_met(&m["kpis"]);
    let calls = api_calls(&m["kpis"]);
    (
        format!("Cache rollout impact {from} to {to}: {calls}, {met} of {with} targets met"),
        format!("{from}..{to}"),
    )
}

/// A customer's report: the customer's name and the window (its period
/// label names the customer, for the delivery log).
fn customer_subject(m: &Value) -> (String, String) {
    let (from, to) = (
        m["window"]["from"].as_str().unwrap_or("?"),
        m["window"]["to"].as_str().unwrap_or("?"),
    );
    let last = crate::period::last_day(to);
    (
        format!(
            "Your results with the cache, {from} to {last} — {}",
            m["name"].as_str().unwrap_or("")
        ),
        format!("{} {from}..{to}", m["customer_id"].as_str().unwrap_or("?")),
    )
}

/// A brief carries its subject.
fn brief_subject(m: &Value) -> (String, String) {
    (
        m["subject"].as_str().unwrap_or("Cache rollout brief").to_string(),
        m["iso_week"].as_str().unwrap_or("?").to_string(),
    )
}

fn roi_subject(m: &Value) -> (String, String) {
    let (from, to) = window(m);
    let cur = m["generated"]["currency"].as_str().unwrap_or("USD");
    let money = |v: &Value| crate::ground::units::money(v.as_f64(), cur);
    let rr = &m["run_rate"];
    let subject = match rr["week"].as_str() {
        // The figure to budget with first, then what was saved so far.
        Some(week) => format!(
            "Cache rollout ROI {from} to {to}: {} a year at current adoption ({week}), {} saved so far",
            money(&rr["figures"]["annualized_net_savings"]),
            money(&m["roi"]["net_savings"])
        ),
        None => format!(
            "Cache rollout ROI {from} to {to}: net savings {} ({} a year)",
            money(&m["roi"]["net_savings"]),
            money(&m["roi"]["annualized_net_savings"])
        ),
    };
    (subject, format!("{from}..{to}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_in_the_order_of_the_enum() {
        for kind in <ReportKind as clap::ValueEnum>::value_variants() {
            let shown = clap::ValueEnum::to_possible_value(kind).expect("a name");
            assert_eq!(kind.name(), shown.get_name());
        }
        assert_eq!(
            ReportKind::Weekly.dir(Path::new("out"), "2026-W47"),
            Path::new("out/weekly/2026-W47")
        );
        assert_eq!(ReportKind::Roi.dir(Path::new("out"), "2026-W47"), Path::new("out/roi"));
    }

    #[test]
    fn the_subject_has_the_week_and_the_headline() {
        let m: Value = serde_json::json!({
            "period": {"iso_week": "2026-W47"},
            "kpis": {
                "api_call_reduction": {"value": 0.7412, "target": 0.7, "status": "met"},
                "adoption": {"value": 0.8, "target": 0.9, "status": "at_risk"},
                "requests": {"value": 10.0, "target": null, "status": null}
            },
            "gate": {"verdict": "hold"}
        });
        let (s, period) = ReportKind::Weekly.subject(&m);
        assert_eq!(s, "Cache rollout W47: API calls −74 %, 1 of 2 targets met · gate: hold");
        assert_eq!(period, "2026-W47");
    }

    #[test]
    fn the_roi_subject_leads_with_the_run_rate() {
        let mut m: Value = serde_json::json!({
            "window": {"from": "2026-10-05", "to": "2026-11-16"},
            "generated": {"currency": "USD"},
            "roi": {"net_savings": 411.8, "annualized_net_savings": 3578.76},
            "run_rate": {"week": "2026-W46", "figures": {"annualized_net_savings": 18099.32}}
        });
        assert_eq!(
            ReportKind::Roi.subject(&m).0,
            "Cache rollout ROI 2026-10-05 to 2026-11-16: 18,099.32 USD a year at current adoption (2026-W46), \
             411.80 USD saved so far"
        );
        m["run_rate"] = Value::Null;
        assert_eq!(
            ReportKind::Roi.subject(&m).0,
            "Cache rollout ROI 2026-10-05 to 2026-11-16: net savings 411.80 USD (3,578.76 USD a year)"
        );
    }
}
