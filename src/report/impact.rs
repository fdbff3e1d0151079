//! The post-launch impact report over the whole rollout: view model and
//! metrics.json (docs/metrics-json.md#impact-outimpactmetricsjson: `window` and `kpis` as the weekly one).

use std::collections::BTreeMap;

use serde::Serialize;

use anyhow::Result;
use chrono::Duration;

use super::weekly::{BaselineInfo, Comment, FeedbackSection, Generated, Inputs, SegmentRow, Trend};
use super::{Context, KpiCell, KpiRow, sentence};
use crate::evaluate::phases::PhaseResult;
use crate::evaluate::{Status, evaluate_all};
use crate::ground::kpi::ALL;
use crate::ground::kpi::Kpi;
use crate::ground::units::{kpi as fmt, money, pct};
use crate::metrics::customers::CustomerRow;
use crate::metrics::experiment::Statistics;
use crate::metrics::redis::RedisKpis;
use crate::metrics::requests::{Baseline, Measured};
use crate::period::Period;
use crate::quality::DataQuality;
use crate::quality::FileQuality;

/// `window` of metrics.json: `[from, to)` in local dates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    pub from: String,
    pub to: String,
    pub days: i64,
    pub timezone: String,
    /// What the window reaches outside the rollout and the data
    /// ([`super::window_notes`]); absent when nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One week of the rollout.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekRow {
    pub iso_week: String,
    pub rollout_week: Option<i64>,
    /// The rollout gate of the week (None before the rollout or without a plan).
    pub gate: Option<crate::evaluate::gate::GateResult>,
    pub kpis: BTreeMap<Kpi, KpiCell>,
    /// The flags against the plan (None before the rollout or without a plan).
    pub conformance: Option<crate::evaluate::conformance::WeekConformance>,
}

/// A figure before the rollout (baseline) and during it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BeforeAfter {
    pub label: String,
    /// How to format: ratio, milliseconds, score, count.
    pub unit: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
    /// after − before, or the relative change where `relative`.
    pub change: Option<f64>,
    pub relative: bool,
}

/// metrics.json of `impact`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpactMetrics {
    pub window: Window,
    pub kpis: BTreeMap<Kpi, KpiCell>,
    pub segments: BTreeMap<String, BTreeMap<Kpi, KpiCell>>,
    pub weeks: Vec<WeekRow>,
    pub phases: Vec<PhaseResult>,
    pub customers: Vec<CustomerRow>,
    pub redis: RedisKpis,
    pub data_quality: DataQuality,
    /// The risk register judged week by week (`trend` holds every week).
    pub risks: Vec<crate::evaluate::risks::RiskStatus>,
    /// Candidates for success stories.
    pub case_studies: Vec<CaseStudy>,
    pub baseline: super::weekly::BaselineInfo,
    /// Baseline against the window, cache on against off, the split check.
    pub statistics: crate::metrics::experiment::Statistics,
    pub generated: Generated,
}

/// A week of the rollout as the report's table shows it: its gate in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekShown {
    pub iso_week: String,
    pub rollout_week: Option<i64>,
    pub kpis: BTreeMap<Kpi, KpiCell>,
    pub gate: Option<super::gate::GateBrief>,
}

/// A phase of the plan as the report shows it, in plain words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseShown {
    #[serde(flatten)]
    pub phase: PhaseResult,
    pub words: super::gate::PhaseWords,
}

