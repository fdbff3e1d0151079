//! Treatment versus control in the same period and segment, baseline versus
//! the period, and the sample-ratio check — the inputs of [`crate::stats`].
//! Control rows are the cache-off rows of the (segment, week) cells where
//! the cache was rolled out; users of segments still waiting are no control.
//!
//! The unit of analysis is the user (the flag is set per user): one grouped
//! aggregation gives each user's requests, latency, origin calls and 5xx per
//! arm and segment, and a second folds them into additive sums (n, Σx, Σx²,
//! Σxy). Segment sums add up to the overall ones, so a user whose rows carry
//! two segments counts once in each. Quantile intervals come from a seeded
//! bootstrap over at most [`BOOTSTRAP_CAP`] rows per arm.

use std::collections::BTreeMap;
use std::ops::AddAssign;

use anyhow::Result;
use polars::prelude::*;
use serde::Serialize;

use crate::frames::{CACHE_ENABLED, LATENCY_MS, SCORE, SEGMENT, STATUS, TS, UPSTREAM_CALLS, USER_ID};
use crate::metrics::stats::cell_f64 as f;
use crate::sources::MicrosRange;
use crate::stats::{self, Effect, MIN_UNITS, Method, Moments, RatioMoments, Srm};

/// Rows per arm the bootstrap resamples from (a uniform, seeded sample).
pub const BOOTSTRAP_CAP: usize = 5_000;
/// Bootstrap resamples.
pub const BOOTSTRAP_REPS: usize = 1_000;
/// A rate (5xx, complaints) needs at least this many events in each arm for
/// its normal approximation; fewer is "not enough data".
pub const MIN_EVENTS: f64 = 5.0;

/// Which rows a group holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Arm {
    /// B: baseline window, cache off.
    Baseline = 0,
    /// The period, cache off.
    Control = 1,
    /// E: the period, cache on.
    Treatment = 2,
}

impl Arm {
    fn from_code(code: i32) -> Option<Arm> {
        match code {
            0 => Some(Arm::Baseline),
            1 => Some(Arm::Control),
            2 => Some(Arm::Treatment),
            _ => None,
        }
    }
}

/// Additive per-user sums of one arm (and segment).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ArmSums {
    /// Users.
    pub units: u64,
    /// Requests per user.
    pub requests: Moments,
    /// Per user: (Σx, Σx², Σx·requests) of latency, origin calls and 5xx.
    pub latency: [f64; 3],
    pub origin: [f64; 3],
    pub errors: [f64; 3],
}

impl AddAssign for ArmSums {
    fn add_assign(&mut self, o: ArmSums) {
        self.units += o.units;
        self.requests.n += o.requests.n;
        self.requests.sum += o.requests.sum;
        self.requests.sum_sq += o.requests.sum_sq;
        for (a, b) in [
            (&mut self.latency, o.latency),
            (&mut self.origin, o.origin),
            (&mut self.errors, o.errors),
        ] {
            for i in 0..3 {
                a[i] += b[i];
            }
        }
    }
}

impl ArmSums {
    fn ratio(&self, x: [f64; 3]) -> RatioMoments {
        RatioMoments {
            num: Moments {
                n: self.requests.n,
                sum: x[0],
                sum_sq: x[1],
            },
            den: self.requests,
            cross: x[2],
        }
    }
}

/// Feedback of one arm: scores and complaints (score ≤ 2).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScoreSums {
    pub scores: Moments,
    pub complaints: u64,
}

impl AddAssign for ScoreSums {
    fn add_assign(&mut self, o: ScoreSums) {
        self.scores.n += o.scores.n;
        self.scores.sum += o.scores.sum;
        self.scores.sum_sq += o.scores.sum_sq;
        self.complaints += o.complaints;
    }
}

/// Everything the comparisons need, per arm and segment.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    pub requests: BTreeMap<(Arm, String), ArmSums>,
    pub feedback: BTreeMap<(Arm, String), ScoreSums>,
    /// Latencies (ms) per arm and segment.
    pub latencies: BTreeMap<(Arm, String), LatencySample>,
    /// The same per arm over every segment.
    pub latencies_overall: BTreeMap<Arm, LatencySample>,
}

/// The latency quantiles of [`QUANTILES`].
pub const QUANTILES: [f64; 2] = [0.5, 0.95];

