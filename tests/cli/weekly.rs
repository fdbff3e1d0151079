//! `weekly` on generated data, checked against figures this test computes
//! on its own from the raw CSV rows (plain Rust, no Polars), following
//! docs/kpis.md word by word.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::independent::{Row, close, close_alpha, close_gain_alpha, customer_segments, kpi, parse_row, quantile, t};
use super::{cacheroi, sample};

#[test]
fn weekly_metrics_match_an_independent_computation() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 400);
    let data = dir.path().join("data");

    // A hostile comment at the end of the reported week, and a customer whose
    // name is markup: both must come out escaped.
    let mut fb = fs::read_to_string(data.join("feedback.csv")).unwrap();
    fb.push_str("2026-11-15T23:59:00Z,c001,c001-u001,1,\"<script>alert(1)</script>, \"\"quoted\"\"\nline two\"\n");
    fs::write(data.join("feedback.csv"), fb).unwrap();
    // …and c010 loses its segment in the customers table: its rows of the
    // day below fall back to `general`.
    let customers = fs::read_to_string(data.join("customers.csv"))
        .unwrap()
        .replace("Acme QA (internal)", "<img src=x onerror=alert(1)>")
        .replace(",large_enterprise,108000.00", ",,108000.00");
    fs::write(data.join("customers.csv"), customers).unwrap();

    // One day of the week without the segment column's values: those rows
    // take their customer's segment from the customers table, else `general`.
    let day = data.join("requests/requests-2026-11-10.csv");
    let blanked: String = fs::read_to_string(&day)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut f: Vec<&str> = l.split(',').collect();
            if i > 0 && f.len() > 3 {
                f[3] = "";
            }
            f.join(",") + "\n"
        })
        .collect();
    fs::write(&day, blanked).unwrap();
    let segments_of = customer_segments(&data.join("customers.csv"));
    assert!(
        segments_of.values().any(|s| s.is_empty()) && segments_of.values().any(|s| !s.is_empty()),
        "the sample's customers table has customers with and without a segment"
    );

    let out = dir.path().join("out");
    let run = cacheroi(dir.path())
        .args(["-q", "weekly", "--week", "2026-W46", "--config"])
        .arg(data.join("cacheroi.toml"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.lines().any(|l| l.ends_with("weekly/2026-W46/metrics.json")),
        "{stdout}"
    );
    let json: Value = serde_json::from_slice(&fs::read(out.join("weekly/2026-W46/metrics.json")).unwrap()).unwrap();

    // Read every request row by hand.
    let (p0, p1) = (t("2026-11-09T00:00:00Z"), t("2026-11-16T00:00:00Z"));
    let (b0, b1) = (t("2026-09-07T00:00:00Z"), t("2026-10-05T00:00:00Z"));
    let mut read = 0u64;
    let mut rejected = 0u64;
    let mut p: Vec<Row> = Vec::new();
    let mut b: Vec<Row> = Vec::new();
    let mut files: Vec<_> = fs::read_dir(data.join("requests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in &files {
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_path(file).unwrap();
        for rec in rdr.records() {
            read += 1;
            match parse_row(&rec.unwrap(), &segments_of) {
                None => rejected += 1,
                Some(r) if r.ts >= p0 && r.ts < p1 => p.push(r),
                Some(r) if r.ts >= b0 && r.ts < b1 && !r.enabled => b.push(r),
                Some(_) => {}
            }
        }
    }
    let mut fb_read = 0u64;
    let mut fb_rejected = 0u64;
    let mut scores: Vec<f64> = Vec::new();
    let mut rdr = csv::Reader::from_path(data.join("feedback.csv")).unwrap();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        fb_read += 1;
        let ts = DateTime::parse_from_rfc3339(&rec[0])
            .ok()
            .map(|t| t.with_timezone(&Utc));
        let score: Option<i64> = rec[3].parse().ok().filter(|s| (1..=5).contains(s));
        match (ts, score) {
            (Some(ts), Some(s)) if !rec[1].is_empty() => {
                if ts >= p0 && ts < p1 {
                    scores.push(s as f64);
                }
            }
            _ => fb_rejected += 1,
        }
    }

    let e: Vec<&Row> = p.iter().filter(|r| r.enabled).collect();
    let users_p: BTreeSet<&str> = p.iter().map(|r| r.user.as_str()).collect();
    let users_e: BTreeSet<&str> = e.iter().map(|r| r.user.as_str()).collect();
    let count = |s: &[&str]| e.iter().filter(|r| s.contains(&r.cache_status.as_str())).count() as f64;
    let e_origin: f64 = e.iter().map(|r| r.origin).sum();
    let b_mean_origin = b.iter().map(|r| r.origin).sum::<f64>() / b.len() as f64;
    let e_lat: Vec<f64> = e.iter().map(|r| r.latency).collect();
    let b_lat: Vec<f64> = b.iter().map(|r| r.latency).collect();
    let n_e = e.len() as f64;
    let avoided = n_e * b_mean_origin - e_origin;
    let redis_week = 900.0 * 12.0 / 365.0 * 7.0;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;

    assert!(
        e.len() > 1000 && b.len() > 1000,
        "the sample must be big enough: {} {}",
        e.len(),
        b.len()
    );
    close(kpi(&json, "requests"), p.len() as f64, "requests");
    close(kpi(&json, "active_users"), users_p.len() as f64, "active_users");
    close(
        kpi(&json, "adoption"),
        users_e.len() as f64 / users_p.len() as f64,
        "adoption",
    );
    close(
        kpi(&json, "cache_hit_rate"),
        count(&["HIT", "STALE"]) / count(&["HIT", "STALE", "MISS", "ERROR"]),
        "hit rate",
    );
    close(
        kpi(&json, "api_call_reduction"),
        1.0 - (e_origin / n_e) / b_mean_origin,
        "api_call_reduction",
    );
    close(kpi(&json, "origin_calls_avoided"), avoided, "origin_calls_avoided");
    // Quantiles come from the rollups' histograms: within α of the exact ones.
    close_gain_alpha(
        kpi(&json, "latency_improvement_p50"),
        quantile(&e_lat, 0.5),
        quantile(&b_lat, 0.5),
        "p50",
    );
    close_gain_alpha(
        kpi(&json, "latency_improvement_p95"),
        quantile(&e_lat, 0.95),
        quantile(&b_lat, 0.95),
        "p95",
    );
    close_alpha(kpi(&json, "p99_latency_ms"), quantile(&e_lat, 0.99), "p99");
    close(
        kpi(&json, "error_rate"),
        e.iter().filter(|r| r.status >= 500).count() as f64 / n_e,
        "error_rate",
    );
    close(
        kpi(&json, "cache_availability"),
        1.0 - count(&["ERROR"]) / e.iter().filter(|r| !r.cache_status.is_empty()).count() as f64,
        "availability",
    );
    close(kpi(&json, "customer_satisfaction"), mean(&scores), "satisfaction");
    close(kpi(&json, "feedback_responses"), scores.len() as f64, "responses");
    close(
        kpi(&json, "complaints"),
        scores.iter().filter(|s| **s <= 2.0).count() as f64,
        "complaints",
    );
    close(kpi(&json, "cost_savings"), avoided * 0.06 - redis_week, "cost_savings");
    close(
        kpi(&json, "annualized_savings"),
        (avoided * 0.06 - redis_week) * 365.0 / 7.0,
        "annualized",
    );
    close(
        kpi(&json, "user_time_saved_hours_per_user_week"),
        n_e * (mean(&b_lat) - mean(&e_lat)) / 3_600_000.0 / users_e.len() as f64,
        "user time",
    );

    // Per segment, with the segment's own baseline (every sample segment has one).
    let mut seg_e: HashMap<&str, Vec<&Row>> = HashMap::new();
    for r in &e {
        seg_e.entry(r.segment.as_str()).or_default().push(r);
    }
    for (seg, rows) in &seg_e {
        let bs: Vec<&Row> = b.iter().filter(|r| r.segment == *seg).collect();
        let b_mean = bs.iter().map(|r| r.origin).sum::<f64>() / bs.len() as f64;
        let o: f64 = rows.iter().map(|r| r.origin).sum();
        let got = json["segments"][*seg]["api_call_reduction"]["value"].as_f64().unwrap();
        close(
            got,
            1.0 - (o / rows.len() as f64) / b_mean,
            &format!("{seg} api_call_reduction"),
        );
    }
    let segs: BTreeMap<String, Value> = serde_json::from_value(json["segments"].clone()).unwrap();
    assert_eq!(segs.len(), 7, "{:?}", segs.keys());
    // Segments carry the Redis cost by their share of |E|: their shares add
    // up to the week's whole Redis cost, so Σ segment cost savings = Σ
    // segment gross (each against its own baseline) − the Redis cost.
    let seg_cost: f64 = segs
        .values()
        .map(|s| s["cost_savings"]["value"].as_f64().unwrap())
        .sum();
    let seg_gross: f64 = seg_e
        .iter()
        .map(|(seg, rows)| {
            let bs: Vec<&Row> = b.iter().filter(|r| r.segment == *seg).collect();
            let b_mean = bs.iter().map(|r| r.origin).sum::<f64>() / bs.len() as f64;
            let o: f64 = rows.iter().map(|r| r.origin).sum();
            (rows.len() as f64 * b_mean - o) * 0.06
        })
        .sum();
    close(seg_cost, seg_gross - redis_week, "Σ segment cost_savings");
    // The blanked day's rows landed in their customers' segments (c010's in
    // `general`): every segment has exactly the rows the lookup gives.
    for (seg, v) in &segs {
        let want = p.iter().filter(|r| r.segment == *seg).count() as f64;
        close(
            v["requests"]["value"].as_f64().unwrap(),
            want,
            &format!("{seg} requests"),
        );
    }
    assert!(p.iter().any(|r| r.customer == "c010" && r.segment == "general"));

    // Data quality over every row of every file, whatever its time.
    let dq = &json["data_quality"];
    assert_eq!(dq["rows_read"].as_u64().unwrap(), read + fb_read);
    assert_eq!(dq["rows_rejected"].as_u64().unwrap(), rejected + fb_rejected);
    let by: u64 = dq["rejected_by_reason"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by, rejected + fb_rejected);

    // Redis: two instances captured hourly through the week.
    assert_eq!(json["redis"]["snapshots"].as_u64().unwrap(), 2 * 7 * 24);
    assert!(json["redis"]["hit_rate"].as_f64().unwrap() > 0.5);
    assert_eq!(json["period"]["end"], "2026-11-16");

    // Escaping in the Markdown summary.
    let md = fs::read_to_string(out.join("weekly/2026-W46/summary.md")).unwrap();
    assert!(md.contains("&lt;script&gt;alert\\(1\\)&lt;/script&gt;"), "{md}");
    assert!(!md.contains("<script>") && !md.contains("<img"));
}

