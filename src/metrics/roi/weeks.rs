//! The ROI week by week inside the window, the run-rate at current adoption
//! (the last full week, annualized) and the ramp-up weeks that make the
//! whole window's annualized figure understate today's savings.
//!
//! The savings scale with the requests that have the cache, so a week's
//! "adoption" here is its share of requests with the cache on (the users'
//! adoption KPI counts people, not money).

use chrono::Duration;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use serde::Serialize;

use super::{RoiError, RoiFigures, avoided, d, figures, npv};
use crate::metrics::fold;
use crate::metrics::requests::days_of;
use crate::period::{IsoWeek, Period};
use crate::rollups::Merged;

/// A week counts as ramp-up when its share of requests with the cache is
/// below this fraction of the run-rate week's share.
pub const RAMP_UP_BELOW: (i64, i64) = (9, 10);

/// One ISO week of the window, clipped to it, with its measured counts.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekInput {
    /// "2026-W46".
    pub week: String,
    pub from: String,
    pub to: String,
    /// Days of the week inside the window (7 for a full week).
    pub days: i64,
    pub requests: u64,
    /// |E| of the week: requests with the cache on.
    pub e_rows: u64,
    /// Σ origin over the week's E.
    pub e_origin: u64,
}

/// The ISO weeks of `window` (time zone of its periods), each clipped to it.
pub fn week_inputs(m: &Merged, window: &Period, tz: chrono_tz::Tz) -> Vec<WeekInput> {
    let (start, end) = (window.start_date, window.end_date);
    if end <= start {
        return Vec::new();
    }
    IsoWeek::range(IsoWeek::of(start), IsoWeek::of(end - Duration::days(1)))
        .into_iter()
        .map(|w| {
            let monday = w.monday();
            let (from, to) = (monday.max(start), (monday + Duration::days(7)).min(end));
            span_input(m, w.label(), Period::new(from, to, tz))
        })
        .collect()
}

/// The counts of one span of the window (a week or a month, clipped).
fn span_input(m: &Merged, label: String, p: Period) -> WeekInput {
    // Request counts only: no per-user records are read.
    let (mut requests, mut e_rows, mut e_origin) = (0u64, 0u64, 0u64);
    for r in crate::rollups::merged::within(&m.requests, |r| r.day, days_of(&p)) {
        requests += r.rows;
        if r.enabled {
            e_rows += r.rows;
            e_origin += r.upstream;
        }
    }
    WeekInput {
        week: label,
        from: p.start_date.to_string(),
        to: p.end_date.to_string(),
        days: p.days(),
        requests,
        e_rows,
        e_origin,
    }
}

/// One calendar month of the window, clipped to it: its counts, and each
/// customer's |E| and Σ origin over E in it (in the order of `customers`).
#[derive(Debug, Clone, PartialEq)]
pub struct MonthInput {
    /// `week` holds the month's label, `2026-11`.
    pub span: WeekInput,
    pub customers: Vec<(u64, u64)>,
}

/// The calendar months of `window` (`roi --by month`), each with the counts
/// of the customers `customers` (ids, in the window's order).
pub fn month_inputs(m: &Merged, window: &Period, tz: chrono_tz::Tz, customers: &[String]) -> Vec<MonthInput> {
    crate::period::months_of(window.start_date, window.end_date)
        .into_iter()
        .map(|(label, from, to)| {
            let p = Period::new(from, to, tz);
            let by: std::collections::BTreeMap<String, (u64, u64)> = fold::customers(m, days_of(&p))
                .into_iter()
                .map(|c| (c.customer_id, (c.e_rows, c.e_origin)))
                .collect();
            MonthInput {
                span: span_input(m, label, p),
                customers: customers
                    .iter()
                    .map(|id| by.get(id).copied().unwrap_or_default())
                    .collect(),
            }
        })
        .collect()
}

/// One month's ROI and each customer's net savings in it (the month's
/// Redis cost allocated by the customer's share of the month's |E|, as
/// `roi --month` gives it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthRoi {
    #[serde(flatten)]
    pub month: WeekRoi,
    /// Net savings per customer, in the order of the case's customers.
    pub customer_net_savings: Vec<Decimal>,
    /// Each customer's |E| and Σ origin over E in the month (same order).
    #[serde(skip)]
    pub customer_counts: Vec<(u64, u64)>,
}

/// Each month's figures (they add up to the window's gross, Redis cost and
/// net savings). `b_rows` > 0.
pub fn monthly(months: &[MonthInput], b_rows: u64, b_origin: u64, p: &Prices) -> Result<Vec<MonthRoi>, RoiError> {
    months
        .iter()
        .map(|mi| {
            let month = span_roi(&mi.span, b_rows, b_origin, p)?;
            let customer_net_savings = mi
                .customers
                .iter()
                .map(|&(e_rows, e_origin)| {
                    let a = avoided(e_rows, e_origin, b_rows, b_origin)?.unwrap_or_default();
                    let redis = if mi.span.e_rows == 0 {
                        Decimal::ZERO
                    } else {
                        month.figures.redis_cost * d(e_rows) / d(mi.span.e_rows)
                    };
                    Ok(a * p.cost - redis)
                })
                .collect::<Result<_, RoiError>>()?;
            Ok(MonthRoi {
                month,
                customer_net_savings,
                customer_counts: mi.customers.clone(),
            })
        })
        .collect()
}

