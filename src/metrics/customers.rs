//! Per customer over a window: origin calls avoided, savings and the mean
//! latency gain, with the customer's name and tier from the customers table.

use anyhow::Result;
use polars::prelude::DataFrame;
use serde::Serialize;

use super::fold;
use super::fold::Days;
use super::requests::{Baseline, days_of, ratio};
use crate::ground::money::Costs;
use crate::period::Period;
use crate::rollups::Merged;
use crate::sources::customers;

/// One customer's savings and latency gain over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRow {
    pub customer_id: String,
    pub name: String,
    pub tier: String,
    pub requests: u64,
    /// Requests with the cache on.
    pub cached_requests: u64,
    pub origin_calls_avoided: Option<f64>,
    pub gross_savings: Option<f64>,
    /// Redis cost allocated by the customer's share of |E|.
    pub redis_cost: Option<f64>,
    pub net_savings: Option<f64>,
    /// 1 − p50 of the customer's E rows / p50 of B.
    /// 1 − mean latency of the customer's requests with the cache ÷ mean latency of B.
    pub latency_improvement_mean: Option<f64>,
}

/// One customer's request figures over a window (customers use the whole B).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerStats {
    pub customer_id: String,
    pub requests: u64,
    /// |E| of the customer.
    pub e_rows: u64,
    /// Σ origin over the customer's E rows.
    pub e_origin: f64,
    /// Mean latency over the customer's E rows (ms).
    pub e_mean_latency: Option<f64>,
}

/// Per customer over `days`: requests, |E|, Σ origin over E and the mean latency of E.
pub fn customer_stats(m: &Merged, days: Days) -> Vec<CustomerStats> {
    fold::customers(m, days)
        .into_iter()
        .map(|c| CustomerStats {
            e_mean_latency: ratio(c.e_latency_sum, c.e_rows as f64),
            customer_id: c.customer_id,
            requests: c.requests,
            e_rows: c.e_rows,
            e_origin: c.e_origin as f64,
        })
        .collect()
}

/// Each customer's sums over `days` with its name and tier from the
/// customers table (its id and no tier where the table does not list it).
pub fn named(
    requests: &Merged,
    customers: Option<&DataFrame>,
    days: Days,
) -> Result<Vec<(CustomerStats, String, String)>> {
    let names = customers::names_and_tiers(customers)?;
    Ok(customer_stats(requests, days)
        .into_iter()
        .map(|s| {
            let (name, tier) = names
                .get(&s.customer_id)
                .cloned()
                .unwrap_or_else(|| (s.customer_id.clone(), String::new()));
            (s, name, tier)
        })
        .collect())
}

/// Per customer: origin calls avoided against the whole B, gross savings,
/// the Redis cost allocated by share of |E|, net savings, mean latency gain
/// (mean, not p50: the rollups keep latency histograms per segment, not per
/// customer, and means are exact).
/// The rows add up to the window's totals.
pub fn rows(
    requests: &Merged,
    customers: Option<&DataFrame>,
    base: &Baseline,
    window: &Period,
    costs: &Costs,
) -> Result<Vec<CustomerRow>> {
    let stats = named(requests, customers, days_of(window))?;
    let b = &base.overall;
    let per_request = (b.rows > 0).then(|| b.origin / b.rows as f64);
    let b_mean = (b.rows > 0).then(|| b.latency_sum / b.rows as f64);
    let total_e: u64 = stats.iter().map(|(s, _, _)| s.e_rows).sum();
    let redis = costs.redis_cost(window.days());
    Ok(stats
        .into_iter()
        .map(|(s, name, tier)| {
            let avoided = per_request.map(|m| s.e_rows as f64 * m - s.e_origin);
            let gross = avoided.map(|a| a * costs.origin_call_cost);
            let alloc = (total_e > 0).then(|| redis * s.e_rows as f64 / total_e as f64);
            CustomerRow {
                name,
                tier,
                requests: s.requests,
                cached_requests: s.e_rows,
                origin_calls_avoided: avoided,
                gross_savings: gross,
                redis_cost: alloc,
                net_savings: gross.zip(alloc).map(|(g, a)| g - a),
                latency_improvement_mean: s
                    .e_mean_latency
                    .zip(b_mean)
                    .filter(|(_, b)| *b != 0.0)
                    .map(|(e, b)| 1.0 - e / b),
                customer_id: s.customer_id,
            }
        })
        .collect())
}
