//! Request logs as they are (`[sources.requests_mapping]`, docs/inputs.md
//! "Mapping your own logs"): which of a file's columns holds each canonical
//! column, and how its values become canonical ones — timestamps in another
//! layout, latencies in seconds, the request line as the endpoint, other
//! cache-status words, the cache flag and origin calls derived from the
//! cache status, or a constant. Applied to the raw text right after reading,
//! before the normaliser checks anything, so every bad value is still
//! counted by reason with its line.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use polars::prelude::*;
use serde::Deserialize;

use crate::formats::nginx::LogFormat;
use crate::formats::{LINE, MALFORMED, ROW, RawFile, WHY, Wanted};
use crate::frames::*;

/// `[sources.feedback_mapping]` as written: the file's columns for the
/// feedback's canonical ones, and a timestamp layout.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackModel {
    pub ts: Option<ColumnModel>,
    pub customer_id: Option<ColumnModel>,
    pub user_id: Option<ColumnModel>,
    pub score: Option<ColumnModel>,
    pub comment: Option<ColumnModel>,
    pub segment: Option<ColumnModel>,
    /// The scale the scores are on: `1-5` (default), `1-10`, `0-10`.
    pub scale: Option<String>,
}

/// A validated feedback mapping: renames, a timestamp layout and the
/// scores' scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Renames {
    columns: Vec<(&'static str, String)>,
    ts_format: Option<String>,
    pub scale: crate::ground::score::Scale,
    names: Vec<&'static str>,
    free_text: Vec<&'static str>,
}

impl Renames {
    pub fn new(m: &FeedbackModel) -> Result<Renames, String> {
        let mut columns = Vec::new();
        let mut ts_format = None;
        for (canonical, model) in [
            (TS, &m.ts),
            (CUSTOMER_ID, &m.customer_id),
            (USER_ID, &m.user_id),
            (SCORE, &m.score),
            (COMMENT, &m.comment),
            (SEGMENT, &m.segment),
        ] {
            let Some(s) = spec_of(model) else { continue };
            if s.unit.is_some() || s.values.is_some() || s.from_cache_status.is_some() || s.constant.is_some() {
                return Err(format!(
                    "{canonical}: only `column` (and `format` for ts) apply to feedback"
                ));
            }
            if s.format.is_some() && canonical != TS {
                return Err(format!("{canonical}: `format` applies to ts only"));
            }
            if canonical == TS {
                ts_format = s.format.clone();
            }
            let col = s
                .column
                .filter(|c| !c.trim().is_empty())
                .ok_or_else(|| format!("{canonical}: needs a column"))?;
            columns.push((canonical, col.trim().to_ascii_lowercase()));
        }
        let source = |c: &str| {
            columns
                .iter()
                .find(|(k, _)| *k == c)
                .map_or_else(|| c.to_string(), |(_, s)| s.clone())
        };
        let leak = |n: String| -> &'static str { Box::leak(n.into_boxed_str()) };
        let names = super::feedback::COLUMNS.iter().map(|c| leak(source(c.name))).collect();
        let free_text = vec![leak(source(COMMENT))];
        let scale = match &m.scale {
            Some(text) => crate::ground::score::Scale::parse(text)?,
            None => crate::ground::score::Scale::default(),
        };
        Ok(Renames {
            columns,
            ts_format,
            scale,
            names,
            free_text,
        })
    }

    /// The file's columns to read.
    pub fn wanted(&self) -> Wanted {
        Wanted {
            names: self.names.clone(),
            free_text: self.free_text.clone(),
        }
    }

    /// The file's columns under their canonical names, timestamps read with
    /// the layout.
    pub fn apply(&self, raw: RawFile) -> Result<RawFile> {
        let df = raw.frame.clone().collect()?;
        let mut out: Vec<Column> = Vec::new();
        for name in df.get_column_names() {
            let canonical = self
                .columns
                .iter()
                .find(|(_, s)| s.as_str() == name.as_str())
                .map(|(c, _)| *c);
            let c = df.column(name)?;
            out.push(match canonical {
                Some(TS) if self.ts_format.is_some() && c.dtype() == &DataType::String => {
                    let f = self.ts_format.clone().unwrap_or_default();
                    Column::new(
                        TS.into(),
                        c.str()?
                            .iter()
                            .map(|v| v.map(|t| parse_with(t.trim(), &f).unwrap_or_else(|| t.to_string())))
                            .collect::<Vec<_>>(),
                    )
                }
                Some(canon) => c.clone().with_name(canon.into()),
                None => c.clone(),
            });
        }
        let n = df.height();
        Ok(raw.replaced(DataFrame::new(n, out)?))
    }
}

