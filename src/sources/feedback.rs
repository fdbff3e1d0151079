//! Feedback scores (CONTRACT §1.2): survey answers, normalised with the
//! reject reasons of CONTRACT §5 (`score_out_of_range` for scores outside 1–5).

use anyhow::Result;
use polars::prelude::*;

use crate::formats::{MALFORMED, ROW, RawFile};
use crate::frames::*;
use crate::quality::reason;

const fn spec(name: &'static str, kind: Kind, required: bool) -> ColumnSpec {
    ColumnSpec { name, kind, required }
}

/// Columns of the feedback file, CONTRACT §1.2.
pub const COLUMNS: [ColumnSpec; 6] = [
    spec(TS, Kind::Timestamp, true),
    spec(CUSTOMER_ID, Kind::Text, true),
    spec(USER_ID, Kind::Text, false),
    spec(SCORE, Kind::Int, true),
    spec(COMMENT, Kind::Text, false),
    spec(SEGMENT, Kind::Text, false),
];

/// The columns the reports keep.
pub const KEPT_COLUMNS: [&str; 6] = [TS, CUSTOMER_ID, USER_ID, SCORE, COMMENT, SEGMENT];

pub fn normalize(raw: &RawFile) -> Result<LazyFrame> {
    let mut parsed = Vec::with_capacity(COLUMNS.len());
    for spec in COLUMNS {
        parsed.push(parse_column(raw, spec)?);
    }
    let [ts, customer, user, score, comment, segment]: [Parsed; 6] =
        parsed.try_into().map_err(|_| anyhow::anyhow!("column count"))?;
    let mut rules = Vec::new();
    if raw.has_malformed_flag() {
        rules.push(Rule {
            condition: col(MALFORMED),
            reason: reason::MALFORMED_ROW,
            column: "",
            text: lit(NULL).cast(DataType::String),
        });
    }
    rules.push(Rule {
        condition: ts.missing.clone(),
        reason: reason::MISSING_VALUE,
        column: TS,
        text: ts.text.clone(),
    });
    rules.push(Rule {
        condition: ts.invalid.clone(),
        reason: reason::BAD_TIMESTAMP,
        column: TS,
        text: ts.text.clone(),
    });
    rules.push(Rule {
        condition: customer.missing.clone(),
        reason: reason::MISSING_VALUE,
        column: CUSTOMER_ID,
        text: customer.text.clone(),
    });
    rules.push(Rule {
        condition: score.missing.clone(),
        reason: reason::MISSING_VALUE,
        column: SCORE,
        text: score.text.clone(),
    });
    rules.push(Rule {
        condition: score.invalid.clone(),
        reason: reason::INVALID_VALUE,
        column: SCORE,
        text: score.text.clone(),
    });
    rules.push(Rule {
        condition: score.value.clone().lt(lit(1)).or(score.value.clone().gt(lit(5))),
        reason: reason::SCORE_OUT_OF_RANGE,
        column: SCORE,
        text: score.text.clone(),
    });
    let null_str = || lit(NULL).cast(DataType::String);
    let mut exprs = vec![
        col(ROW),
        ts.value.alias(TS),
        customer.value.alias(CUSTOMER_ID),
        when(user.missing).then(null_str()).otherwise(user.value).alias(USER_ID),
        score.value.alias(SCORE),
        when(comment.missing)
            .then(null_str())
            .otherwise(comment.value)
            .alias(COMMENT),
        when(segment.missing)
            .then(null_str())
            .otherwise(segment.value)
            .alias(SEGMENT),
    ];
    exprs.extend(first_rule(rules));
    Ok(raw.frame.clone().select(exprs))
}
