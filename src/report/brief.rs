//! The audience briefs (`cacheroi brief --audience …`): the week's weekly
//! report said for one audience — executives (one screen: verdict, money,
//! the one risk, the brief's claims checked), technical teams (per
//! endpoint, errors, Redis, rollback), support (low scores by customer and
//! theme, customers who got stale or failed answers, the plan this week).
//! Built from the weekly report's own figures: nothing is computed twice.

use std::collections::BTreeMap;

use serde::Serialize;

use super::glance::Glance;
use super::weekly::{Generated, WeeklyReport};
use crate::evaluate::Status;
use crate::evaluate::risks::RiskState;
use crate::ground::kpi::Kpi;
use crate::ground::units;
use crate::metrics::audience::{self, Affected, LowScore};
use crate::metrics::endpoints::EndpointFigures;
use crate::metrics::roi::ENTERPRISE_RANGE;

/// Who a brief is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    Executive,
    Technical,
    Support,
}

impl Audience {
    pub fn name(self) -> &'static str {
        match self {
            Audience::Executive => "executive",
            Audience::Technical => "technical",
            Audience::Support => "support",
        }
    }
}

/// A brief: the header and one audience's section.
#[derive(Debug, Clone, Serialize)]
pub struct Brief {
    pub audience: Audience,
    pub title: String,
    /// The mail subject.
    pub subject: String,
    pub iso_week: String,
    /// "2026-11-09 to 2026-11-15".
    pub period: String,
    pub currency: String,
    pub glance: Glance,
    pub executive: Option<Executive>,
    pub technical: Option<Technical>,
    pub support: Option<Support>,
    pub generated: Generated,
}

/// A figure with its label and a note.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub label: String,
    pub value: String,
    pub note: String,
}

/// A claim of the product brief against the measurement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claim {
    /// The whole sentence: "Enterprise customers save 692.46 USD a year each
    /// on average (brief: 10,000–50,000 USD): below the claim".
    pub sentence: String,
    /// `meets`, `below`, `above` or `no_data`.
    pub verdict: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Executive {
    pub money: Vec<Figure>,
    /// The one risk that matters (the most urgent on the risk watch), in
    /// one sentence; None when no risk is on watch or triggered.
    pub risk: Option<String>,
    pub claims: Vec<Claim>,
}

/// One endpoint as the technical brief shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointRow {
    pub endpoint: String,
    pub requests: String,
    pub with_cache: String,
    pub hit_rate: String,
    pub stale_share: String,
    pub error_rate: String,
    pub calls_avoided: String,
    /// p50, p95, p99 with the cache and before it.
    pub p_with: [String; 3],
    pub p_before: [String; 3],
    /// "+12.0 %" (slower with the cache) or "−80.1 %".
    pub p95_change: String,
    pub regression: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Technical {
    /// Ranked by origin calls avoided, most first.
    pub by_calls_avoided: Vec<EndpointRow>,
    /// Endpoints slower at p95 with the cache than before it, worst first.
    pub regressions: Vec<EndpointRow>,
    /// One sentence per regression, the worst three.
    pub callouts: Vec<String>,
    /// Error rate, availability, p99, hit rate of the week.
    pub health: Vec<Figure>,
    pub redis: Vec<Figure>,
    /// The plan's rollback triggers and whether they fired this week.
    pub rollback: Vec<Figure>,
}

/// Low scores of one customer or one theme.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub name: String,
    pub count: usize,
    pub complaints: usize,
    /// Each answer, oldest first.
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    #[serde(serialize_with = "crate::ground::score::whole_as_int")]
    pub score: f64,
    /// Empty without a comment.
    pub comment: String,
    /// Its theme (in a customer's group) or its customer (in a theme's).
    pub about: String,
}