/// nginx's `$time_local`.
pub const TIME_LOCAL: &str = "%d/%b/%Y:%H:%M:%S %z";

/// How nginx's `$upstream_cache_status` words count (docs/inputs.md):
/// EXPIRED fetched a fresh answer from the origin (a miss); UPDATING served
/// the stale entry while another request updates it (stale); REVALIDATED
/// asked the origin with a conditional request and got 304 — an origin call,
/// so it counts as a miss: counting it a hit would claim calls avoided that
/// were made. An empty status (the request never reached a cache) stays
/// empty: not a cache lookup.
pub const NGINX_WORDS: [(&str, &str); 3] = [("EXPIRED", "MISS"), ("UPDATING", "STALE"), ("REVALIDATED", "MISS")];

/// A canonical column's source as written in the config: a column name, or
/// a table with options.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum ColumnModel {
    Name(String),
    Spec(SpecModel),
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecModel {
    pub column: Option<String>,
    /// Latency: `ms` (default) or `s`.
    pub unit: Option<String>,
    /// Timestamp: a strftime layout (`%d/%b/%Y:%H:%M:%S %z`); without `%z`
    /// the time is UTC.
    pub format: Option<String>,
    /// Cache status: the file's words → HIT, STALE, MISS, BYPASS, ERROR
    /// (`""` for an empty status).
    pub values: Option<BTreeMap<String, String>>,
    /// Cache flag or origin calls from the cache status.
    pub from_cache_status: Option<bool>,
    /// Cache flag: the same for every row.
    pub constant: Option<bool>,
}

/// `[sources.requests_mapping]` as written.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingModel {
    /// `nginx` to read access logs (with `log_format`); else by extension.
    pub format: Option<String>,
    /// A `log_format` (as in nginx.conf) or a preset: `combined`, `combined_cache`.
    pub log_format: Option<String>,
    pub ts: Option<ColumnModel>,
    pub customer_id: Option<ColumnModel>,
    pub user_id: Option<ColumnModel>,
    pub segment: Option<ColumnModel>,
    pub endpoint: Option<ColumnModel>,
    pub status: Option<ColumnModel>,
    pub latency: Option<ColumnModel>,
    pub cache_status: Option<ColumnModel>,
    pub cache_enabled: Option<ColumnModel>,
    pub upstream_calls: Option<ColumnModel>,
}

/// Where the cache flag comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Flag {
    Column(String),
    /// On for a cache lookup (HIT, STALE, MISS, ERROR), off for BYPASS and
    /// an empty status.
    FromCacheStatus,
    Constant(bool),
}

/// A validated mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// Read the files as nginx access logs of this layout.
    pub nginx: Option<LogFormat>,
    /// canonical column → source column (lower case), for plain renames.
    columns: Vec<(&'static str, String)>,
    ts_format: Option<String>,
    latency_factor: f64,
    /// Upper-case word → canonical word; `""` for an empty status.
    words: BTreeMap<String, String>,
    flag: Option<Flag>,
    /// Origin calls left to the default (0 for HIT/STALE, else 1).
    upstream_from_status: bool,
    /// The endpoint is a request line ("GET /x?y=1 HTTP/1.1" → "GET /x").
    request_line: bool,
    /// The source columns to read (made once: `Wanted` names are static).
    wanted: Vec<&'static str>,
    /// What the mapping was made from (for the rollups' marker).
    pub text: String,
}

fn spec_of(m: &Option<ColumnModel>) -> Option<SpecModel> {
    match m {
        None => None,
        Some(ColumnModel::Name(n)) => Some(SpecModel {
            column: Some(n.clone()),
            ..Default::default()
        }),
        Some(ColumnModel::Spec(s)) => Some(s.clone()),
    }
}

/// A column of `df` as text, None when there is none.
fn text_of(df: &DataFrame, name: &str) -> Option<Vec<Option<String>>> {
    let c = df.column(name).ok()?;
    let s = c.cast(&DataType::String).ok()?;
    Some(s.str().ok()?.iter().map(|v| v.map(str::to_string)).collect())
}

