//! The finance ROI of docs/kpis.md#finance-roi-cacheroi-roi in exact decimal arithmetic: totals and
//! per-customer rows, assumptions with their sources, low/base/high
//! scenarios, a one-at-a-time sensitivity table, the break-even origin call
//! cost, NPV, and soft benefits kept apart from hard savings.
//!
//! Every money figure is a `Decimal` computed from integer counts and the
//! configured prices; nothing is rounded until it is shown, and shown
//! columns are rounded so that they add up to their shown total.

use rust_decimal::Decimal;
use rust_decimal::prelude::*;
use serde::Serialize;

use crate::ground::money::{Costs, RoiSettings};

mod assumptions;
pub mod weeks;
pub use weeks::{MonthInput, MonthRoi, RunRate, WeekInput, WeekRoi};

/// The annual range of net savings the brief expects per enterprise customer.
pub const ENTERPRISE_RANGE: (i64, i64) = (10_000, 50_000);

/// A price from the config as the decimal it was written as (f64's shortest
/// round-trip text: 0.0004 → 0.0004, not its binary expansion). A value that
/// is not finite or beyond ±[`LIMIT`] is an error, never a silent 0.
pub fn dec(x: f64) -> Result<Decimal, RoiError> {
    let out_of_range = || RoiError(format!("{x} is beyond exact decimal arithmetic"));
    if !(x.is_finite() && x.abs() <= 1e24) {
        return Err(out_of_range());
    }
    Decimal::from_str(&x.to_string())
        .or_else(|_| Decimal::from_scientific(&format!("{x:e}")))
        .map_err(|_| out_of_range())
}

/// Figures larger than this (in calls or currency) are refused: every sum,
/// product and NPV of them then stays within `Decimal`'s ±7.9e28.
pub const LIMIT: f64 = 1e24;

/// The ROI cannot be computed exactly (a figure too large).
#[derive(Debug, thiserror::Error)]
#[error("ROI: {0}")]
pub struct RoiError(pub String);

/// The measured counts of one customer in the window.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerInput {
    pub customer_id: String,
    pub name: String,
    pub tier: String,
    pub requests: u64,
    /// |E_c|: the customer's requests with the cache on.
    pub e_rows: u64,
    /// Σ origin over E_c.
    pub e_origin: u64,
}

/// Everything the ROI is computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct RoiInputs {
    pub from: String,
    pub to: String,
    pub days: i64,
    /// |B| and Σ origin over B.
    pub b_rows: u64,
    pub b_origin: u64,
    pub customers: Vec<CustomerInput>,
    pub costs: Costs,
    pub settings: RoiSettings,
    /// Mean latency (ms) over B and over E, for the soft benefit.
    pub b_mean_latency: Option<f64>,
    pub e_mean_latency: Option<f64>,
    /// 95 % interval of the API call reduction, when measured.
    pub reduction_ci: Option<[f64; 2]>,
    pub baseline_from: String,
    pub baseline_to: String,
    /// The window's ISO weeks, clipped to it, for the run-rate.
    pub weeks: Vec<WeekInput>,
    /// The window's calendar months (`roi --by month`; empty without it).
    pub months: Vec<MonthInput>,
}

/// `roi` of metrics.json (docs/metrics-json.md#roi-outroimetricsjson).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiFigures {
    pub origin_calls_avoided: Decimal,
    pub gross_savings: Decimal,
    pub redis_cost: Decimal,
    pub net_savings: Decimal,
    pub annualized_net_savings: Decimal,
    pub first_year_roi: Option<Decimal>,
    /// None when annualized net savings are ≤ 0.
    pub payback_months: Option<Decimal>,
}

/// One customer's row; the rows add up to the totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRoi {
    pub customer_id: String,
    pub name: String,
    pub tier: String,
    pub requests: u64,
    pub cached_requests: u64,
    /// Σ origin over the customer's requests with the cache.
    pub cached_origin_calls: u64,
    pub origin_calls_avoided: Decimal,
    pub gross_savings: Decimal,
    pub redis_cost: Decimal,
    pub net_savings: Decimal,
    pub annualized_net_savings: Decimal,
    /// Enterprise customers against the brief's 10,000–50,000 a year:
    /// `below`, `within` or `above`; None for other tiers.
    pub enterprise_range: Option<&'static str>,
}

