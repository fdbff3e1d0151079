//! The Redis snapshot store (docs/inputs.md#redis-snapshot-store): NDJSON lines of
//! `{"ts", "instance", "info"}` with the raw text of `INFO everything`, parsed
//! into typed captures. Lines that are not captures (a torn last line after a
//! crash) are counted and shown, never fatal.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::SourceError;

/// INFO text split into its fields (`key:value` lines; section headers and
/// blank lines skipped; CRLF or LF; unknown fields kept as text).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Info {
    pub fields: HashMap<String, String>,
    pub sections: Vec<String>,
}

impl Info {
    pub fn parse(text: &str) -> Info {
        let mut info = Info::default();
        for line in text.lines() {
            let line = line.trim_end_matches('\r').trim();
            if line.is_empty() {
                continue;
            }
            if let Some(section) = line.strip_prefix('#') {
                info.sections.push(section.trim().to_string());
                continue;
            }
            if let Some((k, v)) = line.split_once(':') {
                info.fields.insert(k.to_string(), v.to_string());
            }
        }
        info
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    pub fn u64(&self, key: &str) -> Option<u64> {
        self.get(key)?.trim().parse().ok()
    }

    pub fn f64(&self, key: &str) -> Option<f64> {
        self.get(key)?.trim().parse().ok()
    }
}

/// One capture of one instance, with the fields the reports use, typed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capture {
    pub ts: DateTime<Utc>,
    pub instance: String,
    pub redis_version: Option<String>,
    pub run_id: Option<String>,
    pub uptime_in_seconds: Option<u64>,
    pub keyspace_hits: Option<u64>,
    pub keyspace_misses: Option<u64>,
    pub evicted_keys: Option<u64>,
    pub expired_keys: Option<u64>,
    pub used_memory: Option<u64>,
    pub maxmemory: Option<u64>,
    pub mem_fragmentation_ratio: Option<f64>,
    pub instantaneous_ops_per_sec: Option<u64>,
    pub total_commands_processed: Option<u64>,
    pub connected_clients: Option<u64>,
    /// `master` or `slave` (replica).
    pub role: Option<String>,
    /// Redis 7's per-command latency percentiles, busiest commands first.
    pub command_latency: Vec<CommandLatency>,
}

/// One command's latency percentiles (Redis 7 `Latencystats`) and its call
/// count (`Commandstats`), microseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommandLatency {
    pub command: String,
    pub calls: Option<u64>,
    pub p50_usec: Option<f64>,
    pub p99_usec: Option<f64>,
    pub p999_usec: Option<f64>,
}

/// `key=value,key=value` fields of an INFO line.
fn subfields(v: &str) -> impl Iterator<Item = (&str, &str)> {
    v.split(',').filter_map(|kv| kv.split_once('='))
}

/// Per-command latency percentiles, by calls (most first).
pub fn command_latency(info: &Info) -> Vec<CommandLatency> {
    let mut out: Vec<CommandLatency> = info
        .fields
        .iter()
        .filter_map(|(k, v)| {
            let command = k.strip_prefix("latency_percentiles_usec_")?;
            let p = |name: &str| subfields(v).find(|(k, _)| *k == name).and_then(|(_, x)| x.parse().ok());
            let calls = info.get(&format!("cmdstat_{command}")).and_then(|c| {
                subfields(c)
                    .find(|(k, _)| *k == "calls")
                    .and_then(|(_, x)| x.parse().ok())
            });
            Some(CommandLatency {
                command: command.to_string(),
                calls,
                p50_usec: p("p50"),
                p99_usec: p("p99"),
                p999_usec: p("p99.9"),
            })
        })
        .collect();
    out.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.command.cmp(&b.command)));
    out
}