/// Everything the impact report shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpactReport {
    pub metrics: ImpactMetrics,
    /// The first screen: the latest gate, three numbers, the next step.
    pub glance: super::glance::Glance,
    /// The flags over the rollout's weeks (None without a plan).
    pub flags: Option<super::flags::FlagsView>,
    /// Each risk's state week by week, and the escalation path.
    pub risk_rows: Vec<super::flags::RiskRow>,
    pub risk_weeks: Vec<String>,
    pub escalation_path: String,
    /// `metrics.weeks` and `metrics.phases` in words, in the same order.
    pub weeks_shown: Vec<WeekShown>,
    pub phases_shown: Vec<PhaseShown>,
    pub headline: Vec<KpiRow>,
    pub other: Vec<KpiRow>,
    pub before_after: Vec<BeforeAfter>,
    pub sentences: Vec<String>,
    pub narrative: Vec<String>,
    pub stats: super::inference::StatsView,
    pub segments: Vec<SegmentRow>,
    pub top_savings: Vec<CustomerRow>,
    pub bottom_savings: Vec<CustomerRow>,
    pub top_latency: Vec<CustomerRow>,
    pub bottom_latency: Vec<CustomerRow>,
    pub feedback: FeedbackSection,
    pub inputs: super::weekly::Inputs,
    pub trend: Trend,
    /// Targets, for the methodology appendix.
    pub targets: Vec<(String, String)>,
}

/// A customer whose gains are verified and who said so: a candidate for a
/// success story.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseStudy {
    pub customer_id: String,
    pub name: String,
    pub tier: String,
    pub cached_requests: u64,
    pub origin_calls_avoided: Option<f64>,
    pub net_savings: Option<f64>,
    pub latency_improvement_mean: Option<f64>,
    pub responses: u64,
    pub mean_score: Option<f64>,
    /// The customer's newest comment scored 4 or 5.
    pub quote: Option<String>,
}

/// A candidate needs this much traffic with the cache, this many answers
/// and this mean score; at most [`CASE_STUDIES`] are shown.
pub const CASE_MIN_CACHED: u64 = 100;
pub const CASE_MIN_ANSWERS: u64 = 2;
pub const CASE_MIN_SCORE: f64 = 4.0;
pub const CASE_STUDIES: usize = 3;

/// Customers with positive net savings and a faster cache (verified gains),
/// enough traffic to mean something and good feedback, most net savings
/// first.
pub fn case_studies(
    rows: &[CustomerRow],
    feedback: &BTreeMap<String, crate::metrics::feedback::CustomerFeedback>,
) -> Vec<CaseStudy> {
    let mut out: Vec<CaseStudy> = rows
        .iter()
        .filter_map(|r| {
            let f = feedback.get(&r.customer_id)?;
            let ok = r.cached_requests >= CASE_MIN_CACHED
                && r.net_savings.is_some_and(|v| v > 0.0)
                && r.latency_improvement_mean.is_some_and(|v| v > 0.0)
                && f.responses >= CASE_MIN_ANSWERS
                && f.mean_score.is_some_and(|m| m >= CASE_MIN_SCORE);
            ok.then(|| CaseStudy {
                customer_id: r.customer_id.clone(),
                name: r.name.clone(),
                tier: r.tier.clone(),
                cached_requests: r.cached_requests,
                origin_calls_avoided: r.origin_calls_avoided,
                net_savings: r.net_savings,
                latency_improvement_mean: r.latency_improvement_mean,
                responses: f.responses,
                mean_score: f.mean_score,
                quote: f.quote.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.net_savings
            .unwrap_or(0.0)
            .total_cmp(&a.net_savings.unwrap_or(0.0))
            .then(a.customer_id.cmp(&b.customer_id))
    });
    out.truncate(CASE_STUDIES);
    out
}

/// How many customers each top/bottom table shows.
pub const CUSTOMERS_SHOWN: usize = 5;

/// Top and bottom customers by a figure (customers without it left out).
pub fn top_bottom(rows: &[CustomerRow], key: fn(&CustomerRow) -> Option<f64>) -> (Vec<CustomerRow>, Vec<CustomerRow>) {
    let mut with: Vec<&CustomerRow> = rows.iter().filter(|r| key(r).is_some()).collect();
    with.sort_by(|a, b| {
        key(b)
            .partial_cmp(&key(a))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.customer_id.cmp(&b.customer_id))
    });
    let top: Vec<CustomerRow> = with.iter().take(CUSTOMERS_SHOWN).map(|r| (*r).clone()).collect();
    let bottom: Vec<CustomerRow> = with.iter().rev().take(CUSTOMERS_SHOWN).map(|r| (*r).clone()).collect();
    (top, bottom)
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b != 0.0).then(|| a / b)
}