/// How the files are laid out: an nginx log format, JSON lines whatever
/// the name, or None (by extension).
fn layout_of(m: &MappingModel) -> Result<Option<LogFormat>, String> {
    Ok(match (m.format.as_deref(), &m.log_format) {
        (Some("nginx"), Some(f)) => Some(crate::formats::nginx::compile(f).map_err(|e| format!("log_format: {e}"))?),
        (Some("nginx"), None) => {
            return Err("format = \"nginx\" needs log_format (copied from nginx.conf, or \"combined_cache\")".into());
        }
        (None, Some(f)) => Some(crate::formats::nginx::compile(f).map_err(|e| format!("log_format: {e}"))?),
        // JSON lines whatever the file is called (nginx `escape=json`
        // logs are named access.log): read as nginx's JSON lines are.
        (Some("ndjson"), None) => {
            let mut f = crate::formats::nginx::compile("$x").map_err(|e| format!("format: {e}"))?;
            f.json = true;
            Some(f)
        }
        (Some("csv" | "parquet"), None) | (None, None) => None,
        (Some(other), _) => return Err(format!("format: `{other}` is not csv, ndjson, parquet or nginx")),
    })
}

/// An error when `s` sets an option that `key` does not take.
fn only(key: &str, s: &SpecModel, allowed: &[&str]) -> Result<(), String> {
    let used = [
        ("unit", s.unit.is_some()),
        ("format", s.format.is_some()),
        ("values", s.values.is_some()),
        ("from_cache_status", s.from_cache_status.is_some()),
        ("constant", s.constant.is_some()),
    ];
    match used.iter().find(|(k, on)| *on && !allowed.contains(k)) {
        Some((k, _)) => Err(format!("{key}: `{k}` does not apply here")),
        None => Ok(()),
    }
}

impl Mapping {
    /// Validate a mapping; errors name the key.
    pub fn new(m: &MappingModel) -> Result<Mapping, String> {
        let mut mapping = Mapping {
            nginx: layout_of(m)?,
            columns: Vec::new(),
            ts_format: None,
            latency_factor: 1.0,
            words: NGINX_WORDS
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            flag: None,
            upstream_from_status: false,
            request_line: false,
            wanted: Vec::new(),
            text: format!("{m:?}"),
        };
        let entries: [(&'static str, &Option<ColumnModel>); 10] = [
            (TS, &m.ts),
            (CUSTOMER_ID, &m.customer_id),
            (USER_ID, &m.user_id),
            (SEGMENT, &m.segment),
            (ENDPOINT, &m.endpoint),
            (STATUS, &m.status),
            (LATENCY_MS, &m.latency),
            (CACHE_STATUS, &m.cache_status),
            (CACHE_ENABLED, &m.cache_enabled),
            (UPSTREAM_CALLS, &m.upstream_calls),
        ];
        for (canonical, model) in entries {
            if let Some(s) = spec_of(model) {
                mapping.take(canonical, &s)?;
            }
        }
        mapping.wanted = mapping.wanted_names();
        Ok(mapping)
    }

    /// Take one canonical column's source and options.
    fn take(&mut self, canonical: &'static str, s: &SpecModel) -> Result<(), String> {
        let key = if canonical == LATENCY_MS { "latency" } else { canonical };
        match canonical {
            TS => {
                only(key, s, &["format"])?;
                self.ts_format = s.format.clone();
            }
            LATENCY_MS => {
                only(key, s, &["unit"])?;
                self.latency_factor = match s.unit.as_deref() {
                    None | Some("ms") => 1.0,
                    Some("s") => 1000.0,
                    Some("us" | "µs") => 0.001,
                    Some(u) => return Err(format!("latency: unit `{u}` is not ms, s or us")),
                };
            }
            CACHE_STATUS => {
                only(key, s, &["values"])?;
                for (from, to) in s.values.clone().unwrap_or_default() {
                    let to = to.trim().to_ascii_uppercase();
                    if !CACHE_STATUSES.contains(&to.as_str()) && !to.is_empty() {
                        return Err(format!(
                            "cache_status.values: `{from}` maps to `{to}`, not one of {} (or \"\")",
                            CACHE_STATUSES.join(", ")
                        ));
                    }
                    self.words.insert(from.trim().to_ascii_uppercase(), to);
                }
            }
            CACHE_ENABLED => {
                only(key, s, &["from_cache_status", "constant"])?;
                self.flag = Some(match (s.from_cache_status, s.constant, &s.column) {
                    (Some(true), None, None) => Flag::FromCacheStatus,
                    (None, Some(c), None) => Flag::Constant(c),
                    (None, None, Some(c)) => Flag::Column(c.to_ascii_lowercase()),
                    _ => {
                        return Err(
                            "cache_enabled: one of a column, { from_cache_status = true } or { constant = true|false }"
                                .into(),
                        );
                    }
                });
                return Ok(());
            }
            UPSTREAM_CALLS => {
                only(key, s, &["from_cache_status"])?;
                if s.from_cache_status == Some(true) {
                    self.upstream_from_status = true;
                    return Ok(());
                }
            }
            _ => only(key, s, &[])?,
        }
        let Some(col) = s.column.as_ref().filter(|c| !c.trim().is_empty()) else {
            return Err(format!("{key}: needs a column"));
        };
        let col = col.trim().to_ascii_lowercase();
        if canonical == ENDPOINT && col == "request" {
            self.request_line = true;
        }
        self.columns.push((canonical, col));
        Ok(())
    }

    /// The source columns to read, sorted. Leaked once per configuration
    /// read: a handful of short names.
    fn wanted_names(&self) -> Vec<&'static str> {
        let mut names: Vec<String> = super::request_log::COLUMNS
            .iter()
            .map(|c| self.source(c.name))
            .collect();
        if let Some(Flag::Column(c)) = &self.flag {
            names.push(c.clone());
        }
        names.sort();
        names.dedup();
        names.into_iter().map(|n| &*Box::leak(n.into_boxed_str())).collect()
    }