impl Capture {
    pub fn from_info(ts: DateTime<Utc>, instance: &str, info: &Info) -> Capture {
        Capture {
            ts,
            instance: instance.to_string(),
            redis_version: info.get("redis_version").map(str::to_string),
            run_id: info.get("run_id").map(str::to_string),
            uptime_in_seconds: info.u64("uptime_in_seconds"),
            keyspace_hits: info.u64("keyspace_hits"),
            keyspace_misses: info.u64("keyspace_misses"),
            evicted_keys: info.u64("evicted_keys"),
            expired_keys: info.u64("expired_keys"),
            used_memory: info.u64("used_memory"),
            maxmemory: info.u64("maxmemory"),
            mem_fragmentation_ratio: info.f64("mem_fragmentation_ratio"),
            instantaneous_ops_per_sec: info.u64("instantaneous_ops_per_sec"),
            total_commands_processed: info.u64("total_commands_processed"),
            connected_clients: info.u64("connected_clients"),
            role: info.get("role").map(str::to_string),
            command_latency: command_latency(info),
        }
    }
}

/// A failed capture recorded in the store (`error` instead of `info`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedCapture {
    pub ts: DateTime<Utc>,
    pub instance: String,
    pub error: String,
}

/// A store line that is not a capture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BadLine {
    pub line: u64,
    pub reason: String,
}

/// Everything read from the store.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Store {
    pub captures: Vec<Capture>,
    pub failures: Vec<FailedCapture>,
    pub bad_lines: u64,
    pub bad_examples: Vec<BadLine>,
}

#[derive(Deserialize)]
struct Line {
    ts: String,
    instance: String,
    info: Option<String>,
    error: Option<String>,
}

