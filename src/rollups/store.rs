//! The rollup store: `<root>/<table>/src=<id>/part.parquet` for every
//! request-log file, the marker, and `manifest.json`, the one source of
//! truth of which rollup belongs to which file.
//!
//! A file is rolled up once, keyed by what identifies its content without
//! reading it (canonical path, size, modification time in nanoseconds); an
//! unchanged file is never opened again, a changed one is rolled up anew
//! and replaces its old rollup, a removed one's rollup stops counting.
//! Nothing is appended to an existing aggregate. Every step is atomic: a
//! rollup is written to its own new folder, the manifest is replaced by a
//! rename, and only then is the old folder removed, so a `kill -9` at any
//! moment leaves either the old or the new rollup of each file, and the next
//! run finishes the job (folders no manifest entry names are removed).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use polars::prelude::*;

use super::build::{FileRollup, roll_up};
use super::dataset::write_parquet;
pub use super::dataset::{Entry, Manifest, table_files};
use super::schema::{self as s, Marker};
use crate::formats::Limits;
use crate::fsutil::{FileLock, write_atomic};

/// What one refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    pub rolled_up: usize,
    pub reused: usize,
    pub removed: usize,
    /// Files left alone by `--since`.
    pub skipped: usize,
}

/// How a refresh sees the world: the marker it must match and the inputs.
pub struct Setup<'a> {
    pub marker: Marker,
    pub tz: Tz,
    pub customers: Option<&'a DataFrame>,
    pub limits: &'a Limits,
    pub mapping: Option<&'a crate::sources::mapping::Mapping>,
    /// Only files modified on or after this are rolled up (older ones keep
    /// their rollup, or stay out until a run without `since`).
    pub since: Option<DateTime<Utc>>,
}

fn manifest_path(root: &Path) -> PathBuf {
    root.join("manifest.json")
}

/// Read the manifest of a store (None: no store yet).
pub fn read_manifest(root: &Path) -> Result<Option<Manifest>> {
    let path = manifest_path(root);
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{}: not a cacheroi rollup manifest (remove the folder to roll up anew)",
                path.display()
            )
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("{}: cannot read", path.display())),
    }
}

fn write_manifest(root: &Path, m: &Manifest) -> Result<()> {
    let mut json = serde_json::to_string_pretty(m)?;
    json.push('\n');
    write_atomic(&manifest_path(root), json.as_bytes())?;
    let mut marker = serde_json::to_string_pretty(&m.marker)?;
    marker.push('\n');
    write_atomic(&root.join(s::MARKER), marker.as_bytes())
}

/// What identifies a file's content without reading it.
fn fingerprint(path: &Path) -> Result<(String, u64, i128)> {
    let meta = std::fs::metadata(path).with_context(|| format!("{}: cannot stat", path.display()))?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128);
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok((canonical.to_string_lossy().into_owned(), meta.len(), mtime))
}

fn folder_id(path: &str, size: u64, mtime_ns: i128) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{path}\0{size}\0{mtime_ns}").as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Write one file's rollup into `src=<id>` folders (each table file atomic).
fn write_rollup(root: &Path, id: &str, rollup: &FileRollup) -> Result<()> {
    for (table, df) in rollup.tables() {
        write_parquet(
            &root.join(table).join(format!("src={id}")).join("part.parquet"),
            &mut df.clone(),
        )
        .with_context(|| format!("writing the {table} rollup"))?;
    }
    Ok(())
}

fn remove_rollup(root: &Path, id: &str) {
    for table in s::TABLES {
        let _ = std::fs::remove_dir_all(root.join(table).join(format!("src={id}")));
    }
}