/// One input of the ROI, its value and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assumption {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
    pub source: String,
}

/// A scenario: drivers and the ROI they give.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub name: &'static str,
    pub origin_call_cost: Decimal,
    pub api_call_reduction: Decimal,
    pub figures: RoiFigures,
    pub npv: Decimal,
}

/// One driver of the sensitivity table: annualized net savings with the
/// driver at its low and high value, everything else at base.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sensitivity {
    pub driver: &'static str,
    pub low_input: String,
    pub high_input: String,
    pub low: Decimal,
    pub high: Decimal,
    /// |high − low|: the tornado sorts by it.
    pub spread: Decimal,
}

/// User time saved: a soft benefit, never added to the hard savings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SoftBenefits {
    pub user_hours_saved: Option<Decimal>,
    pub hourly_value: Decimal,
    pub value: Option<Decimal>,
    pub annualized_value: Option<Decimal>,
}

/// The whole finance case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiCase {
    pub roi: RoiFigures,
    pub customers: Vec<CustomerRoi>,
    pub assumptions: Vec<Assumption>,
    pub scenarios: Vec<Scenario>,
    pub sensitivity: Vec<Sensitivity>,
    /// Origin call cost at which net savings are 0 (None: nothing avoided).
    pub break_even_origin_call_cost: Option<Decimal>,
    /// −implementation cost + Σ annualized net / (1 + r)^t over the horizon.
    pub npv: Decimal,
    pub soft_benefits: SoftBenefits,
    /// The window week by week (adding up to the totals above).
    pub weeks: Vec<WeekRoi>,
    /// The last full week annualized: the savings at current adoption.
    pub run_rate: Option<RunRate>,
    /// The window month by month (`roi --by month`), adding up to the totals.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub months: Vec<MonthRoi>,
}

fn d(n: u64) -> Decimal {
    Decimal::from(n)
}

pub use crate::ground::money::redis_cost_exact as redis_cost;

/// Origin calls avoided by `e_rows` requests that made `e_origin` calls,
/// against B's calls per request: (|E|·ΣoB − ΣoE·|B|) / |B| (exact in the
/// numerator). None without baseline rows; an error beyond ±[`LIMIT`].
fn avoided(e_rows: u64, e_origin: u64, b_rows: u64, b_origin: u64) -> Result<Option<Decimal>, RoiError> {
    if b_rows == 0 {
        return Ok(None);
    }
    let too_large = || {
        RoiError(format!(
            "{e_rows} requests making {e_origin} origin calls against {b_origin} calls in {b_rows} baseline requests \
             is beyond exact decimal arithmetic: check upstream_calls in the request log"
        ))
    };
    let a = d(e_rows).checked_mul(d(b_origin)).ok_or_else(too_large)?;
    let b = d(e_origin).checked_mul(d(b_rows)).ok_or_else(too_large)?;
    let x = (a - b) / d(b_rows);
    if x.abs() > Decimal::from_f64(LIMIT).unwrap_or(Decimal::MAX) {
        return Err(too_large());
    }
    Ok(Some(x))
}

/// The contract's figures from origin calls avoided and the prices.
pub fn figures(
    avoided: Decimal,
    cost: Decimal,
    redis_monthly: Decimal,
    implementation: Decimal,
    days: i64,
) -> RoiFigures {
    let gross = avoided * cost;
    let redis = redis_cost(redis_monthly, days);
    let net = gross - redis;
    let annualized = net * Decimal::from(365) / Decimal::from(days.max(1));
    RoiFigures {
        origin_calls_avoided: avoided,
        gross_savings: gross,
        redis_cost: redis,
        net_savings: net,
        annualized_net_savings: annualized,
        first_year_roi: (!implementation.is_zero()).then(|| (annualized - implementation) / implementation),
        payback_months: (annualized > Decimal::ZERO).then(|| implementation / (annualized / Decimal::from(12))),
    }
}

/// −implementation + Σ_{t=1..years} annual / (1 + rate)^t.
pub fn npv(annual: Decimal, implementation: Decimal, rate: Decimal, years: u32) -> Decimal {
    let mut factor = Decimal::ONE;
    let mut total = -implementation;
    for _ in 0..years {
        factor *= Decimal::ONE + rate;
        total += annual / factor;
    }
    total
}

