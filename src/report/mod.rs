//! Report view models: plain `Serialize` structs, one per report kind. Numbers
//! stay raw here; the renderers format them.

pub mod archive;
pub mod brief;
pub mod customer;
pub mod digest;
pub mod escalation;
pub mod flags;
pub mod gate;
pub mod glance;
pub mod impact;
pub mod inference;
pub mod kind;
pub mod roi;
pub mod weekly;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::evaluate::{KpiCell, Status};
use crate::ground::kpi::{Direction, Kpi, Unit};
use crate::metrics::requests::KpiValues;

/// What the report stage needs of the configuration, and nothing more: how
/// the report was made (footers), the time zone dates are shown in, the
/// targets KPIs are judged by, the rollout start and baseline window, and
/// the inputs named in the methodology. Made once by `config`.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// The configuration file as shown in footers, and its hash.
    pub config: String,
    /// The configuration's folder: input paths below it are shown relative
    /// to it.
    pub base_dir: String,
    pub config_hash: String,
    pub timezone: chrono_tz::Tz,
    /// Unit costs (their currency is every report's).
    pub costs: crate::ground::money::Costs,
    pub targets: crate::ground::kpi::Targets,
    pub rollout_start: Option<chrono::NaiveDate>,
    /// The baseline window `[from, to)` of local dates, if configured.
    pub baseline: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    pub inputs: InputNames,
    /// Optional sources that are not configured (their figures are not measured).
    pub missing: Vec<crate::ground::kpi::MissingSource>,
    /// The scale the feedback's answers were on (they are read on 1–5).
    pub score_scale: crate::ground::score::Scale,
}

impl Context {
    /// The feedback section's line when feedback is not configured.
    pub fn feedback_not_measured(&self) -> Option<String> {
        use crate::ground::kpi::MissingSource;
        self.missing
            .contains(&MissingSource::Feedback)
            .then(|| MissingSource::Feedback.line())
    }

    /// The sentence on how survey answers were put on 1–5; None on 1–5.
    pub fn score_scale_note(&self) -> Option<String> {
        if self.missing.contains(&crate::ground::kpi::MissingSource::Feedback) {
            return None;
        }
        self.score_scale.note()
    }

    /// The Redis block of a report: `redis` as measured, or when no Redis
    /// source is configured, not measured with its reason and line.
    pub fn redis(&self, redis: crate::metrics::redis::RedisKpis) -> crate::metrics::redis::RedisKpis {
        use crate::ground::kpi::MissingSource;
        if self.missing.contains(&MissingSource::Redis) {
            crate::metrics::redis::RedisKpis::not_measured(MissingSource::Redis.reason(), MissingSource::Redis.line())
        } else {
            redis
        }
    }
}

/// The inputs as the configuration names them (paths or globs).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InputNames {
    pub requests: String,
    pub feedback: String,
    pub customers: Option<String>,
    pub redis_snapshots: String,
}

impl Context {
    /// A path as reports show it: relative to the configuration's folder
    /// when below it.
    pub fn shown(&self, path: &str) -> String {
        crate::quality::relative(path, &self.base_dir)
    }

    pub fn currency(&self) -> &str {
        &self.costs.currency
    }

    /// The baseline window, which every report but ROI needs.
    pub fn baseline(&self) -> anyhow::Result<(chrono::NaiveDate, chrono::NaiveDate)> {
        self.baseline.ok_or_else(|| {
            anyhow::anyhow!(
                "{}: no baseline window: set [baseline] from/to, or [rollout] start (baseline = the 4 weeks before it)",
                self.config
            )
        })
    }

    /// The rollout week of a Monday (1 = the week of the rollout start),
    /// None before the rollout or without one.
    pub fn rollout_week(&self, monday: chrono::NaiveDate) -> Option<i64> {
        self.rollout_start
            .map(|start| (monday - start).num_days())
            .filter(|d| *d >= 0)
            .map(|d| d / 7 + 1)
    }
}

/// One KPI as a report line: this period against its target and the period before.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiRow {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    pub direction: Direction,
    pub value: Option<f64>,
    pub target: Option<f64>,
    pub status: Option<Status>,
    /// The same KPI in the previous period.
    pub previous: Option<f64>,
    /// value − previous (in the KPI's unit).
    pub change: Option<f64>,
    /// Whether the change is for the better (None: no change or unknown).
    pub improved: Option<bool>,
}

/// The KPI rows of a report (changes against `previous`): those with a
/// target first (the headline), the rest after. The flags' KPIs have their
/// own section.
pub fn headline_and_other(cells: &BTreeMap<Kpi, KpiCell>, previous: &KpiValues) -> (Vec<KpiRow>, Vec<KpiRow>) {
    kpi_rows(cells, previous)
        .into_iter()
        .filter(|r| r.target.is_some() || !crate::ground::kpi::CONFORMANCE.iter().any(|k| k.key() == r.key))
        .partition(|r| r.target.is_some())
}

