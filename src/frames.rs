//! Canonical columns and the parsing of raw columns into them.
//!
//! Every source is normalised once into the same names and types, whatever
//! the file format: `ts` is epoch microseconds (UTC) as `Int64`, text stays
//! text, numbers are `Int64`/`Float64`, flags `Boolean`. Each parsed column
//! comes with two masks, `missing` and `invalid`, from which the sources build
//! the reject reason of docs/bad-input.md.

use polars::prelude::*;

use crate::error::SourceError;
use crate::formats::RawFile;

pub const TS: &str = "ts";
pub const CUSTOMER_ID: &str = "customer_id";
pub const USER_ID: &str = "user_id";
pub const SEGMENT: &str = "segment";
pub const ENDPOINT: &str = "endpoint";
pub const STATUS: &str = "status";
pub const LATENCY_MS: &str = "latency_ms";
pub const CACHE_STATUS: &str = "cache_status";
pub const CACHE_ENABLED: &str = "cache_enabled";
pub const UPSTREAM_CALLS: &str = "upstream_calls";
pub const SCORE: &str = "score";
pub const COMMENT: &str = "comment";
/// Index of the first reject rule that holds for a row (null: a valid row).
pub const RULE: &str = "__rule";
/// Prefix of the raw text columns kept for examples of bad rows.
pub const RAW_PREFIX: &str = "__raw_";

/// The cache statuses of docs/inputs.md#request-log, upper case; the canonical
/// `cache_status` column holds their code (index + 1), null when empty.
pub const CACHE_STATUSES: [&str; 5] = ["HIT", "STALE", "MISS", "BYPASS", "ERROR"];

/// The code of a cache status in the canonical `cache_status` column.
pub const fn cache_code(status: CacheStatus) -> i32 {
    status as i32
}

/// Cache statuses by code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum CacheStatus {
    Hit = 1,
    Stale = 2,
    Miss = 3,
    Bypass = 4,
    Error = 5,
}

/// How a column is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// RFC 3339 text with an offset, or a Parquet timestamp (UTC if naive).
    Timestamp,
    Text,
    Int,
    Float,
    /// true/false/1/0/yes/no in any case, or a boolean column.
    Bool,
    /// One of [`CACHE_STATUSES`] in any case; empty means not cacheable.
    CacheStatus,
}

impl Kind {
    /// The type of the canonical column.
    pub fn canonical_dtype(self) -> DataType {
        match self {
            Kind::Timestamp | Kind::Int => DataType::Int64,
            Kind::Float => DataType::Float64,
            Kind::Bool => DataType::Boolean,
            Kind::Text => DataType::String,
            Kind::CacheStatus => DataType::Int32,
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Kind::Timestamp => "a timestamp or RFC 3339 text",
            Kind::Text => "text",
            Kind::Int => "an integer",
            Kind::Float => "a number",
            Kind::Bool => "a boolean",
            Kind::CacheStatus => "text",
        }
    }
}

/// One column a source reads.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

/// A raw column turned into its canonical value and validity masks.
pub struct Parsed {
    /// The canonical value (null where missing or invalid).
    pub value: Expr,
    /// True where the field is absent or empty.
    pub missing: Expr,
    /// True where the field is present but does not parse.
    pub invalid: Expr,
    /// The raw text, for examples of bad rows (null for typed formats).
    pub text: Expr,
}

fn empty(c: Expr) -> Expr {
    c.clone().is_null().or(c.eq(lit("")))
}

