//! Sources: each input turned into canonical frames. Requests and feedback go
//! through [`ingest`], the one pass over every row that both counts bad rows
//! (docs/bad-input.md) and keeps the valid rows the reports need.

pub mod archive;
pub mod customers;
pub mod documents;
pub mod feedback;
pub mod inspect;
pub mod mapping;
pub mod prometheus;
pub mod redis_live;
pub mod redis_store;
pub mod request_log;
pub mod survey;
pub mod templates;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::*;

use crate::error::SourceError;
use crate::formats::{Limits, Location, RawFile};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::frames::{RAW_PREFIX, RULE, TS};
use crate::quality::{BadRow, FileQuality, SourceQuality};

/// At most this many entries are visited to resolve one glob.
pub const MAX_GLOB_VISITS: usize = 1_000_000;

/// The files a source names: one path, or every match of a glob (sorted by
/// path). Each file is read once: matches are told apart by their canonical
/// path (a symbolic link loop or two links to one file give it once), and
/// the walk detects directory cycles. A `**` glob from the file-system root
/// is refused, and no glob visits more than [`MAX_GLOB_VISITS`] entries.
pub fn resolve(pattern: &str, what: &'static str) -> Result<Vec<PathBuf>, SourceError> {
    let bad = |reason: String| SourceError::Unreadable {
        path: PathBuf::from(crate::error::clip(pattern, 200)),
        reason,
    };
    if !pattern.contains(['*', '?', '[', '{']) {
        let path = PathBuf::from(pattern);
        crate::formats::check_regular_file(&path)?;
        return Ok(vec![path]);
    }
    // The walk starts at the longest prefix without glob characters.
    let mut root = PathBuf::new();
    let mut depth: Option<usize> = Some(0);
    let mut in_glob = false;
    for c in Path::new(pattern).components() {
        let text = c.as_os_str().to_string_lossy();
        if !in_glob && !text.contains(['*', '?', '[', '{']) {
            root.push(c);
            continue;
        }
        in_glob = true;
        depth = match (depth, text.as_ref()) {
            (_, "**") | (None, _) => None,
            (Some(d), _) => Some(d + 1),
        };
    }
    if root.as_os_str().is_empty() {
        root = PathBuf::from(".");
    }
    if depth.is_none() && root.parent().is_none() && root.has_root() {
        return Err(bad(format!(
            "a `**` glob from the file-system root would walk the whole disk: start it at the logs' folder (e.g. /var/log/app/**/{what}-*.csv)"
        )));
    }
    let matcher = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| bad(format!("not a glob: {e}")))?
        .compile_matcher();
    let mut walk = walkdir::WalkDir::new(&root).follow_links(true);
    if let Some(d) = depth {
        walk = walk.max_depth(d);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut paths: Vec<PathBuf> = Vec::new();
    for (visited, entry) in walk.into_iter().enumerate() {
        if visited >= MAX_GLOB_VISITS {
            return Err(bad(format!(
                "the glob visits more than {MAX_GLOB_VISITS} files and folders: narrow it"
            )));
        }
        // A loop of links or an unreadable folder is skipped, not followed.
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_file() || !matcher.is_match(entry.path()) {
            continue;
        }
        let canonical = std::fs::canonicalize(entry.path()).unwrap_or_else(|_| entry.path().to_path_buf());
        if seen.insert(canonical) {
            paths.push(entry.into_path());
        }
    }
    paths.sort();
    if paths.is_empty() {
        return Err(SourceError::NoMatch {
            what,
            pattern: crate::error::clip(pattern, 200),
        });
    }
    Ok(paths)
}

/// A half-open range of epoch microseconds `[start, end)`.
pub type MicrosRange = (i64, i64);

/// What a source reads: its columns (by canonical name; `free_text` ones
/// are read lossily) and how a raw file of it is normalised.
pub struct Source {
    pub columns: &'static [crate::frames::ColumnSpec],
    pub free_text: &'static [&'static str],
    pub normalize: fn(&RawFile, Reading) -> Result<Normalized>,
    /// The columns kept for the reports.
    pub kept: &'static [&'static str],
    /// No rows, in the kept columns and their types.
    pub empty: fn() -> Result<DataFrame>,
}

/// How a source's values read beyond its columns' names: the scale of the
/// feedback's scores (`[sources.feedback_mapping] scale`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Reading {
    pub score_scale: crate::ground::score::Scale,
}

