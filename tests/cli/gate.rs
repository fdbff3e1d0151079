//! `gate` on the sample data with plans in the seed's format: each verdict
//! and its exit code.

use std::fs;
use std::path::Path;

use super::{cacheroi, sample};

fn with_plan(dir: &Path, plan: &str) {
    fs::write(dir.join("data/rollout-plan.yml"), plan).unwrap();
}

fn gate(dir: &Path, week: &str, extra: &[&str]) -> (i32, String) {
    let out = cacheroi(dir)
        .args(["-q", "gate", "--config", "data/cacheroi.toml", "--week", week])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

const PLAN: &str = "rollout_phases:
  everyone:
    week: 1-6
    segments: [all_users]
    success_criteria:
      - 85%_adoption
      - no_critical_bugs
    rollback_trigger:
      - error_rate > 1%
      - security_incident
";

#[test]
fn gate_proceeds_holds_and_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 200);
    with_plan(dir.path(), PLAN);
    // Week 6: adoption ≈ 89 % of users (≥ 85 %); no trigger holds; the manual check is listed.
    let (code, out) = gate(dir.path(), "2026-W46", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("no_critical_bugs") && out.contains("not attested"),
        "{out}"
    );
    assert!(out.contains("verdict: proceed (exit 0)"), "{out}");
    // Week 5: adoption ≈ 79 % (< 85 %): criteria not met yet → hold.
    let (code, out) = gate(dir.path(), "2026-W45", &[]);
    assert_eq!(code, 3, "{out}");
    // An attested security incident rolls back; an attested failing check holds.
    assert_eq!(
        gate(dir.path(), "2026-W46", &["--attest", "security_incident=true"]).0,
        4
    );
    assert_eq!(
        gate(dir.path(), "2026-W46", &["--attest", "no_critical_bugs=false"]).0,
        3
    );
    // JSON carries the same decision.
    let (code, json) = gate(dir.path(), "2026-W46", &["--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (code, v["verdict"].as_str(), v["rollout_week"].as_i64()),
        (0, Some("proceed"), Some(6))
    );
    assert_eq!(v["criteria"].as_array().unwrap().len(), 4);
}

#[test]
fn an_incident_week_rolls_back_and_a_week_before_the_rollout_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 200);
    // An error rate above 1 % in week 6: flag the week's cache-on requests as 503s.
    let day = dir.path().join("data/requests/requests-2026-11-10.csv");
    let text = fs::read_to_string(&day).unwrap();
    let broken: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i > 0 && l.contains(",true,") {
                l.replacen(",200,", ",503,", 1) + "\n"
            } else {
                l.to_string() + "\n"
            }
        })
        .collect();
    fs::write(&day, broken).unwrap();
    with_plan(dir.path(), PLAN);
    let (code, out) = gate(dir.path(), "2026-W46", &[]);
    assert_eq!(code, 4, "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains("rollback") && l.contains("yes") && l.contains("error_rate > 1%")),
        "{out}"
    );
    let (code, _) = gate(dir.path(), "2026-W38", &[]);
    assert_eq!(code, 1);
}

#[test]
fn a_plan_that_does_not_parse_names_the_phase_and_field() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 30);
    with_plan(
        dir.path(),
        "rollout_phases:\n  pilot:\n    week: soon\n    segments: [internal_qa]\n",
    );
    let out = cacheroi(dir.path())
        .args(["gate", "--config", "data/cacheroi.toml", "--week", "2026-W41"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("phase `pilot`: `week` must be"), "{err}");
}
