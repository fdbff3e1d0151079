//! The feedback a report quotes: the period's most recent comments with the
//! customer's name.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::{DateTime, Utc};
use polars::prelude::*;
use serde::Serialize;

use crate::frames::{COMMENT, CUSTOMER_ID, SCORE, SEGMENT, TS};
use crate::period::Period;
use crate::sources::customers;

/// How many recent comments a report shows.
const COMMENTS_SHOWN: usize = 5;

/// A feedback comment shown in the summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comment {
    pub ts: String,
    pub customer: String,
    pub segment: String,
    pub score: i64,
    pub text: String,
}

/// The most recent non-empty comments of the period, newest first.
pub fn recent_comments(
    fb: &DataFrame,
    period: &Period,
    customers: Option<&DataFrame>,
    tz: chrono_tz::Tz,
) -> Result<Vec<Comment>> {
    let (a, b) = period.micros();
    let recent = fb
        .clone()
        .lazy()
        .filter(
            col(TS)
                .gt_eq(lit(a))
                .and(col(TS).lt(lit(b)))
                .and(col(COMMENT).is_not_null()),
        )
        .sort([TS], SortMultipleOptions::default().with_order_descending(true))
        .limit(COMMENTS_SHOWN as IdxSize)
        .collect()?;
    let names: BTreeMap<String, String> = match customers {
        Some(c) => {
            let ids = c.column(CUSTOMER_ID)?.str()?;
            let names = c.column(customers::NAME)?.str()?;
            ids.iter()
                .zip(names.iter())
                .filter_map(|(i, n)| Some((i?.to_string(), n?.to_string())))
                .collect()
        }
        None => BTreeMap::new(),
    };
    let ts = recent.column(TS)?.i64()?;
    let cust = recent.column(CUSTOMER_ID)?.str()?;
    let seg = recent.column(SEGMENT)?.str()?;
    let score = recent.column(SCORE)?.i64()?;
    let text = recent.column(COMMENT)?.str()?;
    let mut out = Vec::new();
    for i in 0..recent.height() {
        let id = cust.get(i).unwrap_or_default();
        out.push(Comment {
            ts: ts
                .get(i)
                .and_then(DateTime::<Utc>::from_timestamp_micros)
                .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
            customer: names.get(id).cloned().unwrap_or_else(|| id.to_string()),
            segment: seg.get(i).unwrap_or_default().to_string(),
            score: score.get(i).unwrap_or_default(),
            text: text.get(i).unwrap_or_default().to_string(),
        });
    }
    Ok(out)
}
