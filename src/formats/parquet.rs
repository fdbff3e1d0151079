//! Parquet: typed columns. Only the asked-for columns are decoded; their
//! types are checked first, so an unsupported type (Float16, a list, a
//! 256-bit decimal, …) is a one-line error naming file and column, and one
//! in a column the report does not use costs nothing. Decimals (what SQL
//! engines write for numbers) are read and cast by the normaliser.

use std::path::Path;

use anyhow::Result;
use polars::prelude::*;

use super::{ROW, Wanted};
use crate::error::SourceError;

/// Arrow types read as they are (the normaliser checks them per column).
fn readable(dt: &ArrowDataType) -> bool {
    use ArrowDataType as A;
    matches!(
        dt,
        A::Null
            | A::Boolean
            | A::Int8
            | A::Int16
            | A::Int32
            | A::Int64
            | A::UInt8
            | A::UInt16
            | A::UInt32
            | A::UInt64
            | A::Float32
            | A::Float64
            | A::Utf8
            | A::LargeUtf8
            | A::Utf8View
            | A::Timestamp(_, _)
            | A::Date32
    ) || matches!(dt, A::Decimal(p, _) | A::Decimal32(p, _) | A::Decimal64(p, _) if *p <= 38)
}

/// The asked-for columns (renamed to their canonical names) with [`ROW`],
/// and every column name the file has.
pub fn read(path: &Path, wanted: &Wanted) -> Result<(DataFrame, Vec<String>)> {
    let unreadable = |e: &dyn std::fmt::Display| SourceError::Unreadable {
        path: path.to_path_buf(),
        reason: crate::error::clip(&e.to_string().replace('\n', " "), 300),
    };
    let file = std::fs::File::open(path).map_err(|e| unreadable(&e))?;
    let mut reader = ParquetReader::new(file);
    let schema = reader.schema().map_err(|e| unreadable(&e))?;
    let found: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    let mut selected: Vec<(String, &'static str)> = Vec::new();
    for w in &wanted.names {
        let Some((name, field)) = schema.iter().find(|(n, _)| n.eq_ignore_ascii_case(w)) else {
            continue;
        };
        if !readable(field.dtype()) {
            return Err(unreadable(&format!(
                "column `{}` has type {:?}, which cacheroi does not read (use integers, floats, decimals, booleans, text or timestamps)",
                crate::error::clip(name, 40),
                field.dtype()
            ))
            .into());
        }
        if !selected.iter().any(|(_, c)| c == w) {
            selected.push((name.to_string(), w));
        }
    }
    let mut df = reader
        .with_columns(Some(selected.iter().map(|(n, _)| n.clone()).collect()))
        .with_row_index(Some(RowIndex {
            name: PlSmallStr::from_static(ROW),
            offset: 0,
        }))
        .finish()
        .map_err(|e| unreadable(&e))?;
    for (name, canonical) in &selected {
        if name != canonical {
            df.rename(name, (*canonical).into()).map_err(|e| unreadable(&e))?;
        }
    }
    Ok((df, found))
}