/// One week's ROI: its share of the window's figures (the weeks add up to
/// the window's calls avoided, gross, Redis cost and net savings).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekRoi {
    pub week: String,
    pub from: String,
    pub to: String,
    pub days: i64,
    /// A full Monday-to-Sunday week inside the window.
    pub complete: bool,
    pub requests: u64,
    pub cached_requests: u64,
    pub cached_origin_calls: u64,
    /// Share of the week's requests with the cache on (None: no requests).
    pub cache_share: Option<Decimal>,
    /// The week's figures, annualized over its own days.
    pub figures: RoiFigures,
    /// Adoption had not reached the run-rate week's yet: this week or a later
    /// one (before the run-rate week) had a share of requests with the cache
    /// below [`RAMP_UP_BELOW`] of the run-rate week's.
    pub ramp_up: bool,
}

/// The run-rate at current adoption: the last full week of the window,
/// annualized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRate {
    pub week: String,
    pub from: String,
    pub to: String,
    pub cache_share: Option<Decimal>,
    pub figures: RoiFigures,
    pub npv: Decimal,
    pub break_even_origin_call_cost: Option<Decimal>,
}

/// The prices a week's figures are computed at.
pub struct Prices {
    pub cost: Decimal,
    pub monthly: Decimal,
    pub implementation: Decimal,
    pub rate: Decimal,
    pub years: u32,
}

/// One span's figures (a week or a month of the window).
fn span_roi(w: &WeekInput, b_rows: u64, b_origin: u64, p: &Prices) -> Result<WeekRoi, RoiError> {
    let a = avoided(w.e_rows, w.e_origin, b_rows, b_origin)?.unwrap_or_default();
    // Spans of opposite sign can each be far larger than the window's
    // total, which was bounded: bound each span's gross too.
    let limit = Decimal::from_f64(super::LIMIT).unwrap_or(Decimal::MAX);
    if a.abs().checked_mul(p.cost).is_none_or(|g| g > limit) {
        return Err(RoiError(format!(
            "{a} origin calls avoided in {} at {} each is beyond exact decimal arithmetic: \
             check upstream_calls in the request log and [costs] origin_call_cost",
            w.week, p.cost
        )));
    }
    Ok(WeekRoi {
        week: w.week.clone(),
        from: w.from.clone(),
        to: w.to.clone(),
        days: w.days,
        complete: w.days == 7,
        requests: w.requests,
        cached_requests: w.e_rows,
        cached_origin_calls: w.e_origin,
        cache_share: (w.requests > 0).then(|| d(w.e_rows) / d(w.requests)),
        figures: figures(a, p.cost, p.monthly, p.implementation, w.days),
        ramp_up: false,
    })
}

/// Each week's figures, the run-rate (None without a full week in the
/// window) and the ramp-up flags. `b_rows` > 0.
pub fn weekly(
    weeks: &[WeekInput],
    b_rows: u64,
    b_origin: u64,
    p: &Prices,
) -> Result<(Vec<WeekRoi>, Option<RunRate>), RoiError> {
    let mut out = weeks
        .iter()
        .map(|w| span_roi(w, b_rows, b_origin, p))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(last) = out.iter().rposition(|w| w.complete) else {
        return Ok((out, None));
    };
    let rr = &out[last];
    let run_rate = RunRate {
        week: rr.week.clone(),
        from: rr.from.clone(),
        to: rr.to.clone(),
        cache_share: rr.cache_share,
        npv: npv(rr.figures.annualized_net_savings, p.implementation, p.rate, p.years),
        break_even_origin_call_cost: (rr.figures.origin_calls_avoided > Decimal::ZERO)
            .then(|| rr.figures.redis_cost / rr.figures.origin_calls_avoided),
        figures: rr.figures.clone(),
    };
    // The ramp-up: every week up to the last one (before the run-rate week)
    // whose share is clearly below the run-rate week's — adoption had not
    // reached today's level yet, even if one week in between came close.
    if let Some(current) = run_rate.cache_share {
        let bar = current * Decimal::from(RAMP_UP_BELOW.0) / Decimal::from(RAMP_UP_BELOW.1);
        if let Some(j) = out[..last].iter().rposition(|w| w.cache_share.is_some_and(|s| s < bar)) {
            out[..=j].iter_mut().for_each(|w| w.ramp_up = true);
        }
    }
    Ok((out, Some(run_rate)))
}

/// The months in cents as shown: each month's calls avoided (whole), gross,
/// Redis cost and net adding up over the months to the window's shown
/// totals, and each month's customers adding up to the month's net where
/// the month has requests with the cache (a month without any allocates its
/// Redis cost to no customer).
#[derive(Debug, Clone, PartialEq)]
pub struct MonthsShown {
    pub avoided: Vec<Decimal>,
    pub gross: Vec<Decimal>,
    pub redis: Vec<Decimal>,
    pub net: Vec<Decimal>,
    /// Per month, each customer's net savings in cents.
    pub customers: Vec<Vec<Decimal>>,
}

pub fn months_shown(case: &super::RoiCase) -> MonthsShown {
    let (m, r) = (&case.months, &case.roi);
    let col = |f: fn(&RoiFigures) -> Decimal, total: Decimal, dp: u32| {
        super::adding_up(&m.iter().map(|x| f(&x.month.figures)).collect::<Vec<_>>(), total, dp)
    };
    let net = col(|f| f.net_savings, r.net_savings, 2);
    let customers = m
        .iter()
        .zip(&net)
        .map(|(x, &shown)| {
            if x.month.cached_requests == 0 {
                x.customer_net_savings.iter().map(|v| v.round_dp(2)).collect()
            } else {
                super::cents_adding_up(&x.customer_net_savings, shown)
            }
        })
        .collect();
    MonthsShown {
        avoided: col(|f| f.origin_calls_avoided, r.origin_calls_avoided, 0),
        gross: col(|f| f.gross_savings, r.gross_savings, 2),
        redis: col(|f| f.redis_cost, r.redis_cost, 2),
        net,
        customers,
    }
}