/// What the impact report is assembled from: the window's figures, each
/// computed by the metrics and evaluate stages.
pub struct ImpactParts {
    pub window: Period,
    /// The window's KPIs, and the baseline window's (for satisfaction before).
    pub this: Measured,
    pub before: Measured,
    pub base: Baseline,
    pub trend: Trend,
    pub weeks: Vec<WeekRow>,
    pub phases: Vec<PhaseResult>,
    pub customers: Vec<CustomerRow>,
    pub redis: RedisKpis,
    pub comments: Vec<Comment>,
    pub quality: DataQuality,
    pub files: Vec<FileQuality>,
}

/// The impact report of `parts`.
pub fn assemble(ctx: &Context, parts: ImpactParts) -> Result<ImpactReport> {
    let ImpactParts {
        window,
        this,
        before,
        base,
        trend,
        weeks,
        phases,
        customers,
        redis,
        comments,
        quality,
        files,
    } = parts;
    let window = &window;
    let quality = quality.relative_to(&ctx.base_dir);
    let files = super::weekly::relative_files(files, ctx);
    let cells = evaluate_all(&this.overall, &ctx.targets);
    let (headline, other) = super::headline_and_other(&cells, &BTreeMap::new());
    let sentences = headline.iter().map(sentence).collect();
    let segments = super::weekly::segment_cells(ctx, &this);
    let (b, e) = (&base.overall, &this.period);
    let sat_b = before.overall.get(&Kpi::CustomerSatisfaction).copied().flatten();
    let sat_e = this.overall.get(&Kpi::CustomerSatisfaction).copied().flatten();
    let before_after = before_after_rows(b, e, sat_b, sat_e);
    let cur = ctx.currency();
    let narrative = narrative(ctx, window, &this, b, &headline, (sat_b, redis.hit_rate));

    let (top_savings, bottom_savings) = top_bottom(&customers, |c| c.net_savings);
    let (top_latency, bottom_latency) = top_bottom(&customers, |c| c.latency_improvement_mean);
    let metrics = ImpactMetrics {
        window: Window {
            from: window.start_date.to_string(),
            to: window.end_date.to_string(),
            days: window.days(),
            timezone: ctx.timezone.name().to_string(),
            notes: Vec::new(),
        },
        kpis: cells,
        segments: segments.clone(),
        weeks,
        phases,
        customers,
        redis: ctx.redis(redis),
        data_quality: quality.clone(),
        risks: Vec::new(),
        case_studies: Vec::new(),
        baseline: BaselineInfo::of(ctx, b.rows)?,
        statistics: Default::default(),
        generated: Generated::new(ctx),
    };
    let history: Vec<_> = metrics.weeks.iter().filter_map(|w| w.conformance.clone()).collect();
    Ok(ImpactReport {
        flags: history.last().cloned().map(|c| super::flags::view(c, &history)),
        risk_rows: Vec::new(),
        risk_weeks: Vec::new(),
        escalation_path: String::new(),
        glance: super::glance::impact(&headline, &other, None, None, cur, window.days()),
        weeks_shown: metrics.weeks.iter().map(WeekShown::of).collect(),
        phases_shown: metrics.phases.iter().map(PhaseShown::of).collect(),
        headline,
        other,
        before_after,
        sentences,
        narrative,
        stats: Default::default(),
        segments: segments
            .into_iter()
            .map(|(name, kpis)| SegmentRow { name, kpis })
            .collect(),
        top_savings,
        bottom_savings,
        top_latency,
        bottom_latency,
        feedback: FeedbackSection::of(ctx, &this, comments),
        inputs: Inputs::of(ctx, &quality, files),
        trend,
        targets: targets_shown(ctx),
        metrics,
    })
}

