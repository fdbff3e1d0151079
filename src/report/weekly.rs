//! The weekly stakeholder summary: view model and metrics.json.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::Utc;
use serde::Serialize;

use super::inference::StatsView;
use crate::evaluate::gate::GateResult;
use crate::metrics::experiment::Statistics;

use super::{Context, KpiRow};
use crate::evaluate::{KpiCell, evaluate_all};
use crate::ground::kpi::Kpi;
pub use crate::metrics::daily::DayPoint;
pub use crate::metrics::feedback::Comment;
use crate::metrics::redis::RedisKpis;
use crate::metrics::requests::Measured;
use crate::period::{IsoWeek, Period};
use crate::quality::DataQuality;

/// `period` of metrics.json (`end` exclusive).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodInfo {
    pub start: String,
    pub end: String,
    pub iso_week: String,
    pub timezone: String,
    /// Rollout week number (1 = the week of `rollout.start`), if configured and reached.
    pub rollout_week: Option<i64>,
}

/// metrics.json of `weekly` (docs/metrics-json.md#weekly-outweeklyiso-weekmetricsjson), plus context a reader needs to
/// re-derive the figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklyMetrics {
    pub period: PeriodInfo,
    pub kpis: BTreeMap<Kpi, KpiCell>,
    pub segments: BTreeMap<String, BTreeMap<Kpi, KpiCell>>,
    pub redis: RedisKpis,
    pub data_quality: DataQuality,
    pub previous_week: PreviousWeek,
    pub baseline: BaselineInfo,
    /// Is the gain real: baseline against the week, treatment against
    /// control, and the sample-ratio check.
    pub statistics: Statistics,
    /// The rollout gate of the week (null before the rollout or without a plan).
    pub gate: Option<GateResult>,
    /// The feature flags against the plan this week (null without a plan or
    /// before the rollout).
    pub conformance: Option<crate::evaluate::conformance::WeekConformance>,
    /// The risk register judged this week (empty without a register).
    pub risks: Vec<crate::evaluate::risks::RiskStatus>,
    /// Per endpoint, busiest first: the KPIs restricted to the endpoint
    /// (docs/kpis.md "Per endpoint").
    pub endpoints: Vec<crate::metrics::endpoints::EndpointFigures>,
    /// The enterprise customers' net savings a year each at this week's
    /// rate (null when none had the cache): the brief's 10,000–50,000 claim.
    pub enterprise_savings: Option<crate::metrics::audience::EnterpriseSavings>,
    pub generated: Generated,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviousWeek {
    pub iso_week: String,
    pub kpis: BTreeMap<Kpi, Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineInfo {
    pub from: String,
    /// Exclusive.
    pub to: String,
    /// |B|: request rows in the window with the cache off.
    pub rows: u64,
}

impl BaselineInfo {
    /// The configured baseline window and its `rows` requests.
    pub fn of(ctx: &Context, rows: u64) -> Result<BaselineInfo> {
        let (from, to) = ctx.baseline()?;
        Ok(BaselineInfo {
            from: from.to_string(),
            to: to.to_string(),
            rows,
        })
    }
}

impl Generated {
    /// Now, this tool, this configuration.
    pub fn new(ctx: &Context) -> Self {
        Generated {
            at: Utc::now()
                .with_timezone(&ctx.timezone)
                .format("%Y-%m-%d %H:%M %Z")
                .to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            // Relative to its own folder: a forwarded report shows no server path.
            config: ctx.shown(&ctx.config),
            config_hash: ctx.config_hash.clone(),
            currency: ctx.currency().to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Generated {
    pub at: String,
    pub tool_version: String,
    pub config: String,
    pub config_hash: String,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedbackSection {
    pub responses: u64,
    pub mean: Option<f64>,
    pub complaints: u64,
    pub comments: Vec<Comment>,
    /// The line shown instead when no feedback source is configured.
    pub not_measured: Option<String>,
    /// How answers on another scale were put on 1–5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_note: Option<String>,
}

/// One row of the per-segment table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentRow {
    pub name: String,
    pub kpis: BTreeMap<Kpi, KpiCell>,
}

/// One week of the trend from the baseline to the reported week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekPoint {
    pub iso_week: String,
    /// Rollout week (1 = the week of `rollout.start`), None before the rollout.
    pub rollout_week: Option<i64>,
    pub kpis: BTreeMap<Kpi, Option<f64>>,
    /// Adoption per segment in that week.
    pub segment_adoption: BTreeMap<String, Option<f64>>,
}

/// Series behind the charts.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Trend {
    pub weeks: Vec<WeekPoint>,
    pub days: Vec<DayPoint>,
    /// Σ origin over B / days in the baseline window.
    pub baseline_origin_per_day: Option<f64>,
    /// p50, p95, p99 latency (ms) over B and over E of the week.
    pub baseline_latency: [Option<f64>; 3],
    pub week_latency: [Option<f64>; 3],
}

/// Everything the weekly summary shows; every renderer works from this.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklyReport {
    pub metrics: WeeklyMetrics,
    /// The week has no valid request rows: every KPI is without data.
    pub no_rows: bool,
    /// The rollout gate in plain words (None before the rollout or without a plan).
    pub gate: Option<super::gate::GateView>,
    /// The first screen: verdict, three numbers, next step.
    pub glance: super::glance::Glance,
    /// The flags against the plan (None without a plan or before the rollout).
    pub flags: Option<super::flags::FlagsView>,
    /// The risk watch, most urgent first, and the escalation path.
    pub risk_rows: Vec<super::flags::RiskRow>,
    pub escalation_path: String,
    /// Headline KPIs (those with a target), then the rest.
    pub headline: Vec<KpiRow>,
    pub other: Vec<KpiRow>,
    pub segments: Vec<SegmentRow>,
    pub feedback: FeedbackSection,
    /// Request-log hit rate minus Redis's, when both exist.
    pub hit_rate_gap: Option<f64>,
    pub inputs: Inputs,
    pub trend: Trend,
    /// One sentence per KPI with a target, for the headline.
    pub sentences: Vec<String>,
    /// The statistics as the tables show them.
    pub stats: StatsView,
    /// What the audience briefs add (not part of the weekly report's files).
    #[serde(skip)]
    pub audience: crate::metrics::audience::Audience,
    /// Every week of the rollups up to this one (`<out>/dashboard.json`).
    #[serde(skip)]
    pub dashboard: super::archive::Series,
}

impl WeeklyReport {
    /// Add the week's rollout gate: its box in plain words, the first
    /// screen's verdict and next step (the plan names the next phase), and
    /// metrics.json's `gate`.
    pub fn with_gate(
        mut self,
        gate: Option<crate::evaluate::gate::GateResult>,
        plan: Option<&crate::evaluate::plan::Plan>,
        currency: &str,
    ) -> Self {
        self.gate = gate.as_ref().map(super::gate::view);
        self.glance = super::glance::weekly(&self.headline, &self.other, gate.as_ref(), plan, currency);
        self.metrics.gate = gate;
        self
    }

    /// Add the flags against the plan (this week's, and the recent weeks'
    /// for the matrix) and the risk register judged this week.
    pub fn with_flags_and_risks(
        mut self,
        current: Option<crate::evaluate::conformance::WeekConformance>,
        history: &[crate::evaluate::conformance::WeekConformance],
        risks: Vec<crate::evaluate::risks::RiskStatus>,
        escalation: &[String],
    ) -> Self {
        self.flags = current.clone().map(|c| super::flags::view(c, history));
        self.metrics.conformance = current;
        self.risk_rows = super::flags::risk_rows(&risks, escalation.len(), &self.metrics.generated.currency);
        self.escalation_path = escalation.join(" → ");
        self.metrics.risks = risks;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inputs {
    pub requests: String,
    pub feedback: String,
    pub customers: Option<String>,
    pub redis_snapshots: String,
    pub files: Vec<crate::quality::FileQuality>,
    pub by_format: Vec<crate::quality::FormatGroup>,
    /// Rejected rows by reason, in the order of docs/bad-input.md.
    pub rejections: Vec<crate::quality::ReasonCount>,
    pub examples: Vec<crate::quality::BadRow>,
}

impl Inputs {
    /// The inputs as the report names them (relative to the config's
    /// folder) with their data quality, file by file.
    pub fn of(ctx: &Context, quality: &DataQuality, files: Vec<crate::quality::FileQuality>) -> Self {
        Inputs {
            requests: ctx.inputs.requests.clone(),
            feedback: ctx.inputs.feedback.clone(),
            customers: ctx.inputs.customers.clone(),
            redis_snapshots: ctx.inputs.redis_snapshots.clone(),
            files,
            by_format: quality.formats(),
            rejections: quality.reasons(),
            examples: quality.examples(),
        }
    }
}

/// Files named relative to the configuration's folder.
pub fn relative_files(files: Vec<crate::quality::FileQuality>, ctx: &Context) -> Vec<crate::quality::FileQuality> {
    files
        .into_iter()
        .map(|mut f| {
            f.file = ctx.shown(&f.file);
            f
        })
        .collect()
}

/// What the weekly report is assembled from: the week's figures, each
/// computed by the metrics stage.
pub struct WeeklyParts {
    pub week: IsoWeek,
    pub period: Period,
    pub previous_week: IsoWeek,
    /// The week's KPIs and the week before's (for the changes).
    pub this: Measured,
    pub before: Measured,
    pub redis: RedisKpis,
    pub data_quality: DataQuality,
    pub comments: Vec<Comment>,
    pub files: Vec<crate::quality::FileQuality>,
    pub trend: Trend,
}

/// The weekly report of `parts`.
pub fn assemble(ctx: &Context, parts: WeeklyParts) -> Result<WeeklyReport> {
    let WeeklyParts {
        week,
        period,
        previous_week,
        this,
        before,
        redis,
        data_quality,
        comments,
        files,
        trend,
    } = parts;
    let period = &period;
    let data_quality = data_quality.relative_to(&ctx.base_dir);
    let inputs = Inputs::of(ctx, &data_quality, relative_files(files, ctx));
    let cells = evaluate_all(&this.overall, &ctx.targets);
    let (headline, other) = super::headline_and_other(&cells, &before.overall);
    let sentences = headline.iter().map(super::sentence).collect();
    let segments = segment_cells(ctx, &this);
    let rollout_week = ctx.rollout_week(period.start_date);
    // The log's hit rate against Redis's own.
    let hit_rate_gap = this
        .overall
        .get(&Kpi::CacheHitRate)
        .copied()
        .flatten()
        .zip(redis.hit_rate)
        .map(|(a, b)| a - b);
    let metrics = WeeklyMetrics {
        period: PeriodInfo {
            start: period.start_date.to_string(),
            end: period.end_date.to_string(),
            iso_week: week.label(),
            timezone: ctx.timezone.name().to_string(),
            rollout_week,
        },
        kpis: cells,
        segments: segments.clone(),
        redis: ctx.redis(redis),
        data_quality,
        previous_week: PreviousWeek {
            iso_week: previous_week.label(),
            kpis: before.overall.clone(),
        },
        baseline: BaselineInfo::of(ctx, this.baseline.rows)?,
        statistics: Statistics::default(),
        gate: None,
        conformance: None,
        risks: Vec::new(),
        endpoints: Vec::new(),
        enterprise_savings: None,
        generated: Generated::new(ctx),
    };
    let feedback = FeedbackSection::of(ctx, &this, comments);
    Ok(WeeklyReport {
        no_rows: this.period.requests == 0,
        gate: None,
        glance: super::glance::weekly(&headline, &other, None, None, ctx.currency()),
        flags: None,
        risk_rows: Vec::new(),
        escalation_path: String::new(),
        headline,
        other,
        trend,
        sentences,
        stats: StatsView::default(),
        audience: Default::default(),
        dashboard: Default::default(),
        segments: segments
            .into_iter()
            .map(|(name, kpis)| SegmentRow { name, kpis })
            .collect(),
        feedback,
        hit_rate_gap,
        inputs,
        metrics,
    })
}

/// Each segment's KPIs judged against the targets.
pub fn segment_cells(ctx: &Context, this: &Measured) -> BTreeMap<String, BTreeMap<Kpi, KpiCell>> {
    this.segments
        .iter()
        .map(|(name, values)| (name.clone(), evaluate_all(values, &ctx.targets)))
        .collect()
}

impl FeedbackSection {
    /// The feedback of `this`: answers, their mean and complaints, and the
    /// recent comments.
    pub fn of(ctx: &Context, this: &Measured, comments: Vec<Comment>) -> FeedbackSection {
        FeedbackSection {
            responses: this.feedback.responses,
            mean: this.overall.get(&Kpi::CustomerSatisfaction).copied().flatten(),
            complaints: this.feedback.complaints,
            comments,
            not_measured: ctx.feedback_not_measured(),
            scale_note: ctx.score_scale_note(),
        }
    }
}

/// The series behind the weekly charts.
pub fn trend(
    ctx: &Context,
    weeks: &[IsoWeek],
    points: &[crate::metrics::trend::TrendPoint],
    this: &Measured,
    base: &crate::metrics::requests::Baseline,
    days: Vec<DayPoint>,
) -> Result<Trend> {
    let weeks = weeks
        .iter()
        .zip(points)
        .map(|(w, m)| WeekPoint {
            iso_week: w.label(),
            rollout_week: ctx.rollout_week(w.monday()),
            kpis: m.kpis.clone(),
            segment_adoption: m.segment_adoption.clone(),
        })
        .collect();
    let (from, to) = ctx.baseline()?;
    let baseline_days = (to - from).num_days();
    Ok(Trend {
        weeks,
        days,
        baseline_origin_per_day: (base.overall.rows > 0 && baseline_days > 0)
            .then(|| base.overall.origin / baseline_days as f64),
        baseline_latency: [base.overall.p50, base.overall.p95, base.overall.p99],
        week_latency: [this.period.e_p50, this.period.e_p95, this.period.e_p99],
    })
}
