//! The finance report's view: the ROI case with money per customer in cents
//! that add up to the shown totals, and its metrics.json.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use super::Context;
use super::weekly::Generated;
use crate::ground::money::RoiSettings;
use crate::metrics::roi::{CustomerRoi, RoiCase, RoiInputs, Sensitivity, WeekRoi, adding_up, cents_adding_up};
use crate::quality::DataQuality;

/// `window` of roi's metrics.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiWindow {
    pub from: String,
    pub to: String,
    pub days: i64,
    /// What the window reaches outside the rollout and the data
    /// ([`super::window_notes`]); absent when nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// roi's metrics.json (docs/metrics-json.md#roi-outroimetricsjson) with the whole case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiMetrics {
    pub window: RoiWindow,
    #[serde(flatten)]
    pub case: RoiCase,
    pub data_quality: DataQuality,
    pub generated: Generated,
}

/// A customer row as shown: money in cents that add up to the shown totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShownCustomer {
    pub customer_id: String,
    pub name: String,
    pub tier: String,
    pub requests: u64,
    pub cached_requests: u64,
    pub origin_calls_avoided: f64,
    pub gross_savings: f64,
    pub redis_cost: f64,
    pub net_savings: f64,
    pub annualized_net_savings: f64,
    pub enterprise_range: Option<&'static str>,
}

/// A week of the window as shown: calls avoided whole and net savings in
/// cents, each column adding up to the window's shown total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShownWeek {
    #[serde(flatten)]
    pub week: WeekRoi,
    pub origin_calls_avoided: f64,
    pub net_savings: f64,
}

/// A calendar month of the window as shown (`roi --by month`): money in
/// cents adding up over the months to the shown totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShownMonth {
    pub month: String,
    pub from: String,
    pub to: String,
    pub days: i64,
    pub requests: u64,
    pub cached_requests: u64,
    pub origin_calls_avoided: f64,
    pub gross_savings: f64,
    pub redis_cost: f64,
    pub net_savings: f64,
    /// Each customer's net savings in the month, in the order of `customers`.
    pub customer_net_savings: Vec<f64>,
}

/// Everything roi.html and roi.md show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiReport {
    pub metrics: RoiMetrics,
    pub customers: Vec<ShownCustomer>,
    pub enterprise: Vec<ShownCustomer>,
    pub currency: String,
    pub rows_rejected: u64,
    /// "3 years at 10.0 %".
    pub npv_label: String,
    /// The break-even origin call cost to six decimals, or "—".
    pub break_even: String,
    /// The same at the run-rate.
    pub run_rate_break_even: String,
    /// The sensitivity table by effect: each driver's worse and better case.
    pub sensitivity: Vec<SensitivityRow>,
    /// The window's weeks as shown: calls and net savings adding up to the totals.
    pub weeks: Vec<ShownWeek>,
    /// The window's calendar months (`roi --by month`; empty without it).
    pub months: Vec<ShownMonth>,
    /// Which of the whole window and the run-rate finance should use, and why.
    pub which_to_use: String,
    /// A warning when the window holds ramp-up weeks (None: it does not).
    pub ramp_up_warning: Option<String>,
}

/// One sentence on which figure to use: the run-rate forecasts, the whole
/// window accounts for what was saved.
pub fn which_to_use(case: &RoiCase) -> String {
    let ramp = case.weeks.iter().any(|w| w.ramp_up);
    match &case.run_rate {
        None => "The window holds no full Monday-to-Sunday week, so there is no run-rate: the whole window is the \
                 only figure, and a window of at least one full week gives one to forecast with."
            .into(),
        Some(rr) if ramp => format!(
            "Budget with the run-rate ({}): it is what the cache saves at today's adoption. The whole window is \
             what it has saved so far, ramp-up included: use it to account for the past, not to forecast.",
            rr.week
        ),
        Some(rr) => format!(
            "Adoption held steady over the window, so both describe the same cache: forecast with the whole \
             window, which rests on more data; the run-rate ({}) shows the latest week.",
            rr.week
        ),
    }
}

/// The warning for a window that holds ramp-up weeks, naming them with
/// their share of requests with the cache against the run-rate week's.
pub fn ramp_up_warning(case: &RoiCase) -> Option<String> {
    let rr = case.run_rate.as_ref()?;
    let ramp: Vec<_> = case.weeks.iter().filter(|w| w.ramp_up).collect();
    if ramp.is_empty() {
        return None;
    }
    let share = |x: Option<Decimal>| crate::ground::units::pct(x.and_then(|x| x.to_f64()));
    let listed = ramp
        .iter()
        .map(|w| format!("{}: {}", w.week, share(w.cache_share)))
        .collect::<Vec<_>>()
        .join(", ");
    let (n, weeks) = if ramp.len() == 1 {
        ("1 ramp-up week".to_string(), "it")
    } else {
        (format!("{} ramp-up weeks", ramp.len()), "them")
    };
    Some(format!(
        "The window includes {n}, before adoption reached today's level ({listed} of requests with the cache, \
         against {} in {}). Redis cost \
         counts in full in {weeks} while fewer requests saved origin calls, so the whole window's annualized figures \
         understate the savings at today's adoption.",
        share(rr.cache_share),
        rr.week
    ))
}