/// Every configured target, as its KPI's label and the target shown.
fn targets_shown(ctx: &Context) -> Vec<(String, String)> {
    ALL.iter()
        .filter_map(|k| {
            ctx.targets
                .get(k)
                .map(|t| (k.label().to_string(), fmt(Some(*t), k.unit().name(), ctx.currency())))
        })
        .collect()
}

impl WeekShown {
    /// A week of the window as the table shows it: its gate in plain words.
    fn of(w: &WeekRow) -> Self {
        WeekShown {
            iso_week: w.iso_week.clone(),
            rollout_week: w.rollout_week,
            kpis: w.kpis.clone(),
            gate: w.gate.as_ref().map(super::gate::brief),
        }
    }
}

impl PhaseShown {
    /// A phase of the plan with its criteria in plain words.
    fn of(p: &PhaseResult) -> Self {
        PhaseShown {
            phase: p.clone(),
            words: super::gate::phase_words(&p.name, &p.features, &p.success_criteria, &p.rollback_trigger),
        }
    }
}

/// The figures before the rollout (B) and during it (E), with their changes.
fn before_after_rows(
    b: &crate::metrics::stats::BaselineStats,
    e: &crate::metrics::stats::PeriodStats,
    sat_b: Option<f64>,
    sat_e: Option<f64>,
) -> Vec<BeforeAfter> {
    let rel = |before: Option<f64>, after: Option<f64>| before.zip(after).and_then(|(b, a)| ratio(a - b, b));
    let abs = |before: Option<f64>, after: Option<f64>| before.zip(after).map(|(b, a)| a - b);
    let origin_b = ratio(b.origin, b.rows as f64);
    let origin_e = ratio(e.e_origin, e.e_rows as f64);
    let err_b = ratio(b.server_errors as f64, b.rows as f64);
    let err_e = ratio(e.e_server_errors as f64, e.e_rows as f64);
    let ba = |label: &str, unit: &str, before: Option<f64>, after: Option<f64>, relative: bool| BeforeAfter {
        label: label.into(),
        unit: unit.into(),
        before,
        after,
        change: if relative {
            rel(before, after)
        } else {
            abs(before, after)
        },
        relative,
    };
    vec![
        ba("Origin calls per request", "number", origin_b, origin_e, true),
        ba("p50 latency", "milliseconds", b.p50, e.e_p50, true),
        ba("p95 latency", "milliseconds", b.p95, e.e_p95, true),
        ba("p99 latency", "milliseconds", b.p99, e.e_p99, true),
        ba(
            "Mean latency",
            "milliseconds",
            ratio(b.latency_sum, b.rows as f64),
            ratio(e.e_latency_sum, e.e_rows as f64),
            true,
        ),
        ba("Error rate (5xx)", "ratio", err_b, err_e, false),
        ba("Customer satisfaction", "score", sat_b, sat_e, false),
    ]
}

