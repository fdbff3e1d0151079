//! Issue 16 on the bundled sample: the flags against the plan (a planted
//! leak in rollout weeks 1–2), the gate's flag criteria, and the risk
//! register with `cacheroi risks` exit codes.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{cacheroi, copy_dir};

/// A copy of the bundled sample to change.
fn copy(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data"), &data);
    data.join("cacheroi.toml")
}

fn run(dir: &Path, config: &Path, args: &[&str]) -> std::process::Output {
    cacheroi(dir)
        .arg("-q")
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .unwrap()
}

#[test]
fn the_weekly_report_shows_the_planted_leak_and_metrics_json_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = copy(dir.path());
    let out = run(dir.path(), &config, &["weekly", "--week", "2026-W41", "--out", "out"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let week = dir.path().join("out/weekly/2026-W41");
    let m: Value = serde_json::from_str(&fs::read_to_string(week.join("metrics.json")).unwrap()).unwrap();
    let c = &m["conformance"];
    // Two users of c015 (medium_enterprise, due in week 4) have the cache in week 1.
    assert_eq!(c["flag_leaks"], 2);
    assert_eq!(
        c["leak_examples"],
        serde_json::json!(["medium_enterprise: c015-u000", "medium_enterprise: c015-u001"])
    );
    assert_eq!(m["kpis"]["flag_leaks"]["value"], 2.0);
    let medium = c["segments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["segment"] == "medium_enterprise")
        .unwrap();
    assert_eq!(
        (medium["finding"].as_str(), medium["color"].as_str()),
        (Some("leak"), Some("red"))
    );
    let html = fs::read_to_string(week.join("summary.html")).unwrap();
    assert!(
        html.contains("Flags against the plan") && html.contains("Leak: 2 users had the cache"),
        "{html}"
    );
    assert!(html.contains("Risk watch"));
    // The partial-adoption risk watches leaks: on watch that week.
    let partial = m["risks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "partial_adoption")
        .unwrap();
    assert_eq!(partial["state"], "watch");
}

#[test]
fn the_gate_reads_the_flags_criteria() {
    let dir = tempfile::tempdir().unwrap();
    let config = copy(dir.path());
    let plan = config.with_file_name("rollout-plan.yml");
    let text = fs::read_to_string(&plan)
        .unwrap()
        .replace(
            "      - p99_latency > 200ms\n",
            "      - p99_latency > 200ms\n      - flag_leaks > 0\n",
        )
        .replace(
            "      - cost_savings_demonstrated\n",
            "      - cost_savings_demonstrated\n      - rollout_complete >= 75%\n",
        );
    fs::write(&plan, text).unwrap();
    // Week 1: the leak fires the new rollback trigger.
    let out = run(dir.path(), &config, &["gate", "--json", "--week", "2026-W41"]);
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let leak = v["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == "flag_leaks > 0")
        .unwrap();
    assert_eq!(
        (leak["holds"].as_bool(), leak["value"].as_f64()),
        (Some(true), Some(2.0))
    );
    // Week 4: 6 of 7 target segments enabled = 85.7 % ≥ 75 %, and no leak.
    let out = run(dir.path(), &config, &["gate", "--json", "--week", "2026-W44"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let complete = v["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == "rollout_complete >= 75%")
        .unwrap();
    assert_eq!(complete["holds"], true);
    assert!((complete["value"].as_f64().unwrap() - 6.0 / 7.0).abs() < 1e-9);
    assert_eq!(v["verdict"], "proceed", "{v}");
}

#[test]
fn risks_exit_3_on_watch_4_when_triggered_and_errors_name_the_file_and_risk() {
    let dir = tempfile::tempdir().unwrap();
    let config = copy(dir.path());
    // The sample's last week: three risks on watch, none triggered.
    let out = run(dir.path(), &config, &["risks"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("Risk watch 2026-W46: 0 triggered, 3 on watch, 2 ok"),
        "{text}"
    );
    assert!(text.contains("WATCH      Infrastructure costs above expectation (owner: Finance Team)"));
    assert!(text.contains("escalate to: VP engineering (4 of 5)"));
    let out = run(dir.path(), &config, &["risks", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 5);
    // Redis cost 900 a month against a trigger lowered to 850: triggered, exit 4.
    let register = config.with_file_name("risks.yml");
    let text = fs::read_to_string(&register).unwrap();
    fs::write(
        &register,
        text.replace(
            "trigger: redis_cost_per_month > 1200",
            "trigger: redis_cost_per_month > 850",
        ),
    )
    .unwrap();
    let out = run(dir.path(), &config, &["risks"]);
    assert_eq!(out.status.code(), Some(4));
    // A broken register: one line naming the file, the risk and the text.
    fs::write(
        &register,
        text.replace("watch: stale_share > 2%", "watch: stale share > 2%"),
    )
    .unwrap();
    let out = run(dir.path(), &config, &["risks"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("risks.yml: risk `stale_data`: watch `stale share > 2%`: unknown metric `stale share`"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // Without a register configured.
    let toml = fs::read_to_string(&config).unwrap();
    let without: String = toml
        .lines()
        .filter(|l| !l.starts_with("risks ="))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&config, without).unwrap();
    let out = run(dir.path(), &config, &["risks"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("risks needs `[rollout] risks`"));
}
