//! One customer's own report: only that customer's numbers and feedback —
//! never another customer's id, name or figures (the tests search every
//! other customer's in every file written).

use serde::Serialize;

use crate::metrics::customers::CustomerRow;
use crate::metrics::feedback::{Comment, CustomerFeedback};
use crate::metrics::roi::ENTERPRISE_RANGE;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerWindow {
    pub from: String,
    /// Exclusive.
    pub to: String,
    pub days: i64,
}

/// Everything a customer's report shows (and its metrics.json).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerReport {
    pub customer_id: String,
    pub name: String,
    pub tier: String,
    pub window: CustomerWindow,
    pub requests: u64,
    pub cached_requests: u64,
    pub cache_share: Option<f64>,
    pub origin_calls_avoided: Option<f64>,
    /// 1 − the mean latency of the customer's requests with the cache ÷ the
    /// baseline's mean latency.
    pub latency_improvement_mean: Option<f64>,
    pub net_savings: Option<f64>,
    pub annualized_net_savings: Option<f64>,
    /// Against the expected 10,000–50,000 a year (enterprise customers only):
    /// `below`, `within` or `above`.
    pub expected_range: Option<&'static str>,
    pub feedback: CustomerFeedback,
    pub comments: Vec<Comment>,
    pub currency: String,
    pub generated_at: String,
    pub tool_version: String,
}

/// The report of the customer of `row` over a window of `days`.
pub fn of(
    currency: &str,
    generated_at: String,
    row: &CustomerRow,
    window: CustomerWindow,
    feedback: CustomerFeedback,
    comments: Vec<Comment>,
) -> CustomerReport {
    let annualized = row.net_savings.map(|n| n * 365.0 / window.days.max(1) as f64);
    let expected_range = row
        .tier
        .eq_ignore_ascii_case("enterprise")
        .then_some(annualized)
        .flatten()
        .map(|a| {
            if a < ENTERPRISE_RANGE.0 as f64 {
                "below"
            } else if a > ENTERPRISE_RANGE.1 as f64 {
                "above"
            } else {
                "within"
            }
        });
    CustomerReport {
        customer_id: row.customer_id.clone(),
        name: row.name.clone(),
        tier: row.tier.clone(),
        requests: row.requests,
        cached_requests: row.cached_requests,
        cache_share: (row.requests > 0).then(|| row.cached_requests as f64 / row.requests as f64),
        origin_calls_avoided: row.origin_calls_avoided,
        latency_improvement_mean: row.latency_improvement_mean,
        net_savings: row.net_savings,
        annualized_net_savings: annualized,
        expected_range,
        feedback,
        // Comments are the customer's own (the caller filters them).
        comments,
        currency: currency.to_string(),
        generated_at,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        window,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_enterprise_customer_is_placed_against_the_expected_range_by_hand() {
        // 42 days, net savings 1,000 → 1,000 × 365 / 42 = 8,690.48 a year:
        // below the expected 10,000–50,000.
        let row = CustomerRow {
            customer_id: "c1".into(),
            name: "Acme".into(),
            tier: "enterprise".into(),
            requests: 200,
            cached_requests: 150,
            origin_calls_avoided: Some(120.0),
            gross_savings: Some(1_100.0),
            redis_cost: Some(100.0),
            net_savings: Some(1_000.0),
            latency_improvement_mean: Some(0.5),
        };
        let w = CustomerWindow {
            from: "2026-10-05".into(),
            to: "2026-11-16".into(),
            days: 42,
        };
        let r = of("USD", "now".into(), &row, w, CustomerFeedback::default(), Vec::new());
        assert!((r.annualized_net_savings.unwrap() - 1_000.0 * 365.0 / 42.0).abs() < 1e-9);
        assert_eq!(r.expected_range, Some("below"));
        assert_eq!(r.cache_share, Some(0.75));
    }
}
