//! `cacheroi inspect`: what the tool sees in request-log files — their
//! format and columns, the cache-status words and how they count, the first
//! rows and the totals after mapping, and the `[sources.requests_mapping]`
//! section that reads them (the configured one, else one guessed from the
//! column names). The first thing to run on one's own logs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use polars::prelude::*;
use serde::Serialize;

use super::mapping::{ColumnModel, Mapping, MappingModel, SpecModel};
use crate::formats::nginx::{self, LogFormat};
use crate::formats::{FileKind, Limits, RawFile, Wanted};
use crate::frames::*;

/// Column names each canonical column is guessed from, most likely first.
const GUESSES: [(&str, &[&str]); 9] = [
    (
        TS,
        &[
            "ts",
            "time_iso8601",
            "time_local",
            "timestamp",
            "@timestamp",
            "time",
            "datetime",
        ],
    ),
    (
        CUSTOMER_ID,
        &[
            "customer_id",
            "http_x_customer_id",
            "customer",
            "tenant_id",
            "account_id",
            "tenant",
            "account",
            "org_id",
        ],
    ),
    (USER_ID, &["user_id", "http_x_user_id", "user", "uid", "remote_user"]),
    (SEGMENT, &["segment"]),
    (
        ENDPOINT,
        &["endpoint", "route", "request", "path", "request_uri", "uri", "url"],
    ),
    (
        STATUS,
        &["status", "status_code", "http_status", "response_code", "code"],
    ),
    (
        LATENCY_MS,
        &[
            "latency_ms",
            "duration_ms",
            "request_time",
            "response_time",
            "upstream_response_time",
            "latency",
            "duration",
            "rt",
        ],
    ),
    (
        CACHE_STATUS,
        &[
            "cache_status",
            "upstream_cache_status",
            "x_cache",
            "http_x_cache",
            "sent_http_x_cache",
            "cache_result",
            "cache",
        ],
    ),
    (CACHE_ENABLED, &["cache_enabled", "use_redis_cache", "cache_flag"]),
];

/// One file as read.
#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    pub path: String,
    /// "csv", "ndjson", "parquet", "nginx (combined_cache)", …
    pub format: String,
    pub columns: Vec<String>,
    pub records: usize,
    /// Lines that are no row (an nginx line off the layout): count and the
    /// first few with their reason.
    pub malformed: usize,
    pub malformed_examples: Vec<String>,
}

/// What `inspect` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    pub files: Vec<FileView>,
    /// Whether the mapping is the configured one or guessed.
    pub mapping_from: &'static str,
    /// The cache-status column and its words: (word, rows, counts as).
    pub status_column: Option<String>,
    pub status_words: Vec<(String, u64, String)>,
    /// The first rows after mapping, canonical columns as text.
    pub first_rows: Vec<BTreeMap<String, String>>,
    pub totals: Totals,
    /// The config section that reads these files.
    pub suggestion: String,
    /// Why the totals could not be counted (a required column the mapping
    /// does not find), if so.
    pub problem: Option<String>,
}

/// Every file's rows after mapping, counted like the reports count them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub rows: u64,
    pub valid: u64,
    pub rejected: BTreeMap<String, u64>,
    /// Valid rows by canonical cache status ("" for none).
    pub cache_status: BTreeMap<String, u64>,
    pub server_errors: u64,
    /// Σ origin calls (defaults applied: 0 for HIT and STALE, else 1).
    pub origin_calls: u64,
    pub with_cache: u64,
    /// The first and last valid row's time stamp and the first cache hit's
    /// (HIT or STALE), epoch microseconds: what `init` guesses dates from.
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    pub first_hit_ts: Option<i64>,
    /// The UTC offsets (seconds) the raw timestamps carry, with how many
    /// rows carry each: what `init` guesses the time zone from.
    pub offsets: BTreeMap<i32, u64>,
}

