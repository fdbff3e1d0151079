//! Feedback scores (docs/inputs.md#feedback): survey answers, normalised with the
//! reject reasons of docs/bad-input.md (`score_out_of_range` for scores outside
//! their scale). Answers are whole numbers on their scale (1–5 unless the
//! mapping names another, docs/inputs.md "Survey exports") and are kept on
//! the 1–5 scale of the targets, as Float64.

use anyhow::Result;
use polars::prelude::*;

use crate::formats::{ROW, RawFile};
use crate::frames::*;
use crate::quality::reason;
use crate::sources::Normalized;

const fn spec(name: &'static str, kind: Kind, required: bool) -> ColumnSpec {
    ColumnSpec { name, kind, required }
}

/// Columns of the feedback file, docs/inputs.md#feedback.
pub const COLUMNS: [ColumnSpec; 6] = [
    spec(TS, Kind::Timestamp, true),
    spec(CUSTOMER_ID, Kind::Text, true),
    spec(USER_ID, Kind::Text, false),
    spec(SCORE, Kind::Int, true),
    spec(COMMENT, Kind::Text, false),
    spec(SEGMENT, Kind::Text, false),
];

/// Feedback as a source: comments are free text (read lossily).
pub const SOURCE: crate::sources::Source = crate::sources::Source {
    columns: &COLUMNS,
    free_text: &[COMMENT],
    normalize,
    kept: &KEPT_COLUMNS,
    empty,
};

/// The columns the reports keep.
pub const KEPT_COLUMNS: [&str; 6] = [TS, CUSTOMER_ID, USER_ID, SCORE, COMMENT, SEGMENT];

pub fn normalize(raw: &RawFile, reading: crate::sources::Reading) -> Result<Normalized> {
    let scale = reading.score_scale;
    let (lo, hi) = scale.bounds();
    let mut parsed = Vec::with_capacity(COLUMNS.len());
    for spec in COLUMNS {
        parsed.push(parse_column(raw, spec)?);
    }
    let [ts, customer, user, score, comment, segment]: [Parsed; 6] =
        parsed.try_into().map_err(|_| anyhow::anyhow!("column count"))?;
    let mut rules = opening_rules(raw, &ts);
    rules.push(Rule::missing(&customer, CUSTOMER_ID));
    rules.push(Rule::missing(&score, SCORE));
    rules.push(Rule {
        condition: score.invalid.clone(),
        reason: reason::INVALID_VALUE,
        column: SCORE,
    });
    rules.push(Rule {
        condition: score.value.clone().lt(lit(lo)).or(score.value.clone().gt(lit(hi))),
        reason: reason::SCORE_OUT_OF_RANGE,
        column: SCORE,
    });
    let null_str = || lit(NULL).cast(DataType::String);
    let mut exprs = vec![
        col(ROW),
        ts.value.alias(TS),
        customer.value.alias(CUSTOMER_ID),
        when(user.missing).then(null_str()).otherwise(user.value).alias(USER_ID),
        on_five(score.value, scale).alias(SCORE),
        when(comment.missing)
            .then(null_str())
            .otherwise(comment.value)
            .alias(COMMENT),
        when(segment.missing)
            .then(null_str())
            .otherwise(segment.value)
            .alias(SEGMENT),
    ];
    exprs.push(first_rule(&rules));
    exprs.extend(raw_text_columns(raw, &rules));
    Ok(Normalized {
        frame: raw.frame.clone().select(exprs),
        rules: rules.iter().map(|r| (r.reason, r.column)).collect(),
    })
}

/// An answer on `scale` (Int64) on the 1–5 scale (Float64), by
/// [`Scale::to_five`](crate::ground::score::Scale::to_five).
fn on_five(answer: Expr, scale: crate::ground::score::Scale) -> Expr {
    let (lo, hi) = scale.bounds();
    let x = answer.cast(DataType::Float64);
    if (lo, hi) == (1, 5) {
        return x;
    }
    lit(1.0) + lit(4.0) * (x - lit(lo as f64)) / lit((hi - lo) as f64)
}

/// No feedback rows, in the columns and types of kept ones (a configuration
/// without `[sources] feedback`).
pub fn empty() -> Result<DataFrame> {
    let col = |name: &str, dt: DataType| Column::new_empty(name.into(), &dt);
    Ok(DataFrame::new(
        0,
        vec![
            col(TS, DataType::Int64),
            col(CUSTOMER_ID, DataType::String),
            col(USER_ID, DataType::String),
            col(SCORE, DataType::Float64),
            col(COMMENT, DataType::String),
            col(SEGMENT, DataType::String),
        ],
    )?)
}
