//! NDJSON: one JSON object per line. Values become text (the normaliser
//! parses them like CSV fields); a line that is not a JSON object (a torn
//! write, a stray log line) becomes a record flagged [`MALFORMED`] so it is
//! counted, never dropped.

use anyhow::Result;
use polars::prelude::*;
use serde_json::Value;

use super::{MALFORMED, ROW};

/// Parse NDJSON bytes into a frame of text columns (keys lower-cased, so
/// `TS` and `ts` are one column) and the 1-based line of each record.
pub fn read(bytes: &[u8]) -> Result<(DataFrame, Vec<u32>)> {
    let text = String::from_utf8_lossy(bytes);
    // A byte-order mark (Excel, PowerShell) is not part of the first line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut names: Vec<String> = Vec::new();
    let mut columns: Vec<Vec<Option<String>>> = Vec::new();
    let mut malformed: Vec<bool> = Vec::new();
    let mut lines: Vec<u32> = Vec::new();

    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let n = malformed.len();
        let object = match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        };
        malformed.push(object.is_none());
        lines.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
        for column in columns.iter_mut() {
            column.push(None);
        }
        for (key, value) in object.into_iter().flatten() {
            let key = key.to_ascii_lowercase();
            let idx = match names.iter().position(|k| *k == key) {
                Some(idx) => idx,
                None => {
                    names.push(key);
                    columns.push(vec![None; n + 1]);
                    names.len() - 1
                }
            };
            columns[idx][n] = match value {
                Value::Null => None,
                Value::String(s) => Some(s),
                Value::Bool(b) => Some(b.to_string()),
                Value::Number(x) => Some(x.to_string()),
                other => Some(other.to_string()),
            };
        }
    }

    let height = malformed.len();
    let mut cols: Vec<Column> = Vec::with_capacity(names.len() + 2);
    cols.push(Column::new(
        ROW.into(),
        (0..height as IdxSize).collect::<Vec<IdxSize>>(),
    ));
    for (name, values) in names.into_iter().zip(columns) {
        cols.push(Column::new(name.into(), values));
    }
    cols.push(Column::new(MALFORMED.into(), malformed));
    Ok((DataFrame::new(height, cols)?, lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_lines_are_flagged_and_keys_fold_case() {
        let text = b"{\"TS\":\"2026-01-01T00:00:00Z\",\"n\":3}\n\n{\"ts\":\"x\",\"ok\":true\n{\"ts\":null,\"n\":1.5}\n";
        let (df, lines) = read(text).unwrap();
        assert_eq!(df.height(), 3);
        assert_eq!(lines, vec![1, 3, 4]);
        let ts = df.column("ts").unwrap().str().unwrap().clone();
        assert_eq!(ts.get(0), Some("2026-01-01T00:00:00Z"));
        assert_eq!(ts.get(1), None);
        let n = df.column("n").unwrap().str().unwrap().clone();
        assert_eq!(n.get(2), Some("1.5"));
        let bad: Vec<_> = df.column(MALFORMED).unwrap().bool().unwrap().iter().collect();
        assert_eq!(bad, vec![Some(false), Some(true), Some(false)]);
    }
}