/// An arm's latencies: the exact p50 and p95 of all of them and a uniform
/// seeded sample of at most [`BOOTSTRAP_CAP`] for the bootstrap.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatencySample {
    pub sample: Vec<f64>,
    pub population: usize,
    pub quantiles: [f64; 2],
}

impl LatencySample {
    fn new(mut values: Vec<f64>, seed: u64) -> Self {
        let quantiles = QUANTILES.map(|q| crate::metrics::stats::linear_quantile(&mut values, q).unwrap_or(f64::NAN));
        LatencySample {
            sample: stats::bounded_sample(&values, BOOTSTRAP_CAP, seed),
            population: values.len(),
            quantiles,
        }
    }

    fn arm(&self) -> stats::BootArm<'_> {
        stats::BootArm {
            sample: &self.sample,
            population: self.population,
            exact: Some(&self.quantiles),
        }
    }
}

fn in_range(r: MicrosRange) -> Expr {
    col(TS).gt_eq(lit(r.0)).and(col(TS).lt(lit(r.1)))
}

const ARM: &str = "__arm";
/// The week of the period a row falls in (0-based).
const CELL: &str = "__cell";

fn arm_expr(period: MicrosRange, baseline: MicrosRange) -> Expr {
    when(in_range(period).and(col(CACHE_ENABLED)))
        .then(lit(Arm::Treatment as i32))
        .when(in_range(period))
        .then(lit(Arm::Control as i32))
        .when(in_range(baseline).and(col(CACHE_ENABLED).not()))
        .then(lit(Arm::Baseline as i32))
        .otherwise(lit(NULL).cast(DataType::Int32))
        .alias(ARM)
}

fn keys(df: &DataFrame) -> Result<Vec<Option<(Arm, String)>>> {
    let arms = df.column(ARM)?.i32()?.clone();
    let segs = df.column(SEGMENT)?.str()?.clone();
    Ok(arms
        .iter()
        .zip(segs.iter())
        .map(|(a, s)| Some((Arm::from_code(a?)?, s?.to_string())))
        .collect())
}

