//! Every source but the request log is optional (issue 26): reports from the
//! request log alone, and with each optional source removed in turn. A KPI,
//! section or criterion that needs a missing source says so — `null` with a
//! `reason` in metrics.json, one line naming the source and its key in the
//! reports, "not measured" in the gate — never a zero, never "met".

use std::fs;
use std::path::Path;

use serde_json::Value;

use super::{cacheroi, copy_dir};

/// The bundled sample in `dir/data` with the config lines starting with
/// each of `drop` removed, reports under `dir/out`.
fn sample_without(dir: &Path, drop: &[&str]) {
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data"),
        &dir.join("data"),
    );
    let config = dir.join("data/cacheroi.toml");
    let text = fs::read_to_string(&config)
        .unwrap()
        .replace("output_dir = \"../reports\"", "output_dir = \"../out\"");
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !drop.iter().any(|d| l.starts_with(&format!("{d} ="))))
        .collect();
    assert_eq!(
        text.lines().count() - kept.len(),
        drop.len(),
        "each dropped key was there"
    );
    fs::write(&config, kept.join("\n") + "\n").unwrap();
}

/// Run a command on it: its exit code and stdout.
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = cacheroi(dir)
        .args(["-q", "--config", "data/cacheroi.toml"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

const FEEDBACK_KPIS: [&str; 4] = [
    "customer_satisfaction",
    "feedback_responses",
    "complaints",
    "complaint_share",
];

/// No measured criterion of the gate holds without a value.
fn no_criterion_met_without_a_value(dir: &Path) {
    let (code, out) = run(dir, &["gate", "--json"]);
    assert!([0, 3, 4].contains(&code), "gate exit {code}: {out}");
    let g: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let mut checked = 0;
    for c in g["criteria"].as_array().unwrap() {
        if c["kpi"].is_string() && c["value"].is_null() {
            assert_ne!(c["holds"], Value::Bool(true), "{c}");
            checked += 1;
        }
    }
    assert!(checked > 0 || !out.contains("not measured"), "{out}");
}

#[test]
fn every_report_works_from_the_request_log_alone() {
    let dir = tempfile::tempdir().unwrap();
    sample_without(dir.path(), &["feedback", "redis_snapshots", "customers"]);
    for args in [
        vec!["weekly"],
        vec!["impact"],
        vec!["roi"],
        vec!["brief", "--audience", "executive"],
        vec!["brief", "--audience", "technical"],
        vec!["brief", "--audience", "support"],
        vec!["notify", "--dry-run", "digest.json"],
        vec!["run", "--dry-run", "weekly.eml"],
    ] {
        let (code, out) = run(dir.path(), &args);
        assert_eq!(code, 0, "{args:?}: {out}");
    }
    for args in [vec!["gate"], vec!["risks"]] {
        let (code, out) = run(dir.path(), &args);
        assert!([0, 3, 4].contains(&code), "{args:?} exit {code}: {out}");
    }
    // customer-report needs customers only for --all-enterprise; by id it works.
    let (code, out) = run(dir.path(), &["customer-report", "--customer", "c001"]);
    assert_eq!(code, 0, "{out}");

    let week = dir.path().join("out/weekly/2026-W46");
    let m = json(&week.join("metrics.json"));
    for k in FEEDBACK_KPIS {
        assert_eq!(m["kpis"][k]["value"], Value::Null, "{k}");
        assert_eq!(m["kpis"][k]["reason"], "no_source:feedback", "{k}");
        assert_ne!(m["kpis"][k]["status"], "met", "{k}");
    }
    assert_eq!(m["kpis"]["customer_satisfaction"]["status"], "no_data");
    // The log's own KPIs are measured as ever.
    assert!(m["kpis"]["cache_hit_rate"]["value"].as_f64().is_some());
    assert!(m["kpis"]["requests"]["reason"].is_null());
    for seg in m["segments"].as_object().unwrap().values() {
        assert_eq!(seg["complaints"]["reason"], "no_source:feedback");
    }
    let r = &m["redis"];
    assert_eq!(r["reason"], "no_source:redis");
    for k in [
        "hit_rate",
        "keyspace_hits",
        "evicted_keys",
        "restarts",
        "snapshots",
        "peak_used_memory_bytes",
    ] {
        assert_eq!(r[k], Value::Null, "redis.{k} is null, not 0");
    }
    // One line naming the source and its key, in HTML and Markdown.
    for file in ["summary.md", "summary.html"] {
        let text = fs::read_to_string(week.join(file)).unwrap();
        assert!(
            text.contains("No feedback source") && text.contains("[sources] feedback"),
            "{file}"
        );
        assert!(
            text.contains("No Redis source") && text.contains("[sources] redis_snapshots"),
            "{file}"
        );
    }
    let impact = fs::read_to_string(dir.path().join("out/impact/impact.md")).unwrap();
    assert!(impact.contains("No feedback source") && impact.contains("No Redis source"));
    let technical = fs::read_to_string(dir.path().join("out/brief-technical/2026-W46/brief.md")).unwrap();
    assert!(technical.contains("No Redis source"), "{technical}");
    let (_, gate) = run(dir.path(), &["gate"]);
    assert!(gate.contains("complaints not measured (no_source:feedback)"), "{gate}");
    no_criterion_met_without_a_value(dir.path());
}

#[test]
fn each_optional_source_removed_in_turn() {
    for (drop, unmeasured) in [
        ("feedback", Some("no_source:feedback")),
        ("redis_snapshots", Some("no_source:redis")),
        ("customers", None),
    ] {
        let dir = tempfile::tempdir().unwrap();
        sample_without(dir.path(), &[drop]);
        for args in [vec!["weekly"], vec!["impact"], vec!["roi"]] {
            let (code, out) = run(dir.path(), &args);
            assert_eq!(code, 0, "without {drop}, {args:?}: {out}");
        }
        no_criterion_met_without_a_value(dir.path());
        let m = json(&dir.path().join("out/weekly/2026-W46/metrics.json"));
        let i = json(&dir.path().join("out/impact/metrics.json"));
        match unmeasured {
            Some("no_source:feedback") => {
                for k in FEEDBACK_KPIS {
                    assert_eq!(m["kpis"][k]["reason"], "no_source:feedback");
                    assert_eq!(i["kpis"][k]["value"], Value::Null);
                }
                assert!(m["redis"]["hit_rate"].as_f64().is_some(), "Redis still measured");
            }
            Some(reason) => {
                assert_eq!(m["redis"]["reason"], reason);
                assert_eq!(i["redis"]["restarts"], Value::Null);
                assert!(m["kpis"]["customer_satisfaction"]["value"].as_f64().is_some());
            }
            None => {
                // Without customers nothing is unmeasured: segments come from the log.
                assert!(m["redis"]["reason"].is_null());
                assert!(m["kpis"]["customer_satisfaction"]["reason"].is_null());
            }
        }
    }
}

#[test]
fn a_configured_source_that_matches_nothing_is_still_an_error() {
    let dir = tempfile::tempdir().unwrap();
    sample_without(dir.path(), &[]);
    let config = dir.path().join("data/cacheroi.toml");
    let text = fs::read_to_string(&config)
        .unwrap()
        .replace("feedback = \"feedback.csv\"", "feedback = \"feedbak.csv\"");
    fs::write(&config, text).unwrap();
    let (code, out) = run(dir.path(), &["weekly"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.trim_end().lines().count(), 1, "{out}");
    assert!(out.contains("feedbak.csv"), "{out}");
    assert!(!dir.path().join("out/weekly").exists());
}
