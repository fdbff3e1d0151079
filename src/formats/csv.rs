//! CSV with a header row: every column read as text (the normaliser parses
//! and validates), quoted fields may span lines.

use std::io::Cursor;
use std::path::Path;

use anyhow::Result;
use polars::polars_utils::pl_path::PlRefPath;
use polars::prelude::*;

use super::{Compression, ROW, read_bytes};

fn row_index() -> Option<RowIndex> {
    Some(RowIndex {
        name: PlSmallStr::from_static(ROW),
        offset: 0,
    })
}

/// Scan a CSV file lazily (plain files) or from its decompressed bytes.
pub fn scan(path: &Path, compression: Compression) -> Result<LazyFrame> {
    if compression == Compression::None {
        let lf = LazyCsvReader::new(PlRefPath::new(path.to_string_lossy().as_ref()))
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_truncate_ragged_lines(true)
            .with_row_index(row_index())
            .finish()?;
        return Ok(lf);
    }
    let bytes = read_bytes(path, compression)?;
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_row_index(row_index())
        .map_parse_options(|o| o.with_truncate_ragged_lines(true))
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()?;
    Ok(df.lazy())
}

/// The 1-based line on which each record starts (records are 0-based data
/// rows, header excluded; `rows` ascending). Quoted newlines are accounted
/// for, which a plain `row + 2` would get wrong.
pub fn record_lines(bytes: &[u8], rows: &[u32]) -> Result<Vec<u64>> {
    let Some(&last) = rows.iter().max() else {
        return Ok(Vec::new());
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let mut record = ::csv::ByteRecord::new();
    let mut starts = Vec::with_capacity(last as usize + 1);
    while starts.len() <= last as usize {
        let line = reader.position().line();
        if !reader.read_byte_record(&mut record)? {
            break;
        }
        // The position before reading may still sit on the previous record's
        // line end; the record's own position is exact.
        let line = record.position().map_or(line, |p| p.line());
        starts.push(line);
    }
    Ok(rows
        .iter()
        .map(|r| starts.get(*r as usize).copied().unwrap_or(0))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_lines_follow_quoted_newlines() {
        let text = b"ts,comment\n2026-01-01T00:00:00Z,plain\n2026-01-01T00:00:00Z,\"two\nlines\"\n2026-01-01T00:00:00Z,after\n";
        // Record 0 is on line 2, record 1 spans lines 3–4, record 2 is on line 5.
        assert_eq!(record_lines(text, &[0, 1, 2]).unwrap(), vec![2, 3, 5]);
    }

    #[test]
    fn scans_text_columns_with_a_row_index() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.csv");
        std::fs::write(&p, "a,B\n1,x\n2,\n").unwrap();
        let df = scan(&p, Compression::None).unwrap().collect().unwrap();
        assert_eq!(
            df.get_column_names().iter().map(|n| n.as_str()).collect::<Vec<_>>(),
            vec![ROW, "a", "B"]
        );
        assert_eq!(df.column("a").unwrap().dtype(), &DataType::String);
        assert_eq!(df.column("B").unwrap().null_count(), 1);
    }
}
