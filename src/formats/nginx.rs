//! nginx access logs, read by their `log_format`: the format string (as
//! copied from nginx.conf, quotes and `log_format NAME escape=…` included or
//! not) compiles to a parser for that exact layout. Each variable becomes a
//! column named after it (`$time_local` → `time_local`); `-` is no value;
//! nginx's `\xHH` escapes are undone. A line that does not match the layout
//! is a malformed row with its reason and line number, never fatal. A
//! format with `escape=json` writes JSON lines: those are read as NDJSON.

use std::io::Read;
use std::path::Path;

use anyhow::Result;

use super::text::for_each_line;
use super::{Columns, Limits, Wanted};

/// nginx's predefined `combined` format.
pub const COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;

/// `combined` plus what the reports need: the request time, the cache
/// status and the customer and user headers (the preset `combined_cache`).
pub const COMBINED_CACHE: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time "$upstream_cache_status" "$http_x_customer_id" "$http_x_user_id""#;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(String),
}

/// A compiled `log_format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFormat {
    parts: Vec<Part>,
    /// Written with `escape=json`: the lines are JSON objects.
    pub json: bool,
}

/// The text of a `log_format` as a user may paste it: the whole directive
/// (`log_format main escape=json '…' '…';`) or only its strings, quoted or
/// not. Returns (escape=json, the format text).
fn unwrap_directive(text: &str) -> Result<(bool, String), String> {
    let mut t = text.trim().trim_end_matches(';').trim().to_string();
    let mut json = false;
    if let Some(rest) = t.strip_prefix("log_format") {
        // `log_format NAME [escape=…] '…'`: drop the name.
        let rest = rest.trim_start();
        let after_name = rest.find(char::is_whitespace).map_or("", |i| &rest[i..]);
        t = after_name.trim_start().to_string();
    }
    if let Some(rest) = t.strip_prefix("escape=") {
        let (mode, after) = rest.split_at(rest.find(char::is_whitespace).unwrap_or(rest.len()));
        match mode {
            "json" => json = true,
            "default" | "none" => {}
            other => return Err(format!("escape={other}: nginx knows default, json and none")),
        }
        t = after.trim_start().to_string();
    }
    // Quoted strings, concatenated as nginx does.
    if t.starts_with('\'') || t.starts_with('"') {
        let mut out = String::new();
        let mut rest = t.as_str();
        while let Some(q) = rest.chars().next() {
            if q != '\'' && q != '"' {
                return Err(format!(
                    "unexpected `{}` between the quoted strings",
                    crate::error::clip(rest, 20)
                ));
            }
            let body = &rest[1..];
            let mut end = None;
            let mut escaped = false;
            for (i, c) in body.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    c if c == q && !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let end = end.ok_or("a quoted string is not closed")?;
            // Inside nginx strings a backslash escapes the quote.
            out.push_str(&body[..end].replace(&format!("\\{q}"), &q.to_string()));
            rest = body[end + 1..].trim_start();
        }
        t = out;
    }
    Ok((json, t))
}

/// Compile a `log_format` (or a preset name: `combined`, `combined_cache`).
pub fn compile(text: &str) -> Result<LogFormat, String> {
    let text = match text.trim() {
        "combined" => COMBINED.to_string(),
        "combined_cache" => COMBINED_CACHE.to_string(),
        other => other.to_string(),
    };
    let (json, text) = unwrap_directive(&text)?;
    let mut parts: Vec<Part> = Vec::new();
    let mut lit = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '$' {
            lit.push(c);
            continue;
        }
        let braced = chars.peek().is_some_and(|(_, c)| *c == '{');
        if braced {
            chars.next();
        }
        let mut name = String::new();
        while let Some((_, c)) = chars.peek() {
            if c.is_ascii_alphanumeric() || *c == '_' {
                name.push(*c);
                chars.next();
            } else {
                break;
            }
        }
        if braced && chars.next().map(|x| x.1) != Some('}') {
            return Err(format!("`${{{name}` is not closed with `}}`"));
        }
        if name.is_empty() {
            lit.push('$');
            continue;
        }
        if !lit.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut lit)));
        }
        if matches!(parts.last(), Some(Part::Var(prev)) if !json) {
            let prev = match parts.last() {
                Some(Part::Var(p)) => p.clone(),
                _ => String::new(),
            };
            return Err(format!(
                "`${prev}` and `${name}` have no text between them: their values cannot be told apart"
            ));
        }
        parts.push(Part::Var(name.to_ascii_lowercase()));
    }
    if !lit.is_empty() {
        parts.push(Part::Text(lit));
    }
    if !parts.iter().any(|p| matches!(p, Part::Var(_))) {
        return Err("the log_format has no $variable".into());
    }
    Ok(LogFormat { parts, json })
}

/// Undo nginx's default escaping: `\xHH` is the byte HH.
fn unescape(v: &str) -> Vec<u8> {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1] == b'x'
            && let Some(x) = v.get(i + 2..i + 4).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(x);
            i += 4;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

