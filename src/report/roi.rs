//! The finance report's view: the ROI case with money per customer in cents
//! that add up to the shown totals, and its metrics.json.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use super::Context;
use super::weekly::Generated;
use crate::ground::money::RoiSettings;
use crate::metrics::roi::{CustomerRoi, RoiCase, RoiInputs, Sensitivity, cents_adding_up};
use crate::quality::DataQuality;

/// `window` of roi's metrics.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiWindow {
    pub from: String,
    pub to: String,
    pub days: i64,
}

/// roi's metrics.json (CONTRACT §3) with the whole case.
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
    /// The sensitivity table by effect: each driver's worse and better case.
    pub sensitivity: Vec<SensitivityRow>,
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
    let rows = &case.customers;
    let r = &case.roi;
    let col = |f: fn(&CustomerRoi) -> Decimal, total: Decimal| -> Vec<f64> {
        cents_adding_up(&rows.iter().map(f).collect::<Vec<_>>(), total)
            .into_iter()
            .map(|x| x.to_f64().unwrap_or(0.0))
            .collect()
    };
    let avoided = col(|c| c.origin_calls_avoided, r.origin_calls_avoided);
    let gross = col(|c| c.gross_savings, r.gross_savings);
    let redis = col(|c| c.redis_cost, r.redis_cost);
    let net = col(|c| c.net_savings, r.net_savings);
    let annual = col(|c| c.annualized_net_savings, r.annualized_net_savings);
    let customers: Vec<ShownCustomer> = rows
        .iter()
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
        .collect();
    let enterprise = customers
        .iter()
        .filter(|c| c.enterprise_range.is_some())
        .cloned()
        .collect();
    RoiReport {
        sensitivity: by_effect(&case.sensitivity),
        rows_rejected: quality.rows_rejected,
        metrics: RoiMetrics {
            window: RoiWindow {
                from: i.from.clone(),
                to: i.to.clone(),
                days: i.days,
            },
            case,
            data_quality: quality,
            generated: Generated::new(ctx),
        },
        customers,
        enterprise,
        currency: ctx.currency().to_string(),
        break_even: be.map_or_else(|| "—".into(), |x| format!("{:.6} {}", x.round_dp(6), ctx.currency())),
        npv_label: format!(
            "{} years at {}",
            roi.npv_horizon_years,
            crate::ground::units::pct(Some(roi.discount_rate))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
