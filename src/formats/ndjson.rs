//! NDJSON: one JSON object per line, streamed in chunks. Values become text
//! (the normaliser parses them like CSV fields); keys match the asked-for
//! columns case-insensitively (the first of duplicates wins). A line that is
//! not a JSON object (a torn write, a stray log line) is a malformed row,
//! counted, never dropped; so is a line whose bytes are not UTF-8 where an
//! asked-for value other than free text is affected. Blank lines are no rows.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use anyhow::Result;
use serde_json::value::RawValue;

use super::text::for_each_line;
use super::{Columns, Limits, Wanted};

/// Read an NDJSON stream into text columns for `wanted`.
pub fn read(path: &Path, input: impl Read, wanted: &Wanted, limits: &Limits) -> Result<Columns> {
    let mut cols = Columns::new(wanted, &[]);
    for_each_line(path, input, limits, |line_no, line| record(&mut cols, line_no, line))?;
    Ok(cols)
}

/// One line: a row of the object's asked-for values, or a malformed row.
fn record(cols: &mut Columns, line_no: u64, line: &[u8]) {
    let (text, lossy) = match String::from_utf8_lossy(line) {
        Cow::Borrowed(s) => (Cow::Borrowed(s), false),
        Cow::Owned(s) => (Cow::Owned(s), true),
    };
    let object: Result<Vec<(Cow<str>, &RawValue)>, _> = serde_json::from_str::<ObjectEntries>(&text).map(|o| o.0);
    let Ok(entries) = object else {
        cols.push_malformed(line_no, "not a JSON object");
        return;
    };
    let n = cols.wanted().names.len();
    let mut values: Vec<Option<Cow<str>>> = vec![None; n];
    let mut taken = vec![false; n];
    for (key, raw) in &entries {
        cols.see(key);
        let Some(w) = cols.wanted().names.iter().position(|w| w.eq_ignore_ascii_case(key)) else {
            continue;
        };
        if taken[w] {
            continue;
        }
        taken[w] = true;
        values[w] = text_of(raw);
    }
    if lossy {
        let wanted = cols.wanted();
        let hit =
            wanted.names.iter().zip(&values).find(|(name, v)| {
                !wanted.free_text.contains(name) && v.as_deref().is_some_and(|s| s.contains('\u{fffd}'))
            });
        if let Some((name, _)) = hit {
            let why = format!("invalid UTF-8 in `{name}`");
            cols.push_malformed(line_no, &why);
            return;
        }
    }
    let refs: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
    cols.push_values(line_no, &refs);
}

/// A JSON value as text: strings unescaped, null as none, numbers and
/// booleans as written, objects and arrays as their JSON.
fn text_of(raw: &RawValue) -> Option<Cow<'_, str>> {
    let t = raw.get().trim();
    match t.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<Cow<str>>(t).ok(),
        _ if t == "null" => None,
        _ => Some(Cow::Borrowed(t)),
    }
}

/// The entries of a JSON object in order, values left as raw JSON.
struct ObjectEntries<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for ObjectEntries<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = ObjectEntries<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<Cow<'de, str>, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(ObjectEntries(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{LINE, MALFORMED};
    use polars::prelude::*;

    fn wanted() -> Wanted {
        Wanted {
            names: vec!["ts", "n", "ok", "comment"],
            free_text: vec!["comment"],
        }
    }

    fn read_text(text: &[u8]) -> DataFrame {
        read(Path::new("t.ndjson"), text, &wanted(), &Limits::default())
            .unwrap()
            .finish()
            .unwrap()
    }

    fn strings(df: &DataFrame, name: &str) -> Vec<Option<String>> {
        df.column(name)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    }

    #[test]
    fn torn_lines_are_flagged_and_keys_fold_case() {
        let text = b"{\"TS\":\"2026-01-01T00:00:00Z\",\"n\":3}\n\n{\"ts\":\"x\",\"ok\":true\n{\"ts\":null,\"n\":1.5,\"ok\":false}\n";
        let df = read_text(text);
        assert_eq!(df.height(), 3);
        let lines: Vec<_> = df.column(LINE).unwrap().u32().unwrap().into_no_null_iter().collect();
        assert_eq!(lines, vec![1, 3, 4]);
        assert_eq!(
            strings(&df, "ts"),
            vec![Some("2026-01-01T00:00:00Z".into()), None, None]
        );
        assert_eq!(strings(&df, "n")[2], Some("1.5".into()));
        assert_eq!(strings(&df, "ok")[2], Some("false".into()));
        let bad: Vec<_> = df
            .column(MALFORMED)
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or(false))
            .collect();
        assert_eq!(bad, vec![false, true, false]);
    }

    #[test]
    fn cr_only_lines_and_internal_key_names() {
        // CR-only line ends; keys that look internal are just other columns.
        let df = read_text(b"{\"ts\":\"a\",\"__cacheroi_row\":7,\"__row\":1}\r{\"ts\":\"b\",\"__malformed\":true}\r");
        assert_eq!(strings(&df, "ts"), vec![Some("a".into()), Some("b".into())]);
        let bad: Vec<_> = df
            .column(MALFORMED)
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or(false))
            .collect();
        assert_eq!(bad, vec![false, false]);
    }

    #[test]
    fn an_empty_file_has_no_rows() {
        for text in [&b""[..], b"\n\r\n", b"\xef\xbb\xbf\n"] {
            let df = read_text(text);
            assert_eq!(df.height(), 0);
            assert!(df.column("ts").is_err(), "no column seen");
        }
    }

    #[test]
    fn invalid_utf8_outside_free_text_is_malformed() {
        let df = read_text(b"{\"ts\":\"a\",\"comment\":\"caf\xe9\"}\n{\"ts\":\"b\xff\"}\n");
        let bad: Vec<_> = df
            .column(MALFORMED)
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or(false))
            .collect();
        assert_eq!(bad, vec![false, true]);
        assert_eq!(strings(&df, "comment")[0], Some("caf\u{fffd}".into()));
    }
}