/// Parse one column of a raw file. A required column that the file lacks is
/// an error naming the file and column; an optional one is all-missing.
pub fn parse_column(raw: &RawFile, spec: ColumnSpec) -> Result<Parsed, SourceError> {
    let Some((name, dtype)) = raw.column(spec.name) else {
        if spec.required && !raw.found_nothing() {
            return Err(SourceError::MissingColumn {
                path: raw.path.clone(),
                column: spec.name,
                found: raw.column_names(),
            });
        }
        let dt = spec.kind.canonical_dtype();
        return Ok(Parsed {
            value: lit(NULL).cast(dt),
            missing: lit(true),
            invalid: lit(false),
            text: lit(NULL).cast(DataType::String),
        });
    };
    let c = col(name);
    let text = if dtype == DataType::String {
        c.clone()
    } else {
        lit(NULL).cast(DataType::String)
    };
    let parsed = match spec.kind {
        Kind::Timestamp => timestamp(c, &dtype),
        Kind::Text => text_value(c, &dtype),
        Kind::CacheStatus => cache_status(c, &dtype),
        Kind::Int => int(c, &dtype),
        Kind::Float => float(c, &dtype),
        Kind::Bool => boolean(c, &dtype),
    };
    let Some((value, missing, invalid)) = parsed else {
        return Err(SourceError::Schema {
            path: raw.path.clone(),
            column: spec.name,
            expected: spec.kind.expected(),
            found: dtype.to_string(),
        });
    };
    Ok(Parsed {
        value,
        missing,
        invalid,
        text,
    })
}

/// A column's (value, missing, invalid), or None when its type cannot hold
/// the kind.
type Reading = Option<(Expr, Expr, Expr)>;

/// RFC 3339 text, or a datetime column.
fn timestamp(c: Expr, dtype: &DataType) -> Reading {
    match dtype {
        DataType::String => {
            let value = c
                .clone()
                .map(rfc3339_column, |_, f| Ok(Field::new(f.name().clone(), DataType::Int64)));
            let missing = empty(c);
            let invalid = missing.clone().not().and(value.clone().is_null());
            Some((value, missing, invalid))
        }
        DataType::Datetime(_, _) => Some((
            c.clone().dt().timestamp(TimeUnit::Microseconds),
            c.is_null(),
            lit(false),
        )),
        _ => None,
    }
}

/// Text, or any primitive written as text.
fn text_value(c: Expr, dtype: &DataType) -> Reading {
    if !dtype.is_primitive() && *dtype != DataType::String {
        return None;
    }
    let value = if *dtype == DataType::String {
        c
    } else {
        c.cast(DataType::String)
    };
    Some((value.clone(), empty(value), lit(false)))
}

/// A cache-status word as its code (null for none; -1 an unknown word).
fn cache_status(c: Expr, dtype: &DataType) -> Reading {
    if !dtype.is_primitive() && *dtype != DataType::String {
        return None;
    }
    let code = c.cast(DataType::String).map(cache_status_column, |_, f| {
        Ok(Field::new(f.name().clone(), DataType::Int32))
    });
    let value = when(code.clone().gt(lit(0)))
        .then(code.clone())
        .otherwise(lit(NULL).cast(DataType::Int32));
    Some((value, code.clone().eq(lit(0)), code.eq(lit(-1))))
}

/// An integer from text, an integer column, or a whole float.
fn int(c: Expr, dtype: &DataType) -> Reading {
    match dtype {
        DataType::String => {
            let value = c.clone().cast(DataType::Int64);
            let missing = empty(c);
            let invalid = missing.clone().not().and(value.clone().is_null());
            Some((value, missing, invalid))
        }
        dt if dt.is_integer() => Some((c.clone().cast(DataType::Int64), c.is_null(), lit(false))),
        dt if dt.is_float() || dt.is_decimal() => {
            let c = c.cast(DataType::Float64);
            let whole = c.clone().eq(c.clone().floor());
            Some((
                when(whole.clone())
                    .then(c.clone().cast(DataType::Int64))
                    .otherwise(lit(NULL).cast(DataType::Int64)),
                c.clone().is_null(),
                c.is_not_null().and(whole.not()),
            ))
        }
        _ => None,
    }
}

/// A finite number from text or a numeric column.
fn float(c: Expr, dtype: &DataType) -> Reading {
    match dtype {
        DataType::String => {
            let parsed = c.clone().cast(DataType::Float64);
            let finite = parsed.clone().is_finite();
            let missing = empty(c);
            let invalid = missing.clone().not().and(finite.clone().not().fill_null(lit(true)));
            let value = when(finite).then(parsed).otherwise(lit(NULL).cast(DataType::Float64));
            Some((value, missing, invalid))
        }
        dt if dt.is_primitive_numeric() || dt.is_decimal() => {
            let v = c.clone().cast(DataType::Float64);
            let invalid = c.clone().is_not_null().and(v.clone().is_finite().not());
            let value = when(v.clone().is_finite())
                .then(v)
                .otherwise(lit(NULL).cast(DataType::Float64));
            Some((value, c.is_null(), invalid))
        }
        _ => None,
    }
}