/// The report's opening paragraphs: volume, calls, latency, the cache's
/// answers, satisfaction, money and targets, in sentences.
fn narrative(
    ctx: &Context,
    window: &Period,
    this: &Measured,
    b: &crate::metrics::stats::BaselineStats,
    headline: &[KpiRow],
    (sat_b, redis_hit_rate): (Option<f64>, Option<f64>),
) -> Vec<String> {
    let e = &this.period;
    let origin_b = ratio(b.origin, b.rows as f64);
    let origin_e = ratio(e.e_origin, e.e_rows as f64);
    let err_b = ratio(b.server_errors as f64, b.rows as f64);
    let err_e = ratio(e.e_server_errors as f64, e.e_rows as f64);
    let sat_e = this.overall.get(&Kpi::CustomerSatisfaction).copied().flatten();
    let cur = ctx.currency();
    let value = |k: Kpi| this.overall.get(&k).copied().flatten();
    let mut narrative = vec![format!(
        "Over the rollout window, {} through {} ({} days), {} requests were served, {} of them with the cache on, for {} active users; {} of those users had the cache on for at least one request (adoption counts users, not requests).",
        window.start_date,
        window.end_date - Duration::days(1),
        window.days(),
        fmt(Some(e.requests as f64), "count", cur),
        fmt(Some(e.e_rows as f64), "count", cur),
        fmt(Some(e.users as f64), "count", cur),
        pct(value(Kpi::Adoption)),
    )];
    if let (Some(ob), Some(oe)) = (origin_b, origin_e) {
        narrative.push(format!(
            "Requests with the cache made {:.2} origin calls each against {:.2} in the baseline: an API call reduction of {}, or {} origin calls avoided.",
            oe,
            ob,
            pct(value(Kpi::ApiCallReduction)),
            fmt(value(Kpi::OriginCallsAvoided), "count", cur)
        ));
    }
    if let (Some(pb), Some(pe)) = (b.p50, e.e_p50) {
        narrative.push(format!(
            "Median latency fell from {} to {} ({}); p99 went from {} to {}.",
            fmt(Some(pb), "milliseconds", cur),
            fmt(Some(pe), "milliseconds", cur),
            pct(value(Kpi::LatencyImprovementP50)),
            fmt(b.p99, "milliseconds", cur),
            fmt(e.e_p99, "milliseconds", cur)
        ));
    }
    narrative.push(format!(
        "The cache answered {} of lookups by the request log ({} by Redis's own counters), with an error rate of {} against {} before.",
        pct(value(Kpi::CacheHitRate)),
        pct(redis_hit_rate),
        pct(err_e),
        pct(err_b)
    ));
    narrative.push(format!(
        "Customer satisfaction, counting every answer with or without the cache, moved from {} to {} over {}; {} (score ≤ 2).",
        fmt(sat_b, "score", cur),
        fmt(sat_e, "score", cur),
        crate::ground::units::plural(Some(this.feedback.responses as f64), "response"),
        crate::ground::units::plural(Some(this.feedback.complaints as f64), "complaint")
    ));
    let gross = value(Kpi::OriginCallsAvoided).map(|a| a * ctx.costs.origin_call_cost);
    narrative.push(format!(
        "Origin calls avoided are worth {} gross; net of the Redis cost of {} the rollout saved {} ({} a year at the window's average rate, ramp-up included; the finance report's run-rate gives the rate at current adoption).",
        money(gross, cur),
        money(Some(ctx.costs.redis_cost(window.days())), cur),
        money(value(Kpi::CostSavings), cur),
        money(value(Kpi::AnnualizedSavings), cur)
    ));
    narrative.push(targets_sentence(headline));
    narrative
}

/// How many of the targets were met, and which not.
fn targets_sentence(headline: &[KpiRow]) -> String {
    let met = headline.iter().filter(|r| r.status == Some(Status::Met)).count();
    let missed: Vec<&str> = headline
        .iter()
        .filter(|r| matches!(r.status, Some(Status::Missed | Status::AtRisk)))
        .map(|r| r.label)
        .collect();
    if missed.is_empty() {
        format!("All {met} targets were met.")
    } else {
        format!(
            "{met} of {} targets were met; not met: {}.",
            headline.len(),
            missed.join(", ")
        )
    }
}

impl ImpactReport {
    /// Add the case-study candidates from the customers' feedback.
    pub fn with_case_studies(
        mut self,
        feedback: &BTreeMap<String, crate::metrics::feedback::CustomerFeedback>,
    ) -> Self {
        self.metrics.case_studies = case_studies(&self.metrics.customers, feedback);
        self
    }

    /// Add the risk register judged over the window's weeks.
    pub fn with_risks(mut self, risks: Vec<crate::evaluate::risks::RiskStatus>, escalation: &[String]) -> Self {
        self.risk_rows = super::flags::risk_rows(&risks, escalation.len(), &self.metrics.generated.currency);
        self.risk_weeks = risks
            .first()
            .map(|r| r.trend.iter().map(|(w, _)| w.clone()).collect())
            .unwrap_or_default();
        self.escalation_path = escalation.join(" → ");
        self.metrics.risks = risks;
        self
    }

