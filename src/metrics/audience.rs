//! What the audience briefs need beyond the weekly KPIs, computed with the
//! weekly report from the same loaded data: low feedback scores with their
//! comments and a keyword theme, the customers who got STALE or ERROR
//! answers, and the enterprise customers' savings against the brief's claim.

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;
use serde::Serialize;

use super::fold::{self, Days};
use crate::frames::{COMMENT, CUSTOMER_ID, SCORE, TS};
use crate::period::Period;
use crate::rollups::Merged;

/// The audience briefs' inputs of one week, beside its weekly report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Audience {
    /// Net savings from the rollout's start to the week's end (cost_savings
    /// over that window), its first day and its length in days.
    pub since_rollout: Option<(chrono::NaiveDate, i64, f64)>,
    /// Each customer's figures over the week, with name and tier.
    pub customers: Vec<super::customers::CustomerRow>,
    /// Answers scored at most [`LOW_SCORE`] this week and the week before.
    pub low_scores: Vec<LowScore>,
    pub low_scores_before: Vec<LowScore>,
    /// Customers with STALE or ERROR answers this week and the week before.
    pub affected: Vec<Affected>,
    pub affected_before: Vec<Affected>,
}

/// The briefs' audience figures of a week (`periods`: the week, the week
/// before, and the window since the rollout's start if it began), with the
/// enterprise customers' savings.
pub fn of_week(
    m: &crate::rollups::Merged,
    feedback: &polars::prelude::DataFrame,
    customers: Option<&polars::prelude::DataFrame>,
    base: &super::requests::Baseline,
    (period, before, since): (
        &crate::period::Period,
        &crate::period::Period,
        Option<&crate::period::Period>,
    ),
    costs: &crate::ground::money::Costs,
) -> anyhow::Result<(Audience, Option<EnterpriseSavings>)> {
    let since_rollout = match since {
        Some(p) => super::requests::measure_periods(m, feedback, std::slice::from_ref(p), base, costs, None)?
            .pop()
            .and_then(|w| w.overall.get(&crate::ground::kpi::Kpi::CostSavings).copied().flatten())
            .map(|v| (p.start_date, p.days(), v)),
        None => None,
    };
    let rows = super::customers::rows(m, customers, base, period, costs)?;
    let enterprise = enterprise_savings(&rows, period.days() as f64);
    let days = super::requests::days_of;
    Ok((
        Audience {
            since_rollout,
            customers: rows,
            low_scores: low_scores(feedback, period)?,
            low_scores_before: low_scores(feedback, before)?,
            affected: affected(m, days(period)),
            affected_before: affected(m, days(before)),
        },
        enterprise,
    ))
}

/// The enterprise customers' savings of a period, a year at its rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnterpriseSavings {
    /// Enterprise customers (tier `enterprise`) with requests with the cache.
    pub customers: usize,
    /// The mean over them of net savings × 365 ÷ days.
    pub mean_annual_net_savings: f64,
}

/// The mean annual net savings per enterprise customer with the cache over
/// a period of `days` (None when no enterprise customer had the cache).
pub fn enterprise_savings(rows: &[super::customers::CustomerRow], days: f64) -> Option<EnterpriseSavings> {
    let each: Vec<f64> = rows
        .iter()
        .filter(|c| c.tier.eq_ignore_ascii_case("enterprise") && c.cached_requests > 0)
        .filter_map(|c| c.net_savings.map(|n| n * 365.0 / days))
        .collect();
    (!each.is_empty() && days > 0.0).then(|| EnterpriseSavings {
        customers: each.len(),
        mean_annual_net_savings: each.iter().sum::<f64>() / each.len() as f64,
    })
}

/// A score at or below this is a low score the support brief lists (a
/// complaint is ≤ 2, the `complaints` of docs/kpis.md#the-kpis).
pub const LOW_SCORE: f64 = 3.0;