fn range_of(tier: &str, annualized: Decimal) -> Option<&'static str> {
    if !tier.eq_ignore_ascii_case("enterprise") {
        return None;
    }
    let (lo, hi) = (Decimal::from(ENTERPRISE_RANGE.0), Decimal::from(ENTERPRISE_RANGE.1));
    Some(if annualized < lo {
        "below"
    } else if annualized > hi {
        "above"
    } else {
        "within"
    })
}

fn money_text(x: Decimal, currency: &str) -> String {
    crate::ground::units::money(x.to_f64(), currency)
}

/// The drivers of annualized net = (volume·|E|·b·reduction·cost − redis)
/// · 365 / days, at base: what scenarios and sensitivity vary.
struct Drivers {
    /// The prices at base: origin call cost, Redis monthly cost,
    /// implementation cost, discount rate and NPV horizon.
    prices: weeks::Prices,
    days: i64,
    /// |E|: requests with the cache on in the window.
    e_rows: u64,
    /// B's origin calls per request.
    b: Decimal,
    base_reduction: Decimal,
}

impl Drivers {
    /// The figures with the request volume, reduction, call cost and Redis
    /// monthly cost as given.
    fn at(&self, volume: Decimal, reduction: Decimal, cost: Decimal, monthly: Decimal) -> RoiFigures {
        figures(
            d(self.e_rows) * volume * self.b * reduction,
            cost,
            monthly,
            self.prices.implementation,
            self.days,
        )
    }

    fn npv(&self, annual: Decimal) -> Decimal {
        let p = &self.prices;
        npv(annual, p.implementation, p.rate, p.years)
    }
}

/// Compute the case. None when there is no baseline (nothing to compare);
/// an error when a figure is beyond exact decimal arithmetic (never a panic
/// or a silent 0).
pub fn compute(i: &RoiInputs) -> Result<Option<RoiCase>, RoiError> {
    let c = &i.costs;
    let (cost, monthly, implementation) = (
        dec(c.origin_call_cost)?,
        dec(c.redis_monthly_cost)?,
        dec(c.implementation_cost)?,
    );
    let (e_rows, e_origin) = with_cache(i)?;
    let Some(total_avoided) = avoided(e_rows, e_origin, i.b_rows, i.b_origin)? else {
        return Ok(None);
    };
    let s = &i.settings;
    let (low_f, high_f, swing) = (
        dec(s.low_origin_call_cost_factor)?,
        dec(s.high_origin_call_cost_factor)?,
        dec(s.sensitivity_swing)?,
    );
    within_limit(total_avoided, cost, high_f, swing)?;
    let roi = figures(total_avoided, cost, monthly, implementation, i.days);
    let year = Decimal::from(365) / Decimal::from(i.days.max(1));
    let customers = customer_rows(i, &roi, cost, e_rows, year)?;

    let b = d(i.b_origin) / d(i.b_rows);
    let drivers = Drivers {
        prices: weeks::Prices {
            cost,
            monthly,
            implementation,
            rate: dec(s.discount_rate)?,
            years: s.npv_horizon_years,
        },
        days: i.days,
        e_rows,
        b,
        base_reduction: if e_rows == 0 || b.is_zero() {
            Decimal::ZERO
        } else {
            total_avoided / (d(e_rows) * b)
        },
    };
    let (weeks, run_rate) = weeks::weekly(&i.weeks, i.b_rows, i.b_origin, &drivers.prices)?;
    let months = weeks::monthly(&i.months, i.b_rows, i.b_origin, &drivers.prices)?;
    let ci = reduction_ci(i)?;
    let scenarios = scenarios(&drivers, ci, low_f, high_f);
    let sensitivity = sensitivity(&drivers, ci, low_f, high_f, swing, &c.currency);
    let hourly = dec(c.hourly_value_of_user_time)?;
    let soft_benefits = soft_benefits(i, e_rows, year, hourly)?;
    let assumptions = assumptions::listed(
        i,
        &assumptions::Shown {
            prices: &drivers.prices,
            hourly,
            b,
            e_rows,
            e_origin,
            ci,
            low_f,
            high_f,
        },
    );
    Ok(Some(RoiCase {
        break_even_origin_call_cost: (total_avoided > Decimal::ZERO).then(|| roi.redis_cost / total_avoided),
        npv: drivers.npv(roi.annualized_net_savings),
        roi,
        customers,
        assumptions,
        scenarios,
        sensitivity,
        soft_benefits,
        weeks,
        run_rate,
        months,
    }))
}