/// A customer who got stale or failed answers.
#[derive(Debug, Clone, Serialize)]
pub struct AffectedRow {
    pub customer: String,
    pub stale: u64,
    pub errors: u64,
    pub with_cache: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Support {
    /// Complaints (≤ 2), low scores (≤ 3) and customers with stale or failed
    /// answers, this week against the week before.
    pub changes: Vec<Figure>,
    pub by_theme: Vec<Group>,
    pub by_customer: Vec<Group>,
    /// The most affected first, at most [`ROWS_SHOWN`]; `affected_more`
    /// how many are left out.
    pub affected: Vec<AffectedRow>,
    pub affected_more: usize,
    /// What the plan does this week and next, in words.
    pub plan: Vec<String>,
    /// Risks on watch or triggered that concern customers, one line each.
    pub risks: Vec<String>,
}

/// What the command adds to the weekly report: the plan's phase of the week
/// before (to say what changed).
#[derive(Debug, Clone, Default)]
pub struct PlanWeek {
    pub phase_before: Option<String>,
}

fn kpi_value(r: &WeeklyReport, k: Kpi) -> Option<f64> {
    r.metrics.kpis.get(&k).and_then(|c| c.value)
}

fn kpi_target(r: &WeeklyReport, k: Kpi) -> Option<f64> {
    r.metrics.kpis.get(&k).and_then(|c| c.target)
}

/// Build the brief of `audience` from the week's report.
pub fn build(audience: Audience, r: &WeeklyReport, plan: &PlanWeek) -> Brief {
    let cur = r.metrics.generated.currency.clone();
    let week = r.metrics.period.iso_week.clone();
    let short = week.split_once('-').map_or(week.as_str(), |x| x.1).to_string();
    let title = format!("Cache rollout {week} — {} brief", audience.name());
    let verdict = r.glance.title.clone();
    let subject = match audience {
        Audience::Executive => format!(
            "Cache rollout {short} for executives: {verdict}; {} a year at this week's rate",
            units::money(kpi_value(r, Kpi::AnnualizedSavings), &cur)
        ),
        Audience::Technical => format!(
            "Cache rollout {short} technical brief: hit rate {}, p99 {}, {}",
            units::pct(kpi_value(r, Kpi::CacheHitRate)),
            units::kpi(kpi_value(r, Kpi::P99LatencyMs), "milliseconds", ""),
            units::plural(
                Some(r.metrics.endpoints.iter().filter(|e| regressed(e)).count() as f64),
                "endpoint slower at p95"
            )
        ),
        Audience::Support => format!(
            "Cache rollout {short} support brief: {}, {}",
            units::plural(Some(r.audience.low_scores.len() as f64), "low score"),
            units::plural(
                Some(r.audience.affected.len() as f64),
                "customer with stale or failed answers"
            )
        ),
    };
    Brief {
        audience,
        title,
        subject,
        period: format!(
            "{} to {}",
            r.metrics.period.start,
            crate::period::last_day(&r.metrics.period.end)
        ),
        iso_week: week,
        glance: r.glance.clone(),
        executive: (audience == Audience::Executive).then(|| executive(r, &cur)),
        technical: (audience == Audience::Technical).then(|| technical(r)),
        support: (audience == Audience::Support).then(|| support(r, plan)),
        currency: cur,
        generated: r.metrics.generated.clone(),
    }
}

fn executive(r: &WeeklyReport, cur: &str) -> Executive {
    let mut money = Vec::new();
    if let Some((from, days, v)) = r.audience.since_rollout {
        money.push(Figure {
            label: "Saved since the rollout started".into(),
            value: units::money(Some(v), cur),
            note: format!("net of Redis, {from} to the end of the week ({days} days)"),
        });
    }
    money.push(Figure {
        label: "Saved this week".into(),
        value: units::money(kpi_value(r, Kpi::CostSavings), cur),
        note: "net of Redis".into(),
    });
    money.push(Figure {
        label: "A year at this week's rate".into(),
        value: units::money(kpi_value(r, Kpi::AnnualizedSavings), cur),
        note: "at today's adoption; implementation cost not included".into(),
    });
    let risk = r
        .risk_rows
        .iter()
        .find(|x| matches!(x.state, RiskState::Triggered | RiskState::Watch))
        .map(|x| {
            format!(
                "{} — {} ({}); owner: {}. If it triggers: {}",
                x.risk,
                x.state_label,
                x.signals.first().cloned().unwrap_or_default(),
                x.owner,
                x.contingency
            )
        });
    Executive {
        money,
        risk,
        claims: claims(r, cur),
    }
}

fn verdict_words(v: &'static str) -> &'static str {
    match v {
        "meets" => "meets the claim",
        "below" => "below the claim",
        "above" => "above the claim",
        _ => "no data yet",
    }
}

/// `below`, `meets` or `above` a range; `no_data` without a value.
fn against_range(v: Option<f64>, lo: f64, hi: f64) -> &'static str {
    match v {
        None => "no_data",
        Some(x) if x < lo => "below",
        Some(x) if x > hi => "above",
        Some(_) => "meets",
    }
}

fn claim(sentence: String, verdict: &'static str) -> Claim {
    Claim {
        sentence: format!("{sentence}: {}", verdict_words(verdict)),
        verdict,
    }
}

/// The product brief's key messages against this week's measurement.
pub fn claims(r: &WeeklyReport, cur: &str) -> Vec<Claim> {
    let mut out = Vec::new();
    // Enterprise savings: the mean over enterprise customers with the cache
    // of their net savings a year at this week's rate.
    let e = r.metrics.enterprise_savings.as_ref();
    let mean = e.map(|e| e.mean_annual_net_savings);
    let n = e.map_or(0, |e| e.customers);
    let (lo, hi) = (ENTERPRISE_RANGE.0 as f64, ENTERPRISE_RANGE.1 as f64);
    let range = format!("{}–{} {cur}", units::count(Some(lo)), units::count(Some(hi)));
    out.push(claim(
        match mean {
            Some(m) if m >= 0.0 => format!(
                "Enterprise customers save {} a year each on average ({} with the cache; brief: {range})",
                units::money(Some(m), cur),
                units::plural(Some(n as f64), "customer")
            ),
            Some(m) => format!(
                "Enterprise customers cost {} a year each on average: their calls avoided are worth less than \
                 their share of Redis ({} with the cache; brief: saves {range})",
                units::money(Some(-m), cur),
                units::plural(Some(n as f64), "customer")
            ),
            None => format!("Enterprise customers' savings (brief: {range}): no enterprise customer had the cache"),
        },
        against_range(mean, lo, hi),
    ));
    // Power users: hours saved per user and week in the power_users segment.
    let power = r
        .metrics
        .segments
        .get("power_users")
        .and_then(|k| k.get(&Kpi::UserTimeSavedHoursPerUserWeek))
        .and_then(|c| c.value);
    out.push(claim(
        match power {
            Some(h) => format!("Power users save {} a week each (brief: 1–2 hours)", units::duration(h)),
            None => "Power users' time saved (brief: 1–2 hours a week): no power_users segment with data".into(),
        },
        against_range(power, 1.0, 2.0),
    ));
    // The headline targets the brief sets.
    for (k, what) in [
        (Kpi::ApiCallReduction, "API calls cut by"),
        (Kpi::LatencyImprovementP50, "Median response time cut by"),
        (Kpi::CacheHitRate, "Cache hit rate"),
    ] {
        let (v, t) = (kpi_value(r, k), kpi_target(r, k));
        let Some(t) = t else { continue };
        let verdict = match v {
            None => "no_data",
            Some(x) if x >= t => "meets",
            Some(_) => "below",
        };
        out.push(claim(
            format!("{what} {} (brief: {})", units::pct(v), units::pct(Some(t))),
            verdict,
        ));
    }
    out
}

fn ms(v: Option<f64>) -> String {
    units::kpi(v, "milliseconds", "")
}

fn endpoint_row(e: &EndpointFigures) -> EndpointRow {
    EndpointRow {
        endpoint: e.endpoint.clone(),
        requests: units::count(Some(e.requests as f64)),
        with_cache: units::count(Some(e.with_cache as f64)),
        hit_rate: units::pct(e.hit_rate),
        stale_share: units::kpi(e.stale_share, "ratio2", ""),
        error_rate: units::kpi(e.error_rate, "ratio2", ""),
        calls_avoided: units::count(e.calls_avoided),
        p_with: e.with.map(ms),
        p_before: e.without.map(ms),
        p95_change: e.regression.map_or_else(|| "—".into(), units::signed_pct),
        regression: regressed(e),
    }
}

/// The most rows a table shows (endpoints, affected customers).
pub const ROWS_SHOWN: usize = 15;

/// An endpoint is called slower with the cache when its p95 is more than
/// this above its p95 before the cache (smaller changes are within the
/// week's noise and the sketch's 0.5 %).
pub const REGRESSION_MARGIN: f64 = 0.05;

fn regressed(e: &EndpointFigures) -> bool {
    e.regression.is_some_and(|x| x > REGRESSION_MARGIN)
}

fn technical(r: &WeeklyReport) -> Technical {
    let eps = &r.metrics.endpoints;
    let mut by_avoided: Vec<&EndpointFigures> = eps.iter().collect();
    by_avoided.sort_by(|a, b| {
        b.calls_avoided
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.calls_avoided.unwrap_or(f64::NEG_INFINITY))
            .then_with(|| a.endpoint.cmp(&b.endpoint))
    });
    let mut worst: Vec<&EndpointFigures> = eps.iter().filter(|e| regressed(e)).collect();
    worst.sort_by(|a, b| {
        b.regression
            .unwrap_or(0.0)
            .total_cmp(&a.regression.unwrap_or(0.0))
            .then_with(|| a.endpoint.cmp(&b.endpoint))
    });
    let callouts = worst.iter().take(3).map(|e| callout(e)).collect();
    let f = |label: &str, k: Kpi| kpi_figure(r, label, k);
    let health = vec![
        f("Error rate (5xx, with the cache)", Kpi::ErrorRate),
        f("Cache availability", Kpi::CacheAvailability),
        f("p99 latency", Kpi::P99LatencyMs),
        f("Cache hit rate (log)", Kpi::CacheHitRate),
        f("Stale answers", Kpi::StaleShare),
    ];
    let rd = &r.metrics.redis;
    let fig = |label: &str, value: String, note: &str| Figure {
        label: label.into(),
        value,
        note: note.into(),
    };
    let redis = if let Some(line) = &rd.not_measured {
        vec![fig("Redis", "not measured".into(), line)]
    } else {
        redis_figures(rd, fig)
    };
    Technical {
        by_calls_avoided: by_avoided.into_iter().take(ROWS_SHOWN).map(endpoint_row).collect(),
        regressions: worst.into_iter().take(ROWS_SHOWN).map(endpoint_row).collect(),
        callouts,
        health,
        redis,
        rollback: rollback_figures(r),
    }
}

