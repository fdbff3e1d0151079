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
    // In COLUMNS order: a struct literal's fields are evaluated as written.
    let mut parsed = COLUMNS.into_iter().map(|spec| parse_column(raw, spec));
    let mut next = || -> Result<Parsed> { Ok(parsed.next().ok_or_else(|| anyhow::anyhow!("column count"))??) };
    let columns = Columns {
        ts: next()?,
        customer: next()?,
        user: next()?,
        segment: next()?,
        endpoint: next()?,
        status: next()?,
        latency: next()?,
        cache_status: next()?,
        enabled: next()?,
        upstream: next()?,
    };
    let rules = columns.rules(raw);
    let mut exprs = columns.values();
    exprs.push(first_rule(&rules));
    exprs.extend(raw_text_columns(raw, &rules));
    Ok(Normalized {
        frame: raw.frame.clone().select(exprs),
        rules: rules.iter().map(|r| (r.reason, r.column)).collect(),
    })
}

/// The parsed columns of a request log, in [`COLUMNS`] order.
struct Columns {
    ts: Parsed,
    customer: Parsed,
    user: Parsed,
    segment: Parsed,
    endpoint: Parsed,
    status: Parsed,
    latency: Parsed,
    cache_status: Parsed,
    enabled: Parsed,
    upstream: Parsed,
}

impl Columns {
    /// The reject rules, in the order docs/bad-input.md gives them: the
    /// opening ones (timestamp, malformed lines), missing values, invalid
    /// values, negative origin calls and latency, unknown cache statuses.
    fn rules(&self, raw: &RawFile) -> Vec<Rule> {
        let mut rules = opening_rules(raw, &self.ts);
        for (p, name) in [
            (&self.customer, CUSTOMER_ID),
            (&self.user, USER_ID),
            (&self.endpoint, ENDPOINT),
            (&self.status, STATUS),
            (&self.latency, LATENCY_MS),
            (&self.enabled, CACHE_ENABLED),
        ] {
            rules.push(Rule::missing(p, name));
        }
        for (p, name) in [
            (&self.status, STATUS),
            (&self.latency, LATENCY_MS),
            (&self.enabled, CACHE_ENABLED),
            (&self.upstream, UPSTREAM_CALLS),
        ] {
            rules.push(Rule {
                condition: p.invalid.clone(),
                reason: reason::INVALID_VALUE,
                column: name,
            });
        }
        rules.push(Rule {
            condition: self.upstream.value.clone().lt(lit(0)),
            reason: reason::INVALID_VALUE,
            column: UPSTREAM_CALLS,
        });
        rules.push(Rule {
            condition: self.latency.value.clone().lt(lit(0.0)),
            reason: reason::NEGATIVE_LATENCY,
            column: LATENCY_MS,
        });
        rules.push(Rule {
            condition: self.cache_status.invalid.clone(),
            reason: reason::UNKNOWN_CACHE_STATUS,
            column: CACHE_STATUS,
        });
        rules
    }

    /// The canonical values: origin calls defaulted (0 for HIT/STALE, else
    /// 1), an empty segment null.
    fn values(self) -> Vec<Expr> {
        let served_from_cache = self
            .cache_status
            .value
            .clone()
            .eq(lit(cache_code(CacheStatus::Hit)))
            .or(self.cache_status.value.clone().eq(lit(cache_code(CacheStatus::Stale))))
            .fill_null(lit(false));
        let upstream_value = when(self.upstream.value.clone().is_null())
            .then(when(served_from_cache).then(lit(0i64)).otherwise(lit(1i64)))
            .otherwise(self.upstream.value);
        let segment_value = when(self.segment.missing)
            .then(lit(NULL).cast(DataType::String))
            .otherwise(self.segment.value);
        vec![
            col(ROW),
            self.ts.value.alias(TS),
            self.customer.value.alias(CUSTOMER_ID),
            self.user.value.alias(USER_ID),
            segment_value.alias(SEGMENT),
            self.endpoint.value.alias(ENDPOINT),
            self.status.value.alias(STATUS),
            self.latency.value.alias(LATENCY_MS),
            self.cache_status.value.alias(CACHE_STATUS),
            self.enabled.value.alias(CACHE_ENABLED),
            upstream_value.alias(UPSTREAM_CALLS),
        ]
    }
}