    /// The notes on a window outside the rollout or the data.
    pub fn with_window_notes(mut self, notes: Vec<String>) -> Self {
        self.metrics.window.notes = notes;
        self
    }

    /// The first screen with the latest week's gate and the plan's next step.
    pub fn with_glance(mut self, plan: Option<&crate::evaluate::plan::Plan>, currency: &str) -> Self {
        let latest = self.metrics.weeks.iter().rev().find_map(|w| w.gate.as_ref());
        self.glance = super::glance::impact(
            &self.headline,
            &self.other,
            latest,
            plan,
            currency,
            self.metrics.window.days,
        );
        self
    }
}

/// The headline gains with their uncertainty, and whether the split held,
/// added to the narrative before its last sentence.
pub fn with_statistics(mut report: ImpactReport, statistics: Statistics) -> ImpactReport {
    let stats = super::inference::view(&statistics);
    let at = report.narrative.len().saturating_sub(1);
    let mut extra = Vec::new();
    if !stats.gains.is_empty() {
        extra.push(format!(
            "Users with the cache now against everyone before the rollout (the baseline): {}.",
            stats.gains.join("; ")
        ));
    }
    if let Some(srm) = &stats.srm {
        extra.push(if stats.srm_mismatch {
            format!("Sample ratio mismatch: {srm}")
        } else {
            format!("Split check: {srm}")
        });
    }
    report.narrative.splice(at..at, extra);
    report.stats = stats;
    report.metrics.statistics = statistics;
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::feedback::CustomerFeedback;

    fn row(id: &str, cached: u64, net: f64, faster: f64) -> CustomerRow {
        CustomerRow {
            customer_id: id.into(),
            name: format!("Customer {id}"),
            tier: "enterprise".into(),
            requests: cached + 10,
            cached_requests: cached,
            origin_calls_avoided: Some(cached as f64 * 0.9),
            gross_savings: Some(net + 1.0),
            redis_cost: Some(1.0),
            net_savings: Some(net),
            latency_improvement_mean: Some(faster),
        }
    }

    fn said(n: u64, mean: f64, quote: Option<&str>) -> CustomerFeedback {
        CustomerFeedback {
            responses: n,
            mean_score: Some(mean),
            quote: quote.map(str::to_string),
        }
    }

    #[test]
    fn case_studies_need_verified_gains_traffic_and_good_feedback() {
        let rows = [
            row("a", 500, 40.0, 0.5),  // eligible, most savings
            row("b", 500, 30.0, 0.4),  // eligible
            row("c", 50, 90.0, 0.6),   // too little traffic (50 < 100)
            row("d", 500, -5.0, 0.5),  // no net savings
            row("e", 500, 80.0, -0.1), // slower with the cache
            row("f", 500, 70.0, 0.5),  // mean score 3.9 < 4
            row("g", 500, 60.0, 0.5),  // one answer only
        ];
        let fb = BTreeMap::from([
            ("a".to_string(), said(3, 4.33, Some("Much faster"))),
            ("b".to_string(), said(2, 4.0, None)),
            ("c".to_string(), said(5, 5.0, Some("x"))),
            ("d".to_string(), said(5, 5.0, None)),
            ("e".to_string(), said(5, 5.0, None)),
            ("f".to_string(), said(10, 3.9, None)),
            ("g".to_string(), said(1, 5.0, None)),
        ]);
        let c = case_studies(&rows, &fb);
        let shown: Vec<(&str, Option<&str>)> = c.iter().map(|c| (c.customer_id.as_str(), c.quote.as_deref())).collect();
        assert_eq!(shown, [("a", Some("Much faster")), ("b", None)]);
    }
}
