//! `impact` over the sample rollout: the window, the phases of the plan,
//! customers that add up to the total, and the archive.

use std::fs;

use scraper::Html;
use serde_json::Value;

use super::independent::{close, close_gain_alpha, customer_segments, kpi, quantile, read_requests, t};
use super::{cacheroi, sample};

#[test]
fn impact_covers_the_rollout_and_customers_add_up() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 80);
    let run = cacheroi(dir.path())
        .args(["-q", "impact", "--config", "data/cacheroi.toml", "--out", "out"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let out = dir.path().join("out/impact");
    let m: Value = serde_json::from_slice(&fs::read(out.join("metrics.json")).unwrap()).unwrap();
    // Default window: rollout start to the day after the last request row.
    assert_eq!(m["window"]["from"], "2026-10-05");
    assert_eq!(m["window"]["to"], "2026-11-16");
    assert_eq!(m["window"]["days"], 42);
    // The window's KPIs against figures computed from the raw rows.
    let data = dir.path().join("data");
    let (_, rows) = read_requests(&data.join("requests"), &customer_segments(&data.join("customers.csv")));
    let (w0, w1) = (t("2026-10-05T00:00:00Z"), t("2026-11-16T00:00:00Z"));
    let (b0, b1) = (t("2026-09-07T00:00:00Z"), t("2026-10-05T00:00:00Z"));
    let e: Vec<_> = rows.iter().filter(|r| r.ts >= w0 && r.ts < w1 && r.enabled).collect();
    let b: Vec<_> = rows.iter().filter(|r| r.ts >= b0 && r.ts < b1 && !r.enabled).collect();
    let count = |s: &[&str]| e.iter().filter(|r| s.contains(&r.cache_status.as_str())).count() as f64;
    let e_origin: f64 = e.iter().map(|r| r.origin).sum();
    let b_per_request = b.iter().map(|r| r.origin).sum::<f64>() / b.len() as f64;
    let n_e = e.len() as f64;
    let avoided = n_e * b_per_request - e_origin;
    let lat = |v: &[&super::independent::Row]| v.iter().map(|r| r.latency).collect::<Vec<f64>>();
    close(
        kpi(&m, "api_call_reduction"),
        1.0 - (e_origin / n_e) / b_per_request,
        "api_call_reduction",
    );
    close(
        kpi(&m, "cache_hit_rate"),
        count(&["HIT", "STALE"]) / count(&["HIT", "STALE", "MISS", "ERROR"]),
        "cache_hit_rate",
    );
    close(kpi(&m, "origin_calls_avoided"), avoided, "origin_calls_avoided");
    // 42 days of Redis at 900 a month; 0.06 per origin call.
    close(
        kpi(&m, "cost_savings"),
        avoided * 0.06 - 900.0 * 12.0 / 365.0 * 42.0,
        "cost_savings",
    );
    close_gain_alpha(
        kpi(&m, "latency_improvement_p50"),
        quantile(&lat(&e), 0.5),
        quantile(&lat(&b), 0.5),
        "latency_improvement_p50",
    );
    // Four phases of the plan, all inside the window, with their own KPIs.
    let phases = m["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 4);
    assert!(phases.iter().all(|p| p["in_window"] == true));
    assert_eq!(phases[1]["weeks"], "weeks 2–3");
    assert_eq!(phases[3]["segments"], "all users");
    // Customers use the whole B and allocate Redis by share of |E|: they add up.
    let customers = m["customers"].as_array().unwrap();
    let net: f64 = customers.iter().map(|c| c["net_savings"].as_f64().unwrap()).sum();
    let total = m["kpis"]["cost_savings"]["value"].as_f64().unwrap();
    assert!((net - total).abs() < 1e-6 * total.abs().max(1.0), "{net} vs {total}");
    let avoided: f64 = customers
        .iter()
        .map(|c| c["origin_calls_avoided"].as_f64().unwrap())
        .sum();
    let total_avoided = m["kpis"]["origin_calls_avoided"]["value"].as_f64().unwrap();
    assert!((avoided - total_avoided).abs() < 1e-6 * total_avoided);
    // Weeks of the rollout, numbered.
    let weeks = m["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 6);
    assert_eq!(weeks[0]["rollout_week"], 1);

    let html = fs::read_to_string(out.join("impact.html")).unwrap();
    let doc = Html::parse_document(&html);
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    // Phases in plain words: their names, criteria and triggers, no plan keys.
    assert!(html.contains("Methodology") && html.contains("Phase 2 early adopters"));
    assert!(html.contains("Roll back if: Cache hit rate below 60.00 %; Complaints (score ≤ 2) above 3."));
    for key in [
        "phase_2_early_adopters",
        "customer_complaints",
        "positive_feedback",
        "basic_caching",
    ] {
        assert!(!html.contains(key), "{key} in impact.html");
    }
    let md = fs::read_to_string(out.join("impact.md")).unwrap();
    assert!(md.contains("## What changed") && md.contains("## Before and after") && md.contains("## Methodology"));
    assert_eq!(fs::read_dir(out.join("charts")).unwrap().count(), 10);
    // The archive lists the impact report.
    let index = fs::read_to_string(dir.path().join("out/index.md")).unwrap();
    assert!(index.contains("(impact/impact.html)"), "{index}");
}

#[test]
fn impact_with_an_explicit_window_and_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 30);
    cacheroi(dir.path())
        .args([
            "-q",
            "impact",
            "--config",
            "data/cacheroi.toml",
            "--out",
            "out",
            "--from",
            "2026-10-19",
            "--to",
            "2026-11-02",
        ])
        .assert()
        .success();
    let m: Value = serde_json::from_slice(&fs::read(dir.path().join("out/impact/metrics.json")).unwrap()).unwrap();
    assert_eq!(
        (m["window"]["from"].as_str(), m["window"]["days"].as_i64()),
        (Some("2026-10-19"), Some(14))
    );
    // Phase 1 (week 1) lies before the window.
    assert_eq!(m["phases"][0]["in_window"], false);
    cacheroi(dir.path())
        .args([
            "impact",
            "--config",
            "data/cacheroi.toml",
            "--from",
            "2026-11-02",
            "--to",
            "2026-10-19",
        ])
        .assert()
        .code(2);
}

#[test]
fn windows_that_cut_weeks_count_users_of_their_own_days() {
    // Users are kept by week and, for a window that starts or ends inside a
    // week, by day: a Wednesday-to-Friday window and a baseline of
    // Wednesday 2026-09-09 to Friday 2026-10-02 must count the users of
    // exactly their days.
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 60);
    let data = dir.path().join("data");
    let cfg = data.join("cacheroi.toml");
    let text = fs::read_to_string(&cfg)
        .unwrap()
        .replace("from = \"2026-09-07\"", "from = \"2026-09-09\"")
        .replace("to = \"2026-10-05\"", "to = \"2026-10-02\"");
    fs::write(&cfg, text).unwrap();
    let run = cacheroi(dir.path())
        .args([
            "-q",
            "impact",
            "--config",
            "data/cacheroi.toml",
            "--out",
            "out",
            "--from",
            "2026-10-21",
            "--to",
            "2026-11-06",
        ])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let m: Value = serde_json::from_slice(&fs::read(dir.path().join("out/impact/metrics.json")).unwrap()).unwrap();
    let (_, rows) = read_requests(&data.join("requests"), &customer_segments(&data.join("customers.csv")));
    let (w0, w1) = (t("2026-10-21T00:00:00Z"), t("2026-11-06T00:00:00Z"));
    let (b0, b1) = (t("2026-09-09T00:00:00Z"), t("2026-10-02T00:00:00Z"));
    let w: Vec<_> = rows.iter().filter(|r| r.ts >= w0 && r.ts < w1).collect();
    let users: std::collections::BTreeSet<&str> = w.iter().map(|r| r.user.as_str()).collect();
    let e_users: std::collections::BTreeSet<&str> = w.iter().filter(|r| r.enabled).map(|r| r.user.as_str()).collect();
    close(kpi(&m, "active_users"), users.len() as f64, "active users");
    close(
        kpi(&m, "adoption"),
        e_users.len() as f64 / users.len() as f64,
        "adoption",
    );
    // Before/after: the baseline arm is the (segment, user) pairs with rows
    // without the cache in the baseline, the treatment arm those with the
    // cache in the window; origin calls per request of each arm.
    let pairs = |v: &[&super::independent::Row]| {
        v.iter()
            .map(|r| (r.segment.clone(), r.user.clone()))
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u64
    };
    let b: Vec<_> = rows.iter().filter(|r| r.ts >= b0 && r.ts < b1 && !r.enabled).collect();
    let e: Vec<_> = w.iter().copied().filter(|r| r.enabled).collect();
    let per_request = |v: &[&super::independent::Row]| v.iter().map(|r| r.origin).sum::<f64>() / v.len() as f64;
    let origin = m["statistics"]["before_after"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == "origin_calls_per_request")
        .unwrap();
    assert_eq!(origin["control_n"].as_u64(), Some(pairs(&b)), "baseline users");
    assert_eq!(origin["treatment_n"].as_u64(), Some(pairs(&e)), "treatment users");
    close(
        origin["control"].as_f64().unwrap(),
        per_request(&b),
        "baseline origin per request",
    );
    close(
        origin["treatment"].as_f64().unwrap(),
        per_request(&e),
        "window origin per request",
    );
}

