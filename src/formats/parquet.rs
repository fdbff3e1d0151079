//! Parquet: typed columns, read lazily so only the needed columns are
//! decoded.

use std::path::Path;

use anyhow::Result;
use polars::polars_utils::pl_path::PlRefPath;
use polars::prelude::*;

use super::ROW;

pub fn scan(path: &Path) -> Result<LazyFrame> {
    let args = ScanArgsParquet {
        row_index: Some(RowIndex {
            name: PlSmallStr::from_static(ROW),
            offset: 0,
        }),
        ..Default::default()
    };
    Ok(LazyFrame::scan_parquet(
        PlRefPath::new(path.to_string_lossy().as_ref()),
        args,
    )?)
}