/// One sentence on an endpoint slower with the cache.
fn callout(e: &EndpointFigures) -> String {
    format!(
        "{} is slower with the cache: p95 {} against {} before it ({}), on {} requests with the cache; {}.",
        e.endpoint,
        ms(e.with[1]),
        ms(e.without[1]),
        e.regression.map_or_else(String::new, units::signed_pct),
        units::count(Some(e.with_cache as f64)),
        match e.hit_rate {
            Some(h) => format!("hit rate {}", units::pct(Some(h))),
            None => "none of them was looked up in the cache".into(),
        }
    )
}

/// A KPI of the week as a figure: its value, and its target and status
/// when it has a target.
fn kpi_figure(r: &WeeklyReport, label: &str, k: Kpi) -> Figure {
    let c = r.metrics.kpis.get(&k);
    let currency = &r.metrics.generated.currency;
    let status = |s: Status| match s {
        Status::Met => "met",
        Status::AtRisk => "at risk",
        Status::Missed => "missed",
        Status::NoData => "no data",
    };
    Figure {
        label: label.into(),
        value: super::gate::shown_in(k, c.and_then(|c| c.value), currency),
        note: c
            .and_then(|c| c.target)
            .map(|t| {
                format!(
                    "target {}{}",
                    super::gate::shown_in(k, Some(t), currency),
                    c.and_then(|c| c.status)
                        .map(|s| format!(" · {}", status(s)))
                        .unwrap_or_default()
                )
            })
            .unwrap_or_default(),
    }
}