/// |E| and Σ origin over E: the customers' requests with the cache and
/// their origin calls.
fn with_cache(i: &RoiInputs) -> Result<(u64, u64), RoiError> {
    let sum = |f: fn(&CustomerInput) -> u64| {
        i.customers
            .iter()
            .try_fold(0u64, |acc, c| acc.checked_add(f(c)))
            .ok_or_else(|| RoiError("request counts overflow".into()))
    };
    Ok((sum(|c| c.e_rows)?, sum(|c| c.e_origin)?))
}

/// The API call reduction's interval as decimals. The interval of a ratio
/// can be wide, never infinite: bounded like the rest.
fn reduction_ci(i: &RoiInputs) -> Result<Option<(Decimal, Decimal)>, RoiError> {
    Ok(match i.reduction_ci {
        Some([lo, hi]) if lo.abs() <= 1e6 && hi.abs() <= 1e6 => Some((dec(lo)?, dec(hi)?)),
        _ => None,
    })
}

/// Every product of the case multiplies calls avoided by at most the high
/// scenario's cost and the volume swing: bounded once, here.
fn within_limit(total_avoided: Decimal, cost: Decimal, high_f: Decimal, swing: Decimal) -> Result<(), RoiError> {
    let worst = total_avoided
        .abs()
        .checked_mul(cost * high_f.max(Decimal::ONE) * (Decimal::ONE + swing))
        .filter(|x| *x <= Decimal::from_f64(LIMIT).unwrap_or(Decimal::MAX));
    match worst {
        Some(_) => Ok(()),
        None => Err(RoiError(format!(
            "{total_avoided} origin calls avoided at {cost} each is beyond exact decimal arithmetic: \
             check upstream_calls in the request log and [costs] origin_call_cost"
        ))),
    }
}

/// One row per customer: its calls avoided against B, its share of the
/// Redis cost by its requests with the cache.
fn customer_rows(
    i: &RoiInputs,
    roi: &RoiFigures,
    cost: Decimal,
    e_rows: u64,
    year: Decimal,
) -> Result<Vec<CustomerRoi>, RoiError> {
    i.customers
        .iter()
        .map(|cu| {
            let a = avoided(cu.e_rows, cu.e_origin, i.b_rows, i.b_origin)?.unwrap_or_default();
            let gross = a * cost;
            let redis = if e_rows == 0 {
                Decimal::ZERO
            } else {
                roi.redis_cost * d(cu.e_rows) / d(e_rows)
            };
            let net = gross - redis;
            let annualized = net * year;
            Ok(CustomerRoi {
                customer_id: cu.customer_id.clone(),
                name: cu.name.clone(),
                tier: cu.tier.clone(),
                requests: cu.requests,
                cached_requests: cu.e_rows,
                cached_origin_calls: cu.e_origin,
                origin_calls_avoided: a,
                gross_savings: gross,
                redis_cost: redis,
                net_savings: net,
                annualized_net_savings: annualized,
                enterprise_range: range_of(&cu.tier, annualized),
            })
        })
        .collect()
}

/// Low, base and high: the call cost scaled by the factors, the reduction
/// at its interval's ends (at base without one).
fn scenarios(drivers: &Drivers, ci: Option<(Decimal, Decimal)>, low_f: Decimal, high_f: Decimal) -> Vec<Scenario> {
    let base = drivers.base_reduction;
    let (red_low, red_high) = ci.unwrap_or((base, base));
    let scenario = |name, cost: Decimal, reduction: Decimal| {
        let f = drivers.at(Decimal::ONE, reduction, cost, drivers.prices.monthly);
        Scenario {
            name,
            origin_call_cost: cost,
            api_call_reduction: reduction,
            npv: drivers.npv(f.annualized_net_savings),
            figures: f,
        }
    };
    let cost = drivers.prices.cost;
    vec![
        scenario("low", cost * low_f, red_low),
        scenario("base", cost, base),
        scenario("high", cost * high_f, red_high),
    ]
}

