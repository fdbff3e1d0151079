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
    let args = |cmd: &str| {
        vec![
            "-q".to_string(),
            cmd.into(),
            "--config".into(),
            "data/cacheroi.toml".into(),
            "--out".into(),
            "out".into(),
        ]
    };
    let out = tmp.join("out");
    let text = |p: &str| scrub(&fs::read_to_string(out.join(p)).unwrap(), &tmp);
    // Every report kind the binary knows (`send --report`'s values), every
    // text file it writes: `<kind>_<file>` (the file's stem left out where
    // it is the kind's name: impact/impact.md → impact_md).
    let help = cacheroi(&tmp).args(["send", "--help"]).output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let kinds: Vec<String> = help
        .split("[possible values: ")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .expect("send --help lists the report kinds")
        .split(", ")
        .map(String::from)
        .collect();
    assert_eq!(
        kinds,
        [
            "weekly",
            "impact",
            "roi",
            "brief-executive",
            "brief-technical",
            "brief-support",
            "customer"
        ]
    );
    // Customer reports are one per customer: tests/cli/customers.rs.
    for kind in kinds.iter().filter(|k| *k != "customer") {
        let mut a = match kind.strip_prefix("brief-") {
            Some(audience) => {
                let mut a = args("brief");
                a.extend(["--audience".into(), audience.into()]);
                a
            }
            None => args(kind),
        };
        let folder = if kind == "weekly" || kind.starts_with("brief-") {
            a.extend(["--week".into(), "2026-W46".into()]);
            format!("{kind}/2026-W46")
        } else {
            kind.clone()
        };
        cacheroi(&tmp).args(&a).assert().success();
        let mut files: Vec<String> = fs::read_dir(out.join(&folder))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| [".md", ".html", ".json", ".csv"].iter().any(|x| f.ends_with(x)))
            .collect();
        files.sort();
        assert!(files.len() >= 3, "{kind}: {files:?}");
        for file in files {
            let (stem, ext) = file.rsplit_once('.').unwrap();
            let name = if stem == kind {
                format!("{kind}_{ext}")
            } else {
                format!("{kind}_{stem}_{ext}")
            };
            let path = format!("{folder}/{file}");
            // Paths are shown relative to the configuration's folder: a
            // report carries no server path.
            let raw = fs::read_to_string(out.join(&path)).unwrap();
            assert!(
                !raw.contains(&tmp.display().to_string()),
                "{path} shows an absolute path"
            );
            let shown = if ext == "json" {
                json(&out.join(&path), &tmp)
            } else {
                text(&path)
            };
            insta::assert_snapshot!(name, shown);
        }
    }
    insta::assert_snapshot!(
        "weekly_chart_latency_svg",
        text("weekly/2026-W46/charts/latency-percentiles.svg")
    );
    insta::assert_snapshot!("index_md", text("index.md"));
    insta::assert_snapshot!("index_html", text("index.html"));
}