/// One driver of the sensitivity table, its two ends labelled by effect (a
/// lower Redis cost is the better case though it is the lower input).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitivityRow {
    pub driver: &'static str,
    pub worse_input: String,
    pub better_input: String,
    /// Annualized net savings at each end.
    pub worse: f64,
    pub better: f64,
}

/// Sensitivity rows by effect, in the order given (widest first).
pub fn by_effect(rows: &[Sensitivity]) -> Vec<SensitivityRow> {
    rows.iter()
        .map(|s| {
            let (low, high) = (s.low.to_f64().unwrap_or(0.0), s.high.to_f64().unwrap_or(0.0));
            if s.low <= s.high {
                SensitivityRow {
                    driver: s.driver,
                    worse_input: s.low_input.clone(),
                    better_input: s.high_input.clone(),
                    worse: low,
                    better: high,
                }
            } else {
                SensitivityRow {
                    driver: s.driver,
                    worse_input: s.high_input.clone(),
                    better_input: s.low_input.clone(),
                    worse: high,
                    better: low,
                }
            }
        })
        .collect()
}

/// The case as roi.html and roi.md show it: money per customer in cents that
/// add up to the shown totals.
pub fn shown(ctx: &Context, roi: &RoiSettings, i: &RoiInputs, case: RoiCase, quality: DataQuality) -> RoiReport {
    let quality = quality.relative_to(&ctx.base_dir);
    let be = case.break_even_origin_call_cost;
    let rr_be = case.run_rate.as_ref().and_then(|r| r.break_even_origin_call_cost);
    let price =
        |x: Option<Decimal>| x.map_or_else(|| "—".into(), |x| format!("{:.6} {}", x.round_dp(6), ctx.currency()));
    let weeks = shown_weeks(&case);
    let months = shown_months(&case);
    let customers = shown_customers(&case);
    let enterprise = customers
        .iter()
        .filter(|c| c.enterprise_range.is_some())
        .cloned()
        .collect();
    RoiReport {
        weeks,
        months,
        sensitivity: by_effect(&case.sensitivity),
        which_to_use: which_to_use(&case),
        ramp_up_warning: ramp_up_warning(&case),
        rows_rejected: quality.rows_rejected,
        metrics: RoiMetrics {
            window: RoiWindow {
                from: i.from.clone(),
                to: i.to.clone(),
                days: i.days,
                notes: Vec::new(),
            },
            case,
            data_quality: quality,
            generated: Generated::new(ctx),
        },
        customers,
        enterprise,
        currency: ctx.currency().to_string(),
        break_even: price(be),
        run_rate_break_even: price(rr_be),
        npv_label: format!(
            "{} years at {}",
            roi.npv_horizon_years,
            crate::ground::units::pct(Some(roi.discount_rate))
        ),
    }
}

/// Rounded whole: calls are shown so that they too add up to the total.
fn whole(v: Vec<Decimal>, total: Decimal) -> Vec<f64> {
    adding_up(&v, total, 0)
        .into_iter()
        .map(|x| x.to_f64().unwrap_or(0.0))
        .collect()
}

fn f64_of(x: Decimal) -> f64 {
    x.to_f64().unwrap_or(0.0)
}

/// Each customer's row, money in cents and calls whole, adding up to the
/// totals.
fn shown_customers(case: &RoiCase) -> Vec<ShownCustomer> {
    let rows = &case.customers;
    let r = &case.roi;
    let col = |f: fn(&CustomerRoi) -> Decimal, total: Decimal| -> Vec<f64> {
        cents_adding_up(&rows.iter().map(f).collect::<Vec<_>>(), total)
            .into_iter()
            .map(f64_of)
            .collect()
    };
    let avoided = whole(
        rows.iter().map(|c| c.origin_calls_avoided).collect(),
        r.origin_calls_avoided,
    );
    let gross = col(|c| c.gross_savings, r.gross_savings);
    let redis = col(|c| c.redis_cost, r.redis_cost);
    let net = col(|c| c.net_savings, r.net_savings);
    let annual = col(|c| c.annualized_net_savings, r.annualized_net_savings);
    rows.iter()
        .enumerate()
        .map(|(k, c)| ShownCustomer {
            customer_id: c.customer_id.clone(),
            name: c.name.clone(),
            tier: c.tier.clone(),
            requests: c.requests,
            cached_requests: c.cached_requests,
            origin_calls_avoided: avoided[k],
            gross_savings: gross[k],
            redis_cost: redis[k],
            net_savings: net[k],
            annualized_net_savings: annual[k],
            enterprise_range: c.enterprise_range,
        })
        .collect()
}