/// One driver at a time at its low and high value, the widest spread first.
fn sensitivity(
    drivers: &Drivers,
    ci: Option<(Decimal, Decimal)>,
    low_f: Decimal,
    high_f: Decimal,
    swing: Decimal,
    currency: &str,
) -> Vec<Sensitivity> {
    let pct = |x: Decimal| crate::ground::units::pct(x.to_f64());
    let (cost, monthly, base) = (drivers.prices.cost, drivers.prices.monthly, drivers.base_reduction);
    let mut rows = Vec::new();
    let mut push = |driver, lo_in: String, hi_in: String, lo: RoiFigures, hi: RoiFigures| {
        let (low, high) = (lo.annualized_net_savings, hi.annualized_net_savings);
        rows.push(Sensitivity {
            driver,
            low_input: lo_in,
            high_input: hi_in,
            low,
            high,
            spread: (high - low).abs(),
        });
    };
    let one = Decimal::ONE;
    push(
        "Origin call cost",
        money_text(cost * low_f, currency),
        money_text(cost * high_f, currency),
        drivers.at(one, base, cost * low_f, monthly),
        drivers.at(one, base, cost * high_f, monthly),
    );
    if let Some((lo, hi)) = ci {
        push(
            "API call reduction (95 % CI)",
            pct(lo),
            pct(hi),
            drivers.at(one, lo, cost, monthly),
            drivers.at(one, hi, cost, monthly),
        );
    }
    push(
        "Redis monthly cost",
        money_text(monthly * (one + swing), currency),
        money_text(monthly * (one - swing), currency),
        drivers.at(one, base, cost, monthly * (one + swing)),
        drivers.at(one, base, cost, monthly * (one - swing)),
    );
    push(
        "Request volume with the cache",
        format!("−{}", pct(swing)),
        format!("+{}", pct(swing)),
        drivers.at(one - swing, base, cost, monthly),
        drivers.at(one + swing, base, cost, monthly),
    );
    rows.sort_by_key(|s| std::cmp::Reverse(s.spread));
    rows
}

/// User hours saved by the mean latency gain, valued at `hourly`.
/// Latencies are finite; a mean difference beyond a year per request is no
/// measurement (and no soft benefit).
fn soft_benefits(i: &RoiInputs, e_rows: u64, year: Decimal, hourly: Decimal) -> Result<SoftBenefits, RoiError> {
    let hours = i
        .b_mean_latency
        .zip(i.e_mean_latency)
        .map(|(b, e)| b - e)
        .filter(|x| x.abs() <= 3.2e10)
        .map(dec)
        .transpose()?
        .and_then(|ms| d(e_rows).checked_mul(ms))
        .map(|x| x / Decimal::from(3_600_000));
    Ok(SoftBenefits {
        user_hours_saved: hours,
        hourly_value: hourly,
        value: hours.map(|h| h * hourly),
        annualized_value: hours.map(|h| h * hourly * year),
    })
}

/// Round `values` to cents so that they add up to `total` rounded to cents
/// (largest remainder): what a reader sums in a shown column is the shown
/// total.
pub fn cents_adding_up(values: &[Decimal], total: Decimal) -> Vec<Decimal> {
    adding_up(values, total, 2)
}

/// Round `values` to `dp` decimals so that they add up to `total` rounded
/// the same way (largest remainder; `dp` 0 for whole counts).
pub fn adding_up(values: &[Decimal], total: Decimal, dp: u32) -> Vec<Decimal> {
    let unit = Decimal::from(10u64.pow(dp.min(18)));
    let target = (total * unit).round();
    let floors: Vec<Decimal> = values.iter().map(|v| (v * unit).floor()).collect();
    let mut missing = (target - floors.iter().copied().sum::<Decimal>()).to_i64().unwrap_or(0);
    let mut order: Vec<usize> = (0..values.len()).collect();
    // Largest fractional part first gets a unit; on a surplus, smallest first loses one.
    order.sort_by(|&a, &b| {
        let fa = values[a] * unit - floors[a];
        let fb = values[b] * unit - floors[b];
        fb.cmp(&fa).then(a.cmp(&b))
    });
    let mut units = floors;
    let n = order.len();
    let mut k = 0;
    while missing > 0 && n > 0 {
        units[order[k % n]] += Decimal::ONE;
        missing -= 1;
        k += 1;
    }
    k = 0;
    while missing < 0 && n > 0 {
        units[order[n - 1 - (k % n)]] -= Decimal::ONE;
        missing += 1;
        k += 1;
    }
    units.into_iter().map(|c| c / unit).collect()
}

#[cfg(test)]
pub(crate) mod tests;