/// The gate's rollback triggers and their state.
fn rollback_figures(r: &WeeklyReport) -> Vec<Figure> {
    r.gate
        .as_ref()
        .map(|g| {
            g.rows
                .iter()
                .filter(|x| x.kind == "rollback")
                .map(|x| Figure {
                    label: x.criterion.clone(),
                    value: match x.state {
                        "fired" => "FIRED".into(),
                        "clear" => "clear".into(),
                        other => other.replace('_', " "),
                    },
                    note: x.measured.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn names(r: &WeeklyReport) -> BTreeMap<&str, &str> {
    r.audience
        .customers
        .iter()
        .map(|c| (c.customer_id.as_str(), c.name.as_str()))
        .collect()
}

fn change_note(now: usize, before: usize) -> String {
    let d = now as i64 - before as i64;
    match d {
        0 => format!("same as the week before ({before})"),
        d if d > 0 => format!("up {d} from {before} the week before"),
        d => format!("down {} from {before} the week before", -d),
    }
}

fn support(r: &WeeklyReport, plan: &PlanWeek) -> Support {
    use crate::ground::score::COMPLAINT_AT_MOST;
    let a = &r.audience;
    let named = names(r);
    let name = |id: &str| named.get(id).map_or_else(|| id.to_string(), |n| n.to_string());
    let complaints = |s: &[LowScore]| s.iter().filter(|x| x.score <= COMPLAINT_AT_MOST).count();
    let changes = vec![
        Figure {
            label: "Complaints (score ≤ 2)".into(),
            value: complaints(&a.low_scores).to_string(),
            note: change_note(complaints(&a.low_scores), complaints(&a.low_scores_before)),
        },
        Figure {
            label: format!("Low scores (≤ {})", audience::LOW_SCORE),
            value: a.low_scores.len().to_string(),
            note: change_note(a.low_scores.len(), a.low_scores_before.len()),
        },
        Figure {
            label: "Customers with stale or failed answers".into(),
            value: a.affected.len().to_string(),
            note: change_note(a.affected.len(), a.affected_before.len()),
        },
    ];
    let (by_customer, by_theme) = audience::grouped(&a.low_scores);
    let group = |gname: String, v: &[&LowScore], other: &dyn Fn(&LowScore) -> String| Group {
        name: gname,
        count: v.len(),
        complaints: v.iter().filter(|x| x.score <= COMPLAINT_AT_MOST).count(),
        answers: v
            .iter()
            .map(|x| Answer {
                score: x.score,
                comment: x.comment.clone(),
                about: other(x),
            })
            .collect(),
    };
    let mut themes: Vec<Group> = by_theme
        .iter()
        .map(|(t, v)| group(t.to_string(), v, &|x: &LowScore| name(&x.customer_id)))
        .collect();
    themes.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.name.cmp(&y.name)));
    let mut customers: Vec<Group> = by_customer
        .iter()
        .map(|(id, v)| group(name(id), v, &|x: &LowScore| x.theme.to_string()))
        .collect();
    customers.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.name.cmp(&y.name)));
    let affected: Vec<AffectedRow> = a
        .affected
        .iter()
        .take(ROWS_SHOWN)
        .map(|x: &Affected| AffectedRow {
            customer: name(&x.customer_id),
            stale: x.stale,
            errors: x.error,
            with_cache: x.requests_with_cache,
        })
        .collect();
    Support {
        changes,
        by_theme: themes,
        by_customer: customers,
        affected_more: a.affected.len().saturating_sub(ROWS_SHOWN),
        affected,
        plan: plan_lines(r, plan),
        risks: risk_lines(r),
    }
}

/// The phase this week and the next step, with the flags' findings.
fn plan_lines(r: &WeeklyReport, plan: &PlanWeek) -> Vec<String> {
    let mut plan_lines = Vec::new();
    if let Some(g) = &r.metrics.gate {
        let phase = g.phase.replace('_', " ");
        match plan.phase_before.as_deref() {
            Some(b) if b != g.phase => plan_lines.push(format!(
                "New this week: {phase} (rollout week {}), after {}; segments with the cache: {}.",
                g.rollout_week,
                b.replace('_', " "),
                g.segments
            )),
            _ => plan_lines.push(format!(
                "This week: {phase} (rollout week {}), no change of phase; segments with the cache: {}.",
                g.rollout_week, g.segments
            )),
        }
    }
    plan_lines.push(format!("Next: {}", r.glance.next_step));
    if let Some(f) = &r.flags {
        plan_lines.extend(f.findings.iter().cloned());
    }
    plan_lines
}

/// The risks triggered or watched, each with its contingency.
fn risk_lines(r: &WeeklyReport) -> Vec<String> {
    r.risk_rows
        .iter()
        .filter(|x| matches!(x.state, RiskState::Triggered | RiskState::Watch))
        .map(|x| {
            format!(
                "{} — {}: {}. If it triggers: {}",
                x.risk,
                x.state_label,
                x.signals.join("; "),
                x.contingency
            )
        })
        .collect()
}

/// The technical brief's Redis figures.
fn redis_figures(rd: &crate::metrics::redis::RedisKpis, fig: impl Fn(&str, String, &str) -> Figure) -> Vec<Figure> {
    vec![
        fig(
            "Hit rate (Redis INFO)",
            units::pct(rd.hit_rate),
            "keyspace hits ÷ lookups",
        ),
        fig(
            "Peak memory",
            units::bytes(Some(rd.peak_used_memory_bytes as f64)),
            "largest used_memory of a capture",
        ),
        fig(
            "Evicted keys",
            units::count(Some(rd.evicted_keys as f64)),
            "over the week",
        ),
        fig(
            "Restarts / failovers",
            format!("{} / {}", rd.restarts, rd.failovers),
            "from uptime and role changes",
        ),
        fig(
            "Capture coverage",
            units::pct(rd.coverage),
            &format!("{} failed captures", rd.failed_captures),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_claim_is_below_within_or_above() {
        assert_eq!(against_range(Some(692.46), 10_000.0, 50_000.0), "below");
        assert_eq!(against_range(Some(10_000.0), 10_000.0, 50_000.0), "meets");
        assert_eq!(against_range(Some(50_000.01), 10_000.0, 50_000.0), "above");
        assert_eq!(against_range(None, 1.0, 2.0), "no_data");
        assert_eq!(
            claim("Power users save 0.7 s a week each (brief: 1–2 hours)".into(), "below").sentence,
            "Power users save 0.7 s a week each (brief: 1–2 hours): below the claim"
        );
    }

    #[test]
    fn week_over_week_in_words() {
        assert_eq!(change_note(5, 3), "up 2 from 3 the week before");
        assert_eq!(change_note(1, 3), "down 2 from 3 the week before");
        assert_eq!(change_note(0, 0), "same as the week before (0)");
    }
}