pub fn kpi_rows(cells: &BTreeMap<Kpi, KpiCell>, previous: &KpiValues) -> Vec<KpiRow> {
    cells
        .iter()
        .map(|(k, c)| {
            let prev = previous.get(k).copied().flatten();
            let change = c.value.zip(prev).map(|(v, p)| v - p);
            let improved = change.filter(|d| *d != 0.0).map(|d| match k.direction() {
                Direction::HigherIsBetter => d > 0.0,
                Direction::LowerIsBetter => d < 0.0,
            });
            KpiRow {
                key: k.key(),
                label: k.label(),
                unit: k.unit(),
                direction: k.direction(),
                value: c.value,
                target: c.target,
                status: c.status,
                previous: prev,
                change,
                improved,
            }
        })
        .collect()
}

/// One plain sentence per headline KPI: what happened, against which target,
/// and the verdict.
pub fn sentence(r: &KpiRow) -> String {
    use crate::ground::units::{kpi as fmt, pct};
    let verdict = r.status.map(|s| s.label()).unwrap_or("");
    let Some(v) = r.value else {
        return format!("{}: no data this period.", r.label);
    };
    let t = r.target;
    let unit = r.unit.name();
    let target = t.map(|t| fmt(Some(t), unit, "")).unwrap_or_default();
    match r.key {
        "api_call_reduction" if v >= 0.0 => {
            format!(
                "API calls per request fell {} against a {target} target: {verdict}.",
                pct(Some(v))
            )
        }
        "api_call_reduction" => format!(
            "API calls per request rose {} (target: a {target} fall): {verdict}.",
            pct(Some(-v))
        ),
        "latency_improvement_p50" if v >= 0.0 => {
            format!(
                "Median latency fell {} against a {target} target: {verdict}.",
                pct(Some(v))
            )
        }
        "latency_improvement_p50" => format!(
            "Median latency rose {} (target: a {target} fall): {verdict}.",
            pct(Some(-v))
        ),
        "cache_hit_rate" => format!(
            "The cache answered {} of lookups (target {target}): {verdict}.",
            pct(Some(v))
        ),
        "adoption" => format!(
            "{} of active users had the cache on (target {target}): {verdict}.",
            pct(Some(v))
        ),
        "p99_latency_ms" => format!(
            "p99 latency with the cache was {} (ceiling {target}): {verdict}.",
            fmt(Some(v), unit, "")
        ),
        "error_rate" => format!(
            "{} of requests with the cache ended in a 5xx (ceiling {target}): {verdict}.",
            pct(Some(v))
        ),
        "cache_availability" => format!(
            "The cache served {} of cacheable requests without error (target {target}): {verdict}.",
            pct(Some(v))
        ),
        "customer_satisfaction" => format!(
            "Customers rated the product {} (target {target}): {verdict}.",
            fmt(Some(v), unit, "")
        ),
        "user_time_saved_hours_per_user_week" => {
            let short = t.is_some_and(|t| v < t);
            format!(
                "Each user with the cache saved {} of waiting per week (target {target}): {verdict}.{}",
                fmt(Some(v), unit, ""),
                if short {
                    " Faster responses alone save seconds to minutes a week; a target in hours also needs workflow gains the request log cannot see."
                } else {
                    ""
                }
            )
        }
        _ => format!("{}: {} (target {target}): {verdict}.", r.label, fmt(Some(v), unit, "")),
    }
}

/// What a reader must know of a report window that reaches outside the
/// rollout or the data: days before the rollout start (their requests
/// count, only those with the cache on are in E), an overlap with the
/// baseline window (B stays the configured window), days without any
/// request row (the Redis cost still counts every day). Empty for a window
/// inside the rollout and the data. `data`: the first and last day with
/// request rows.
pub fn window_notes(
    ctx: &Context,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    data: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
) -> Vec<String> {
    let days = |n: i64| {
        if n == 1 {
            "1 day".to_string()
        } else {
            format!("{n} days")
        }
    };
    let last = |d: chrono::NaiveDate| d - chrono::Duration::days(1);
    let mut out = Vec::new();
    if let Some(start) = ctx.rollout_start.filter(|s| from < *s) {
        let before = (start.min(to) - from).num_days();
        out.push(format!(
            "{} of the window ({from} to {}) come before the rollout start {start}: their requests count in the \
             window's requests and users, only those with the cache on are in E, and the Redis cost counts every \
             day of the window.",
            days(before),
            last(start.min(to)),
        ));
    }
    if let Some((b_from, b_to)) = ctx.baseline.filter(|(a, b)| *a < to && from < *b) {
        out.push(format!(
            "The window overlaps the baseline window ({b_from} to {}): B stays that whole baseline window's \
             requests with the cache off, whatever the report window.",
            last(b_to)
        ));
    }
    if let Some((first, end)) = data {
        if from < first {
            out.push(format!(
                "The request log starts {first}: the window's {} before it have no request rows.",
                days((first.min(to) - from).num_days())
            ));
        }
        let after = end + chrono::Duration::days(1);
        if after < to {
            out.push(format!(
                "The request log ends {end}: the window's {} after it have no request rows (the Redis cost \
                 still counts them).",
                days((to - after.max(from)).num_days())
            ));
        }
    }
    out
}
