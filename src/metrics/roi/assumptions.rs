//! The ROI's assumptions table: each input, its value and where it came
//! from (docs/kpis.md#finance-roi-cacheroi-roi).

use rust_decimal::Decimal;
use rust_decimal::prelude::*;

use super::{Assumption, RoiInputs, money_text};
use crate::ground::units;

/// The figures the table shows beside the inputs themselves.
pub(super) struct Shown<'a> {
    /// The configured prices and the NPV's rate.
    pub prices: &'a super::weeks::Prices,
    pub hourly: Decimal,
    /// B's origin calls per request.
    pub b: Decimal,
    pub e_rows: u64,
    pub e_origin: u64,
    pub ci: Option<(Decimal, Decimal)>,
    pub low_f: Decimal,
    pub high_f: Decimal,
}

/// The rows, in the order the reports list them.
pub(super) fn listed(i: &RoiInputs, v: &Shown) -> Vec<Assumption> {
    let cur = i.costs.currency.as_str();
    let pct = |x: Decimal| units::pct(x.to_f64());
    let source_cfg = |key: &str| format!("config [costs] {key}");
    vec![
        Assumption {
            key: "origin_call_cost",
            label: "Cost of one origin call",
            value: format!("{} {cur}", v.prices.cost),
            source: source_cfg("origin_call_cost"),
        },
        Assumption {
            key: "redis_monthly_cost",
            label: "Redis cost per month",
            value: money_text(v.prices.monthly, cur),
            source: source_cfg("redis_monthly_cost"),
        },
        Assumption {
            key: "implementation_cost",
            label: "Implementation cost (one-time)",
            value: money_text(v.prices.implementation, cur),
            source: source_cfg("implementation_cost"),
        },
        Assumption {
            key: "hourly_value_of_user_time",
            label: "Value of an hour of user time (soft benefit only)",
            value: money_text(v.hourly, cur),
            source: source_cfg("hourly_value_of_user_time"),
        },
        Assumption {
            key: "window",
            label: "Window",
            value: format!("{} to {} (end exclusive), {} days", i.from, i.to, i.days),
            source: "--from/--to, else rollout start to the day after the last request".into(),
        },
        Assumption {
            key: "baseline",
            label: "Baseline origin calls per request",
            value: format!(
                "{:.4} ({} calls / {} requests)",
                v.b.to_f64().unwrap_or(0.0),
                units::count(Some(i.b_origin as f64)),
                units::count(Some(i.b_rows as f64))
            ),
            source: format!(
                "measured: cache-off requests {} to {} (config [baseline])",
                i.baseline_from, i.baseline_to
            ),
        },
        Assumption {
            key: "requests_with_cache",
            label: "Requests with the cache on",
            value: format!(
                "{} making {} origin calls",
                units::count(Some(v.e_rows as f64)),
                units::count(Some(v.e_origin as f64))
            ),
            source: "measured: request log in the window".into(),
        },
        Assumption {
            key: "api_call_reduction_ci",
            label: "API call reduction, 95 % CI",
            value: v.ci.map_or_else(
                || "not enough data".into(),
                |(lo, hi)| format!("{} to {}", pct(lo), pct(hi)),
            ),
            source: "measured: delta method per user, baseline vs window".into(),
        },
        Assumption {
            key: "npv",
            label: "NPV horizon and discount rate",
            value: format!("{} years at {}", i.settings.npv_horizon_years, pct(v.prices.rate)),
            source: "config [roi] npv_horizon_years, discount_rate".into(),
        },
        Assumption {
            key: "scenarios",
            label: "Low / high origin call cost",
            value: format!("× {} / × {}", v.low_f, v.high_f),
            source: "config [roi] low_origin_call_cost_factor, high_origin_call_cost_factor".into(),
        },
    ]
}