/// Make the rollups of `paths` current and return the manifest. Rolls up
/// new and changed files (two at a time), reuses unchanged ones, drops the
/// rollups of files no longer listed, and removes folders of interrupted
/// runs. A store made for another schema, time zone, accuracy or customers
/// table is rolled up anew.
pub fn refresh(root: &Path, paths: &[PathBuf], setup: &Setup) -> Result<(Manifest, Refreshed)> {
    std::fs::create_dir_all(root).with_context(|| format!("{}: cannot create the rollup folder", root.display()))?;
    let _lock = FileLock::acquire(&root.join(".refresh"))?;
    let mut manifest = current_manifest(root, setup)?;
    let mut done = Refreshed::default();
    let mut listed: BTreeMap<String, Todo> = BTreeMap::new();
    for p in paths {
        let (canonical, size, mtime) = fingerprint(p)?;
        listed.insert(
            canonical.clone(),
            Todo {
                canonical,
                path: p.clone(),
                size,
                mtime,
            },
        );
    }
    let todo = files_to_roll_up(&listed, &manifest, setup, &mut done);
    // Files gone from the source: their rollups stop counting.
    let gone: Vec<String> = manifest
        .files
        .keys()
        .filter(|k| !listed.contains_key(*k))
        .cloned()
        .collect();
    for k in &gone {
        if let Some(e) = manifest.files.remove(k) {
            write_manifest(root, &manifest)?;
            remove_rollup(root, &e.id);
            done.removed += 1;
        }
    }
    let mut manifest = roll_up_all(root, &todo, manifest, setup)?;
    done.rolled_up = todo.len();
    // Entries of an earlier cacheroi: their weeks from their rollups.
    for e in manifest.files.values_mut().filter(|e| e.weeks.is_none()) {
        let file = root
            .join(s::REQUESTS)
            .join(format!("src={}", e.id))
            .join("part.parquet");
        e.weeks = Some(weeks_of(&super::dataset::read_file(
            &file,
            &super::schema::REQUESTS_COLUMNS,
        )?)?);
    }
    write_manifest(root, &manifest)?;
    collect_garbage(root, &manifest);
    super::weeks::compact(root, &manifest)?;
    Ok((manifest, done))
}

/// A file to roll up: its canonical path and fingerprint.
#[derive(Clone)]
struct Todo {
    canonical: String,
    path: PathBuf,
    size: u64,
    mtime: i128,
}

/// The store's manifest, or an empty one when there is none or it was made
/// for another setup.
fn current_manifest(root: &Path, setup: &Setup) -> Result<Manifest> {
    let empty = || Manifest {
        marker: setup.marker.clone(),
        files: BTreeMap::new(),
    };
    Ok(match read_manifest(root)? {
        Some(m) if m.marker == setup.marker => m,
        Some(m) => {
            tracing::info!(
                was = ?m.marker,
                now = ?setup.marker,
                "the rollups were made for another schema, time zone, accuracy or customers table: rolling up anew"
            );
            empty()
        }
        None => empty(),
    })
}

/// The listed files that are new or changed, counting the reused and the
/// skipped (changed before `--since`) ones.
fn files_to_roll_up(
    listed: &BTreeMap<String, Todo>,
    manifest: &Manifest,
    setup: &Setup,
    done: &mut Refreshed,
) -> Vec<Todo> {
    let mut todo = Vec::new();
    for (canonical, file) in listed {
        match manifest.files.get(canonical) {
            Some(e) if e.size == file.size && e.mtime_ns == file.mtime => done.reused += 1,
            old => {
                let modified = DateTime::<Utc>::from_timestamp_nanos(file.mtime as i64);
                if setup.since.is_some_and(|since| modified < since) {
                    done.skipped += 1;
                    if old.is_some() {
                        done.reused += 1;
                    }
                    continue;
                }
                todo.push(file.clone());
            }
        }
    }
    todo
}

