//! The KPI names of docs/kpis.md. The key string is at once the JSON key in
//! metrics.json, the key under `[targets]` and the template variable.

use serde::Serialize;

/// Whether a larger value is better (met when value ≥ target) or worse
/// (met when value ≤ target).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

/// How a value is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    Ratio,
    Milliseconds,
    Score,
    Money,
    Hours,
}

impl Unit {
    /// The unit's name for the formatting filters (`kpi(unit=…)`).
    pub fn name(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Ratio => "ratio",
            Unit::Milliseconds => "milliseconds",
            Unit::Score => "score",
            Unit::Money => "money",
            Unit::Hours => "hours",
        }
    }
}

macro_rules! kpis {
    ($( $variant:ident => $key:literal, $label:literal, $unit:ident, $dir:ident, $target:expr; )*) => {
        /// One KPI of docs/kpis.md.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum Kpi { $( #[serde(rename = $key)] $variant, )* }

        /// Every KPI, in the order reports list them.
        pub const ALL: &[Kpi] = &[ $( Kpi::$variant, )* ];

        impl Kpi {
            /// The key used in JSON, config and templates.
            pub fn key(self) -> &'static str { match self { $( Kpi::$variant => $key, )* } }
            /// A label for people.
            pub fn label(self) -> &'static str { match self { $( Kpi::$variant => $label, )* } }
            pub fn unit(self) -> Unit { match self { $( Kpi::$variant => Unit::$unit, )* } }
            pub fn direction(self) -> Direction { match self { $( Kpi::$variant => Direction::$dir, )* } }
            /// The product brief's target (docs/configuration.md#targets), if the KPI has one.
            pub fn default_target(self) -> Option<f64> { match self { $( Kpi::$variant => $target, )* } }
            pub fn from_key(key: &str) -> Option<Kpi> {
                match key { $( $key => Some(Kpi::$variant), )* _ => None }
            }
        }
    };
}

kpis! {
    Requests => "requests", "Requests", Count, HigherIsBetter, None;
    ActiveUsers => "active_users", "Active users", Count, HigherIsBetter, None;
    Adoption => "adoption", "Adoption (users with the cache on)", Ratio, HigherIsBetter, Some(0.90);
    CacheHitRate => "cache_hit_rate", "Cache hit rate", Ratio, HigherIsBetter, Some(0.80);
    ApiCallReduction => "api_call_reduction", "API call reduction", Ratio, HigherIsBetter, Some(0.70);
    OriginCallsAvoided => "origin_calls_avoided", "Origin calls avoided", Count, HigherIsBetter, None;
    LatencyImprovementP50 => "latency_improvement_p50", "Latency improvement (p50)", Ratio, HigherIsBetter, Some(0.50);
    LatencyImprovementP95 => "latency_improvement_p95", "Latency improvement (p95)", Ratio, HigherIsBetter, None;
    P99LatencyMs => "p99_latency_ms", "p99 latency", Milliseconds, LowerIsBetter, Some(100.0);
    ErrorRate => "error_rate", "Error rate (5xx)", Ratio, LowerIsBetter, Some(0.001);
    CacheAvailability => "cache_availability", "Cache availability", Ratio, HigherIsBetter, Some(0.999);
    CustomerSatisfaction => "customer_satisfaction", "Customer satisfaction", Score, HigherIsBetter, Some(4.5);
    FeedbackResponses => "feedback_responses", "Feedback responses", Count, HigherIsBetter, None;
    Complaints => "complaints", "Complaints (score ≤ 2)", Count, LowerIsBetter, None;
    CostSavings => "cost_savings", "Cost savings", Money, HigherIsBetter, None;
    AnnualizedSavings => "annualized_savings", "Annualized savings", Money, HigherIsBetter, None;
    UserTimeSavedHoursPerUserWeek => "user_time_saved_hours_per_user_week", "User time saved (h per user-week)", Hours, HigherIsBetter, Some(1.0);
    StaleShare => "stale_share", "Stale answers (share of requests with the cache)", Ratio, LowerIsBetter, None;
    ComplaintShare => "complaint_share", "Complaint share (score ≤ 2 of answers)", Ratio, LowerIsBetter, None;
    RedisCostPerMonth => "redis_cost_per_month", "Redis cost per month", Money, LowerIsBetter, None;
    LatencyRegressionSegments => "latency_regression_segments", "Segments slower than their baseline", Count, LowerIsBetter, None;
    RolloutComplete => "rollout_complete", "Rollout complete (target segments enabled)", Ratio, HigherIsBetter, None;
    RolloutProgress => "rollout_progress", "Users with the cache in the segments due", Ratio, HigherIsBetter, None;
    FlagLeaks => "flag_leaks", "Flag leaks (users with the cache before their phase)", Count, LowerIsBetter, None;
    FlagFlips => "flag_flips", "Flag flips (users whose flag changed)", Count, LowerIsBetter, None;
    ControlShare => "control_share", "Control share (due users without the cache)", Ratio, HigherIsBetter, None;
}

