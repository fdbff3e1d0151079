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
    /// On the 1–5 scale; whole scores serialize as integers.
    #[serde(serialize_with = "crate::ground::score::whole_as_int")]
    pub score: f64,
    pub text: String,
}

/// The feedback rows of `period` for which `also` holds, sorted by time
/// (`newest_first` or oldest first).
pub fn rows_of(fb: &DataFrame, period: &Period, also: Expr, newest_first: bool) -> Result<LazyFrame> {
    let (a, b) = period.micros();
    Ok(fb
        .clone()
        .lazy()
        .filter(col(TS).gt_eq(lit(a)).and(col(TS).lt(lit(b))).and(also))
        .sort([TS], SortMultipleOptions::default().with_order_descending(newest_first)))
}

/// The most recent non-empty comments of the period, newest first.
pub fn recent_comments(
    fb: &DataFrame,
    period: &Period,
    customers: Option<&DataFrame>,
    tz: chrono_tz::Tz,
) -> Result<Vec<Comment>> {
    let recent = rows_of(fb, period, col(COMMENT).is_not_null(), true)?
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
    let score = recent.column(SCORE)?.f64()?;
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

/// One customer's feedback over a window: answers, their mean, and the
/// newest comment scored 4 or 5 (a quote for a case study).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CustomerFeedback {
    pub responses: u64,
    pub mean_score: Option<f64>,
    pub quote: Option<String>,
}

/// Per customer id, the feedback of `period`.
pub fn by_customer(fb: &DataFrame, period: &Period) -> Result<BTreeMap<String, CustomerFeedback>> {
    let rows = rows_of(fb, period, lit(true), false)?.collect()?;
    let cust = rows.column(CUSTOMER_ID)?.str()?;
    let score = rows.column(SCORE)?.f64()?;
    let text = rows.column(COMMENT)?.str()?;
    let mut sums: BTreeMap<String, (u64, f64, Option<String>)> = BTreeMap::new();
    for i in 0..rows.height() {
        let (Some(id), Some(s)) = (cust.get(i), score.get(i)) else {
            continue;
        };
        let e = sums.entry(id.to_string()).or_default();
        e.0 += 1;
        e.1 += s;
        // Rows are oldest first: the last good comment is the newest.
        if s >= 4.0
            && let Some(t) = text.get(i).map(str::trim).filter(|t| !t.is_empty())
        {
            e.2 = Some(t.to_string());
        }
    }
    Ok(sums
        .into_iter()
        .map(|(id, (n, sum, quote))| {
            (
                id,
                CustomerFeedback {
                    responses: n,
                    mean_score: (n > 0).then(|| sum / n as f64),
                    quote,
                },
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::parse_rfc3339_micros;
    use crate::period::IsoWeek;

    #[test]
    fn each_customer_gets_answers_mean_and_newest_good_quote() {
        // W47 (Nov 16–22) UTC. c1: 5 "Great", 2 "Bad", 4 "Good" (newest good:
        // "Good"), mean 11/3; c2: 3 without a comment; a c1 answer on Nov 23 is
        // outside the week.
        let ts = |s: &str| parse_rfc3339_micros(s).unwrap();
        let fb = df!(
            TS => [ts("2026-11-16T10:00:00Z"), ts("2026-11-17T10:00:00Z"), ts("2026-11-18T10:00:00Z"), ts("2026-11-18T11:00:00Z"), ts("2026-11-23T10:00:00Z")],
            CUSTOMER_ID => ["c1", "c1", "c1", "c2", "c1"],
            SCORE => [5.0, 2.0, 4.0, 3.0, 5.0],
            COMMENT => [Some("Great"), Some("Bad"), Some("Good"), None, Some("Later")],
        )
        .unwrap();
        let by = by_customer(&fb, &IsoWeek { year: 2026, week: 47 }.period(chrono_tz::UTC)).unwrap();
        assert_eq!(by["c1"].responses, 3);
        assert!((by["c1"].mean_score.unwrap() - 11.0 / 3.0).abs() < 1e-12);
        assert_eq!(by["c1"].quote.as_deref(), Some("Good"));
        assert_eq!(
            (by["c2"].responses, by["c2"].mean_score, by["c2"].quote.clone()),
            (1, Some(3.0), None)
        );
    }
}