/// The keyword themes of a comment, in the order they are tried; a comment
/// matching none is `other`.
pub const THEMES: [(&str, &[&str]); 4] = [
    (
        "stale",
        &[
            "stale",
            "outdated",
            "out of date",
            "old data",
            "old value",
            "not updated",
            "wrong data",
            "didn't update",
            "did not update",
            "refresh",
        ],
    ),
    (
        "slow",
        &[
            "slow",
            "lag",
            "timeout",
            "timed out",
            "wait",
            "latency",
            "sluggish",
            "hang",
        ],
    ),
    (
        "error",
        &["error", "fail", "broken", "crash", "500", "503", "exception", "bug"],
    ),
    (
        "confusing",
        &[
            "confus",
            "unclear",
            "don't understand",
            "what changed",
            "where is",
            "missing",
        ],
    ),
];

/// The theme of a comment: the first of [`THEMES`] one of whose keywords
/// starts a word of it (any case: "confus" matches "Confusing", "hang" does
/// not match "changed"), else `other`.
pub fn theme(text: &str) -> &'static str {
    let t = text.to_lowercase();
    let starts_a_word = |w: &str| {
        t.match_indices(w)
            .any(|(i, _)| t[..i].chars().next_back().is_none_or(|c| !c.is_alphanumeric()))
    };
    THEMES
        .iter()
        .find(|(_, words)| words.iter().any(|w| starts_a_word(w)))
        .map_or("other", |(name, _)| name)
}

/// One feedback answer scored at most [`LOW_SCORE`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LowScore {
    pub customer_id: String,
    /// On the 1–5 scale; whole scores serialize as integers.
    #[serde(serialize_with = "crate::ground::score::whole_as_int")]
    pub score: f64,
    /// Empty when the answer has no comment.
    pub comment: String,
    pub theme: &'static str,
    /// Epoch microseconds, for ordering.
    pub ts: i64,
}

/// Every answer of `period` scored at most [`LOW_SCORE`], oldest first.
pub fn low_scores(fb: &DataFrame, period: &Period) -> Result<Vec<LowScore>> {
    let rows = super::feedback::rows_of(fb, period, col(SCORE).lt_eq(lit(LOW_SCORE)), false)?.collect()?;
    let ts = rows.column(TS)?.i64()?;
    let cust = rows.column(CUSTOMER_ID)?.str()?;
    let score = rows.column(SCORE)?.f64()?;
    let text = rows.column(COMMENT)?.str()?;
    Ok((0..rows.height())
        .filter_map(|i| {
            let comment = text.get(i).map(str::trim).unwrap_or_default().to_string();
            Some(LowScore {
                customer_id: cust.get(i)?.to_string(),
                score: score.get(i)?,
                theme: if comment.is_empty() {
                    "no comment"
                } else {
                    theme(&comment)
                },
                comment,
                ts: ts.get(i).unwrap_or_default(),
            })
        })
        .collect())
}

/// A customer who got STALE or ERROR answers with the cache.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Affected {
    pub customer_id: String,
    pub requests_with_cache: u64,
    pub stale: u64,
    pub error: u64,
}

/// Customers with STALE or ERROR answers over `days`, most affected first
/// (stale + error, then id).
pub fn affected(m: &Merged, days: Days) -> Vec<Affected> {
    let mut out: Vec<Affected> = fold::customers(m, days)
        .into_iter()
        .filter(|c| c.e_stale + c.e_error > 0)
        .map(|c| Affected {
            customer_id: c.customer_id,
            requests_with_cache: c.e_rows,
            stale: c.e_stale,
            error: c.e_error,
        })
        .collect();
    out.sort_by(|a, b| {
        (b.stale + b.error)
            .cmp(&(a.stale + a.error))
            .then_with(|| a.customer_id.cmp(&b.customer_id))
    });
    out
}

/// Answers by a key (customer id or theme), each group oldest first.
pub type Groups<'a, K> = BTreeMap<K, Vec<&'a LowScore>>;