impl Source {
    pub fn wanted(&self) -> crate::formats::Wanted {
        crate::formats::Wanted {
            names: self.columns.iter().map(|c| c.name).collect(),
            free_text: self.free_text.to_vec(),
        }
    }
}

/// A raw file normalised: canonical columns, [`RULE`] and raw text columns,
/// and the (reason, column) of each rule index.
pub struct Normalized {
    pub frame: LazyFrame,
    pub rules: Vec<(&'static str, &'static str)>,
}

/// What [`ingest`] returns: the valid rows for which the keep predicate holds
/// (canonical columns) and the data quality over every row of every file.
pub struct Ingested {
    pub rows: DataFrame,
    pub quality: SourceQuality,
}

/// Rows whose `ts` lies in one of `ranges`.
pub fn in_ranges(ranges: &[MicrosRange]) -> Expr {
    ranges
        .iter()
        .map(|(a, b)| col(TS).gt_eq(lit(*a)).and(col(TS).lt(lit(*b))))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false))
}

/// What one file gives.
struct FileResult {
    rows: DataFrame,
    file: FileQuality,
    by_reason: BTreeMap<String, u64>,
    examples: Vec<BadRow>,
    /// Valid rows at or after "now" (a host with a wrong clock) and the latest.
    after_now: u64,
    latest: Option<i64>,
}

/// How many files are read at once. Each file's query is itself parallel,
/// but small files leave cores idle; two in flight keep them busy while
/// memory stays bounded by a few files.
const FILES_IN_FLIGHT: usize = 2;

/// Read every file, normalise it, count rows and rejects by reason, keep the
/// first examples with their location, count the valid rows dated at or
/// after `now` (epoch µs), and keep the valid rows for which `keep` holds,
/// with only `columns`. This is the one pass over every row.
pub fn ingest(paths: &[PathBuf], source: &Source, keep: Expr, now: i64, limits: &Limits) -> Result<Ingested> {
    ingest_mapped(paths, source, keep, now, limits, None)
}