/// Per-user sums of the request rows of `period` (control and treatment)
/// and of the baseline window (cache off), per arm and segment.
fn request_sums(rows: &LazyFrame) -> Result<BTreeMap<(Arm, String), ArmSums>> {
    // Per user in Polars; the fold over users in Rust, in a fixed order, so
    // that a rerun gives the same last digit (a parallel float sum need not).
    let per_user = rows
        .clone()
        .group_by([col(ARM), col(SEGMENT), col(USER_ID)])
        .agg([
            len().cast(DataType::Float64).alias("n"),
            col(LATENCY_MS).sum().alias("lat"),
            col(UPSTREAM_CALLS).cast(DataType::Float64).sum().alias("origin"),
            col(STATUS).gt_eq(lit(500)).cast(DataType::Float64).sum().alias("err"),
        ])
        .sort(
            [ARM, SEGMENT, USER_ID],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .collect()?;
    let column = |name: &str| -> Result<Vec<f64>> {
        Ok(per_user.column(name)?.f64()?.iter().map(|v| v.unwrap_or(0.0)).collect())
    };
    let (n, lat, origin, err) = (column("n")?, column("lat")?, column("origin")?, column("err")?);
    let mut out: BTreeMap<(Arm, String), ArmSums> = BTreeMap::new();
    for (row, key) in keys(&per_user)?.into_iter().enumerate() {
        let Some(key) = key else { continue };
        let a = out.entry(key).or_default();
        let k = n[row];
        a.units += 1;
        a.requests.n += 1.0;
        a.requests.sum += k;
        a.requests.sum_sq += k * k;
        for (acc, x) in [
            (&mut a.latency, lat[row]),
            (&mut a.origin, origin[row]),
            (&mut a.errors, err[row]),
        ] {
            acc[0] += x;
            acc[1] += x * x;
            acc[2] += x * k;
        }
    }
    Ok(out)
}

/// Feedback of the period by the arm of the answering user in the week of
/// the answer (a user whose requests that week were all with, or all
/// without, the cache; other answers are in no arm), and feedback of the
/// baseline window as baseline.
fn feedback_sums(
    requests: &DataFrame,
    feedback: &DataFrame,
    period: MicrosRange,
    baseline: MicrosRange,
) -> Result<BTreeMap<(Arm, String), ScoreSums>> {
    // The week of the period a row falls in: a user's arm is decided per
    // week, as the flag of a user changes when their segment is rolled out.
    let week_us = 7 * 86_400_000_000i64;
    let cell = || ((col(TS) - lit(period.0)) / lit(week_us)).alias(CELL);
    let user_arm = requests
        .clone()
        .lazy()
        .filter(in_range(period))
        .with_column(cell())
        .group_by([col(USER_ID), col(CELL)])
        .agg([
            col(CACHE_ENABLED).min().alias("__all"),
            col(CACHE_ENABLED).max().alias("__any"),
        ])
        .with_column(
            when(col("__all"))
                .then(lit(Arm::Treatment as i32))
                .when(col("__any").not())
                .then(lit(Arm::Control as i32))
                .otherwise(lit(NULL).cast(DataType::Int32))
                .alias("__user_arm"),
        )
        .select([col(USER_ID), col(CELL), col("__user_arm")]);
    // (segment, week) cells with a request with the cache on.
    let rolled_out = requests
        .clone()
        .lazy()
        .filter(in_range(period).and(col(CACHE_ENABLED)))
        .with_column(cell())
        .group_by([col(SEGMENT), col(CELL)])
        .agg([len().alias("__rolled")]);
    let fb = feedback.clone().lazy().filter(col(SCORE).is_not_null());
    let in_period = fb
        .clone()
        .filter(in_range(period))
        .with_column(cell())
        .join(
            user_arm,
            [col(USER_ID), col(CELL)],
            [col(USER_ID), col(CELL)],
            JoinArgs::new(JoinType::Left),
        )
        .join(
            rolled_out,
            [col(SEGMENT), col(CELL)],
            [col(SEGMENT), col(CELL)],
            JoinArgs::new(JoinType::Left),
        )
        // A control answer counts only where the cache was rolled out.
        .with_column(
            when(
                col("__user_arm")
                    .eq(lit(Arm::Control as i32))
                    .and(col("__rolled").is_null()),
            )
            .then(lit(NULL).cast(DataType::Int32))
            .otherwise(col("__user_arm"))
            .alias(ARM),
        )
        .select([col(ARM), col(SEGMENT), col(SCORE)]);
    let in_base = fb
        .filter(in_range(baseline))
        .with_column(lit(Arm::Baseline as i32).alias(ARM))
        .select([col(ARM), col(SEGMENT), col(SCORE)]);
    let score = || col(SCORE).cast(DataType::Float64);
    let df = concat([in_period, in_base], UnionArgs::default())?
        .filter(col(ARM).is_not_null())
        .group_by([col(ARM), col(SEGMENT)])
        .agg([
            len().cast(DataType::Float64).alias("n"),
            score().sum().alias("sum"),
            (score() * score()).sum().alias("sq"),
            score()
                .lt_eq(lit(2.0))
                .cast(DataType::Float64)
                .sum()
                .alias("complaints"),
        ])
        .collect()?;
    let mut out = BTreeMap::new();
    for (row, key) in keys(&df)?.into_iter().enumerate() {
        let Some(key) = key else { continue };
        out.insert(
            key,
            ScoreSums {
                scores: Moments {
                    n: f(&df, "n", row)?,
                    sum: f(&df, "sum", row)?,
                    sum_sq: f(&df, "sq", row)?,
                },
                complaints: f(&df, "complaints", row)? as u64,
            },
        );
    }
    Ok(out)
}

/// Latencies per arm and segment, and per arm over every segment.
type Latencies = (BTreeMap<(Arm, String), LatencySample>, BTreeMap<Arm, LatencySample>);

fn latency_samples(rows: &LazyFrame, seed: u64) -> Result<Latencies> {
    // One list of latencies per (arm, segment), in row order (the order of
    // the files and their rows: the same on every run).
    let df = rows
        .clone()
        .group_by_stable([col(ARM), col(SEGMENT)])
        .agg([col(LATENCY_MS)])
        .collect()?;
    let lists = df.column(LATENCY_MS)?.list()?.clone();
    let mut all: BTreeMap<(Arm, String), Vec<f64>> = BTreeMap::new();
    for (row, key) in keys(&df)?.into_iter().enumerate() {
        if let (Some(key), Some(list)) = (key, lists.get_as_series(row)) {
            let v: Vec<f64> = list.f64()?.into_no_null_iter().collect();
            all.entry(key).or_default().extend(v);
        }
    }
    let mut overall: BTreeMap<Arm, Vec<f64>> = BTreeMap::new();
    for ((arm, _), v) in &all {
        overall.entry(*arm).or_default().extend_from_slice(v);
    }
    let overall = overall
        .into_iter()
        .map(|(arm, v)| (arm, LatencySample::new(v, seed ^ arm as u64)))
        .collect();
    let per = all
        .into_iter()
        .map(|(k, v)| {
            let s = LatencySample::new(v, seed ^ k.0 as u64);
            (k, s)
        })
        .collect();
    Ok((per, overall))
}

/// Group the rows of `period` and the baseline window by arm and segment.
pub fn groups(
    requests: &DataFrame,
    feedback: &DataFrame,
    period: MicrosRange,
    baseline: MicrosRange,
    seed: u64,
) -> Result<Groups> {
    // Cache-off rows of the period are a control only where the cache was
    // rolled out: in (segment, week of the period) cells with a treatment row.
    let week_us = 7 * 86_400_000_000i64;
    let rolled_out = col(ARM)
        .eq(lit(Arm::Treatment as i32))
        .cast(DataType::Int32)
        .max()
        .over([col(SEGMENT), col(CELL)])?
        .eq(lit(1));
    let t = std::time::Instant::now();
    let rows = requests
        .clone()
        .lazy()
        .with_column(arm_expr(period, baseline))
        .filter(col(ARM).is_not_null())
        .with_column(
            when(col(ARM).eq(lit(Arm::Baseline as i32)))
                .then(lit(-1i64))
                .otherwise((col(TS) - lit(period.0)) / lit(week_us))
                .alias(CELL),
        )
        .filter(col(ARM).eq(lit(Arm::Baseline as i32)).or(rolled_out))
        .select([
            col(ARM),
            col(SEGMENT),
            col(USER_ID),
            col(LATENCY_MS),
            col(UPSTREAM_CALLS),
            col(STATUS),
        ])
        .collect()?
        .lazy();
    let (latencies, latencies_overall) = latency_samples(&rows, seed)?;
    let req = request_sums(&rows)?;
    let fb = feedback_sums(requests, feedback, period, baseline)?;
    tracing::debug!(elapsed = ?t.elapsed(), "statistics groups");
    Ok(Groups {
        requests: req,
        feedback: fb,
        latencies,
        latencies_overall,
    })
}

/// One metric compared between two arms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub metric: &'static str,
    pub label: &'static str,
    /// `ms`, `ratio` (per request), `share` or `score`.
    pub unit: &'static str,
    pub method: Method,
    /// The value in the control (or baseline) arm and in the treatment arm.
    pub control: Option<f64>,
    pub treatment: Option<f64>,
    /// Units behind each side: users, or feedback answers.
    pub control_n: u64,
    pub treatment_n: u64,
    /// None: not enough data (fewer than [`MIN_UNITS`] on a side, or no
    /// variance).
    pub effect: Option<Effect>,
}

