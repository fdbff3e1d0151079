//! The store's `users_week` table: the `users` table summed over each
//! (local, ISO) week, so that a report over whole weeks reads one record per
//! user and week instead of one per user and day (the `users` table is most
//! of a store's records: a user active on five days of a week has five).
//!
//! It is derived data, kept beside the per-file rollups: week W's file is
//! named by a hash of the rollups that have rows in W, so a file rolled up
//! anew, removed or arriving late for an old week gives W a new name and W
//! is summed again from the per-file `users` tables of its rollups (which
//! stay: a window that starts or ends inside a week reads them,
//! `Merged::load_days`).
//! Written atomically; a file of a stale name is removed after the manifest
//! moved on, and a missing one is simply made again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;
use polars::prelude::*;

use super::dataset::{Manifest, week_file, week_plan, write_parquet};
use super::merged::UserDay;
use super::schema as s;

/// Make the week files the manifest needs that are missing, and remove the
/// others.
pub fn compact(root: &Path, manifest: &Manifest) -> Result<()> {
    let t = std::time::Instant::now();
    let plan = week_plan(manifest);
    let todo: Vec<(i32, &[&str], PathBuf)> = plan
        .iter()
        .map(|(monday, ids)| (*monday, ids.as_slice(), week_file(root, &manifest.marker, *monday, ids)))
        .filter(|(_, _, f)| !f.is_file())
        .collect();
    // Two weeks at a time; a week's rollups are read for it alone (a file
    // of one day is in one week; one spanning weeks is read for each).
    let next = AtomicUsize::new(0);
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..2.min(todo.len()) {
            scope.spawn(|| {
                while let Some((monday, ids, file)) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if let Err(e) = make_week(root, *monday, ids, file) {
                        failure.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(e);
                        next.store(todo.len(), Ordering::Relaxed);
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    if !todo.is_empty() {
        tracing::debug!(weeks = todo.len(), elapsed = ?t.elapsed(), "users compacted by week");
    }
    remove_stale(root, manifest, &plan);
    Ok(())
}

/// Sum the `users` rows of week `monday` of these rollups into `file`.
fn make_week(root: &Path, monday: i32, ids: &[&str], file: &Path) -> Result<()> {
    let paths: Vec<PathBuf> = ids
        .iter()
        .map(|id| root.join(s::USERS).join(format!("src={id}")).join("part.parquet"))
        .collect();
    let (weeks, users, segments) = super::merged::users_by_week(&paths, (monday, monday + 7))?;
    write_parquet(file, &mut week_frame(&weeks, &users, &segments)?)
}

/// Week records as a `users` frame, sorted by user, segment and flag (a
/// fixed order: a rerun writes the same bytes).
fn week_frame(weeks: &[UserDay], users: &[String], segments: &[String]) -> Result<DataFrame> {
    let mut rows: Vec<&UserDay> = weeks.iter().collect();
    let key = |u: &UserDay| {
        (
            u.day,
            users[u.user as usize].as_str(),
            segments[u.segment as usize].as_str(),
            u.enabled,
        )
    };
    rows.sort_unstable_by(|a, b| key(a).cmp(&key(b)));
    let n = rows.len();
    let count = |f: fn(&UserDay) -> u64| -> Vec<i64> { rows.iter().map(|u| f(u) as i64).collect() };
    let sum = |f: fn(&UserDay) -> f64| -> Vec<f64> { rows.iter().map(|u| f(u)).collect() };
    Ok(DataFrame::new(
        n,
        vec![
            Column::new(s::DAY.into(), rows.iter().map(|u| u.day).collect::<Vec<_>>()).cast(&DataType::Date)?,
            Column::new(
                s::USER_ID.into(),
                rows.iter().map(|u| users[u.user as usize].as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                s::SEGMENT.into(),
                rows.iter()
                    .map(|u| segments[u.segment as usize].as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                s::CACHE_ENABLED.into(),
                rows.iter().map(|u| u.enabled).collect::<Vec<_>>(),
            ),
            Column::new(s::ROWS.into(), count(|u| u.rows)),
            Column::new(s::UPSTREAM_CALLS.into(), count(|u| u.upstream)),
            Column::new(s::LATENCY_SUM.into(), sum(|u| u.latency_sum)),
            Column::new(s::LATENCY_SQ_SUM.into(), sum(|u| u.latency_sq_sum)),
            Column::new(s::SERVER_ERRORS.into(), count(|u| u.server_errors)),
        ],
    )?)
}

/// Remove week folders and files the manifest no longer names.
fn remove_stale(root: &Path, manifest: &Manifest, plan: &BTreeMap<i32, Vec<&str>>) {
    let live: std::collections::BTreeSet<PathBuf> = plan
        .iter()
        .map(|(monday, ids)| week_file(root, &manifest.marker, *monday, ids))
        .collect();
    let Ok(weeks) = std::fs::read_dir(root.join(s::USERS_WEEK)) else {
        return;
    };
    for w in weeks.flatten() {
        let Ok(parts) = std::fs::read_dir(w.path()) else {
            continue;
        };
        let mut kept = 0;
        for p in parts.flatten() {
            if live.contains(&p.path()) {
                kept += 1;
            } else {
                let _ = std::fs::remove_file(p.path());
            }
        }
        if kept == 0 {
            let _ = std::fs::remove_dir(w.path());
        }
    }
}
