//! The bundled sample under the product owner's plan: the gate of every
//! rollout week, the same verdicts in the reports, the statistics in
//! metrics.json, and a broken split flagged.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{cacheroi, copy_dir};

fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/cacheroi.toml")
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// The sample's story (sample/mod.rs, sample/text.rs): week 1 the internal
/// segments miss the 80 % hit-rate target (hold); week 2 the early adopters
/// pass; week 3 a stale-data incident brings 5 complaints from them (the
/// phase's `customer_complaints > 3` fires: roll back); weeks 4–5 the
/// enterprise phase saves money; week 6 not every KPI meets its target (hold).
#[test]
fn gate_decides_every_week_of_the_bundled_sample() {
    let dir = tempfile::tempdir().unwrap();
    let expected = [
        ("2026-W41", 3, "hold", "performance_targets_met"),
        ("2026-W42", 0, "proceed", ""),
        ("2026-W43", 4, "rollback", "customer_complaints > 3"),
        ("2026-W44", 0, "proceed", ""),
        ("2026-W45", 0, "proceed", ""),
        ("2026-W46", 3, "hold", "all_kpis_met"),
    ];
    for (week, code, verdict, reason) in expected {
        let out = cacheroi(dir.path())
            .args(["-q", "gate", "--json", "--week", week, "--config"])
            .arg(bundled())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{week}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["verdict"], verdict, "{week}");
        if !reason.is_empty() {
            let c = v["criteria"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["criterion"] == reason)
                .unwrap_or_else(|| panic!("{week}: no {reason}"));
            // A rollback trigger that holds, or a success criterion that does not.
            assert_eq!(c["holds"], verdict == "rollback", "{week}: {reason}");
        }
    }
    // The incident week's measured value, as the README shows it.
    let out = cacheroi(dir.path())
        .args(["-q", "gate", "--week", "2026-W43", "--config"])
        .arg(bundled())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("customer_complaints > 3      complaints = 5"), "{text}");
    assert!(text.ends_with("verdict: rollback (exit 4)\n"), "{text}");
}

#[test]
fn reports_show_the_gate_and_interval_figures_that_agree_with_the_kpis() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    cacheroi(dir.path())
        .args(["-q", "impact", "--out"])
        .arg(&out)
        .arg("--config")
        .arg(bundled())
        .assert()
        .success();
    let m = json(&out.join("impact/metrics.json"));
    let verdicts: Vec<&str> = m["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["gate"]["verdict"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(verdicts, ["hold", "proceed", "rollback", "proceed", "proceed", "hold"]);
    // The before/after relative change of origin calls per request is the
    // API call reduction with its sign turned, to the last digit; the p50
    // change is the p50 latency improvement (exact quantiles, not the
    // bootstrap's sample).
    let ba = m["statistics"]["before_after"].as_array().unwrap();
    let find = |k: &str| ba.iter().find(|c| c["metric"] == k).unwrap();
    let reduction = m["kpis"]["api_call_reduction"]["value"].as_f64().unwrap();
    let origin = &find("origin_calls_per_request")["effect"];
    assert!((origin["rel"].as_f64().unwrap() + reduction).abs() < 1e-12);
    let [lo, hi] = [0, 1].map(|i| origin["rel_ci"][i].as_f64().unwrap());
    assert!(lo < -reduction && -reduction < hi);
    let p50 = m["kpis"]["latency_improvement_p50"]["value"].as_f64().unwrap();
    assert!((find("p50_latency_ms")["effect"]["rel"].as_f64().unwrap() + p50).abs() < 1e-12);
    let srm = &m["statistics"]["srm"]["overall"];
    assert_eq!(srm["mismatch"], false);
    // The report says it in words.
    let md = fs::read_to_string(out.join("impact/impact.md")).unwrap();
    assert!(
        md.contains(
            "Users with the cache now against everyone before the rollout (the baseline): API calls per request −"
        ) && md.contains("95 % sure the true change lies between"),
        "{md}"
    );
    assert!(md.contains("the split held (no sample ratio mismatch)"));
    let w43 = md.lines().find(|l| l.starts_with("| 2026-W43 |")).unwrap();
    assert!(
        w43.ends_with("| rollback · Complaints \\(score ≤ 2\\) above 3 \\(is 5\\) |"),
        "{w43}"
    );

    // The weekly summary of the last week shows its gate, and a rerun gives
    // the same intervals (the bootstrap is seeded per week).
    let weekly = |name: &str| {
        let o = dir.path().join(name);
        cacheroi(dir.path())
            .args(["-q", "weekly", "--out"])
            .arg(&o)
            .arg("--config")
            .arg(bundled())
            .assert()
            .success();
        json(&o.join("weekly/2026-W46/metrics.json"))
    };
    let (a, b) = (weekly("w1"), weekly("w2"));
    assert_eq!(a["statistics"], b["statistics"]);
    assert_eq!(a["gate"]["verdict"], "hold");
    assert_eq!(a["gate"]["phase"], "phase_4_general_availability");
    let html = fs::read_to_string(dir.path().join("w1/weekly/2026-W46/summary.html")).unwrap();
    assert!(html.contains("Rollout gate: HOLD"));
    assert!(html.contains("Is the gain real?"));
}

#[test]
fn a_broken_split_is_flagged_prominently() {
    // The sample keeps 10 % of users as control; planning a 50 % split makes
    // the observed 90 % a mismatch.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let src = bundled().parent().unwrap().to_path_buf();
    copy_dir(&src, &data);
    let cfg = fs::read_to_string(data.join("cacheroi.toml")).unwrap();
    assert!(cfg.contains("planned_share = 0.9"));
    fs::write(
        data.join("cacheroi.toml"),
        cfg.replace("planned_share = 0.9", "planned_share = 0.5"),
    )
    .unwrap();
    cacheroi(dir.path())
        .args(["-q", "weekly", "--config", "data/cacheroi.toml", "--out", "out"])
        .assert()
        .success();
    let week = dir.path().join("out/weekly/2026-W46");
    let m = json(&week.join("metrics.json"));
    assert_eq!(m["statistics"]["srm"]["overall"]["mismatch"], true);
    assert!(m["statistics"]["srm"]["overall"]["p_value"].as_f64().unwrap() < 1e-6);
    let md = fs::read_to_string(week.join("summary.md")).unwrap();
    assert!(md.contains("**Sample ratio mismatch:**"), "{md}");
    let html = fs::read_to_string(week.join("summary.html")).unwrap();
    let banner = html.find("Sample ratio mismatch").unwrap();
    assert!(banner < html.find("Headline KPIs").unwrap(), "flagged before the KPIs");
}
