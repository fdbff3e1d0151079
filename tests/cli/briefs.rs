//! The audience briefs: figures checked by hand on a tiny log, against the
//! weekly and ROI reports on the sample, escaped, valid, and mailed with
//! `send --report brief-<audience>`.

use std::fs;
use std::path::Path;

use mail_parser::MessageParser;
use scraper::Html;
use serde_json::Value;

use super::{copy_dir, ok_on_sample};

fn json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn close(a: &Value, b: f64) {
    let a = a.as_f64().unwrap_or_else(|| panic!("not a number: {a}"));
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
}

/// The sample's files with the request log replaced by `rows` (CSV lines
/// after the header) and a feedback row appended.
fn tiny(dir: &Path, rows: &[&str], feedback: &str) {
    let rows: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    super::sample_with_log(dir, "tiny", &rows);
    let mut fb = fs::read_to_string(dir.join("data/feedback.csv")).unwrap();
    fb.push_str(feedback);
    fs::write(dir.join("data/feedback.csv"), fb).unwrap();
}

/// The tiny log of the hand-checked tests: 4 baseline requests of c011,
/// then in 2026-W46 c011's 3 HIT, 1 STALE and 1 MISS with the cache and one
/// request of c012 without it.
fn tiny_log() -> Vec<&'static str> {
    let mut rows = vec!["2026-09-08T10:00:00Z,c011,c011-u001,GET /x,200,100,,false,1"; 4];
    rows.extend(["2026-11-10T10:00:00Z,c011,c011-u001,GET /x,200,10,HIT,true,0"; 3]);
    rows.push("2026-11-10T11:00:00Z,c011,c011-u001,GET /x,200,10,STALE,true,0");
    rows.push("2026-11-10T12:00:00Z,c011,c011-u001,GET /x,200,200,MISS,true,1");
    rows.push("2026-11-10T13:00:00Z,c012,c012-u001,GET /x,200,100,,false,1");
    rows
}

/// One endpoint by hand. Baseline (2026-09-08): 4 requests of 100 ms
/// without the cache, one origin call each → 1 call a request, p95 100.
/// 2026-W46, c011 with the cache: 3 HIT of 10 ms (no origin call) and 1
/// STALE of 10 ms and 1 MISS of 200 ms (1 call); one request without the
/// cache of 100 ms. E = 5 rows: hit rate (3 + 1) ÷ 5 = 0.8, stale 1/5,
/// origin over E = 1, calls avoided 5 × 1 − 1 = 4, reduction 1 − (1/5)/1 =
/// 0.8. Latency over E sorted 10 10 10 10 200: p50 = 10, p95 at position
/// 3.8 = 10 + 0.8 × 190 = 162 (from buckets: within 0.5 %), so p95 is +62 %
/// against 100 before the cache: a regression, called out.
#[test]
fn the_technical_brief_has_one_endpoints_figures_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let rows = tiny_log();
    tiny(
        dir.path(),
        &rows,
        "2026-11-11T09:00:00Z,c011,c011-u001,2,\"<b>stale</b> numbers on the dashboard\"\n",
    );
    ok_on_sample(
        dir.path(),
        &["-q", "brief", "--audience", "technical", "--week", "2026-W46"],
    );
    let m = json(&dir.path().join("out/brief-technical/2026-W46/metrics.json"));
    let row = &m["technical"]["by_calls_avoided"][0];
    assert_eq!(row["endpoint"], "GET /x");
    assert_eq!(row["requests"], "6");
    assert_eq!(row["with_cache"], "5");
    assert_eq!(row["hit_rate"], "80.0 %");
    assert_eq!(row["stale_share"], "20.00 %");
    assert_eq!(row["calls_avoided"], "4");
    assert_eq!(row["p_with"][0], "10.0 ms");
    assert_eq!(row["p_before"][1], "100.0 ms");
    assert_eq!(row["regression"], true);
    // The figures themselves, in the weekly report's metrics.json.
    let weekly = dir.path().join("out/weekly/2026-W46/metrics.json");
    ok_on_sample(dir.path(), &["-q", "weekly", "--week", "2026-W46"]);
    let e = &json(&weekly)["endpoints"][0];
    close(&e["hit_rate"], 0.8);
    close(&e["stale_share"], 0.2);
    close(&e["calls_avoided"], 4.0);
    close(&e["api_call_reduction"], 0.8);
    let p95 = e["with"][1].as_f64().unwrap();
    assert!((p95 - 162.0).abs() <= 0.005 * 162.0, "{p95}");
    let callout = m["technical"]["callouts"][0].as_str().unwrap();
    assert!(
        callout.starts_with("GET /x is slower with the cache: p95 1"),
        "{callout}"
    );

    // The support brief: the complaint under its theme, escaped in HTML.
    ok_on_sample(
        dir.path(),
        &["-q", "brief", "--audience", "support", "--week", "2026-W46"],
    );
    let s = json(&dir.path().join("out/brief-support/2026-W46/metrics.json"));
    let stale = s["support"]["by_theme"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "stale")
        .expect("a stale theme");
    assert_eq!(stale["complaints"], 1);
    assert_eq!(stale["answers"][0]["comment"], "<b>stale</b> numbers on the dashboard");
    // c011 got one stale answer of its 5 with the cache.
    let affected = &s["support"]["affected"][0];
    assert_eq!(
        (affected["stale"].as_u64(), affected["with_cache"].as_u64()),
        (Some(1), Some(5))
    );
    let html = fs::read_to_string(dir.path().join("out/brief-support/2026-W46/brief.html")).unwrap();
    assert!(
        html.contains("&lt;b&gt;stale&lt;&#x2F;b&gt;") || html.contains("&lt;b&gt;stale&lt;/b&gt;"),
        "escaped"
    );
    assert!(!html.contains("<b>stale</b>"));
}