/// A boolean column, boolean words, or 0/1.
fn boolean(c: Expr, dtype: &DataType) -> Reading {
    match dtype {
        DataType::Boolean => Some((c.clone(), c.is_null(), lit(false))),
        DataType::String => {
            let code = c.map(bool_column, |_, f| Ok(Field::new(f.name().clone(), DataType::Int32)));
            let value = when(code.clone().gt_eq(lit(0)))
                .then(code.clone().eq(lit(1)))
                .otherwise(lit(NULL).cast(DataType::Boolean));
            Some((value, code.clone().is_null(), code.eq(lit(-1))))
        }
        dt if dt.is_integer() => {
            let t = c.clone().eq(lit(1));
            let f = c.clone().eq(lit(0));
            let invalid = c.clone().is_not_null().and(t.clone().or(f).not());
            let value = when(c.clone().is_null())
                .then(lit(NULL).cast(DataType::Boolean))
                .otherwise(t);
            Some((value, c.is_null(), invalid))
        }
        _ => None,
    }
}

/// One rule of the reject order: where `condition` holds (and no earlier
/// rule did), the row is rejected for `reason`, blaming `column`.
pub struct Rule {
    pub condition: Expr,
    pub reason: &'static str,
    pub column: &'static str,
}

impl Rule {
    /// A row without a value in `column`.
    pub fn missing(p: &Parsed, column: &'static str) -> Rule {
        Rule {
            condition: p.missing.clone(),
            reason: crate::quality::reason::MISSING_VALUE,
            column,
        }
    }
}

/// The rules every source starts with, in the order of docs/bad-input.md: a
/// malformed record, then a missing and a bad time stamp.
pub fn opening_rules(raw: &RawFile, ts: &Parsed) -> Vec<Rule> {
    use crate::quality::reason;
    let mut rules = Vec::new();
    if raw.has_malformed_flag() {
        rules.push(Rule {
            condition: col(crate::formats::MALFORMED),
            reason: reason::MALFORMED_ROW,
            column: "",
        });
    }
    rules.push(Rule::missing(ts, TS));
    rules.push(Rule {
        condition: ts.invalid.clone(),
        reason: reason::BAD_TIMESTAMP,
        column: TS,
    });
    rules
}

/// The index of the first rule that holds, as an `Int32` column named
/// [`RULE`] (null when none holds). One integer expression, however many
/// rules: the reason and column are looked up from the index afterwards.
pub fn first_rule(rules: &[Rule]) -> Expr {
    let mut code = lit(NULL).cast(DataType::Int32);
    for (i, rule) in rules.iter().enumerate().rev() {
        code = when(rule.condition.clone().fill_null(lit(false)))
            .then(lit(i as i32))
            .otherwise(code);
    }
    code.alias(RULE)
}

/// The raw text of the columns rules blame, kept (for text formats) so that
/// examples of bad rows can show the offending value.
pub fn raw_text_columns(raw: &RawFile, rules: &[Rule]) -> Vec<Expr> {
    let mut names: Vec<&str> = rules.iter().map(|r| r.column).filter(|c| !c.is_empty()).collect();
    names.dedup();
    let mut seen = Vec::new();
    names
        .into_iter()
        .filter(|n| {
            let new = !seen.contains(n);
            seen.push(*n);
            new
        })
        .filter_map(|n| match raw.column(n) {
            Some((name, DataType::String)) => Some(col(name).alias(format!("{RAW_PREFIX}{n}"))),
            _ => None,
        })
        // Malformed records blame no column: their reason is their text; and
        // text records carry their line.
        .chain(
            raw.column(crate::formats::WHY)
                .map(|_| col(crate::formats::WHY).alias(RAW_PREFIX)),
        )
        .chain(raw.column(crate::formats::LINE).map(|_| col(crate::formats::LINE)))
        .collect()
}

