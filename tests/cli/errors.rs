//! Bad input and usage: one clear line, the right exit code, nothing written.

use std::fs;

use predicates::prelude::*;

use super::{cacheroi, sample};

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn missing_request_log_names_its_path_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    let cfg = dir.path().join("data/cacheroi.toml");
    let text = fs::read_to_string(&cfg)
        .unwrap()
        .replace("requests/requests-*", "requests/nope.csv");
    fs::write(&cfg, text).unwrap();
    let out = cacheroi(dir.path())
        .args(["weekly", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("error: ") && err.contains("data/requests/nope.csv: file not found"),
        "{err}"
    );
    assert_eq!(err.lines().filter(|l| l.starts_with("error")).count(), 1, "{err}");
    assert!(!dir.path().join("out").exists(), "nothing may be written");
}

#[test]
fn missing_required_column_names_file_and_column() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    // Drop the cache_enabled column from one day's file.
    let day = dir.path().join("data/requests/requests-2026-11-10.csv");
    let text = fs::read_to_string(&day).unwrap();
    let cut: String = text
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(',').collect();
            f.remove(8);
            f.join(",") + "\n"
        })
        .collect();
    fs::write(&day, cut).unwrap();
    let out = cacheroi(dir.path())
        .args(["weekly", "--config", "data/cacheroi.toml", "--out", "out"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("requests-2026-11-10.csv: required column `cache_enabled` is missing"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn unknown_config_key_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("cacheroi.toml"),
        "timezone = \"UTC\"\ncolour = \"red\"\n",
    )
    .unwrap();
    // ./cacheroi.toml is found without --config.
    let out = cacheroi(dir.path()).args(["weekly"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.starts_with("error: cacheroi.toml: line 2: unknown field `colour`"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    cacheroi(dir.path())
        .args(["weekly", "--week", "2026-W99"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--week `2026-W99`"));
    cacheroi(dir.path()).args(["frobnicate"]).assert().code(2);
    cacheroi(dir.path()).args(["weekly", "-v", "-q"]).assert().code(2);
}

#[test]
fn first_run_without_arguments_uses_the_bundled_sample() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    cacheroi(dir.path())
        .args(["-q", "weekly", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stderr("");
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("weekly/2026-W46/metrics.json")).unwrap()).unwrap();
    assert_eq!(json["period"]["iso_week"], "2026-W46");
    assert!(json["kpis"]["cache_hit_rate"]["value"].as_f64().unwrap() > 0.5);
    let md = fs::read_to_string(out.join("weekly/2026-W46/summary.md")).unwrap();
    assert!(md.contains("## Headline KPIs") && md.contains("## Data quality"));
    // Customer text is escaped: the sample's <script> comment never appears as markup.
    assert!(!md.contains("<script>") && !md.contains("<b>"));
    // No server path in what is mailed: the bundled config is named by its file.
    let repo = env!("CARGO_MANIFEST_DIR");
    for file in ["summary.md", "summary.html", "metrics.json"] {
        let text = fs::read_to_string(out.join("weekly/2026-W46").join(file)).unwrap();
        assert!(!text.contains(repo), "{file} holds {repo}");
    }
    assert!(md.contains("from cacheroi.toml (config "), "{md}");
}