#[test]
fn a_rerun_replaces_the_files() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 30);
    let args = [
        "-q",
        "weekly",
        "--week",
        "2026-W45",
        "--config",
        "data/cacheroi.toml",
        "--out",
        "out",
    ];
    cacheroi(dir.path()).args(args).assert().success();
    let first = fs::read(dir.path().join("out/weekly/2026-W45/metrics.json")).unwrap();
    cacheroi(dir.path()).args(args).assert().success();
    let mut names: Vec<_> = fs::read_dir(dir.path().join("out/weekly/2026-W45"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // No temporary files left behind by the atomic writes.
    assert_eq!(names, vec!["charts", "metrics.json", "summary.html", "summary.md"]);
    assert_eq!(
        fs::read_dir(dir.path().join("out/weekly/2026-W45/charts"))
            .unwrap()
            .count(),
        10
    );
    let second: Value =
        serde_json::from_slice(&fs::read(dir.path().join("out/weekly/2026-W45/metrics.json")).unwrap()).unwrap();
    let first: Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(first["kpis"], second["kpis"]);
}

#[test]
fn a_week_in_another_time_zone_matches_the_raw_rows() {
    // The rollups' days are local days: in New York, 2026-W46 runs from
    // Monday 2026-11-09 00:00 EST (05:00 UTC) to 2026-11-16 05:00 UTC, and the
    // baseline from 2026-09-07 00:00 EDT (04:00 UTC) to 2026-10-05 04:00 UTC.
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 150);
    let data = dir.path().join("data");
    let cfg = data.join("cacheroi.toml");
    let text = fs::read_to_string(&cfg)
        .unwrap()
        .replace("timezone = \"UTC\"", "timezone = \"America/New_York\"");
    fs::write(&cfg, text).unwrap();
    let run = super::on_sample(dir.path(), &["-q", "weekly", "--week", "2026-W46"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let json: Value =
        serde_json::from_slice(&fs::read(dir.path().join("out/weekly/2026-W46/metrics.json")).unwrap()).unwrap();
    let (_, rows) =
        super::independent::read_requests(&data.join("requests"), &customer_segments(&data.join("customers.csv")));
    let (p0, p1) = (t("2026-11-09T05:00:00Z"), t("2026-11-16T05:00:00Z"));
    let (b0, b1) = (t("2026-09-07T04:00:00Z"), t("2026-10-05T04:00:00Z"));
    let p: Vec<&Row> = rows.iter().filter(|r| r.ts >= p0 && r.ts < p1).collect();
    let e: Vec<&Row> = p.iter().copied().filter(|r| r.enabled).collect();
    let b: Vec<&Row> = rows.iter().filter(|r| r.ts >= b0 && r.ts < b1 && !r.enabled).collect();
    let users: BTreeSet<&str> = p.iter().map(|r| r.user.as_str()).collect();
    let b_per = b.iter().map(|r| r.origin).sum::<f64>() / b.len() as f64;
    let e_origin: f64 = e.iter().map(|r| r.origin).sum();
    let avoided = e.len() as f64 * b_per - e_origin;
    close(kpi(&json, "requests"), p.len() as f64, "requests");
    close(kpi(&json, "active_users"), users.len() as f64, "active users");
    close(
        kpi(&json, "api_call_reduction"),
        1.0 - (e_origin / e.len() as f64) / b_per,
        "api_call_reduction",
    );
    close(
        kpi(&json, "cost_savings"),
        avoided * 0.06 - 900.0 * 12.0 / 365.0 * 7.0,
        "cost_savings",
    );
    assert_eq!(json["period"]["timezone"], "America/New_York");
}

/// A week before any data: said on stderr and at the top of the report,
/// not a silent "0 of 9 targets met".
#[test]
fn a_week_without_rows_says_so() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 40);
    let out = super::on_sample(dir.path(), &["weekly", "--week", "2026-W30"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2026-W30") && err.contains("no valid request rows"),
        "{err}"
    );
    let md = fs::read_to_string(dir.path().join("out/weekly/2026-W30/summary.md")).unwrap();
    assert!(md.contains("No request rows in this week"), "{md}");
    let html = fs::read_to_string(dir.path().join("out/weekly/2026-W30/summary.html")).unwrap();
    assert!(html.contains("No request rows in this week"));
    // A week with rows carries no such line.
    super::ok_on_sample(dir.path(), &["-q", "weekly", "--week", "2026-W46"]);
    let md = fs::read_to_string(dir.path().join("out/weekly/2026-W46/summary.md")).unwrap();
    assert!(!md.contains("No request rows"));
}

/// One `weekly` run over the bundled sample's ten weeks of logs (issue 26):
/// `<out>/dashboard.json` holds every ISO week with requests, oldest first,
/// each week's KPIs equal to that week's own metrics.json (every KPI name),
/// and the dashboard's charts are drawn from them.
#[test]
fn one_weekly_run_gives_the_dashboard_every_week_of_the_rollups() {
    let dir = tempfile::tempdir().unwrap();
    super::copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data"),
        &dir.path().join("data"),
    );
    let run = |out: &str, week: &str| {
        cacheroi(dir.path())
            .args([
                "-q",
                "weekly",
                "--config",
                "data/cacheroi.toml",
                "--out",
                out,
                "--week",
                week,
            ])
            .assert()
            .success();
    };
    run("one", "2026-W46");
    let d: Value = serde_json::from_str(&fs::read_to_string(dir.path().join("one/dashboard.json")).unwrap()).unwrap();
    let weeks = d["weeks"].as_array().unwrap();
    let labels: Vec<&str> = weeks.iter().map(|w| w["week"].as_str().unwrap()).collect();
    let want: Vec<String> = (37..=46).map(|n| format!("2026-W{n}")).collect();
    assert_eq!(labels, want, "the sample's weeks: 2026-09-07 to 2026-11-15");
    let mut compared = 0;
    for w in weeks {
        let label = w["week"].as_str().unwrap();
        run("each", label);
        let m: Value = serde_json::from_str(
            &fs::read_to_string(dir.path().join(format!("each/weekly/{label}/metrics.json"))).unwrap(),
        )
        .unwrap();
        let kpis = m["kpis"].as_object().unwrap();
        assert_eq!(
            w["kpis"].as_object().unwrap().len(),
            kpis.len(),
            "{label}: every KPI name"
        );
        for (k, cell) in kpis {
            assert_eq!(w["kpis"][k], cell["value"], "{label} {k}");
            compared += 1;
        }
    }
    assert!(compared >= 10 * 20, "{compared}");
    // The index draws the ten weeks (its charts' x axis), though one report was written.
    let index = fs::read_to_string(dir.path().join("one/index.md")).unwrap();
    assert!(index.contains("2026-W46"), "{index}");
    let svg = fs::read_to_string(dir.path().join("one/charts/dashboard-headline.svg")).unwrap();
    for w in ["W37", "W41", "W45"] {
        assert!(svg.contains(w), "{w} on the x axis");
    }
}
