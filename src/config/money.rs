//! `[targets]`, `[costs]` and `[roi]`: what the figures are judged against
//! and what they are worth.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};
use serde::Deserialize;

use super::Sp;
use super::errors::Errors;
use crate::ground::kpi::{self, Kpi};
use crate::ground::money::{Costs, RoiSettings};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RoiModel {
    pub(super) low_origin_call_cost_factor: Option<Sp<f64>>,
    pub(super) high_origin_call_cost_factor: Option<Sp<f64>>,
    pub(super) sensitivity_swing: Option<Sp<f64>>,
    pub(super) npv_horizon_years: Option<Sp<i64>>,
    pub(super) discount_rate: Option<Sp<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CostsModel {
    pub(super) currency: Option<Sp<String>>,
    pub(super) origin_call_cost: Option<Sp<f64>>,
    pub(super) redis_monthly_cost: Option<Sp<f64>>,
    pub(super) implementation_cost: Option<Sp<f64>>,
    pub(super) hourly_value_of_user_time: Option<Sp<f64>>,
}

/// `[targets]` over the KPIs' defaults.
pub(super) fn targets_of(err: &Errors, given: BTreeMap<String, Sp<f64>>) -> Result<BTreeMap<Kpi, f64>> {
    let mut targets: BTreeMap<Kpi, f64> = kpi::ALL
        .iter()
        .filter_map(|k| k.default_target().map(|t| (*k, t)))
        .collect();
    for (key, value) in given {
        let k = Kpi::from_key(&key).ok_or_else(|| {
            anyhow!(
                "{}: line {}: unknown target `{}` in [targets] (known KPIs: {})",
                err.path.display(),
                err.line(value.span().start),
                crate::error::clip(&key, 60),
                kpi::ALL.iter().map(|k| k.key()).collect::<Vec<_>>().join(", ")
            )
        })?;
        let t = err.number(&Some(value), &format!("targets.{key}"), 0.0, -1e12, 1e12)?;
        targets.insert(k, t);
    }
    Ok(targets)
}

/// `[costs]`.
pub(super) fn costs_of(err: &Errors, c: CostsModel) -> Result<Costs> {
    // Money stays far below what exact decimal arithmetic can hold (about
    // 7.9e28), whatever the window and horizon.
    let currency = match &c.currency {
        None => "USD".to_string(),
        Some(v) => {
            let t = err.text(v, "costs.currency", 12)?;
            if t.trim().is_empty() || t.chars().any(char::is_control) {
                return Err(err.at(v, "costs.currency", "must be a short currency code like USD or EUR"));
            }
            t
        }
    };
    let costs = Costs {
        currency,
        origin_call_cost: err.number(&c.origin_call_cost, "costs.origin_call_cost", 0.0004, 0.0, 1e6)?,
        redis_monthly_cost: err.number(&c.redis_monthly_cost, "costs.redis_monthly_cost", 1500.0, 0.0, 1e12)?,
        implementation_cost: err.number(&c.implementation_cost, "costs.implementation_cost", 60000.0, 0.0, 1e12)?,
        hourly_value_of_user_time: err.number(
            &c.hourly_value_of_user_time,
            "costs.hourly_value_of_user_time",
            75.0,
            0.0,
            1e6,
        )?,
    };
    Ok(costs)
}

/// `[roi]`.
pub(super) fn roi_of(err: &Errors, r: RoiModel) -> Result<RoiSettings> {
    let d = RoiSettings::default();
    let roi = RoiSettings {
        low_origin_call_cost_factor: err.number(
            &r.low_origin_call_cost_factor,
            "roi.low_origin_call_cost_factor",
            d.low_origin_call_cost_factor,
            0.0,
            100.0,
        )?,
        high_origin_call_cost_factor: err.number(
            &r.high_origin_call_cost_factor,
            "roi.high_origin_call_cost_factor",
            d.high_origin_call_cost_factor,
            0.0,
            100.0,
        )?,
        sensitivity_swing: err.number(
            &r.sensitivity_swing,
            "roi.sensitivity_swing",
            d.sensitivity_swing,
            0.0,
            1.0,
        )?,
        npv_horizon_years: err.integer(&r.npv_horizon_years, "roi.npv_horizon_years", 3, 1, 50)? as u32,
        discount_rate: err.number(&r.discount_rate, "roi.discount_rate", d.discount_rate, 0.0, 1.0)?,
    };
    Ok(roi)
}