/// On the sample: the executive brief's money since the rollout is the ROI
/// report's "saved so far" over the same window, its claims say the
/// measured numbers, and every brief is valid HTML.
#[test]
fn the_executive_brief_agrees_with_the_roi_report() {
    let dir = tempfile::tempdir().unwrap();
    super::sample(dir.path(), 40);
    for a in ["executive", "technical", "support"] {
        ok_on_sample(dir.path(), &["-q", "brief", "--audience", a, "--week", "2026-W46"]);
        let html = fs::read_to_string(dir.path().join(format!("out/brief-{a}/2026-W46/brief.html"))).unwrap();
        let doc = Html::parse_document(&html);
        assert!(doc.errors.is_empty(), "{a}: {:?}", doc.errors);
    }
    let m = json(&dir.path().join("out/brief-executive/2026-W46/metrics.json"));
    ok_on_sample(dir.path(), &["-q", "roi", "--from", "2026-10-05", "--to", "2026-11-16"]);
    let roi = json(&dir.path().join("out/roi/metrics.json"));
    let so_far = &m["executive"]["money"][0];
    assert_eq!(so_far["label"], "Saved since the rollout started");
    let net = roi["roi"]["net_savings"].as_f64().unwrap();
    assert_eq!(so_far["value"], format!("{} USD", money(net)));
    let claims: Vec<&str> = m["executive"]["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sentence"].as_str().unwrap())
        .collect();
    assert!(
        // 40 requests a day: the Redis cost outweighs the calls avoided.
        claims[0].starts_with("Enterprise customers cost ") && claims[0].contains("brief: saves 10,000–50,000 USD)"),
        "{claims:?}"
    );
    assert!(claims[1].starts_with("Power users save "), "{claims:?}");
}

/// 1234.5 → "1,234.50", −3.1 → "-3.10".
fn money(x: f64) -> String {
    let cents = (x * 100.0).round() as i64;
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}.{:02}", cents % 100)
}

/// `send --report brief-executive` renders the brief and mails it to
/// `executive_to` (a dry run writes the message).
#[test]
fn send_mails_a_brief_to_its_audience() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data"),
        &dir.path().join("data"),
    );
    let cfg = dir.path().join("data/cacheroi.toml");
    let text = fs::read_to_string(&cfg).unwrap().replace(
        "to = [\"leadership@example.com\"]",
        "to = [\"leadership@example.com\"]\nexecutive_to = [\"ceo@example.com\"]",
    );
    fs::write(&cfg, text).unwrap();
    ok_on_sample(
        dir.path(),
        &[
            "-q",
            "send",
            "--report",
            "brief-executive",
            "--week",
            "2026-W46",
            "--dry-run",
            "b.eml",
        ],
    );
    let eml = fs::read(dir.path().join("b.eml")).unwrap();
    let msg = MessageParser::default().parse(&eml).unwrap();
    let subject = msg.subject().unwrap();
    assert!(
        subject.starts_with("Cache rollout W46 for executives: HOLD — phase 4 general availability;"),
        "{subject}"
    );
    let to: Vec<&str> = msg.to().unwrap().iter().filter_map(|a| a.address()).collect();
    assert_eq!(to, ["ceo@example.com"]);
    let html = msg.body_html(0).unwrap();
    assert!(html.contains("The brief's claims, measured"));
    let text = msg.body_text(0).unwrap();
    assert!(text.contains("below the claim"), "{text}");
    assert!(dir.path().join("out/brief-executive/2026-W46/brief.html").exists());
}

/// One customer by hand, on the tiny log of
/// [`the_technical_brief_has_one_endpoints_figures_by_hand`]: c011 over
/// 2026-W46 (7 days) has 5 requests, all with the cache, 1 origin call; the
/// baseline's rate is 4 calls ÷ 4 requests = 1, so calls avoided = 5 × 1 − 1
/// = 4, worth 4 × 0.06 = 0.24 USD; Redis costs 900 × 12 ÷ 365 × 7 =
/// 207.1232877 for the week, all of it c011's (it has every request with
/// the cache): net 0.24 − 207.1232877 = −206.8832877. Its mean latency with
/// the cache is (4 × 10 + 200) ÷ 5 = 48 ms against 100 before: 52 % faster.
#[test]
fn one_customers_report_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let rows = tiny_log();
    tiny(
        dir.path(),
        &rows,
        "2026-11-11T09:00:00Z,c011,c011-u001,5,\"Fast now\"\n",
    );
    ok_on_sample(
        dir.path(),
        &[
            "-q",
            "customer-report",
            "--customer",
            "c011",
            "--from",
            "2026-11-09",
            "--to",
            "2026-11-16",
        ],
    );
    let m = json(&dir.path().join("out/customers/c011/metrics.json"));
    assert_eq!(
        (m["requests"].as_u64(), m["cached_requests"].as_u64()),
        (Some(5), Some(5))
    );
    close(&m["origin_calls_avoided"], 4.0);
    close(&m["latency_improvement_mean"], 0.52);
    let redis = 900.0 * 12.0 / 365.0 * 7.0;
    close(&m["net_savings"], 0.24 - redis);
    close(&m["annualized_net_savings"], (0.24 - redis) * 365.0 / 7.0);
    assert_eq!(m["expected_range"], "below");
    assert_eq!(m["feedback"]["quote"], "Fast now");
}