/// How to read a file: as the mapping says, by its extension, or — a name
/// nginx gives its logs (`access.log.2.gz`) — by sniffing its first line.
fn layout(
    path: &Path,
    mapping: Option<&Mapping>,
    given: Option<&(String, LogFormat)>,
    limits: &Limits,
) -> Result<Option<(String, LogFormat)>> {
    if let Some(given) = given {
        return Ok(Some(given.clone()));
    }
    if let Some(f) = mapping.and_then(|m| m.nginx.clone()) {
        return Ok(Some(("from the config".into(), f)));
    }
    if FileKind::detect(path).is_ok() {
        return Ok(None);
    }
    let mut first = String::new();
    let input = crate::formats::text::open(path, crate::formats::FileKind::compression_of(path), limits)?;
    crate::formats::text::for_each_line(path, std::io::Read::take(input, 1 << 20), limits, |_, line| {
        if first.is_empty() {
            first = String::from_utf8_lossy(line).into_owned();
        }
    })?;
    for preset in ["combined_cache", "combined"] {
        let f = nginx::compile(preset).map_err(anyhow::Error::msg)?;
        if f.parse(&first).is_ok() {
            return Ok(Some((preset.into(), f)));
        }
    }
    if first.trim_start().starts_with('{') {
        let mut f = nginx::compile("$x").map_err(anyhow::Error::msg)?;
        f.json = true;
        return Ok(Some(("escape=json".into(), f)));
    }
    anyhow::bail!(
        "{}: not CSV, NDJSON or Parquet by its name, and its first line is no nginx `combined` line: \
         pass --log-format '…' (the log_format line of nginx.conf)",
        path.display()
    )
}

/// Every name a file may use, static: the guesses and the mapping's sources.
fn wanted(mapping: Option<&Mapping>, extra: &[String]) -> Wanted {
    let mut names: Vec<&'static str> = GUESSES
        .iter()
        .flat_map(|(c, g)| std::iter::once(*c).chain(g.iter().copied()))
        .collect();
    names.push(UPSTREAM_CALLS);
    if let Some(m) = mapping {
        names.extend(m.wanted(&super::request_log::SOURCE.wanted()).names);
    }
    for e in extra {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(e)) {
            names.push(Box::leak(e.to_ascii_lowercase().into_boxed_str()));
        }
    }
    names.sort_unstable();
    names.dedup();
    Wanted {
        names,
        free_text: Vec::new(),
    }
}

/// The mapping guessed from the columns a file has.
pub fn guess(columns: &[String], log_format: Option<&str>, latency_in_seconds: bool) -> (MappingModel, String) {
    let has = |n: &str| columns.iter().any(|c| c.eq_ignore_ascii_case(n));
    let pick = |canonical: &str| {
        GUESSES
            .iter()
            .find(|(c, _)| *c == canonical)
            .and_then(|(_, g)| g.iter().find(|n| has(n)).copied())
    };
    let mut m = MappingModel::default();
    let mut lines = vec!["[sources.requests_mapping]".to_string()];
    if let Some(f) = log_format {
        m.format = Some("nginx".into());
        m.log_format = Some(f.to_string());
        lines.push("format = \"nginx\"".into());
        lines.push(format!("log_format = {}", toml_string(f)));
    }
    let mut missing = Vec::new();
    for (canonical, _) in GUESSES {
        let Some(src) = pick(canonical) else {
            if canonical != SEGMENT && canonical != CACHE_ENABLED {
                missing.push(canonical);
            }
            continue;
        };
        lines.push(set_column(&mut m, canonical, src, latency_in_seconds));
    }
    if m.cache_enabled.is_none() {
        m.cache_enabled = Some(ColumnModel::Spec(SpecModel {
            from_cache_status: Some(true),
            ..Default::default()
        }));
        lines.push("cache_enabled = { from_cache_status = true }   # a cache lookup: HIT, STALE, MISS, ERROR".into());
    }
    if !has(UPSTREAM_CALLS) {
        lines.push("# upstream_calls: from the cache status (HIT, STALE → 0; else 1)".into());
    }
    for c in missing.iter() {
        lines.push(format!("# {c}: no column looks like it — name yours: {c} = \"…\""));
    }
    // Canonical files need no section at all.
    let identity = log_format.is_none()
        && missing.is_empty()
        && has(UPSTREAM_CALLS)
        && GUESSES
            .iter()
            .filter(|(c, _)| *c != SEGMENT)
            .all(|(c, _)| pick(c) == Some(*c) || (*c == LATENCY_MS && pick(c) == Some(LATENCY_MS)));
    if identity {
        return (
            m,
            "# The files have the canonical columns: no [sources.requests_mapping] is needed.".into(),
        );
    }
    (m, lines.join("\n"))
}