/// KPIs about the rollout plan's flags: measured only with a plan (see
/// `evaluate::conformance`), never per segment.
pub const CONFORMANCE: [Kpi; 5] = [
    Kpi::RolloutComplete,
    Kpi::RolloutProgress,
    Kpi::FlagLeaks,
    Kpi::FlagFlips,
    Kpi::ControlShare,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_targets_match_the_brief() {
        for k in ALL {
            assert_eq!(Kpi::from_key(k.key()), Some(*k));
        }
        let with_targets: Vec<_> = ALL
            .iter()
            .filter(|k| k.default_target().is_some())
            .map(|k| k.key())
            .collect();
        assert_eq!(with_targets.len(), 9, "{with_targets:?}");
        assert_eq!(Kpi::ErrorRate.direction(), Direction::LowerIsBetter);
        assert_eq!(Kpi::P99LatencyMs.direction(), Direction::LowerIsBetter);
        assert_eq!(serde_json::to_string(&Kpi::CacheHitRate).unwrap(), "\"cache_hit_rate\"");
    }
}

/// An optional source that is not configured: the KPIs it measures have no
/// value (`null` with a `reason` in metrics.json, a line naming the source
/// and its key in the reports), never a zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingSource {
    Feedback,
    Redis,
}

impl MissingSource {
    /// The `reason` of metrics.json: `no_source:feedback`.
    pub fn reason(self) -> &'static str {
        match self {
            MissingSource::Feedback => "no_source:feedback",
            MissingSource::Redis => "no_source:redis",
        }
    }

    /// The config key that adds the source.
    pub fn key(self) -> &'static str {
        match self {
            MissingSource::Feedback => "[sources] feedback",
            MissingSource::Redis => "[sources] redis_snapshots",
        }
    }

    /// The KPIs (docs/kpis.md) this source measures.
    pub fn kpis(self) -> &'static [Kpi] {
        match self {
            MissingSource::Feedback => &[
                Kpi::CustomerSatisfaction,
                Kpi::FeedbackResponses,
                Kpi::Complaints,
                Kpi::ComplaintShare,
            ],
            MissingSource::Redis => &[],
        }
    }

    /// One line for the reports: what is not measured and how to add it.
    pub fn line(self) -> String {
        match self {
            MissingSource::Feedback => format!(
                "No feedback source: customer satisfaction, feedback responses and complaints are not measured \
                 (add {} = \"survey.csv\" to the configuration).",
                self.key()
            ),
            MissingSource::Redis => format!(
                "No Redis source: the Redis figures (keyspace hit rate, evictions, restarts, memory) are not \
                 measured (add {} = \"redis-snapshots.ndjson\" and run cacheroi snapshot from cron, or read \
                 redis_exporter's series from Prometheus with a [sources.prometheus] section).",
                self.key()
            ),
        }
    }
}

/// The target of each KPI (the defaults of docs/configuration.md#targets with `[targets]`
/// applied), and the KPIs that are not measured at all because their
/// source is not configured, with the reason. Reads as the map of targets.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Targets {
    pub by_kpi: std::collections::BTreeMap<Kpi, f64>,
    pub unmeasured: std::collections::BTreeMap<Kpi, &'static str>,
}

impl Targets {
    /// These targets with the KPIs of the `missing` sources unmeasured.
    pub fn without(mut self, missing: &[MissingSource]) -> Self {
        for m in missing {
            for k in m.kpis() {
                self.unmeasured.insert(*k, m.reason());
            }
        }
        self
    }
}

impl std::ops::Deref for Targets {
    type Target = std::collections::BTreeMap<Kpi, f64>;
    fn deref(&self) -> &Self::Target {
        &self.by_kpi
    }
}

impl From<std::collections::BTreeMap<Kpi, f64>> for Targets {
    fn from(by_kpi: std::collections::BTreeMap<Kpi, f64>) -> Self {
        Targets {
            by_kpi,
            unmeasured: Default::default(),
        }
    }
}