/// Low scores grouped: by customer (id → answers) and by theme (theme →
/// answers), each group oldest first.
pub fn grouped(scores: &[LowScore]) -> (Groups<'_, String>, Groups<'_, &'static str>) {
    let mut by_customer: Groups<'_, String> = BTreeMap::new();
    let mut by_theme: Groups<'_, &'static str> = BTreeMap::new();
    for s in scores {
        by_customer.entry(s.customer_id.clone()).or_default().push(s);
        by_theme.entry(s.theme).or_default().push(s);
    }
    (by_customer, by_theme)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::parse_rfc3339_micros;
    use crate::period::IsoWeek;

    #[test]
    fn comments_fall_into_the_first_theme_they_mention() {
        assert_eq!(theme("The dashboard showed STALE numbers"), "stale");
        assert_eq!(theme("so slow today, and an error"), "slow");
        assert_eq!(theme("Got a 503 twice"), "error");
        assert_eq!(theme("What changed? Confusing."), "confusing");
        assert_eq!(theme("meh"), "other");
        // Keywords start words: "hang" is not in "changed", "lag" not in "flag".
        assert_eq!(theme("the flag changed"), "other");
    }

    #[test]
    fn low_scores_of_the_week_only_with_their_theme() {
        let ts = |s: &str| parse_rfc3339_micros(s).unwrap();
        let fb = df!(
            TS => [ts("2026-11-16T09:00:00Z"), ts("2026-11-17T09:00:00Z"), ts("2026-11-18T09:00:00Z"), ts("2026-11-24T09:00:00Z")],
            CUSTOMER_ID => ["c1", "c2", "c1", "c1"],
            SCORE => [2.0, 5.0, 3.0, 1.0],
            COMMENT => [Some("numbers were outdated"), Some("great"), None, Some("next week")],
        )
        .unwrap();
        let week = IsoWeek::parse("2026-W47").unwrap().period(chrono_tz::UTC);
        let s = low_scores(&fb, &week).unwrap();
        // The 5 is not low; the 1 is the next week's.
        let got: Vec<(&str, f64, &str)> = s.iter().map(|x| (x.customer_id.as_str(), x.score, x.theme)).collect();
        assert_eq!(got, [("c1", 2.0, "stale"), ("c1", 3.0, "no comment")]);
        let (by_customer, by_theme) = grouped(&s);
        assert_eq!(by_customer["c1"].len(), 2);
        assert_eq!(by_theme["stale"].len(), 1);
    }

    #[test]
    fn enterprise_savings_are_the_mean_of_each_customers_year() {
        use crate::metrics::customers::CustomerRow;
        let row = |tier: &str, cached: u64, net: f64| CustomerRow {
            customer_id: "c".into(),
            name: "n".into(),
            tier: tier.into(),
            requests: cached,
            cached_requests: cached,
            origin_calls_avoided: None,
            gross_savings: None,
            redis_cost: None,
            net_savings: Some(net),
            latency_improvement_mean: None,
        };
        // Two enterprise customers with the cache: 70 and 140 net in 7 days
        // → 3,650 and 7,300 a year, mean 5,475. The one without the cache
        // and the SMB customer do not count.
        let rows = [
            row("enterprise", 10, 70.0),
            row("Enterprise", 10, 140.0),
            row("enterprise", 0, 0.0),
            row("smb", 10, 1_000.0),
        ];
        let e = enterprise_savings(&rows, 7.0).unwrap();
        assert_eq!(e.customers, 2);
        assert!((e.mean_annual_net_savings - 5_475.0).abs() < 1e-9);
        assert_eq!(enterprise_savings(&rows[2..3], 7.0), None);
    }

    #[test]
    fn customers_with_stale_or_error_answers_most_affected_first() {
        use crate::rollups::merged::Req;
        let req = |customer: u32, enabled: bool, stale: u64, error: u64| Req {
            day: 0,
            customer,
            segment: 0,
            enabled,
            rows: 10,
            hit: 0,
            stale,
            miss: 0,
            bypass: 0,
            error,
            uncached: 0,
            server_errors: 0,
            upstream: 0,
            latency_sum: 0.0,
            latency_min: 0.0,
            latency_max: 0.0,
            ts_max: 0,
        };
        let m = Merged {
            customers: vec!["a".into(), "b".into(), "c".into()],
            segments: vec!["s".into()],
            // a: 1 stale; b: 2 stale + 1 error; c: nothing with the cache.
            requests: vec![req(0, true, 1, 0), req(1, true, 2, 1), req(2, false, 0, 0)],
            ..Default::default()
        };
        let got: Vec<(String, u64, u64)> = affected(&m, (0, 7))
            .into_iter()
            .map(|a| (a.customer_id, a.stale, a.error))
            .collect();
        assert_eq!(got, [("b".to_string(), 2, 1), ("a".to_string(), 1, 0)]);
    }
}
