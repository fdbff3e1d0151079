//! The rollup store: each request file is read once, a changed one is read
//! again and replaces its rollup, a removed one stops counting, a late file
//! for an old day is picked up, an interrupted run leaves either the old or
//! the new rollup of each file — and reports from rollups equal reports
//! from a fresh store.

use std::fs;
use std::path::Path;
use std::process::Command as Process;

use serde_json::Value;

use super::{cacheroi, sample};

/// `cacheroi rollup`: (rolled up, reused, removed) from its first line.
fn rollup(dir: &Path) -> (u64, u64, u64) {
    let out = cacheroi(dir)
        .args(["-q", "rollup", "--config", "data/cacheroi.toml"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8_lossy(&out.stdout).lines().next().unwrap().to_string();
    let num = |word: &str| -> u64 {
        let before = line.split(word).next().unwrap();
        before.split_whitespace().last().unwrap().parse().unwrap()
    };
    (num(" file(s) rolled up"), num(" reused"), num(" removed"))
}

fn weekly(dir: &Path, out: &str) -> Value {
    let run = cacheroi(dir)
        .args([
            "-q",
            "weekly",
            "--config",
            "data/cacheroi.toml",
            "--week",
            "2026-W46",
            "--out",
            out,
        ])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let mut m: Value =
        serde_json::from_str(&fs::read_to_string(dir.join(out).join("weekly/2026-W46/metrics.json")).unwrap()).unwrap();
    // When it was generated is the one figure that may differ.
    m["generated"] = Value::Null;
    m
}

fn rows_read(m: &Value) -> u64 {
    m["data_quality"]["sources"]["requests"]["rows_read"].as_u64().unwrap()
}

fn active_users(m: &Value) -> f64 {
    m["kpis"]["active_users"]["value"].as_f64().unwrap()
}

/// The store's users-by-week files: one per week, none stale.
fn assert_one_file_per_week(dir: &Path) {
    let weeks = dir.join("data/reports/rollups/users_week");
    for w in fs::read_dir(&weeks).unwrap() {
        let w = w.unwrap().path();
        let parts: Vec<_> = fs::read_dir(&w).unwrap().collect();
        assert_eq!(parts.len(), 1, "{}", w.display());
    }
}

#[test]
fn files_are_rolled_up_once_and_changes_replace_their_rollup() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 40);
    let files = fs::read_dir(dir.path().join("data/requests")).unwrap().count() as u64;
    assert_eq!(rollup(dir.path()), (files, 0, 0));
    // Nothing changed: no file is opened again.
    assert_eq!(rollup(dir.path()), (0, files, 0));
    let before = weekly(dir.path(), "out1");

    // A changed file (one more row) is rolled up anew and replaces its old rollup.
    let day = dir.path().join("data/requests/requests-2026-11-10.csv");
    let mut text = fs::read_to_string(&day).unwrap();
    text.push_str("2026-11-10T12:00:00Z,c009,c009-u999,power_users,GET /x,200,5.0,HIT,true,0\n");
    fs::write(&day, text).unwrap();
    assert_eq!(rollup(dir.path()), (1, files - 1, 0));
    let changed = weekly(dir.path(), "out2");
    assert_eq!(rows_read(&changed), rows_read(&before) + 1);
    // Its user is new: the week's users were summed again.
    assert_eq!(active_users(&changed), active_users(&before) + 1.0);
    assert_one_file_per_week(dir.path());
    assert_eq!(
        changed["kpis"]["requests"]["value"].as_f64().unwrap(),
        before["kpis"]["requests"]["value"].as_f64().unwrap() + 1.0
    );

    // A removed file's rollup stops counting.
    let gone = dir.path().join("data/requests/requests-2026-11-11.csv");
    let gone_rows = fs::read_to_string(&gone).unwrap().lines().count() as u64 - 1;
    fs::remove_file(&gone).unwrap();
    assert_eq!(rollup(dir.path()), (0, files - 1, 1));
    let removed = weekly(dir.path(), "out3");
    assert_eq!(rows_read(&removed), rows_read(&changed) - gone_rows);

    // A late file for an old day is picked up by the next run.
    let late = dir.path().join("data/requests/requests-2026-11-09-late.csv");
    fs::write(
        &late,
        "ts,customer_id,user_id,segment,endpoint,status,latency_ms,cache_status,cache_enabled,upstream_calls\n\
         2026-11-09T08:00:00Z,c009,c009-u998,power_users,GET /x,200,5.0,HIT,true,0\n",
    )
    .unwrap();
    assert_eq!(rollup(dir.path()), (1, files - 1, 0));
    let with_late = weekly(dir.path(), "out4");
    assert_eq!(rows_read(&with_late), rows_read(&removed) + 1);
    assert_eq!(active_users(&with_late), active_users(&removed) + 1.0);
    assert_one_file_per_week(dir.path());

    // Every figure equals that of a store made from scratch.
    fs::remove_dir_all(dir.path().join("data/reports/rollups")).unwrap();
    assert_eq!(weekly(dir.path(), "out5"), with_late);
}

#[test]
fn a_killed_rollup_leaves_old_or_new_and_the_next_run_finishes() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 400);
    let reference = weekly(dir.path(), "ref");
    fs::remove_dir_all(dir.path().join("data/reports/rollups")).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("cacheroi");
    // Kill -9 at a few moments of the first roll-up: early, midway, late.
    for delay_ms in [150u64, 600, 1500] {
        let mut child = Process::new(&bin)
            .current_dir(dir.path())
            .args(["-q", "rollup", "--config", "data/cacheroi.toml"])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        // SAFETY: kill sends a signal to a child we started.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGKILL);
        }
        let _ = child.wait();
        // Whatever was committed reads back; the next report completes the store.
        let m = weekly(dir.path(), &format!("after{delay_ms}"));
        assert_eq!(m, reference, "after a kill at {delay_ms} ms");
    }
    // No folder of an interrupted run is left behind.
    let manifest: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("data/reports/rollups/manifest.json")).unwrap())
            .unwrap();
    let live = manifest["files"].as_object().unwrap().len();
    let folders = fs::read_dir(dir.path().join("data/reports/rollups/requests"))
        .unwrap()
        .count();
    assert_eq!(folders, live);
}

#[test]
fn a_time_zone_change_rolls_up_anew_and_days_are_local() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 40);
    let files = fs::read_dir(dir.path().join("data/requests")).unwrap().count() as u64;
    assert_eq!(rollup(dir.path()), (files, 0, 0));
    let cfg = dir.path().join("data/cacheroi.toml");
    let text = fs::read_to_string(&cfg)
        .unwrap()
        .replace("timezone = \"UTC\"", "timezone = \"Pacific/Auckland\"");
    fs::write(&cfg, text).unwrap();
    // The days of the rollups are local days: a new zone re-rolls everything.
    assert_eq!(rollup(dir.path()), (files, 0, 0));
    let auckland = weekly(dir.path(), "nz");
    assert_eq!(auckland["period"]["timezone"], "Pacific/Auckland");
    // The same as a fresh store in that zone.
    fs::remove_dir_all(dir.path().join("data/reports/rollups")).unwrap();
    assert_eq!(weekly(dir.path(), "nz2"), auckland);
}
