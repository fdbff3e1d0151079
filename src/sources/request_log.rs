//! The request log (docs/inputs.md#request-log): one row per API request, normalised into
//! canonical columns with the reject reason of docs/bad-input.md.

use anyhow::Result;
use polars::prelude::*;

use crate::formats::{ROW, RawFile};
use crate::frames::*;
use crate::quality::reason;
use crate::sources::Normalized;

const fn spec(name: &'static str, kind: Kind, required: bool) -> ColumnSpec {
    ColumnSpec { name, kind, required }
}

/// Columns of the request log, docs/inputs.md#request-log.
pub const COLUMNS: [ColumnSpec; 10] = [
    spec(TS, Kind::Timestamp, true),
    spec(CUSTOMER_ID, Kind::Text, true),
    spec(USER_ID, Kind::Text, true),
    spec(SEGMENT, Kind::Text, false),
    spec(ENDPOINT, Kind::Text, true),
    spec(STATUS, Kind::Int, true),
    spec(LATENCY_MS, Kind::Float, true),
    spec(CACHE_STATUS, Kind::CacheStatus, true),
    spec(CACHE_ENABLED, Kind::Bool, true),
    spec(UPSTREAM_CALLS, Kind::Int, false),
];

/// The request log as a source: no free text.
pub const SOURCE: crate::sources::Source = crate::sources::Source {
    columns: &COLUMNS,
    free_text: &[],
    normalize: |raw, _| normalize(raw),
    kept: &KPI_COLUMNS,
    empty: || super::empty_kept(&SOURCE),
};

/// The columns the KPI pass keeps.
pub const KPI_COLUMNS: [&str; 9] = [
    TS,
    CUSTOMER_ID,
    USER_ID,
    SEGMENT,
    STATUS,
    LATENCY_MS,
    CACHE_STATUS,
    CACHE_ENABLED,
    UPSTREAM_CALLS,
];

/// Normalise one raw request-log file: canonical columns, `upstream_calls`
/// defaulted (0 for HIT/STALE, 1 otherwise), and the reject reason.
pub fn normalize(raw: &RawFile) -> Result<Normalized> {
    let mut parsed = Vec::with_capacity(COLUMNS.len());
    for spec in COLUMNS {
        parsed.push(parse_column(raw, spec)?);
    }
    let [
        ts,
        customer,
        user,
        segment,
        endpoint,
        status,
        latency,
        cache_status,
        enabled,
        upstream,
    ]: [Parsed; 10] = parsed.try_into().map_err(|_| anyhow::anyhow!("column count"))?;

    let mut rules = opening_rules(raw, &ts);
    for (p, name) in [
        (&customer, CUSTOMER_ID),
        (&user, USER_ID),
        (&endpoint, ENDPOINT),
        (&status, STATUS),
        (&latency, LATENCY_MS),
        (&enabled, CACHE_ENABLED),
    ] {
        rules.push(Rule::missing(p, name));
    }
    for (p, name) in [
        (&status, STATUS),
        (&latency, LATENCY_MS),
        (&enabled, CACHE_ENABLED),
        (&upstream, UPSTREAM_CALLS),
    ] {
        rules.push(Rule {
            condition: p.invalid.clone(),
            reason: reason::INVALID_VALUE,
            column: name,
        });
    }
    rules.push(Rule {
        condition: upstream.value.clone().lt(lit(0)),
        reason: reason::INVALID_VALUE,
        column: UPSTREAM_CALLS,
    });
    rules.push(Rule {
        condition: latency.value.clone().lt(lit(0.0)),
        reason: reason::NEGATIVE_LATENCY,
        column: LATENCY_MS,
    });
    rules.push(Rule {
        condition: cache_status.invalid.clone(),
        reason: reason::UNKNOWN_CACHE_STATUS,
        column: CACHE_STATUS,
    });

    let served_from_cache = cache_status
        .value
        .clone()
        .eq(lit(cache_code(CacheStatus::Hit)))
        .or(cache_status.value.clone().eq(lit(cache_code(CacheStatus::Stale))))
        .fill_null(lit(false));
    let upstream_value = when(upstream.value.clone().is_null())
        .then(when(served_from_cache).then(lit(0i64)).otherwise(lit(1i64)))
        .otherwise(upstream.value);
    let segment_value = when(segment.missing)
        .then(lit(NULL).cast(DataType::String))
        .otherwise(segment.value);

    let mut exprs = vec![
        col(ROW),
        ts.value.alias(TS),
        customer.value.alias(CUSTOMER_ID),
        user.value.alias(USER_ID),
        segment_value.alias(SEGMENT),
        endpoint.value.alias(ENDPOINT),
        status.value.alias(STATUS),
        latency.value.alias(LATENCY_MS),
        cache_status.value.alias(CACHE_STATUS),
        enabled.value.alias(CACHE_ENABLED),
        upstream_value.alias(UPSTREAM_CALLS),
    ];
    exprs.push(first_rule(&rules));
    exprs.extend(raw_text_columns(raw, &rules));
    Ok(Normalized {
        frame: raw.frame.clone().select(exprs),
        rules: rules.iter().map(|r| (r.reason, r.column)).collect(),
    })
}