/// Map a text column to `Int32` codes with a byte-level function (null in,
/// null out), for parses Polars has no kernel for.
fn map_text(c: Column, f: fn(&str) -> Option<i32>) -> PolarsResult<Column> {
    let ca = c.str()?;
    let out: Int32Chunked = ca.iter().map(|v| v.and_then(f)).collect();
    Ok(out.with_name(c.name().clone()).into_column())
}

/// Cache status text → code: 0 empty, 1–5 per [`CACHE_STATUSES`] in any case, −1 unknown.
fn cache_status_code(v: &str) -> Option<i32> {
    if v.is_empty() {
        return Some(0);
    }
    Some(
        CACHE_STATUSES
            .iter()
            .position(|s| s.eq_ignore_ascii_case(v))
            .map_or(-1, |i| i as i32 + 1),
    )
}

fn cache_status_column(c: Column) -> PolarsResult<Column> {
    let out = map_text(c, cache_status_code)?;
    // A missing value (null) is an empty status: code 0.
    out.fill_null(FillNullStrategy::Zero)
}

/// Boolean text → 1 / 0, −1 when it is no boolean; null when empty.
fn bool_code(v: &str) -> Option<i32> {
    const TRUE: [&str; 3] = ["true", "1", "yes"];
    const FALSE: [&str; 3] = ["false", "0", "no"];
    if v.is_empty() {
        None
    } else if TRUE.iter().any(|t| t.eq_ignore_ascii_case(v)) {
        Some(1)
    } else if FALSE.iter().any(|t| t.eq_ignore_ascii_case(v)) {
        Some(0)
    } else {
        Some(-1)
    }
}

fn bool_column(c: Column) -> PolarsResult<Column> {
    map_text(c, bool_code)
}

/// Parse a column of RFC 3339 strings into epoch microseconds (null where a
/// value does not parse). Kept as the one UDF of the pipeline: Polars'
/// strptime does not accept `Z` and an offset in one format.
fn rfc3339_column(c: Column) -> PolarsResult<Column> {
    let ca = c.str()?;
    let out: Int64Chunked = ca.iter().map(|v| v.and_then(parse_rfc3339_micros)).collect();
    Ok(out.with_name(c.name().clone()).into_column())
}

/// Parse `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (RFC 3339; `t`/`z` and a
/// space separator accepted) into UTC epoch microseconds. Fractions beyond
/// microseconds are truncated. Anything without an offset is rejected.
pub fn parse_rfc3339_micros(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &ch in b.get(r)? {
            if !ch.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(ch - b'0');
        }
        Some(v)
    };
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut micros = 0i64;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 6 {
                micros = micros * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        let digits = i - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..6 {
            micros *= 10;
        }
    }
    let offset_secs = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = oh * 3600 + om * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let local = days * 86_400 + hour * 3600 + minute * 60 + second;
    Some((local - offset_secs) * 1_000_000 + micros)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono_micros(s: &str) -> Option<i64> {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_micros())
    }

    #[test]
    fn rfc3339_agrees_with_chrono() {
        for s in [
            "2026-11-17T09:30:00.123Z",
            "2026-11-17T09:30:00+01:00",
            "2026-11-22T23:30:00-05:00",
            "2026-11-17t09:30:00z",
            "2026-11-17 09:30:00Z",
            "2024-02-29T00:00:00.5+14:00",
            "1969-12-31T23:59:59.999999Z",
            "2026-03-01T00:00:00.123456789-00:30",
            "2000-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_micros(s), chrono_micros(s), "{s}");
            assert!(parse_rfc3339_micros(s).is_some(), "{s}");
        }
    }

    #[test]
    fn rfc3339_rejects_what_is_not_rfc3339_with_an_offset() {
        for s in [
            "2026-11-17T09:30:00",      // no offset
            "2026-11-17 09:30",         // no seconds
            "2026-02-29T00:00:00Z",     // not a leap year
            "2026-13-01T00:00:00Z",     // month 13
            "2026-11-17T24:00:00Z",     // hour 24
            "2026-11-17T09:30:00+0100", // offset without colon
            "2026-11-17T09:30:00.Z",    // empty fraction
            "17/11/2026 09:30:00 +01:00",
            "yesterday",
            "",
        ] {
            assert_eq!(parse_rfc3339_micros(s), None, "{s}");
        }
    }
}