impl Comparison {
    pub fn enough(&self) -> bool {
        self.effect.is_some()
    }
}

/// A per-request metric: key, label, unit and its per-user sums.
type RatioMetric = (&'static str, &'static str, &'static str, fn(&ArmSums) -> [f64; 3]);

/// The two sides of a comparison.
struct Sides<'a> {
    c: Option<&'a ArmSums>,
    t: Option<&'a ArmSums>,
    fc: Option<&'a ScoreSums>,
    ft: Option<&'a ScoreSums>,
    lc: Option<&'a LatencySample>,
    lt: Option<&'a LatencySample>,
}

fn compare(s: &Sides, seed: u64) -> Vec<Comparison> {
    let units = |a: Option<&ArmSums>| a.map_or(0, |a| a.units);
    let (cn, tn) = (units(s.c), units(s.t));
    let enough = cn >= MIN_UNITS && tn >= MIN_UNITS;
    let mut out = Vec::new();
    let ratio_metrics: [RatioMetric; 3] = [
        ("origin_calls_per_request", "Origin calls per request", "ratio", |a| {
            a.origin
        }),
        ("mean_latency_ms", "Mean latency", "ms", |a| a.latency),
        ("error_rate", "5xx per request", "share", |a| a.errors),
    ];
    for (metric, label, unit, pick) in ratio_metrics {
        let rc = s.c.map(|a| a.ratio(pick(a)));
        let rt = s.t.map(|a| a.ratio(pick(a)));
        // A rate needs a few events on each side for its normal approximation.
        let events = |r: &Option<RatioMoments>| r.map_or(0.0, |r| r.num.sum);
        let rare = unit == "share" && (events(&rc) < MIN_EVENTS || events(&rt) < MIN_EVENTS);
        let effect = match (&rc, &rt) {
            (Some(c), Some(t)) if enough && !rare => stats::delta_ratio(c, t),
            _ => None,
        };
        out.push(Comparison {
            metric,
            label,
            unit,
            method: Method::DeltaRatio,
            control: rc.and_then(|r| r.value()),
            treatment: rt.and_then(|r| r.value()),
            control_n: cn,
            treatment_n: tn,
            effect,
        });
    }
    let boot = match (s.lc, s.lt) {
        (Some(c), Some(t)) if enough => {
            stats::bootstrap_quantiles(&c.arm(), &t.arm(), &QUANTILES, BOOTSTRAP_REPS, seed)
        }
        _ => vec![None; QUANTILES.len()],
    };
    for (i, (metric, label)) in [("p50_latency_ms", "p50 latency"), ("p95_latency_ms", "p95 latency")]
        .into_iter()
        .enumerate()
    {
        out.push(Comparison {
            metric,
            label,
            unit: "ms",
            method: Method::Bootstrap,
            control: s.lc.map(|l| l.quantiles[i]).filter(|x| x.is_finite()),
            treatment: s.lt.map(|l| l.quantiles[i]).filter(|x| x.is_finite()),
            control_n: cn,
            treatment_n: tn,
            effect: boot[i],
        });
    }
    let answers = |a: Option<&ScoreSums>| a.map_or(0, |a| a.scores.n as u64);
    let (fcn, ftn) = (answers(s.fc), answers(s.ft));
    let enough_fb = fcn >= MIN_UNITS && ftn >= MIN_UNITS;
    let complaints = |a: Option<&ScoreSums>| a.map_or(0.0, |a| a.complaints as f64);
    let rare_complaints = complaints(s.fc) < MIN_EVENTS || complaints(s.ft) < MIN_EVENTS;
    let mean = |a: Option<&ScoreSums>| a.filter(|a| a.scores.n > 0.0).map(|a| a.scores.mean());
    out.push(Comparison {
        metric: "customer_satisfaction",
        label: "Satisfaction (1–5)",
        unit: "score",
        method: Method::Welch,
        control: mean(s.fc),
        treatment: mean(s.ft),
        control_n: fcn,
        treatment_n: ftn,
        effect: match (s.fc, s.ft) {
            (Some(c), Some(t)) if enough_fb => stats::welch(&c.scores, &t.scores),
            _ => None,
        },
    });
    let share = |a: Option<&ScoreSums>| a.filter(|a| a.scores.n > 0.0).map(|a| a.complaints as f64 / a.scores.n);
    out.push(Comparison {
        metric: "complaint_share",
        label: "Answers scoring 1–2",
        unit: "share",
        method: Method::TwoProportions,
        control: share(s.fc),
        treatment: share(s.ft),
        control_n: fcn,
        treatment_n: ftn,
        effect: match (s.fc, s.ft) {
            (Some(c), Some(t)) if enough_fb && !rare_complaints => {
                stats::two_proportions(c.complaints, fcn, t.complaints, ftn)
            }
            _ => None,
        },
    });
    out
}

