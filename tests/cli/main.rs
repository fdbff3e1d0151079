//! The one integration-test binary (each test binary links Polars again):
//! the real `cacheroi` executable over temporary folders.

mod briefs;
mod customers;
mod engines;
mod errors;
mod evidence;
mod gate;
mod golden;
mod hostile;
mod html;
mod impact;
mod independent;
mod mail;
mod nginx;
mod notify;
mod prometheus;
mod risks;
mod roi;
mod rollups;
mod snapshot;
mod sources;
mod statistics;
mod weekly;

use std::path::Path;

use assert_cmd::Command;

/// The binary under test, with logs quiet and no config from the caller's cwd.
pub fn cacheroi(cwd: &Path) -> Command {
    let mut cmd = Command::cargo_bin("cacheroi").expect("binary");
    cmd.current_dir(cwd).env_remove("CACHEROI_LOG");
    cmd
}

/// Generate sample data (CSV days) into `dir`.
pub fn sample(dir: &Path, per_day: u64) {
    cacheroi(dir)
        .args([
            "-q",
            "sample",
            "--format",
            "csv",
            "--requests-per-day",
            &per_day.to_string(),
            "--out",
        ])
        .arg(dir.join("data"))
        .assert()
        .success();
}

/// Copy a folder tree (the bundled sample, to change a copy of it).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// A sample configuration without its example `[email]` section (its last),
/// for a test that writes its own.
pub fn without_email(config: &str) -> String {
    match config.find("\n[email]") {
        Some(i) => {
            // Keep the comment above the section out too.
            let head = &config[..i];
            let cut = head.rfind("\n\n").map_or(i, |j| j + 1);
            config[..cut].to_string()
        }
        None => config.to_string(),
    }
}

/// `cacheroi ARGS --config data/cacheroi.toml --out out` in `dir` (a sample
/// made by [`sample`]), its output.
pub fn on_sample(dir: &Path, args: &[&str]) -> std::process::Output {
    cacheroi(dir)
        .args(args)
        .args(["--config", "data/cacheroi.toml", "--out", "out"])
        .output()
        .unwrap()
}

/// The sample's files in `dir/data` with the request log replaced by
/// `rows` (CSV lines after the header), as `requests/requests-<name>.csv`.
pub fn sample_with_log(dir: &Path, name: &str, rows: &[String]) {
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data"),
        &dir.join("data"),
    );
    let requests = dir.join("data/requests");
    std::fs::remove_dir_all(&requests).unwrap();
    std::fs::create_dir_all(&requests).unwrap();
    let mut csv =
        String::from("ts,customer_id,user_id,endpoint,status,latency_ms,cache_status,cache_enabled,upstream_calls\n");
    for r in rows {
        csv.push_str(r);
        csv.push('\n');
    }
    std::fs::write(requests.join(format!("requests-{name}.csv")), csv).unwrap();
}

/// [`on_sample`], which must succeed (stderr shown when it does not).
pub fn ok_on_sample(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = on_sample(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