/// Roll up `todo`, two files in flight; each finished file is committed to
/// the manifest at once. The first failure stops the rest.
fn roll_up_all(root: &Path, todo: &[Todo], manifest: Manifest, setup: &Setup) -> Result<Manifest> {
    let next = AtomicUsize::new(0);
    let state = Mutex::new((manifest, None::<anyhow::Error>));
    std::thread::scope(|scope| {
        for _ in 0..2.min(todo.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = todo.get(i) else {
                        break;
                    };
                    let id = folder_id(&file.canonical, file.size, file.mtime);
                    let result = roll_up(
                        &file.path,
                        &file.path.display().to_string(),
                        setup.customers,
                        setup.tz,
                        setup.limits,
                        setup.mapping,
                    )
                    .and_then(|r| {
                        write_rollup(root, &id, &r)?;
                        weeks_of(&r.requests)
                    });
                    let mut guard = state.lock().unwrap_or_else(|e| e.into_inner());
                    let (manifest, failure) = &mut *guard;
                    if let Err(e) = result.and_then(|weeks| commit(root, manifest, file, id, weeks)) {
                        failure.get_or_insert(e);
                        next.store(todo.len(), Ordering::Relaxed);
                        break;
                    }
                }
            });
        }
    });
    let (manifest, failure) = state.into_inner().unwrap_or_else(|e| e.into_inner());
    match failure {
        Some(e) => Err(e),
        None => Ok(manifest),
    }
}

/// Enter a rolled-up file in the manifest, write it, and remove the
/// rollup the file had before.
fn commit(root: &Path, manifest: &mut Manifest, file: &Todo, id: String, weeks: Vec<i32>) -> Result<()> {
    let old = manifest.files.insert(
        file.canonical.clone(),
        Entry {
            size: file.size,
            mtime_ns: file.mtime,
            id: id.clone(),
            rolled_at: Utc::now(),
            weeks: Some(weeks),
        },
    );
    write_manifest(root, manifest)?;
    if let Some(old) = old.filter(|o| o.id != id) {
        remove_rollup(root, &old.id);
    }
    Ok(())
}

/// The Mondays of the weeks a `requests` table has rows in.
fn weeks_of(requests: &DataFrame) -> Result<Vec<i32>> {
    let days = requests.column(s::DAY)?.cast(&DataType::Int32)?;
    let weeks: std::collections::BTreeSet<i32> = days.i32()?.iter().flatten().map(s::monday_of).collect();
    Ok(weeks.into_iter().collect())
}

/// Remove folders of the store that no manifest entry names (what an
/// interrupted run left behind).
fn collect_garbage(root: &Path, manifest: &Manifest) {
    let live: std::collections::BTreeSet<String> = manifest.files.values().map(|e| format!("src={}", e.id)).collect();
    for table in s::TABLES {
        let Ok(entries) = std::fs::read_dir(root.join(table)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("src=") && !live.contains(&name) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// Read a dataset's marker and check it against what this run needs.
pub fn check_marker(root: &Path, want: &Marker) -> Result<Marker> {
    let path = root.join(s::MARKER);
    let bytes = std::fs::read(&path).with_context(|| {
        format!(
            "{}: no rollup marker: is `[sources] rollups` a rollup dataset (made by `cacheroi rollup` or sql/rollup.sql)?",
            path.display()
        )
    })?;
    let m: Marker =
        serde_json::from_slice(&bytes).with_context(|| format!("{}: not a rollup marker", path.display()))?;
    if m.schema != want.schema {
        bail!(
            "{}: rollup schema version {} — this cacheroi reads version {}: make the rollups again",
            path.display(),
            m.schema,
            want.schema
        );
    }
    if m.timezone != want.timezone {
        bail!(
            "{}: the rollups' days are in {}, the config's timezone is {}: make them again with the config's zone",
            path.display(),
            m.timezone,
            want.timezone
        );
    }
    if (m.alpha - want.alpha).abs() > 1e-12 {
        bail!(
            "{}: the rollups' latency accuracy is α = {}, this cacheroi needs {}",
            path.display(),
            m.alpha,
            want.alpha
        );
    }
    if m.customers != want.customers {
        bail!(
            "{}: the rollups resolved segments with another customers table ({} ≠ {}): make them again",
            path.display(),
            m.customers,
            want.customers
        );
    }
    Ok(m)
}