impl LogFormat {
    /// The variables in order (column names).
    pub fn variables(&self) -> Vec<String> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Var(v) => Some(v.clone()),
                Part::Text(_) => None,
            })
            .collect()
    }

    /// One line's values, one per variable (None for `-` or nothing), or
    /// why the line does not match the layout.
    pub fn parse(&self, line: &str) -> Result<Vec<Option<Vec<u8>>>, String> {
        let mut pos = 0;
        let mut out = Vec::new();
        for (i, part) in self.parts.iter().enumerate() {
            match part {
                Part::Text(t) => {
                    if !line[pos..].starts_with(t.as_str()) {
                        return Err(format!(
                            "expected `{}` at character {}",
                            crate::error::clip(t, 20),
                            line[..pos].chars().count() + 1
                        ));
                    }
                    pos += t.len();
                }
                Part::Var(name) => {
                    let end = match self.parts.get(i + 1) {
                        Some(Part::Text(next)) => match line[pos..].find(next.as_str()) {
                            Some(k) => pos + k,
                            None => {
                                return Err(format!("no `{}` after ${name}", crate::error::clip(next, 20)));
                            }
                        },
                        _ => line.len(),
                    };
                    let v = &line[pos..end];
                    out.push((!v.is_empty() && v != "-").then(|| unescape(v)));
                    pos = end;
                }
            }
        }
        if pos != line.len() {
            return Err(format!(
                "{} characters after the last field",
                line[pos..].chars().count()
            ));
        }
        Ok(out)
    }
}

/// Read an nginx access log written with `format` into text columns for
/// `wanted` (variables by name).
pub fn read(path: &Path, input: impl Read, format: &LogFormat, wanted: &Wanted, limits: &Limits) -> Result<Columns> {
    let mut cols = Columns::new(wanted, &format.variables());
    for_each_line(path, input, limits, |line_no, bytes| {
        let Ok(line) = std::str::from_utf8(bytes) else {
            cols.push_malformed(
                line_no,
                "invalid UTF-8 (nginx escapes bytes as \\xHH: not an nginx log line)",
            );
            return;
        };
        match format.parse(line) {
            Ok(values) => cols.push_row(line_no, |i| values.get(i).and_then(|v| v.as_deref())),
            Err(why) => cols.push_malformed(line_no, &format!("does not match the log_format: {why}")),
        }
    })?;
    Ok(cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(f: &LogFormat, line: &str) -> Vec<Option<String>> {
        f.parse(line)
            .unwrap()
            .into_iter()
            .map(|v| v.map(|b| String::from_utf8(b).unwrap()))
            .collect()
    }

    #[test]
    fn the_combined_cache_preset_reads_a_real_line() {
        let f = compile("combined_cache").unwrap();
        let line = r#"127.0.0.1 - - [26/Nov/2026:17:20:55 +0000] "GET /api/x?y=1 HTTP/1.1" 200 12 "-" "curl/8.1 \x22q\x22" 0.012 "HIT" "c1" "u1""#;
        let v = values(&f, line);
        let by: std::collections::BTreeMap<String, Option<String>> = f.variables().into_iter().zip(v).collect();
        assert_eq!(by["remote_user"], None, "`-` is no value");
        assert_eq!(by["time_local"].as_deref(), Some("26/Nov/2026:17:20:55 +0000"));
        assert_eq!(by["request"].as_deref(), Some("GET /api/x?y=1 HTTP/1.1"));
        assert_eq!(by["http_user_agent"].as_deref(), Some("curl/8.1 \"q\""), "\\x22 undone");
        assert_eq!(by["request_time"].as_deref(), Some("0.012"));
        assert_eq!(by["upstream_cache_status"].as_deref(), Some("HIT"));
        assert_eq!(by["http_x_user_id"].as_deref(), Some("u1"));
    }

    #[test]
    fn every_way_to_write_a_format_compiles_to_the_same_parser() {
        let plain = compile(r#"$time_iso8601 "$upstream_cache_status" ${request_time}s"#).unwrap();
        for text in [
            r#"log_format cache '$time_iso8601 "$upstream_cache_status" ${request_time}s';"#,
            r#"'$time_iso8601 ' '"$upstream_cache_status" ${request_time}s'"#,
            r#""$time_iso8601 \"$upstream_cache_status\" ${request_time}s""#,
        ] {
            assert_eq!(compile(text).unwrap(), plain, "{text}");
        }
        assert_eq!(
            values(&plain, r#"2026-11-26T17:20:55+00:00 "" 0.250s"#),
            [Some("2026-11-26T17:20:55+00:00".into()), None, Some("0.250".into())]
        );
        let json = compile(r#"log_format j escape=json '{"ts":"$time_iso8601"}';"#).unwrap();
        assert!(json.json);
    }

    #[test]
    fn a_line_that_does_not_match_says_where() {
        let f = compile(r#"$remote_addr [$time_local] "$request" $status"#).unwrap();
        assert_eq!(
            f.parse("10.0.0.1 26/Nov/2026 GET 200").unwrap_err(),
            "no ` [` after $remote_addr"
        );
        assert_eq!(
            f.parse(r#"10.0.0.1 [x] "GET /" 200 extra"#).unwrap(),
            vec![
                Some(b"10.0.0.1".to_vec()),
                Some(b"x".to_vec()),
                Some(b"GET /".to_vec()),
                Some(b"200 extra".to_vec())
            ],
            "the last variable takes the rest of the line"
        );
        let g = compile(r#"[$time_local] $status"#).unwrap();
        assert_eq!(g.parse("26/Nov 200").unwrap_err(), "expected `[` at character 1");
    }

    #[test]
    fn formats_that_cannot_be_split_are_refused() {
        assert_eq!(
            compile("$status$request_time").unwrap_err(),
            "`$status` and `$request_time` have no text between them: their values cannot be told apart"
        );
        assert_eq!(compile("no variables").unwrap_err(), "the log_format has no $variable");
        assert!(compile("escape=yaml '$status'").unwrap_err().starts_with("escape=yaml"));
        assert!(compile("'$status").unwrap_err().contains("not closed"));
    }
}