/// Read `canonical` from the file's column `src`; the line that says so.
fn set_column(m: &mut MappingModel, canonical: &str, src: &str, latency_in_seconds: bool) -> String {
    if canonical == LATENCY_MS {
        let unit = if src.ends_with("_ms") || !latency_in_seconds {
            "ms"
        } else {
            "s"
        };
        m.latency = Some(ColumnModel::Spec(SpecModel {
            column: Some(src.into()),
            unit: Some(unit.into()),
            ..Default::default()
        }));
        return format!("latency = {{ column = \"{src}\", unit = \"{unit}\" }}");
    }
    let slot = match canonical {
        TS => &mut m.ts,
        CUSTOMER_ID => &mut m.customer_id,
        USER_ID => &mut m.user_id,
        SEGMENT => &mut m.segment,
        ENDPOINT => &mut m.endpoint,
        STATUS => &mut m.status,
        CACHE_STATUS => &mut m.cache_status,
        _ => &mut m.cache_enabled,
    };
    *slot = Some(ColumnModel::Name(src.to_string()));
    format!("{canonical} = \"{src}\"")
}

/// A TOML key: bare when it can be, else quoted.
fn toml_key(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn toml_string(s: &str) -> String {
    if !s.contains('\'') && !s.contains('\n') {
        format!("'{s}'")
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The files as read, before any mapping: what the guesses look at.
struct Seen {
    files: Vec<FileView>,
    /// Read once: these columns hold every source the mapping may name.
    raws: Vec<RawFile>,
    /// Every column name, in the order first met.
    found: Vec<String>,
    /// The nginx preset the first sniffed file matched.
    preset: Option<String>,
    /// A file of JSON lines under another name (nginx's escape=json log).
    json_lines: bool,
    /// Values of the first latency-like column, as text.
    latency_sample: Vec<String>,
    /// The words of every column that may be the cache status, raw.
    candidate_words: BTreeMap<String, BTreeMap<String, u64>>,
}

/// Inspect `paths` with the configured mapping (or a guessed one).
/// `log_format`: (its text, compiled) from `--log-format`, which reads the
/// files whatever the config says.
pub fn inspect(
    paths: &[PathBuf],
    configured: Option<&Mapping>,
    log_format: Option<(String, LogFormat)>,
    limits: &Limits,
) -> Result<Inspection> {
    let mut seen = Seen {
        files: Vec::new(),
        raws: Vec::new(),
        found: Vec::new(),
        preset: None,
        json_lines: false,
        latency_sample: Vec::new(),
        candidate_words: BTreeMap::new(),
    };
    for path in paths {
        seen.read(path, configured, log_format.as_ref(), limits)?;
    }
    let (model, mut suggestion) = suggest(&seen)?;
    let guessed;
    let (mapping, mapping_from) = match configured {
        Some(m) => (m, "config"),
        None => {
            guessed = Mapping::new(&model).map_err(anyhow::Error::msg)?;
            (&guessed, "guessed from the column names")
        }
    };
    if configured.is_some() {
        suggestion = "(the configured [sources.requests_mapping] reads these files)".into();
    }
    let status_column = mapping_source(mapping, CACHE_STATUS, &seen.found);
    let mut words: BTreeMap<String, u64> = BTreeMap::new();
    let mut totals = Totals::default();
    let mut first_rows = Vec::new();
    let mut problem = None;
    for raw in seen.raws {
        if let Some(column) = &status_column {
            count_words(&raw, column, &mut words)?;
        }
        count_offsets(&raw, mapping, &seen.found, &mut totals.offsets)?;
        let mapped = mapping.apply(raw)?;
        let norm = match super::request_log::normalize(&mapped) {
            Ok(n) => n,
            Err(e) => {
                problem = Some(format!("{e:#}: name it in the mapping"));
                break;
            }
        };
        totals.add(norm, &mut first_rows)?;
    }
    let status_words = words
        .into_iter()
        .map(|(w, n)| {
            let to = mapping.word((!w.is_empty()).then_some(w.as_str()));
            let counts = match to.as_deref() {
                None => "no cache lookup".to_string(),
                Some(t) if CACHE_STATUSES.contains(&t) => t.to_string(),
                Some(_) => "unknown: rejected as unknown_cache_status (map it in values)".to_string(),
            };
            (w, n, counts)
        })
        .collect();
    Ok(Inspection {
        files: seen.files,
        mapping_from,
        status_column,
        status_words,
        first_rows,
        totals,
        suggestion,
        problem,
    })
}

impl Seen {
    /// Read one file as it is laid out and note what it shows.
    fn read(
        &mut self,
        path: &Path,
        configured: Option<&Mapping>,
        log_format: Option<&(String, LogFormat)>,
        limits: &Limits,
    ) -> Result<()> {
        let how = layout(path, configured, log_format, limits)?;
        let extra = how.as_ref().map(|(_, f)| f.variables()).unwrap_or_default();
        let want = wanted(configured, &extra);
        let raw = match &how {
            Some((_, f)) => RawFile::open_nginx(path, f, &want, limits)?,
            None => RawFile::open(path, &want, limits)?,
        };
        let names: Vec<String> = raw
            .column_names()
            .split(", ")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        for n in &names {
            if !self.found.contains(n) {
                self.found.push(n.clone());
            }
        }
        self.json_lines |= how.as_ref().is_some_and(|(p, _)| p == "escape=json");
        if self.preset.is_none() {
            self.preset = how
                .as_ref()
                .and_then(|(p, _)| (p != "from the config" && p != "escape=json").then(|| p.clone()));
        }
        let df = raw.frame.clone().collect()?;
        let (malformed, malformed_examples) = malformed_lines(&df)?;
        self.note_values(&df)?;
        self.files.push(FileView {
            path: path.display().to_string(),
            format: match &how {
                Some((p, f)) if f.json => format!("nginx JSON lines ({p})"),
                Some((p, _)) => format!("nginx ({p})"),
                None => raw.kind.format.extension().to_string(),
            },
            columns: names,
            records: raw.height,
            malformed,
            malformed_examples,
        });
        self.raws.push(raw);
        Ok(())
    }

    /// The raw words of the columns that may be the cache status, and a
    /// sample of the first latency-like column.
    fn note_values(&mut self, df: &DataFrame) -> Result<()> {
        let status_names = GUESSES
            .iter()
            .find(|(c, _)| *c == CACHE_STATUS)
            .map_or(&[][..], |(_, g)| *g);
        for name in status_names {
            if let Ok(c) = df.column(name) {
                let c = c.cast(&DataType::String)?;
                let words = self.candidate_words.entry((*name).to_string()).or_default();
                for v in c.str()?.iter().flatten() {
                    *words.entry(v.to_string()).or_default() += 1;
                }
            }
        }
        if let Some(c) = ["request_time", "latency", "duration", "response_time", "rt"]
            .iter()
            .find_map(|n| df.column(n).ok())
            .and_then(|c| c.cast(&DataType::String).ok())
        {
            self.latency_sample
                .extend(c.str()?.iter().flatten().take(200).map(str::to_string));
        }
        Ok(())
    }

    /// Latency in seconds? nginx's request_time is; a median below 30
    /// with decimals on a column not named *_ms suggests so too.
    fn latency_in_seconds(&self) -> bool {
        let mut v: Vec<f64> = self.latency_sample.iter().filter_map(|s| s.parse().ok()).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).is_some_and(|m| *m < 30.0) && self.latency_sample.iter().any(|s| s.contains('.'))
    }
}

/// How many lines of a file are no row, and the first three with their
/// reason.
fn malformed_lines(df: &DataFrame) -> Result<(usize, Vec<String>)> {
    let malformed = df
        .column(crate::formats::MALFORMED)
        .ok()
        .and_then(|c| c.bool().ok().map(|b| b.sum().unwrap_or(0) as usize))
        .unwrap_or(0);
    let examples = match (
        df.column(crate::formats::MALFORMED),
        df.column(crate::formats::WHY),
        df.column(crate::formats::LINE),
    ) {
        (Ok(m), Ok(w), Ok(l)) => {
            let (m, w) = (m.bool()?, w.str()?);
            let l = l.cast(&DataType::UInt64)?;
            let l = l.u64()?;
            (0..df.height())
                .filter(|i| m.get(*i) == Some(true))
                .take(3)
                .map(|i| format!("line {}: {}", l.get(i).unwrap_or(0), w.get(i).unwrap_or_default()))
                .collect()
        }
        _ => Vec::new(),
    };
    Ok((malformed, examples))
}

/// The mapping guessed from what the files show, and the section that
/// says it.
fn suggest(seen: &Seen) -> Result<(MappingModel, String)> {
    let (mut model, mut suggestion) = guess(&seen.found, seen.preset.as_deref(), seen.latency_in_seconds());
    if seen.json_lines && seen.preset.is_none() {
        model.format = Some("ndjson".into());
        suggestion = suggestion.replacen(
            "[sources.requests_mapping]\n",
            "[sources.requests_mapping]\nformat = \"ndjson\"              # JSON lines, whatever the files are called\n",
            1,
        );
    }
    // Words of the guessed status column that name a canonical status
    // inside them (TCP_HIT, cache-miss) are suggested as values.
    let Some(ColumnModel::Name(col)) = model.cache_status.clone() else {
        return Ok((model, suggestion));
    };
    let words = seen.candidate_words.get(&col).cloned().unwrap_or_default();
    let probe = Mapping::new(&MappingModel::default()).map_err(anyhow::Error::msg)?;
    let mut values = BTreeMap::new();
    for w in words.keys() {
        let known = probe
            .word(Some(w))
            .is_some_and(|t| CACHE_STATUSES.contains(&t.as_str()));
        let upper = w.to_ascii_uppercase();
        if let (false, Some(to)) = (known, CACHE_STATUSES.iter().find(|s| upper.contains(*s))) {
            values.insert(w.clone(), (*to).to_string());
        }
    }
    if !values.is_empty() {
        let listed: Vec<String> = values
            .iter()
            .map(|(k, v)| format!("{} = \"{v}\"", toml_key(k)))
            .collect();
        suggestion = suggestion.replace(
            &format!("cache_status = \"{col}\""),
            &format!(
                "cache_status = {{ column = \"{col}\", values = {{ {} }} }}",
                listed.join(", ")
            ),
        );
        model.cache_status = Some(ColumnModel::Spec(SpecModel {
            column: Some(col),
            values: Some(values),
            ..Default::default()
        }));
    }
    Ok((model, suggestion))
}

/// Count the raw words of the cache-status column `column`; lines off the
/// layout are no rows, so their status is no word.
fn count_words(raw: &RawFile, column: &str, words: &mut BTreeMap<String, u64>) -> Result<()> {
    let df = raw.frame.clone().collect()?;
    let Ok(c) = df.column(column) else {
        return Ok(());
    };
    let c = c.cast(&DataType::String)?;
    let bad = df
        .column(crate::formats::MALFORMED)
        .ok()
        .and_then(|m| m.bool().ok().cloned());
    for (i, v) in c.str()?.iter().enumerate() {
        if bad.as_ref().is_some_and(|b| b.get(i) == Some(true)) {
            continue;
        }
        *words.entry(v.unwrap_or("").to_string()).or_default() += 1;
    }
    Ok(())
}

/// The canonical columns a first row shows.
const SHOWN: [&str; 9] = [
    TS,
    CUSTOMER_ID,
    USER_ID,
    ENDPOINT,
    STATUS,
    LATENCY_MS,
    CACHE_STATUS,
    CACHE_ENABLED,
    UPSTREAM_CALLS,
];

impl Totals {
    /// Count one file's rows after mapping, like the reports count them,
    /// and keep its first rows while fewer than five are kept.
    fn add(&mut self, norm: super::Normalized, first_rows: &mut Vec<BTreeMap<String, String>>) -> Result<()> {
        let df = norm.frame.collect()?;
        let rule = df.column(RULE)?.i32()?.clone();
        self.rows += df.height() as u64;
        for r in rule.iter().flatten() {
            let reason = norm.rules.get(r as usize).map_or("unknown", |x| x.0);
            *self.rejected.entry(reason.to_string()).or_default() += 1;
        }
        let status = df.column(STATUS)?.i64()?;
        let cache = df.column(CACHE_STATUS)?.i32()?;
        let enabled = df.column(CACHE_ENABLED)?.bool()?;
        let upstream = df.column(UPSTREAM_CALLS)?.i64()?;
        let ts = df.column(TS)?.i64()?;
        for i in 0..df.height() {
            if rule.get(i).is_some() {
                continue;
            }
            self.valid += 1;
            let word = cache
                .get(i)
                .and_then(|c| CACHE_STATUSES.get((c - 1) as usize))
                .map_or("", |w| w);
            if let Some(t) = ts.get(i) {
                self.first_ts = Some(self.first_ts.map_or(t, |f| f.min(t)));
                self.last_ts = Some(self.last_ts.map_or(t, |l| l.max(t)));
                if word == "HIT" || word == "STALE" {
                    self.first_hit_ts = Some(self.first_hit_ts.map_or(t, |f| f.min(t)));
                }
            }
            *self.cache_status.entry(word.to_string()).or_default() += 1;
            self.server_errors += u64::from(status.get(i).is_some_and(|s| s >= 500));
            self.origin_calls += upstream.get(i).unwrap_or(0).max(0) as u64;
            self.with_cache += u64::from(enabled.get(i) == Some(true));
            if first_rows.len() < 5 {
                first_rows.push(shown_row(&df, i, word)?);
            }
        }
        Ok(())
    }
}

/// Row `i` of a mapped frame, its canonical columns as text.
fn shown_row(df: &DataFrame, i: usize, word: &str) -> Result<BTreeMap<String, String>> {
    let mut row = BTreeMap::new();
    for name in SHOWN {
        let v = df.column(name)?.get(i)?;
        let shown = match name {
            TS => v
                .extract::<i64>()
                .and_then(chrono::DateTime::from_timestamp_micros)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
                .unwrap_or_default(),
            CACHE_STATUS => word.to_string(),
            _ => v.to_string().trim_matches('"').to_string(),
        };
        row.insert(name.to_string(), shown);
    }
    Ok(row)
}

/// Count the UTC offsets of a raw file's timestamps (text only).
fn count_offsets(raw: &RawFile, mapping: &Mapping, found: &[String], offsets: &mut BTreeMap<i32, u64>) -> Result<()> {
    let Some(src) = mapping_source(mapping, TS, found) else {
        return Ok(());
    };
    let df = raw.frame.clone().collect()?;
    let Some(c) = df.columns().iter().find(|c| c.name().eq_ignore_ascii_case(&src)) else {
        return Ok(());
    };
    let Ok(text) = c.str() else { return Ok(()) };
    for t in text.iter().flatten() {
        if let Some(o) = mapping.offset_of(t) {
            *offsets.entry(o).or_default() += 1;
        }
    }
    Ok(())
}

/// The file column a canonical one is read from under `m`, if the files
/// have it.
fn mapping_source(m: &Mapping, canonical: &str, found: &[String]) -> Option<String> {
    let src = m.source_of(canonical);
    found.iter().any(|f| f.eq_ignore_ascii_case(&src)).then_some(src)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_give_the_mapping_an_nginx_log_needs() {
        let cols: Vec<String> = nginx::compile("combined_cache").unwrap().variables();
        let (m, text) = guess(&cols, Some("combined_cache"), true);
        assert_eq!(m.ts, Some(ColumnModel::Name("time_local".into())));
        assert_eq!(m.customer_id, Some(ColumnModel::Name("http_x_customer_id".into())));
        assert_eq!(m.endpoint, Some(ColumnModel::Name("request".into())));
        assert_eq!(m.cache_status, Some(ColumnModel::Name("upstream_cache_status".into())));
        assert!(
            text.contains("latency = { column = \"request_time\", unit = \"s\" }"),
            "{text}"
        );
        assert!(text.contains("cache_enabled = { from_cache_status = true }"), "{text}");
        // The suggestion is a valid mapping.
        let parsed: MappingModel = toml::from_str(text.trim_start_matches("[sources.requests_mapping]\n")).unwrap();
        assert_eq!(parsed.ts, m.ts);
        Mapping::new(&parsed).unwrap();
        // Canonical CSV columns need no renaming and nothing is missing.
        let canonical: Vec<String> = [
            "ts",
            "customer_id",
            "user_id",
            "endpoint",
            "status",
            "latency_ms",
            "cache_status",
            "cache_enabled",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (_, text) = guess(&canonical, None, false);
        assert!(!text.contains("no column looks like it"), "{text}");
        assert!(
            text.contains("latency = { column = \"latency_ms\", unit = \"ms\" }"),
            "{text}"
        );
    }
}
