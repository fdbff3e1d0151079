//! `[limits]`: what one input file may cost.

use anyhow::Result;
use serde::Deserialize;

use super::Sp;
use super::errors::Errors;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LimitsModel {
    pub(super) max_expansion: Option<Sp<i64>>,
    pub(super) max_decompressed_mib: Option<Sp<i64>>,
    pub(super) max_line_kib: Option<Sp<i64>>,
}

/// `[limits]`.
pub(super) fn limits_of(err: &Errors, l: LimitsModel) -> Result<crate::formats::Limits> {
    let d = crate::formats::Limits::default();
    let limits = crate::formats::Limits {
        max_expansion: err.integer(
            &l.max_expansion,
            "limits.max_expansion",
            d.max_expansion as i64,
            1,
            100_000,
        )? as u64,
        max_decompressed_mib: err.integer(
            &l.max_decompressed_mib,
            "limits.max_decompressed_mib",
            d.max_decompressed_mib as i64,
            1,
            1 << 30,
        )? as u64,
        max_line_kib: err.integer(
            &l.max_line_kib,
            "limits.max_line_kib",
            d.max_line_kib as i64,
            1,
            1 << 20,
        )? as u64,
    };
    Ok(limits)
}
