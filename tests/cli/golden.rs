//! Golden snapshots (insta) of every report kind in every format on a fixed
//! dataset. Review changes with `cargo insta review`; never accept blindly.
//! Only what changes from run to run is scrubbed: the generation time and
//! the temporary folder.

use std::fs;
use std::path::Path;

use serde_json::Value;

use super::{cacheroi, sample};

fn scrub(text: &str, tmp: &Path) -> String {
    let mut out = text.replace(&tmp.display().to_string(), "<tmp>");
    // "Generated 2026-11-26 20:30 UTC by" → "Generated <time> by"
    while let Some(i) = out.find("Generated 20") {
        let Some(j) = out[i..].find(" by ") else { break };
        out.replace_range(i..i + j, "Generated <time>");
    }
    out
}

/// Round floats so that a last-bit difference in a sum is not a change.
fn round(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or_default();
            *v = serde_json::json!(format!("{x:.9e}").parse::<f64>().unwrap_or(x));
        }
        Value::Array(a) => a.iter_mut().for_each(round),
        Value::Object(o) => o.values_mut().for_each(round),
        _ => {}
    }
}

fn json(path: &Path, tmp: &Path) -> String {
    let mut v: Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    v["generated"]["at"] = Value::String("<time>".into());
    round(&mut v);
    scrub(&serde_json::to_string_pretty(&v).unwrap(), tmp)
}

#[test]
fn every_report_kind_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().canonicalize().unwrap();
    sample(&tmp, 40);
    let args = |cmd: &'static str| vec!["-q", cmd, "--config", "data/cacheroi.toml", "--out", "out"];
    let mut weekly = args("weekly");
    weekly.extend(["--week", "2026-W46"]);
    cacheroi(&tmp).args(weekly).assert().success();
    cacheroi(&tmp).args(args("impact")).assert().success();
    cacheroi(&tmp).args(args("roi")).assert().success();
    let out = tmp.join("out");
    let text = |p: &str| scrub(&fs::read_to_string(out.join(p)).unwrap(), &tmp);

    insta::assert_snapshot!("weekly_summary_md", text("weekly/2026-W46/summary.md"));
    insta::assert_snapshot!("weekly_summary_html", text("weekly/2026-W46/summary.html"));
    insta::assert_snapshot!(
        "weekly_metrics_json",
        json(&out.join("weekly/2026-W46/metrics.json"), &tmp)
    );
    insta::assert_snapshot!(
        "weekly_chart_latency_svg",
        text("weekly/2026-W46/charts/latency-percentiles.svg")
    );
    insta::assert_snapshot!("impact_md", text("impact/impact.md"));
    insta::assert_snapshot!("impact_html", text("impact/impact.html"));
    insta::assert_snapshot!("impact_metrics_json", json(&out.join("impact/metrics.json"), &tmp));
    insta::assert_snapshot!("roi_md", text("roi/roi.md"));
    insta::assert_snapshot!("roi_html", text("roi/roi.html"));
    insta::assert_snapshot!("roi_metrics_json", json(&out.join("roi/metrics.json"), &tmp));
    insta::assert_snapshot!("roi_csv", text("roi/roi.csv"));
    insta::assert_snapshot!("index_md", text("index.md"));
    insta::assert_snapshot!("index_html", text("index.html"));
}