/// Read the store; captures come sorted by instance, then time.
pub fn read(path: &Path) -> Result<Store> {
    if !path.is_file() {
        return Err(SourceError::Missing {
            path: path.to_path_buf(),
        }
        .into());
    }
    let bytes = std::fs::read(path).map_err(|e| SourceError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(parse_store(&bytes))
}

/// Parse the store's bytes: one capture per line. A line that is not a
/// capture (torn, not UTF-8, not JSON) is counted and shown, never fatal.
pub fn parse_store(bytes: &[u8]) -> Store {
    let mut store = Store::default();
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mut bad = |reason: String| {
            store.bad_lines += 1;
            if store.bad_examples.len() < 3 {
                store.bad_examples.push(BadLine {
                    line: i as u64 + 1,
                    reason,
                });
            }
        };
        let Ok(raw) = std::str::from_utf8(raw) else {
            bad("not UTF-8".into());
            continue;
        };
        let line: Line = match serde_json::from_str(raw) {
            Ok(l) => l,
            Err(e) => {
                bad(crate::error::clip(&format!("not a capture record ({e})"), 120));
                continue;
            }
        };
        let Some(ts) = crate::frames::parse_rfc3339_micros(&line.ts).and_then(DateTime::from_timestamp_micros) else {
            bad(format!(
                "ts `{}` is not RFC 3339 with an offset",
                crate::error::clip(&line.ts, 40)
            ));
            continue;
        };
        match (line.info, line.error) {
            (Some(info), _) => store
                .captures
                .push(Capture::from_info(ts, &line.instance, &Info::parse(&info))),
            (None, Some(error)) => store.failures.push(FailedCapture {
                ts,
                instance: line.instance,
                error,
            }),
            (None, None) => bad("neither `info` nor `error`".into()),
        }
    }
    store
        .captures
        .sort_by(|a, b| a.instance.cmp(&b.instance).then(a.ts.cmp(&b.ts)));
    store
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/redis-info")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    #[test]
    fn every_fixture_parses_into_typed_fields() {
        // Values read off the fixture files (grep keyspace_hits etc.).
        let cases = [
            ("redis-5.0.4.txt", "5.0.4", 15u64, 0u64, 629_932u64),
            ("redis-6.0.9.txt", "6.0.9", 2, 0, 252_812),
            ("redis-7.4.0.txt", "7.4.0", 99_218_277, 8_044_632, 3_503_939),
        ];
        for (file, version, hits, misses, uptime) in cases {
            let text = fixture(file);
            let info = Info::parse(&text);
            let c = Capture::from_info(Utc::now(), "h:1", &info);
            assert_eq!(c.redis_version.as_deref(), Some(version), "{file}");
            assert!(c.run_id.as_ref().is_some_and(|r| r.len() == 40), "{file}: run_id");
            assert_eq!(c.uptime_in_seconds, Some(uptime), "{file}");
            assert_eq!(c.keyspace_hits, Some(hits), "{file}");
            assert_eq!(c.keyspace_misses, Some(misses), "{file}");
            assert!(c.used_memory.is_some_and(|m| m > 0), "{file}: used_memory");
            assert!(c.evicted_keys.is_some() && c.expired_keys.is_some(), "{file}");
            assert!(c.mem_fragmentation_ratio.is_some(), "{file}");
            assert!(
                info.sections.iter().any(|s| s == "Stats"),
                "{file}: sections {:?}",
                info.sections
            );
            // The same text with CRLF line ends (Redis's own) parses the same.
            let crlf = Info::parse(&text.replace('\n', "\r\n"));
            assert_eq!(crlf.fields, info.fields, "{file}: CRLF");
        }
    }

    #[test]
    fn redis7_latency_percentiles_come_busiest_first() {
        let info = Info::parse(&fixture("redis-7.4.0.txt"));
        let lat = command_latency(&info);
        assert_eq!(lat.len(), 86);
        // restore has the most calls (43,884,842), then setex, get.
        assert_eq!(lat[0].command, "restore");
        assert_eq!(lat[0].calls, Some(43_884_842));
        let get = lat.iter().find(|c| c.command == "get").unwrap();
        assert_eq!(
            (get.p50_usec, get.p99_usec, get.p999_usec),
            (Some(6.015), Some(57.087), Some(387.071))
        );
        assert_eq!(get.calls, Some(32_163_539));
        // Redis 5 and 6 have none.
        assert!(command_latency(&Info::parse(&fixture("redis-6.0.9.txt"))).is_empty());
        assert_eq!(Info::parse(&fixture("redis-5.0.4.txt")).get("role"), Some("master"));
    }

    #[test]
    fn redis7_fixture_has_latencystats_and_keyspace() {
        let info = Info::parse(&fixture("redis-7.4.0.txt"));
        assert_eq!(info.u64("keyspace_hits"), Some(99_218_277));
        assert!(info.get("db0").is_some_and(|v| v.starts_with("keys=")));
        assert!(info.fields.keys().any(|k| k.starts_with("latency_percentiles_usec_")));
    }

    #[test]
    fn store_lines_parse_and_bad_lines_are_counted() {
        let info = fixture("redis-5.0.4.txt");
        let good =
            serde_json::json!({"ts": "2026-11-16T10:00:00Z", "instance": "cache-1:6379", "info": info}).to_string();
        let failed = r#"{"ts":"2026-11-16T11:00:00+01:00","instance":"cache-2:6379","error":"connection refused"}"#;
        let text = format!("{good}\n{failed}\n\n{{\"ts\":\"2026-11-16T12:00:00Z\",\"inst");
        let store = parse_store(text.as_bytes());
        assert_eq!(store.captures.len(), 1);
        assert_eq!(store.captures[0].instance, "cache-1:6379");
        assert_eq!(store.failures.len(), 1);
        assert_eq!(store.failures[0].ts.to_rfc3339(), "2026-11-16T10:00:00+00:00");
        assert_eq!(store.bad_lines, 1);
        assert_eq!(store.bad_examples[0].line, 4);
    }

    #[test]
    fn a_line_that_is_not_utf8_is_one_bad_line() {
        let good = r#"{"ts":"2026-11-16T11:00:00Z","instance":"cache-2:6379","error":"connection refused"}"#;
        let mut bytes = format!("{good}\r\n").into_bytes();
        bytes.extend_from_slice(b"{\"ts\":\"2026-11-16T12:00:00Z\",\"instance\":\"c\xff\",\"error\":\"x\"}\n");
        bytes.extend_from_slice(format!("{good}\n").as_bytes());
        let store = parse_store(&bytes);
        assert_eq!((store.failures.len(), store.bad_lines), (2, 1));
        assert_eq!(store.bad_examples[0].line, 2);
        assert_eq!(store.bad_examples[0].reason, "not UTF-8");
    }
}
