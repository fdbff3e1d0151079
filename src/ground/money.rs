//! The money settings finance re-derives every figure from (`[costs]`,
//! `[roi]`).

/// Unit costs (docs/configuration.md#costs), in `currency`.
#[derive(Debug, Clone, PartialEq)]
pub struct Costs {
    pub currency: String,
    /// Cost of one origin/back-end call.
    pub origin_call_cost: f64,
    /// Redis bill per month.
    pub redis_monthly_cost: f64,
    /// One-time implementation cost.
    pub implementation_cost: f64,
    /// Value of one hour of a user's time.
    pub hourly_value_of_user_time: f64,
}

impl Costs {
    /// The Redis cost of `days` days: monthly cost × 12 / 365 × days (the
    /// KPIs' floating-point figure; [`redis_cost_exact`] is the same for
    /// finance).
    pub fn redis_cost(&self, days: i64) -> f64 {
        self.redis_monthly_cost * 12.0 / 365.0 * days as f64
    }
}

/// The Redis cost of `days` days in exact decimals (finance re-derives every
/// cent): monthly × 12 × days / 365.
pub fn redis_cost_exact(monthly: rust_decimal::Decimal, days: i64) -> rust_decimal::Decimal {
    use rust_decimal::Decimal;
    monthly * Decimal::from(12) * Decimal::from(days) / Decimal::from(365)
}

/// `[roi]`: scenarios, sensitivity and NPV of the finance report.
#[derive(Debug, Clone, PartialEq)]
pub struct RoiSettings {
    /// Origin call cost of the low and high scenarios, as factors of the
    /// configured cost (default 0.5 and 1.5).
    pub low_origin_call_cost_factor: f64,
    pub high_origin_call_cost_factor: f64,
    /// ± swing of the Redis cost and the request volume in the sensitivity
    /// table (default 0.25).
    pub sensitivity_swing: f64,
    /// NPV horizon in years (default 3) and annual discount rate (default 0.10).
    pub npv_horizon_years: u32,
    pub discount_rate: f64,
}

impl Default for RoiSettings {
    fn default() -> Self {
        RoiSettings {
            low_origin_call_cost_factor: 0.5,
            high_origin_call_cost_factor: 1.5,
            sensitivity_swing: 0.25,
            npv_horizon_years: 3,
            discount_rate: 0.10,
        }
    }
}
