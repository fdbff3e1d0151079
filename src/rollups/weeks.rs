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

use anyhow::{Result, anyhow};
use polars::prelude::*;

use super::merged::{USERS, UserDay, read_file};
use super::names::OwnedNames;
use super::schema::{self as s, Marker, monday_of};
use super::store::Manifest;
use crate::fsutil::write_atomic;

/// Week (Monday) → the ids of the rollups with rows in it.
fn plan(manifest: &Manifest) -> BTreeMap<i32, Vec<&str>> {
    let mut weeks: BTreeMap<i32, Vec<&str>> = BTreeMap::new();
    for e in manifest.files.values() {
        for w in e.weeks.iter().flatten() {
            weeks.entry(*w).or_default().push(&e.id);
        }
    }
    for ids in weeks.values_mut() {
        ids.sort_unstable();
    }
    weeks
}

fn week_dir(root: &Path, monday: i32) -> PathBuf {
    let date = super::build::date_of(monday).map_or_else(|| monday.to_string(), |d| d.to_string());
    root.join(s::USERS_WEEK).join(format!("week={date}"))
}

/// The file of a week made from exactly these rollups, under this marker
/// (a rollup's id names its file's content, not the zone its days are in).
fn week_file(root: &Path, marker: &Marker, monday: i32, ids: &[&str]) -> PathBuf {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(marker).unwrap_or_default());
    for id in ids {
        hasher.update(b"\0");
        hasher.update(id.as_bytes());
    }
    let digest = hasher.finalize();
    let key: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    week_dir(root, monday).join(format!("part-{key}.parquet"))
}

/// The current week files of a store, in week order.
pub fn files(root: &Path, manifest: &Manifest) -> Vec<PathBuf> {
    plan(manifest)
        .iter()
        .map(|(monday, ids)| week_file(root, &manifest.marker, *monday, ids))
        .collect()
}

/// Per-user sums of one week, keyed by (user, segment, cache flag).
type WeekSums = polars::prelude::PlHashMap<(u32, u32, bool), UserDay>;

/// Make the week files the manifest needs that are missing, and remove the
/// others.
pub fn compact(root: &Path, manifest: &Manifest) -> Result<()> {
    let t = std::time::Instant::now();
    let plan = plan(manifest);
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
    let (mut users, mut segments) = (OwnedNames::default(), OwnedNames::default());
    let mut sums = WeekSums::default();
    for id in ids {
        let path = root.join(s::USERS).join(format!("src={id}")).join("part.parquet");
        let df = read_file(&path, &USERS)?;
        macro_rules! array {
            ($name:expr, $kind:ident) => {
                df.column($name)?.$kind()?.rechunk().downcast_as_array().clone()
            };
        }
        let (day, user, segment, enabled) = (
            array!(s::DAY, i32),
            array!(s::USER_ID, str),
            array!(s::SEGMENT, str),
            array!(s::CACHE_ENABLED, bool),
        );
        let (n, up, err) = (
            array!(s::ROWS, i64),
            array!(s::UPSTREAM_CALLS, i64),
            array!(s::SERVER_ERRORS, i64),
        );
        let (lsum, lsq) = (array!(s::LATENCY_SUM, f64), array!(s::LATENCY_SQ_SUM, f64));
        for i in 0..df.height() {
            if day.get(i).map(monday_of) != Some(monday) {
                continue;
            }
            let key = (
                users.id(user.get(i).unwrap_or_default()),
                segments.id(segment.get(i).unwrap_or_default()),
                enabled.get(i).unwrap_or(false),
            );
            let count = |v: Option<i64>| v.unwrap_or(0).max(0) as u64;
            let u = sums.entry(key).or_default();
            u.rows += count(n.get(i));
            u.upstream += count(up.get(i));
            u.server_errors += count(err.get(i));
            u.latency_sum += lsum.get(i).unwrap_or(0.0);
            u.latency_sq_sum += lsq.get(i).unwrap_or(0.0);
        }
    }
    let mut df = week_frame(monday, &sums, &users.into_names(), &segments.into_names())?;
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(&mut df)
        .map_err(|e| anyhow!("writing the users_week rollup: {e}"))?;
    write_atomic(file, &bytes)
}

/// One week's records as a `users` frame, sorted by user (a fixed order: a
/// rerun writes the same bytes).
fn week_frame(monday: i32, sums: &WeekSums, users: &[String], segments: &[String]) -> Result<DataFrame> {
    let mut keys: Vec<&(u32, u32, bool)> = sums.keys().collect();
    keys.sort_unstable_by(|a, b| {
        (users[a.0 as usize].as_str(), segments[a.1 as usize].as_str(), a.2).cmp(&(
            users[b.0 as usize].as_str(),
            segments[b.1 as usize].as_str(),
            b.2,
        ))
    });
    let n = keys.len();
    let count = |f: fn(&UserDay) -> u64| -> Vec<i64> { keys.iter().map(|k| f(&sums[*k]) as i64).collect() };
    let sum = |f: fn(&UserDay) -> f64| -> Vec<f64> { keys.iter().map(|k| f(&sums[*k])).collect() };
    Ok(DataFrame::new(
        n,
        vec![
            Column::new(s::DAY.into(), vec![monday; n]).cast(&DataType::Date)?,
            Column::new(
                s::USER_ID.into(),
                keys.iter().map(|k| users[k.0 as usize].as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                s::SEGMENT.into(),
                keys.iter().map(|k| segments[k.1 as usize].as_str()).collect::<Vec<_>>(),
            ),
            Column::new(s::CACHE_ENABLED.into(), keys.iter().map(|k| k.2).collect::<Vec<_>>()),
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