/// [`ingest`] of files whose columns `renames` maps to the canonical ones.
pub fn ingest_mapped(
    paths: &[PathBuf],
    source: &Source,
    keep: Expr,
    now: i64,
    limits: &Limits,
    renames: Option<&mapping::Renames>,
) -> Result<Ingested> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Result<FileResult>)>> = Mutex::new(Vec::with_capacity(paths.len()));
    std::thread::scope(|scope| {
        for _ in 0..FILES_IN_FLIGHT.min(paths.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = paths.get(i) else { break };
                    let result = read_file(path, source, keep.clone(), now, limits, renames);
                    let failed = result.is_err();
                    results.lock().unwrap_or_else(|e| e.into_inner()).push((i, result));
                    if failed {
                        // Stop taking new files; the first error in file order is reported.
                        next.store(paths.len(), Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);

    let mut quality = SourceQuality::default();
    let mut kept: Option<DataFrame> = None;
    for (_, result) in results {
        let r = result?;
        quality.rows_read += r.file.rows_read;
        quality.rows_rejected += r.file.rows_rejected;
        quality.rows_after_as_of += r.after_now;
        quality.latest_after_as_of = quality.latest_after_as_of.max(r.latest);
        for (reason, n) in r.by_reason {
            *quality.rejected_by_reason.entry(reason).or_default() += n;
        }
        for e in r.examples {
            if quality.wants_example(&e.reason) {
                quality.examples.push(e);
            }
        }
        quality.files.push(r.file);
        match kept.as_mut() {
            None => kept = Some(r.rows),
            Some(acc) => {
                acc.vstack_mut(&r.rows)?;
            }
        }
    }
    // Left in chunks (one per file): rechunking would copy every kept row.
    Ok(Ingested {
        rows: kept.unwrap_or_default(),
        quality,
    })
}

fn read_file(
    path: &Path,
    source: &Source,
    keep: Expr,
    now: i64,
    limits: &Limits,
    renames: Option<&mapping::Renames>,
) -> Result<FileResult> {
    let raw = match renames {
        Some(r) => r.apply(RawFile::open(path, &r.wanted(), limits)?)?,
        None => RawFile::open(path, &source.wanted(), limits)?,
    };
    let display = path.display().to_string();
    let columns = source.kept;
    if raw.height == 0 && raw.found_nothing() {
        // An empty file (no header, no line): zero rows, like a header-only one.
        return Ok(FileResult {
            rows: (source.empty)()?,
            file: FileQuality {
                file: display,
                format: raw.kind.format.extension().to_string(),
                rows_read: 0,
                rows_rejected: 0,
            },
            by_reason: BTreeMap::new(),
            examples: Vec::new(),
            after_now: 0,
            latest: None,
        });
    }
    let reading = Reading {
        score_scale: renames.map(|r| r.scale).unwrap_or_default(),
    };
    let normalized = (source.normalize)(&raw, reading)?;
    let df = normalized
        .frame
        .collect()
        .map_err(anyhow::Error::from)
        .with_context(|| format!("{display}: cannot read"))?;
    let rows = df.height() as u64;
    let rule = df.column(RULE)?.i32()?.clone();
    let rejected = (rule.len() - rule.null_count()) as u64;
    let (by_reason, examples) = if rejected > 0 {
        collect_rejects(&raw, &df, &rule, &normalized.rules).with_context(|| format!("{display}: cannot read"))?
    } else {
        (BTreeMap::new(), Vec::new())
    };
    let late = df
        .clone()
        .lazy()
        .filter(col(RULE).is_null().and(col(TS).gt_eq(lit(now))))
        .select([len().alias("n"), col(TS).max().alias("latest")])
        .collect()?;
    let after_now = late.column("n")?.cast(&DataType::UInt64)?.u64()?.get(0).unwrap_or(0);
    let latest = late.column("latest")?.i64()?.get(0);
    let valid = df
        .lazy()
        .filter(col(RULE).is_null().and(keep))
        .select(columns.iter().map(|c| col(*c)).collect::<Vec<_>>())
        .collect()?;
    Ok(FileResult {
        rows: valid,
        file: FileQuality {
            file: display,
            format: raw.kind.format.extension().to_string(),
            rows_read: rows,
            rows_rejected: rejected,
        },
        by_reason,
        examples,
        after_now,
        latest,
    })
}

/// An empty frame of the kept columns in their canonical types (what a file
/// without rows contributes), for a source whose kept types are its kinds'.
pub fn empty_kept(source: &Source) -> Result<DataFrame> {
    let cols: Vec<Column> = source
        .kept
        .iter()
        .map(|name| {
            let spec = source.columns.iter().find(|c| c.name == *name);
            Column::new_empty(
                (*name).into(),
                &spec.map_or(DataType::String, |c| c.kind.canonical_dtype()),
            )
        })
        .collect();
    Ok(DataFrame::new(0, cols)?)
}

/// Count the rejected rows of one file by reason and keep the first examples.
pub fn collect_rejects(
    raw: &RawFile,
    df: &DataFrame,
    rule: &Int32Chunked,
    rules: &[(&'static str, &'static str)],
) -> Result<(BTreeMap<String, u64>, Vec<BadRow>)> {
    let rows = df.column(crate::formats::ROW)?.idx()?;
    let lines = df
        .column(crate::formats::LINE)
        .ok()
        .map(|c| c.u32().cloned())
        .transpose()?;
    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    let mut examples = Vec::new();
    for (i, code) in rule.iter().enumerate() {
        let Some(code) = code else { continue };
        let (reason, column) = rules[code as usize];
        *by_reason.entry(reason.to_string()).or_default() += 1;
        let already = examples.iter().filter(|e: &&BadRow| e.reason == reason).count();
        if already < crate::quality::EXAMPLES_PER_REASON {
            let text = df
                .column(&format!("{RAW_PREFIX}{column}"))
                .ok()
                .and_then(|c| c.str().ok().and_then(|s| s.get(i)).map(|v| crate::error::clip(v, 80)));
            let location = match &lines {
                Some(l) => Location::Line(u64::from(l.get(i).unwrap_or(0))),
                None => Location::Row(u64::from(rows.get(i).unwrap_or_default()) + 1),
            };
            examples.push(BadRow {
                file: raw.path.display().to_string(),
                at: location.to_string(),
                location,
                reason: reason.to_string(),
                column: (!column.is_empty()).then(|| column.to_string()),
                value: text,
            });
        }
    }
    Ok((by_reason, examples))
}

/// Rows of the given segments (all rows when `segments` is empty, as for
/// a plan phase of `all_users`).
pub fn in_segments(df: &DataFrame, segments: &[String]) -> Result<DataFrame> {
    if segments.is_empty() {
        return Ok(df.clone());
    }
    let cond = segments
        .iter()
        .map(|s| col(crate::frames::SEGMENT).eq(lit(s.as_str())))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    Ok(df.clone().lazy().filter(cond).collect()?)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::frames::*;
    use crate::quality::reason;

    const HEADER: &str =
        "ts,customer_id,user_id,segment,endpoint,status,latency_ms,cache_status,cache_enabled,upstream_calls";

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn everything() -> Expr {
        lit(true)
    }

    #[test]
    fn every_bad_input_reason_is_counted_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{HEADER}
2026-11-16T10:00:00Z,c1,u1,a,GET /x,200,12.5,HIT,true,0
,c1,u1,a,GET /x,200,12.5,HIT,true,0
2026-11-16 10:00:00,c1,u1,a,GET /x,200,12.5,HIT,true,0
2026-11-16T10:00:00Z,c1,,a,GET /x,200,12.5,HIT,true,0
2026-11-16T10:00:00Z,c1,u1,a,GET /x,200,fast,HIT,true,0
2026-11-16T10:00:00Z,c1,u1,a,GET /x,200,12.5,HIT,perhaps,0
2026-11-16T10:00:00Z,c1,u1,a,GET /x,200,12.5,HIT,true,-1
2026-11-16T10:00:00Z,c1,u1,a,GET /x,200,-3,HIT,true,0
2026-11-16T10:00:00Z,c1,u1,a,\"GET /x,
with a newline\",200,12.5,HTI,true,0
2026-11-16T10:00:00Z,c1,u1,a,GET /x,2OO,-3,HTI,true,0
"
        );
        let p = write(dir.path(), "r.csv", &text);
        let got = ingest(&[p], &request_log::SOURCE, everything(), i64::MAX, &Limits::default()).unwrap();
        let q = &got.quality;
        assert_eq!(q.rows_read, 10);
        assert_eq!(q.rows_rejected, 9);
        assert_eq!(got.rows.height(), 1);
        let by = |r: &str| q.rejected_by_reason.get(r).copied().unwrap_or(0);
        // Empty ts, then the empty user_id: missing_value ×2.
        assert_eq!(by(reason::MISSING_VALUE), 2);
        assert_eq!(by(reason::BAD_TIMESTAMP), 1);
        // "fast", "perhaps", −1 upstream calls, and "2OO" (which comes before the
        // negative latency and unknown status of the same row): 4.
        assert_eq!(by(reason::INVALID_VALUE), 4);
        assert_eq!(by(reason::NEGATIVE_LATENCY), 1);
        assert_eq!(by(reason::UNKNOWN_CACHE_STATUS), 1);
        let ex = |r: &str| {
            q.examples
                .iter()
                .filter(|e| e.reason == r)
                .map(|e| e.at.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ex(reason::BAD_TIMESTAMP), vec!["line 4"]);
        // The quoted newline pushes the last rows one line down.
        assert_eq!(ex(reason::UNKNOWN_CACHE_STATUS), vec!["line 10"]);
        // Three examples per reason at most: the first three invalid values.
        assert_eq!(ex(reason::INVALID_VALUE), vec!["line 6", "line 7", "line 8"]);
        let fast = q.examples.iter().find(|e| e.at == "line 6").unwrap();
        assert_eq!(
            (fast.column.as_deref(), fast.value.as_deref()),
            (Some(LATENCY_MS), Some("fast"))
        );
    }

    #[test]
    fn a_torn_ndjson_line_is_a_malformed_row() {
        let dir = tempfile::tempdir().unwrap();
        let good = "{\"ts\":\"2026-11-16T10:00:00Z\",\"customer_id\":\"c1\",\"user_id\":\"u1\",\"endpoint\":\"GET /x\",\"status\":200,\"latency_ms\":3,\"cache_status\":\"HIT\",\"cache_enabled\":true}";
        let p = write(
            dir.path(),
            "r.ndjson",
            &format!("{good}\n\n{good}\n{{\"ts\":\"2026-11-1"),
        );
        let got = ingest(&[p], &request_log::SOURCE, everything(), i64::MAX, &Limits::default()).unwrap();
        assert_eq!((got.quality.rows_read, got.quality.rows_rejected), (3, 1));
        assert_eq!(got.quality.rejected_by_reason[reason::MALFORMED_ROW], 1);
        // Line 4: the blank line 2 is skipped but still counted in line numbers.
        assert_eq!(got.quality.examples[0].at, "line 4");
    }

    #[test]
    fn a_file_of_nothing_but_torn_lines_is_all_malformed_rows() {
        // Found by fuzzing: no line is a JSON object, so no column is known;
        // every line is a malformed row, and the file does not fail.
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "r.ndjson", "{\"ts\" :}\r[1,2]\rnull\r\"x\"\r");
        let got = ingest(&[p], &request_log::SOURCE, everything(), i64::MAX, &Limits::default()).unwrap();
        assert_eq!((got.quality.rows_read, got.quality.rows_rejected), (4, 4));
        assert_eq!(got.quality.rejected_by_reason[reason::MALFORMED_ROW], 4);
    }

    #[test]
    fn feedback_scores_out_of_range_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "f.csv",
            "ts,customer_id,score,comment\n2026-11-16T10:00:00Z,c1,5,\"Great, \"\"really\"\"\nfast\"\n2026-11-16T10:00:00Z,c1,0,\n2026-11-16T10:00:00Z,c1,6,\n2026-11-16T10:00:00Z,c1,4.5,\n2026-11-16T10:00:00Z,,4,\n",
        );
        let got = ingest(&[p], &feedback::SOURCE, everything(), i64::MAX, &Limits::default()).unwrap();
        let q = &got.quality;
        assert_eq!((q.rows_read, q.rows_rejected), (5, 4));
        assert_eq!(q.rejected_by_reason[reason::SCORE_OUT_OF_RANGE], 2);
        assert_eq!(q.rejected_by_reason[reason::INVALID_VALUE], 1);
        assert_eq!(q.rejected_by_reason[reason::MISSING_VALUE], 1);
        let comment = got
            .rows
            .column(COMMENT)
            .unwrap()
            .str()
            .unwrap()
            .get(0)
            .unwrap()
            .to_string();
        assert_eq!(comment, "Great, \"really\"\nfast");
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = resolve("/nowhere/requests.csv", "requests").unwrap_err().to_string();
        assert_eq!(err, "/nowhere/requests.csv: file not found");
        let err = resolve("/nowhere/*.csv", "requests").unwrap_err().to_string();
        assert_eq!(err, "requests: no file matches /nowhere/*.csv");
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "r.csv",
            "ts,customer_id,user_id,endpoint,status,cache_status,cache_enabled\n",
        );
        let err = ingest(
            std::slice::from_ref(&p),
            &request_log::SOURCE,
            everything(),
            i64::MAX,
            &Limits::default(),
        )
        .err()
        .unwrap()
        .to_string();
        assert_eq!(
            err,
            format!(
                "{}: required column `latency_ms` is missing (columns found: ts, customer_id, user_id, endpoint, status, cache_status, cache_enabled)",
                p.display()
            )
        );
    }

    #[test]
    fn one_glob_reads_several_formats_and_older_schemas() {
        let dir = tempfile::tempdir().unwrap();
        // Older CSV schema: no segment, no upstream_calls, upper-case headers, gzip.
        let csv = "TS,Customer_ID,user_id,endpoint,status,latency_ms,cache_status,cache_enabled\n\
                   2026-11-16T10:00:00+01:00,c1,u1,GET /x,200,10,hit,yes\n\
                   2026-11-16T10:00:00Z,c1,u2,GET /x,200,90,MISS,1\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(csv.as_bytes()).unwrap();
        std::fs::write(dir.path().join("day1.csv.gz"), gz.finish().unwrap()).unwrap();
        let nd = "{\"ts\":\"2026-11-17T10:00:00Z\",\"customer_id\":\"c2\",\"user_id\":\"u3\",\"segment\":\"b\",\"endpoint\":\"GET /x\",\"status\":503,\"latency_ms\":5.5,\"cache_status\":null,\"cache_enabled\":false,\"upstream_calls\":3}\n";
        std::fs::write(
            dir.path().join("day2.ndjson.zst"),
            zstd::encode_all(nd.as_bytes(), 3).unwrap(),
        )
        .unwrap();
        let mut df = df!(
            "ts" => [us("2026-11-18T10:00:00Z")],
            "customer_id" => ["c3"], "user_id" => ["u4"], "endpoint" => ["GET /y"],
            "status" => [200i32], "latency_ms" => [7.0f64], "cache_status" => ["STALE"],
            "cache_enabled" => [true], "upstream_calls" => [0i64],
        )
        .unwrap();
        df.with_column(
            df.column("ts")
                .unwrap()
                .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
                .unwrap()
                .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
                .unwrap(),
        )
        .unwrap();
        ParquetWriter::new(std::fs::File::create(dir.path().join("day3.parquet")).unwrap())
            .finish(&mut df)
            .unwrap();

        let pattern = format!("{}/day*", dir.path().display());
        let paths = resolve(&pattern, "requests").unwrap();
        assert_eq!(paths.len(), 3);
        let got = ingest(&paths, &request_log::SOURCE, everything(), i64::MAX, &Limits::default()).unwrap();
        assert_eq!(got.quality.rows_rejected, 0, "{:?}", got.quality.examples);
        let r = got.rows;
        assert_eq!(r.height(), 4);
        let ts: Vec<_> = r.column(TS).unwrap().i64().unwrap().iter().collect();
        // +01:00 is one hour earlier in UTC; the naive Parquet timestamp is UTC.
        assert_eq!(ts[0], Some(us("2026-11-16T09:00:00Z")));
        assert_eq!(ts[3], Some(us("2026-11-18T10:00:00Z")));
        // upstream_calls defaults: HIT → 0, MISS → 1; given values kept.
        let up: Vec<_> = r.column(UPSTREAM_CALLS).unwrap().i64().unwrap().iter().collect();
        assert_eq!(up, vec![Some(0), Some(1), Some(3), Some(0)]);
        let cs: Vec<_> = r.column(CACHE_STATUS).unwrap().i32().unwrap().iter().collect();
        let code = |s| Some(cache_code(s));
        assert_eq!(
            cs,
            vec![
                code(CacheStatus::Hit),
                code(CacheStatus::Miss),
                None,
                code(CacheStatus::Stale)
            ]
        );
        let on: Vec<_> = r.column(CACHE_ENABLED).unwrap().bool().unwrap().iter().collect();
        assert_eq!(on, vec![Some(true), Some(true), Some(false), Some(true)]);
        let seg: Vec<_> = r.column(SEGMENT).unwrap().str().unwrap().iter().collect();
        assert_eq!(seg, vec![None, None, Some("b"), None]);
    }

    /// Every input format of `InputFormat::ALL` reads the same rows to the
    /// same canonical values and rejects the same bad row. A format added to
    /// the enum must be written here: the match has no catch-all arm.
    #[test]
    fn every_input_format_reads_the_same_rows() {
        use crate::formats::InputFormat;
        let dir = tempfile::tempdir().unwrap();
        // Two good rows; the third has no status, so it is rejected
        // (missing_value) in every format.
        let ts = ["2026-11-16T10:00:00Z", "2026-11-16T11:00:00Z", "2026-11-16T12:00:00Z"];
        let status = [Some(200i64), Some(503), None];
        let latency = [12.5f64, 80.0, 5.0];
        let cache = ["HIT", "MISS", "HIT"];
        let enabled = [true, true, false];
        let mut seen = Vec::new();
        for format in InputFormat::ALL {
            let path = dir.path().join(format!("requests.{}", format.extension()));
            match format {
                InputFormat::Csv => {
                    let mut text = format!("{HEADER}\n");
                    for i in 0..3 {
                        let s = status[i].map(|s| s.to_string()).unwrap_or_default();
                        text += &format!(
                            "{},c{i},u{i},a,GET /x,{s},{},{},{},\n",
                            ts[i], latency[i], cache[i], enabled[i]
                        );
                    }
                    std::fs::write(&path, text).unwrap();
                }
                InputFormat::Ndjson => {
                    let mut text = String::new();
                    for i in 0..3 {
                        let row = serde_json::json!({
                            "ts": ts[i], "customer_id": format!("c{i}"), "user_id": format!("u{i}"),
                            "segment": "a", "endpoint": "GET /x", "status": status[i],
                            "latency_ms": latency[i], "cache_status": cache[i], "cache_enabled": enabled[i],
                        });
                        text += &format!("{row}\n");
                    }
                    std::fs::write(&path, text).unwrap();
                }
                InputFormat::Nginx => unreachable!("not in ALL: read by a log_format"),
                InputFormat::Parquet => {
                    let mut df = df!(
                        "ts" => ts.iter().map(|t| us(t)).collect::<Vec<_>>(),
                        "customer_id" => ["c0", "c1", "c2"], "user_id" => ["u0", "u1", "u2"],
                        "segment" => ["a"; 3], "endpoint" => ["GET /x"; 3],
                        "status" => status.to_vec(), "latency_ms" => latency.to_vec(),
                        "cache_status" => cache.to_vec(), "cache_enabled" => enabled.to_vec(),
                    )
                    .unwrap();
                    df.with_column(
                        df.column("ts")
                            .unwrap()
                            .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
                            .unwrap(),
                    )
                    .unwrap();
                    ParquetWriter::new(std::fs::File::create(&path).unwrap())
                        .finish(&mut df)
                        .unwrap();
                }
            }
            let got = ingest(
                &[path],
                &request_log::SOURCE,
                everything(),
                i64::MAX,
                &Limits::default(),
            )
            .unwrap();
            let r = got.rows;
            let col_i64 = |c: &str| r.column(c).unwrap().i64().unwrap().iter().collect::<Vec<_>>();
            let lat: Vec<_> = r.column(LATENCY_MS).unwrap().f64().unwrap().iter().collect();
            let user: Vec<_> = r
                .column(USER_ID)
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|u| u.map(String::from))
                .collect();
            seen.push((
                format,
                (col_i64(TS), col_i64(STATUS), col_i64(UPSTREAM_CALLS), lat, user),
                (
                    got.quality.rows_read,
                    got.quality.rows_rejected,
                    got.quality.rejected_by_reason,
                ),
            ));
        }
        // By hand: rows 0 and 1 kept (HIT → 0 origin calls, MISS → 1), row 2
        // rejected for its missing status.
        let (_, rows, quality) = &seen[0];
        assert_eq!(rows.0, vec![Some(us(ts[0])), Some(us(ts[1]))]);
        assert_eq!(rows.1, vec![Some(200), Some(503)]);
        assert_eq!(rows.2, vec![Some(0), Some(1)]);
        assert_eq!(rows.3, vec![Some(12.5), Some(80.0)]);
        assert_eq!((quality.0, quality.1), (3, 1));
        assert_eq!(quality.2.get("missing_value"), Some(&1), "{:?}", quality.2);
        for (format, r, q) in &seen[1..] {
            assert_eq!(r, rows, "{format:?}");
            assert_eq!(q, quality, "{format:?}");
        }
    }

    fn us(s: &str) -> i64 {
        parse_rfc3339_micros(s).unwrap()
    }

    #[test]
    fn sunday_evening_in_new_york_belongs_to_the_next_utc_week() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "r.csv",
            &format!("{HEADER}\n2026-11-22T23:30:00-05:00,c1,u1,a,GET /x,200,12.5,HIT,true,0\n"),
        );
        let got = ingest(&[p], &request_log::SOURCE, everything(), i64::MAX, &Limits::default()).unwrap();
        let ts = got.rows.column(TS).unwrap().i64().unwrap().get(0).unwrap();
        let w47 = crate::period::IsoWeek { year: 2026, week: 47 };
        let w48 = crate::period::IsoWeek { year: 2026, week: 48 };
        // 23:30 −05:00 on Sunday 22 is 04:30 UTC on Monday 23: week 48 in UTC…
        let (a, b) = w48.period(chrono_tz::UTC).micros();
        assert!(ts >= a && ts < b);
        // …but still week 47 in New York.
        let (a, b) = w47.period(chrono_tz::America::New_York).micros();
        assert!(ts >= a && ts < b);
    }

    #[test]
    fn customers_fill_missing_segments_else_general() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "c.csv",
            "customer_id,name,tier,seats,segment,annual_contract_value\nc1,Acme,enterprise,10,large_enterprise,1000\nc2,Beta,smb,2,,10\n",
        );
        let customers = customers::read(&p, &Limits::default()).unwrap();
        let rows =
            df!(CUSTOMER_ID => ["c1", "c2", "c3", "c1"], SEGMENT => [None, None, None, Some("internal_qa")]).unwrap();
        let out = customers::assign_segments(rows, Some(&customers)).unwrap();
        let seg: Vec<_> = out.column(SEGMENT).unwrap().str().unwrap().iter().collect();
        assert_eq!(
            seg,
            vec![
                Some("large_enterprise"),
                Some("general"),
                Some("general"),
                Some("internal_qa")
            ]
        );
    }
}
