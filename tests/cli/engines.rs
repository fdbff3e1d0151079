//! A distributed engine makes the same rollups: `sql/rollup.sql`, run by
//! DuckDB and by Spark (local mode) through scripts/rollup_engine.py, gives
//! cacheroi the same metrics.json as its own rollup step — every count and
//! amount identical, sums of latency to the last digits of a float.

use std::fs;
use std::path::Path;
use std::process::Command as Process;

use serde_json::Value;

use super::cacheroi;

/// The sample in one format; `wide`: ten times the customers and users,
/// Parquet time stamps in ms, µs or ns, zoned or naive, days without the
/// optional columns and with extra ones.
fn sample(dir: &Path, format: &str, per_day: u64, wide: bool) {
    cacheroi(dir)
        .args([
            "-q",
            "sample",
            "--format",
            format,
            "--requests-per-day",
            &per_day.to_string(),
        ])
        .args(wide.then_some("--wide"))
        .arg("--out")
        .arg(dir.join("data"))
        .assert()
        .success();
}

/// Make rollups with an engine into `dir/<name>` and a config that reads them.
fn engine(dir: &Path, which: &str, name: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/rollup_engine.py");
    let out = Process::new("python3")
        .arg(&script)
        .args(["--engine", which, "--config"])
        .arg(dir.join("data/cacheroi.toml"))
        .arg("--out")
        .arg(dir.join(name))
        .output()
        .expect("python3 (scripts/test.sh installs duckdb and pyspark)");
    assert!(
        out.status.success(),
        "{which}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = format!("data/{name}.toml");
    let text = fs::read_to_string(dir.join("data/cacheroi.toml")).unwrap().replace(
        "redis_snapshots = \"redis-snapshots.ndjson\"",
        &format!("redis_snapshots = \"redis-snapshots.ndjson\"\nrollups = \"../{name}\""),
    );
    fs::write(dir.join(&config), text).unwrap();
    config
}

fn metrics(dir: &Path, config: &str, args: &[&str], file: &str) -> Value {
    let out = format!("out-{}", config.replace(['/', '.'], "-"));
    let run = cacheroi(dir)
        .args(["-q"])
        .args(args)
        .args(["--config", config, "--out", &out])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{config}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut m: Value = serde_json::from_str(&fs::read_to_string(dir.join(out).join(file)).unwrap()).unwrap();
    m["generated"] = Value::Null;
    m
}

/// Equal, floats to 1e-9 relative; examples of bad rows compared by count
/// (an engine may pick others, and knows no CSV line numbers).
fn same(a: &Value, b: &Value, path: &str) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<_> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = format!("{path}.{k}");
                if k == "examples" {
                    assert_eq!(x[k].as_array().map(Vec::len), y[k].as_array().map(Vec::len), "{p}");
                    continue;
                }
                same(&x[k], &y[k], &p);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                same(p, q, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-9 * x.abs().max(1e-300), "{path}: {x} vs {y}");
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

#[test]
fn duckdb_makes_the_same_rollups_from_parquet_and_csv() {
    for (format, wide) in [("parquet", false), ("csv", false), ("parquet", true)] {
        let dir = tempfile::tempdir().unwrap();
        sample(dir.path(), format, 150, wide);
        let config = engine(dir.path(), "duckdb", "duckdb-rollups");
        for (args, file) in [
            (&["weekly", "--week", "2026-W46"][..], "weekly/2026-W46/metrics.json"),
            (&["impact"], "impact/metrics.json"),
            (&["roi"], "roi/metrics.json"),
        ] {
            let own = metrics(dir.path(), "data/cacheroi.toml", args, file);
            let duck = metrics(dir.path(), &config, args, file);
            same(&own, &duck, &format!("{format} (wide: {wide}) {}", args[0]));
        }
        // A second run replaces the day partitions: nothing is counted twice.
        let again = engine(dir.path(), "duckdb", "duckdb-rollups");
        let own = metrics(
            dir.path(),
            "data/cacheroi.toml",
            &["weekly", "--week", "2026-W46"],
            "weekly/2026-W46/metrics.json",
        );
        let twice = metrics(
            dir.path(),
            &again,
            &["weekly", "--week", "2026-W46"],
            "weekly/2026-W46/metrics.json",
        );
        same(&own, &twice, "rerun");
    }
}

#[test]
fn spark_makes_the_same_rollups() {
    let dir = tempfile::tempdir().unwrap();
    // The wide sample: every time stamp unit and zone, missing and extra columns.
    sample(dir.path(), "parquet", 100, true);
    let config = engine(dir.path(), "spark", "spark-rollups");
    let args = ["weekly", "--week", "2026-W46"];
    let own = metrics(dir.path(), "data/cacheroi.toml", &args, "weekly/2026-W46/metrics.json");
    let spark = metrics(dir.path(), &config, &args, "weekly/2026-W46/metrics.json");
    same(&own, &spark, "spark weekly");
}

#[test]
fn rollups_of_another_schema_or_zone_are_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), "parquet", 20, false);
    let config = engine(dir.path(), "duckdb", "r");
    let marker = dir.path().join("r/_cacheroi_rollups.json");
    let text = fs::read_to_string(&marker).unwrap();
    for (from, to, want) in [
        (
            "\"schema\": 2",
            "\"schema\": 1",
            "rollup schema version 1 — this cacheroi reads version 2: make the rollups again",
        ),
        (
            "\"timezone\": \"UTC\"",
            "\"timezone\": \"Europe/Berlin\"",
            "the rollups' days are in Europe/Berlin",
        ),
    ] {
        fs::write(&marker, text.replace(from, to)).unwrap();
        let out = cacheroi(dir.path())
            .args(["-q", "weekly", "--config", &config, "--out", "out"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{err}");
    }
}