/// Each week's calls avoided and net savings, adding up to the totals.
fn shown_weeks(case: &RoiCase) -> Vec<ShownWeek> {
    let (weeks, r) = (&case.weeks, &case.roi);
    let week_avoided = whole(
        weeks.iter().map(|w| w.figures.origin_calls_avoided).collect(),
        r.origin_calls_avoided,
    );
    let week_net = cents_adding_up(
        &weeks.iter().map(|w| w.figures.net_savings).collect::<Vec<_>>(),
        r.net_savings,
    );
    weeks
        .iter()
        .enumerate()
        .map(|(k, w)| ShownWeek {
            week: w.clone(),
            origin_calls_avoided: week_avoided[k],
            net_savings: f64_of(week_net[k]),
        })
        .collect()
}

/// Each month's figures as `roi --by month` shows them.
fn shown_months(case: &RoiCase) -> Vec<ShownMonth> {
    let ms = crate::metrics::roi::weeks::months_shown(case);
    case.months
        .iter()
        .enumerate()
        .map(|(k, m)| ShownMonth {
            month: m.month.week.clone(),
            from: m.month.from.clone(),
            to: m.month.to.clone(),
            days: m.month.days,
            requests: m.month.requests,
            cached_requests: m.month.cached_requests,
            origin_calls_avoided: f64_of(ms.avoided[k]),
            gross_savings: f64_of(ms.gross[k]),
            redis_cost: f64_of(ms.redis[k]),
            net_savings: f64_of(ms.net[k]),
            customer_net_savings: ms.customers[k].iter().map(|x| f64_of(*x)).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::roi::compute;
    use crate::metrics::roi::tests::ramp_up_inputs;

    #[test]
    fn a_window_with_ramp_up_weeks_warns_and_points_to_the_run_rate() {
        // W46 had the cache on 2 of 5 requests (40.0 %), W47 on 8 of 10 (80.0 %).
        let case = compute(&ramp_up_inputs()).unwrap().unwrap();
        assert_eq!(
            ramp_up_warning(&case).unwrap(),
            "The window includes 1 ramp-up week, before adoption reached today's level (2026-W46: 40.0 % of \
             requests with the cache, against 80.0 % in 2026-W47). Redis cost counts in full in it while fewer requests saved origin calls, so the whole \
             window's annualized figures understate the savings at today's adoption."
        );
        assert!(which_to_use(&case).starts_with("Budget with the run-rate (2026-W47)"));
        // Steady adoption (W46 at 4 of 5 = 80 %): no warning, the whole window forecasts.
        let mut i = ramp_up_inputs();
        i.weeks[0].e_rows = 4;
        let case = compute(&i).unwrap().unwrap();
        assert_eq!(ramp_up_warning(&case), None);
        assert!(which_to_use(&case).starts_with("Adoption held steady over the window"));
        // No full week: no run-rate, said so.
        i.weeks[1].days = 6;
        let case = compute(&i).unwrap().unwrap();
        assert!(which_to_use(&case).starts_with("The window holds no full Monday-to-Sunday week"));
    }

    #[test]
    fn sensitivity_ends_are_labelled_by_effect() {
        let row = |driver, low_input: &str, high_input: &str, low: i64, high: i64| Sensitivity {
            driver,
            low_input: low_input.into(),
            high_input: high_input.into(),
            low: Decimal::from(low),
            high: Decimal::from(high),
            spread: Decimal::from((high - low).abs()),
        };
        // A dearer Redis (high input 1,875) saves less: the high input is the
        // worse case. More requests (high input) save more: the low input is
        // the worse case.
        let rows = by_effect(&[
            row("Redis monthly cost", "1,125.00", "1,875.00", 9_000, 3_000),
            row("Request volume", "75 %", "125 %", 2_000, 10_000),
        ]);
        assert_eq!(
            (
                rows[0].worse_input.as_str(),
                rows[0].worse,
                rows[0].better_input.as_str(),
                rows[0].better
            ),
            ("1,875.00", 3_000.0, "1,125.00", 9_000.0)
        );
        assert_eq!(
            (
                rows[1].worse_input.as_str(),
                rows[1].worse,
                rows[1].better_input.as_str(),
                rows[1].better
            ),
            ("75 %", 2_000.0, "125 %", 10_000.0)
        );
    }
}