    /// The source column of a canonical one (itself when unmapped).
    pub fn source_of(&self, canonical: &str) -> String {
        self.source(canonical)
    }

    fn source(&self, canonical: &str) -> String {
        self.columns
            .iter()
            .find(|(c, _)| *c == canonical)
            .map_or_else(|| canonical.to_string(), |(_, s)| s.clone())
    }

    /// The columns to read: the sources of the canonical ones.
    pub fn wanted(&self, canonical: &Wanted) -> Wanted {
        Wanted {
            names: self.wanted.clone(),
            free_text: canonical.free_text.clone(),
        }
    }

    /// A short hash of the mapping (the rollups are made anew when it changes).
    pub fn hash(&self) -> String {
        use sha2::{Digest, Sha256};
        Sha256::digest(self.text.as_bytes())
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A cache-status word as the canonical one (unknown words unchanged:
    /// the normaliser counts them as `unknown_cache_status`).
    pub fn word(&self, w: Option<&str>) -> Option<String> {
        let key = w.map(|x| x.trim().to_ascii_uppercase()).unwrap_or_default();
        match self.words.get(&key) {
            Some(to) if to.is_empty() => None,
            Some(to) => Some(to.clone()),
            None if key.is_empty() => None,
            None => Some(w.unwrap_or_default().to_string()),
        }
    }

    /// The file's columns as canonical text columns (bookkeeping columns
    /// kept), ready for the normaliser.
    pub fn apply(&self, raw: RawFile) -> Result<RawFile> {
        let df = raw.frame.clone().collect()?;
        let n = df.height();
        let mut out: Vec<Column> = Vec::new();
        for keep in [ROW, LINE, MALFORMED, WHY] {
            if let Ok(c) = df.column(keep) {
                out.push(c.clone());
            }
        }
        let mut status_words: Option<Vec<Option<String>>> = None;
        for canonical in [
            TS,
            CUSTOMER_ID,
            USER_ID,
            SEGMENT,
            ENDPOINT,
            STATUS,
            LATENCY_MS,
            CACHE_STATUS,
            UPSTREAM_CALLS,
        ] {
            if canonical == UPSTREAM_CALLS && self.upstream_from_status {
                continue;
            }
            let src = self.source(canonical);
            let Ok(column) = df.column(&src) else {
                // An empty cache status column is still a column of statuses.
                continue;
            };
            let values = if canonical == CACHE_STATUS {
                let words: Vec<Option<String>> = text_of(&df, &src)
                    .unwrap_or_default()
                    .iter()
                    .map(|v| self.word(v.as_deref()))
                    .collect();
                status_words = Some(words.clone());
                Column::new(CACHE_STATUS.into(), words)
            } else {
                self.canonical_column(canonical, column, || text_of(&df, &src).unwrap_or_default())
            };
            out.push(values.with_name(canonical.into()));
        }
        if let Some(f) = self.flag_values(&df, status_words, n) {
            out.push(Column::new(CACHE_ENABLED.into(), f));
        }
        let frame = DataFrame::new(n, out)?;
        Ok(raw.replaced(frame))
    }

    /// A source column as its canonical text: timestamps as RFC 3339,
    /// request lines as endpoints, latency in ms. Typed Parquet columns
    /// other than text pass through renamed.
    fn canonical_column(
        &self,
        canonical: &'static str,
        column: &Column,
        text: impl FnOnce() -> Vec<Option<String>>,
    ) -> Column {
        let is_text = column.dtype() == &DataType::String;
        let mapped =
            |f: &dyn Fn(String) -> String| -> Vec<Option<String>> { text().into_iter().map(|v| v.map(f)).collect() };
        match canonical {
            TS if is_text => Column::new(TS.into(), mapped(&|t| self.timestamp(&t))),
            ENDPOINT if is_text && self.request_line => Column::new(ENDPOINT.into(), mapped(&|t| request_line(&t))),
            LATENCY_MS if self.latency_factor != 1.0 => {
                let f = self.latency_factor;
                Column::new(
                    LATENCY_MS.into(),
                    mapped(&|t| match t.trim().parse::<f64>() {
                        Ok(x) if x.is_finite() => format!("{}", x * f),
                        // Left as it is: the normaliser names it.
                        _ => t,
                    }),
                )
            }
            _ => column.clone().with_name(canonical.into()),
        }
    }

    /// The cache flag of each row as text, from where the mapping says.
    fn flag_values(
        &self,
        df: &DataFrame,
        status_words: Option<Vec<Option<String>>>,
        n: usize,
    ) -> Option<Vec<Option<String>>> {
        match &self.flag {
            None => text_of(df, &self.source(CACHE_ENABLED)),
            Some(Flag::Column(c)) => text_of(df, c),
            Some(Flag::Constant(b)) => Some(vec![Some(b.to_string()); n]),
            Some(Flag::FromCacheStatus) => Some(
                status_words
                    .unwrap_or_else(|| vec![None; n])
                    .iter()
                    .map(|w| Some(matches!(w.as_deref(), Some("HIT" | "STALE" | "MISS" | "ERROR")).to_string()))
                    .collect(),
            ),
        }
    }

    /// The UTC offset a raw timestamp carries, in seconds (`Z` is 0);
    /// None for one without (or that does not read).
    pub fn offset_of(&self, t: &str) -> Option<i32> {
        use chrono::Offset;
        let t = t.trim();
        let with = |f: &str| {
            DateTime::parse_from_str(t, f)
                .ok()
                .map(|d| d.offset().fix().local_minus_utc())
        };
        match &self.ts_format {
            Some(f) => with(f),
            None => DateTime::parse_from_rfc3339(t)
                .ok()
                .map(|d| d.offset().fix().local_minus_utc())
                .or_else(|| with(TIME_LOCAL)),
        }
    }

    /// A timestamp as RFC 3339 (UTC): as it is when it already is one, else
    /// by `format`, else as nginx's `$time_local`; left as it is when
    /// nothing reads it (the normaliser counts it as a bad timestamp).
    fn timestamp(&self, t: &str) -> String {
        let t = t.trim();
        if let Some(f) = &self.ts_format {
            return parse_with(t, f).unwrap_or_else(|| t.to_string());
        }
        if DateTime::parse_from_rfc3339(t).is_ok() {
            return t.to_string();
        }
        parse_with(t, TIME_LOCAL).unwrap_or_else(|| t.to_string())
    }
}

/// `t` read with a strftime layout (with an offset, or UTC without).
fn parse_with(t: &str, format: &str) -> Option<String> {
    let utc = match DateTime::parse_from_str(t, format) {
        Ok(d) => d.with_timezone(&Utc),
        Err(_) => NaiveDateTime::parse_from_str(t, format).ok()?.and_utc(),
    };
    Some(utc.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// "GET /api/x/1?y=2 HTTP/1.1" → "GET /api/x/1"; anything else unchanged.
pub fn request_line(t: &str) -> String {
    let mut parts = t.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some(method), Some(target)) if method.chars().all(|c| c.is_ascii_uppercase()) => {
            let path = target.split(['?', '#']).next().unwrap_or(target);
            format!("{method} {path}")
        }
        _ => t.to_string(),
    }
}

/// Read one request-log file: by its extension, or as the mapping says (an
/// nginx access log), its columns mapped to canonical ones.
pub fn open_request_log(
    path: &std::path::Path,
    limits: &crate::formats::Limits,
    mapping: Option<&Mapping>,
) -> Result<RawFile> {
    let canonical = super::request_log::SOURCE.wanted();
    let Some(m) = mapping else {
        return RawFile::open(path, &canonical, limits);
    };
    let wanted = m.wanted(&canonical);
    let raw = match &m.nginx {
        Some(format) => RawFile::open_nginx(path, format, &wanted, limits)?,
        None => RawFile::open(path, &wanted, limits)?,
    };
    m.apply(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(toml_text: &str) -> MappingModel {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn nginx_words_count_as_the_docs_say_and_a_config_can_change_them() {
        let m = Mapping::new(&model("cache_status = \"upstream_cache_status\"")).unwrap();
        assert_eq!(m.word(Some("expired")).as_deref(), Some("MISS"));
        assert_eq!(m.word(Some("UPDATING")).as_deref(), Some("STALE"));
        assert_eq!(m.word(Some("REVALIDATED")).as_deref(), Some("MISS"));
        assert_eq!(m.word(Some("HIT")).as_deref(), Some("HIT"));
        assert_eq!(m.word(None), None, "empty: no lookup");
        assert_eq!(
            m.word(Some("WEIRD")).as_deref(),
            Some("WEIRD"),
            "unknown: counted later"
        );
        let m = Mapping::new(&model(
            "cache_status = { column = \"x_cache\", values = { REVALIDATED = \"HIT\", \"\" = \"BYPASS\", \"TCP_HIT\" = \"hit\" } }",
        ))
        .unwrap();
        assert_eq!(m.word(Some("revalidated")).as_deref(), Some("HIT"));
        assert_eq!(m.word(None).as_deref(), Some("BYPASS"));
        assert_eq!(m.word(Some("TCP_HIT")).as_deref(), Some("HIT"));
    }

    #[test]
    fn timestamps_latencies_and_request_lines_become_canonical() {
        let m = Mapping::new(&model(
            "ts = \"time_local\"\nlatency = { column = \"request_time\", unit = \"s\" }",
        ))
        .unwrap();
        assert_eq!(m.timestamp("26/Nov/2026:17:20:55 +0100"), "2026-11-26T16:20:55Z");
        assert_eq!(m.timestamp("2026-11-26T17:20:55+00:00"), "2026-11-26T17:20:55+00:00");
        assert_eq!(m.timestamp("yesterday"), "yesterday", "left for the normaliser to name");
        let f = Mapping::new(&model("ts = { column = \"t\", format = \"%Y/%m/%d %H:%M:%S%.f\" }")).unwrap();
        assert_eq!(f.timestamp("2026/11/26 17:20:55.250"), "2026-11-26T17:20:55.250Z");
        assert_eq!(m.latency_factor, 1000.0);
        assert_eq!(request_line("GET /api/x/1?y=2 HTTP/1.1"), "GET /api/x/1");
        assert_eq!(request_line("garbage"), "garbage");
    }

    /// A survey export in its own columns and date layout: 2 answers read,
    /// the one with a date no layout reads counted as a bad timestamp.
    #[test]
    fn feedback_in_its_own_columns_reads_as_canonical() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("survey.csv");
        std::fs::write(
            &p,
            "When,Account,Rating,Text\n17.11.2026 09:30,c1,5,\"great, fast\"\n18.11.2026 10:00,c2,2,slow\nsoon,c3,4,\n",
        )
        .unwrap();
        let r = Renames::new(
            &toml::from_str(
                "ts = { column = \"When\", format = \"%d.%m.%Y %H:%M\" }\ncustomer_id = \"Account\"\nscore = \"rating\"\ncomment = \"text\"",
            )
            .unwrap(),
        )
        .unwrap();
        let got = super::super::ingest_mapped(
            &[p],
            &super::super::feedback::SOURCE,
            lit(true),
            i64::MAX,
            &crate::formats::Limits::default(),
            Some(&r),
        )
        .unwrap();
        assert_eq!(got.rows.height(), 2);
        assert_eq!(got.quality.rows_rejected, 1);
        assert_eq!(got.quality.rejected_by_reason.get("bad_timestamp"), Some(&1));
        let ts = got.rows.column(TS).unwrap().i64().unwrap().get(0).unwrap();
        assert_eq!(ts, crate::frames::parse_rfc3339_micros("2026-11-17T09:30:00Z").unwrap());
        let comments: Vec<Option<&str>> = got.rows.column(COMMENT).unwrap().str().unwrap().iter().collect();
        assert_eq!(comments, [Some("great, fast"), Some("slow")]);
        assert_eq!(
            Renames::new(&toml::from_str("score = { column = \"r\", format = \"%d\" }").unwrap()).unwrap_err(),
            "score: `format` applies to ts only"
        );
    }

    /// A 0–10 survey: answers put on 1–5 as 1 + 4·s/10, so 0 → 1, 7 → 3.8,
    /// 10 → 5; 11 and −1 are outside the scale (score_out_of_range, with
    /// the value as written), 7.5 is not a whole answer (invalid_value).
    #[test]
    fn a_survey_on_zero_to_ten_reads_on_one_to_five() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nps.csv");
        std::fs::write(
            &p,
            "ts,customer_id,score\n\
             2026-11-17T09:00:00Z,c1,0\n2026-11-17T10:00:00Z,c1,7\n2026-11-17T11:00:00Z,c2,10\n\
             2026-11-17T12:00:00Z,c2,11\n2026-11-17T13:00:00Z,c3,-1\n2026-11-17T14:00:00Z,c3,7.5\n",
        )
        .unwrap();
        let read = |mapping: &str| {
            let r = Renames::new(&toml::from_str(mapping).unwrap()).unwrap();
            super::super::ingest_mapped(
                std::slice::from_ref(&p),
                &super::super::feedback::SOURCE,
                lit(true),
                i64::MAX,
                &crate::formats::Limits::default(),
                Some(&r),
            )
            .unwrap()
        };
        let got = read("scale = \"0-10\"");
        let scores: Vec<f64> = got
            .rows
            .column(SCORE)
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(scores.len(), 3);
        assert_eq!((scores[0], scores[2]), (1.0, 5.0));
        assert!((scores[1] - 3.8).abs() < 1e-12);
        assert_eq!(got.quality.rejected_by_reason.get("score_out_of_range"), Some(&2));
        assert_eq!(got.quality.rejected_by_reason.get("invalid_value"), Some(&1));
        let values: Vec<&str> = got.quality.examples.iter().filter_map(|e| e.value.as_deref()).collect();
        assert_eq!(values, ["11", "-1", "7.5"]);
        // The same file read on 1–5 keeps nothing: 0, 7, 10, 11 and −1 are
        // off that scale, 7.5 is not whole.
        let native = read("customer_id = \"customer_id\"");
        assert_eq!(native.rows.height(), 0);
        assert_eq!(native.quality.rejected_by_reason.get("score_out_of_range"), Some(&5));
        assert_eq!(
            Renames::new(&toml::from_str("scale = \"1-7\"").unwrap()).unwrap_err(),
            "scale `1-7`: use \"1-5\", \"1-10\" or \"0-10\""
        );
    }

    #[test]
    fn a_mapping_that_cannot_work_says_which_key() {
        let err = |t: &str| Mapping::new(&model(t)).unwrap_err();
        assert_eq!(
            err("latency = { column = \"t\", unit = \"h\" }"),
            "latency: unit `h` is not ms, s or us"
        );
        assert_eq!(
            err("status = { column = \"s\", unit = \"s\" }"),
            "status: `unit` does not apply here"
        );
        assert_eq!(
            err("cache_status = { column = \"c\", values = { X = \"MAYBE\" } }"),
            "cache_status.values: `X` maps to `MAYBE`, not one of HIT, STALE, MISS, BYPASS, ERROR (or \"\")"
        );
        assert!(err("format = \"nginx\"").starts_with("format = \"nginx\" needs log_format"));
        assert!(err("cache_enabled = { }").starts_with("cache_enabled: one of"));
        assert_eq!(err("ts = { format = \"%s\" }"), "ts: needs a column");
    }
}