/// Treatment against control overall and per segment (segments where both
/// arms have users).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ArmComparison {
    pub overall: Vec<Comparison>,
    pub segments: BTreeMap<String, Vec<Comparison>>,
}

/// The sample-ratio check of users, overall and per segment in the rollout
/// (segments with at least one treatment user).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SrmCheck {
    pub planned_share: f64,
    pub overall: Option<Srm>,
    pub segments: BTreeMap<String, Srm>,
}

impl SrmCheck {
    /// Any mismatch, overall or in a segment.
    pub fn mismatch(&self) -> bool {
        self.overall.is_some_and(|s| s.mismatch) || self.segments.values().any(|s| s.mismatch)
    }
}

/// What the reports show under "is the gain real?".
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Statistics {
    pub confidence: f64,
    pub min_units: u64,
    pub bootstrap: BootstrapInfo,
    /// None when `rollout.planned_share` is not set.
    pub srm: Option<SrmCheck>,
    pub treatment_vs_control: ArmComparison,
    /// Baseline B against E of the period, overall.
    pub before_after: Vec<Comparison>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BootstrapInfo {
    pub resamples: usize,
    pub max_rows_per_arm: usize,
    pub seed: u64,
}

impl Statistics {
    /// The before/after comparison of `metric`.
    pub fn before_after(&self, metric: &str) -> Option<&Comparison> {
        self.before_after.iter().find(|c| c.metric == metric)
    }
}

/// Every comparison of a period, from its [`Groups`].
pub fn analyze(g: &Groups, planned_share: Option<f64>, seed: u64) -> Statistics {
    let mut overall: BTreeMap<Arm, ArmSums> = BTreeMap::new();
    for ((arm, _), s) in &g.requests {
        *overall.entry(*arm).or_default() += *s;
    }
    let mut fb_overall: BTreeMap<Arm, ScoreSums> = BTreeMap::new();
    for ((arm, _), s) in &g.feedback {
        *fb_overall.entry(*arm).or_default() += *s;
    }
    // Treatment against `control` (the period's control users, or B).
    let against = |control: Arm| {
        let lat = |arm| g.latencies_overall.get(&arm);
        compare(
            &Sides {
                c: overall.get(&control),
                t: overall.get(&Arm::Treatment),
                fc: fb_overall.get(&control),
                ft: fb_overall.get(&Arm::Treatment),
                lc: lat(control),
                lt: lat(Arm::Treatment),
            },
            seed,
        )
    };
    let (tvc, before_after) = (against(Arm::Control), against(Arm::Baseline));
    let segment_names: std::collections::BTreeSet<&String> = g
        .requests
        .keys()
        .filter(|(arm, _)| *arm == Arm::Treatment)
        .map(|(_, s)| s)
        .collect();
    let mut segments = BTreeMap::new();
    let mut srm_segments = BTreeMap::new();
    for name in segment_names {
        let key = |arm| (arm, name.clone());
        let (c, t) = (g.requests.get(&key(Arm::Control)), g.requests.get(&key(Arm::Treatment)));
        if let Some(share) = planned_share
            && let Some(s) = stats::srm(t.map_or(0, |a| a.units), c.map_or(0, |a| a.units), share)
        {
            srm_segments.insert(name.clone(), s);
        }
        if c.is_none() {
            continue;
        }
        let lat = |arm| g.latencies.get(&key(arm));
        segments.insert(
            name.clone(),
            compare(
                &Sides {
                    c,
                    t,
                    fc: g.feedback.get(&key(Arm::Control)),
                    ft: g.feedback.get(&key(Arm::Treatment)),
                    lc: lat(Arm::Control),
                    lt: lat(Arm::Treatment),
                },
                seed,
            ),
        );
    }
    let srm = planned_share.map(|share| {
        // Overall: users of the segments in the rollout only.
        let (t, c) = srm_segments
            .values()
            .fold((0, 0), |(t, c), s| (t + s.treatment, c + s.control));
        SrmCheck {
            planned_share: share,
            overall: stats::srm(t, c, share),
            segments: srm_segments,
        }
    });
    Statistics {
        confidence: stats::CONFIDENCE,
        min_units: MIN_UNITS,
        bootstrap: BootstrapInfo {
            resamples: BOOTSTRAP_REPS,
            max_rows_per_arm: BOOTSTRAP_CAP,
            seed,
        },
        srm,
        treatment_vs_control: ArmComparison { overall: tvc, segments },
        before_after,
    }
}

/// The bootstrap seed of a period: fixed per period, so a rerun gives the
/// same intervals.
pub fn seed_for(period: MicrosRange) -> u64 {
    0xCAC4_E501 ^ period.0 as u64
}

#[cfg(test)]
mod tests;