#[test]
fn case_study_candidates_have_verified_gains_and_good_feedback() {
    // The bundled sample: enterprise customers save money, are faster with
    // the cache and rate it well.
    let dir = tempfile::tempdir().unwrap();
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/cacheroi.toml");
    let run = cacheroi(dir.path())
        .args(["-q", "impact", "--out", "out", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let m: Value = serde_json::from_slice(&fs::read(dir.path().join("out/impact/metrics.json")).unwrap()).unwrap();
    let cases = m["case_studies"].as_array().unwrap();
    assert_eq!(cases.len(), 3, "{cases:?}");
    let mut last = f64::INFINITY;
    for c in cases {
        let net = c["net_savings"].as_f64().unwrap();
        assert!(net > 0.0 && net <= last, "{c}");
        last = net;
        assert!(c["cached_requests"].as_u64().unwrap() >= 100);
        assert!(c["latency_improvement_mean"].as_f64().unwrap() > 0.0);
        assert!(c["mean_score"].as_f64().unwrap() >= 4.0 && c["responses"].as_u64().unwrap() >= 2);
        // Its net savings are the customer's own row.
        let row = m["customers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["customer_id"] == c["customer_id"])
            .unwrap();
        assert_eq!(row["net_savings"], c["net_savings"]);
    }
    let html = fs::read_to_string(dir.path().join("out/impact/impact.html")).unwrap();
    assert!(html.contains("Case-study candidates"));
}
