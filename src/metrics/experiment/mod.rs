//! Treatment versus control in the same period and segment, baseline versus
//! the period, and the sample-ratio check — the inputs of [`crate::stats`],
//! folded from the merged rollups. Control rows are the cache-off rows of
//! the (segment, week) cells where the cache was rolled out (at least half
//! of the cell's users had it); users of segments still waiting are no
//! control, even where the flag leaked to a few of them.
//!
//! The unit of analysis is the user (the flag is set per user): each user's
//! requests, latency, origin calls and 5xx per arm and segment are summed
//! over the days of the window first (the per-user table of the rollups
//! holds them per day), and only then squared into additive sums (n, Σx,
//! Σx², Σxy), as GrowthBook's SQL does. Segment sums add up to the overall
//! ones, so a user whose rows carry two segments counts once in each.
//! Latency quantiles are compared from the merged histograms with rank
//! intervals widened for requests clustered in users ([`stats::quantile_effect`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::AddAssign;

use anyhow::Result;
use chrono_tz::Tz;
use polars::prelude::*;
use serde::Serialize;

use crate::frames::{SCORE, SEGMENT, TS, USER_ID};
use crate::metrics::fold::{self, Days, Histogram};
use crate::rollups::Merged;
use crate::stats::{self, Cuped, Effect, MIN_UNITS, Method, Moments, Paired, QuantileArm, RatioMoments, Srm};

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
    /// Σ latency² over the requests, and Σ over users of (Σ latency)² /
    /// requests: with the sums above, the share of latency variance between
    /// users (the design effect of the quantile intervals).
    pub latency_sq_within: f64,
    pub latency_between: f64,
}

impl AddAssign for ArmSums {
    fn add_assign(&mut self, o: ArmSums) {
        self.units += o.units;
        self.requests = self.requests.merged(&o.requests);
        for (a, b) in [
            (&mut self.latency, o.latency),
            (&mut self.origin, o.origin),
            (&mut self.errors, o.errors),
        ] {
            for i in 0..3 {
                a[i] += b[i];
            }
        }
        self.latency_sq_within += o.latency_sq_within;
        self.latency_between += o.latency_between;
    }
}

impl ArmSums {
    /// Add one user's sums over the window: a unit, squared into the moments.
    fn add_user(&mut self, u: &crate::rollups::merged::UserDay) {
        let k = u.rows as f64;
        self.units += 1;
        self.requests = self.requests.with(k);
        for (acc, x) in [
            (&mut self.latency, u.latency_sum),
            (&mut self.origin, u.upstream as f64),
            (&mut self.errors, u.server_errors as f64),
        ] {
            acc[0] += x;
            acc[1] += x * x;
            acc[2] += x * k;
        }
        self.latency_sq_within += u.latency_sq_sum;
        if k > 0.0 {
            self.latency_between += u.latency_sum * u.latency_sum / k;
        }
    }

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

    /// The design effect of requests clustered in users for latency.
    fn design_effect(&self) -> f64 {
        stats::design_effect(
            self.units as f64,
            self.requests.sum,
            self.requests.sum_sq,
            self.latency[0],
            self.latency_sq_within,
            self.latency_between,
        )
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
        self.scores = self.scores.merged(&o.scores);
        self.complaints += o.complaints;
    }
}

impl ScoreSums {
    /// Add one answer (on the 1–5 scale).
    fn add_score(&mut self, score: f64) {
        self.scores = self.scores.with(score);
        self.complaints += u64::from(score <= crate::ground::score::COMPLAINT_AT_MOST);
    }
}

/// Everything the comparisons need, per arm and segment.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    pub requests: BTreeMap<(Arm, String), ArmSums>,
    pub feedback: BTreeMap<(Arm, String), ScoreSums>,
    /// Latency histograms per arm and segment.
    pub latencies: BTreeMap<(Arm, String), Histogram>,
    /// The same per arm over every segment.
    pub latencies_overall: BTreeMap<Arm, Histogram>,
    /// Per arm (control, treatment): each user's period value paired with
    /// their baseline-window value, for CUPED.
    pub cuped: BTreeMap<Arm, CupedSums>,
}

/// The CUPED inputs of one arm: per user, origin calls per request and mean
/// latency in the period (post) with the same in the baseline window (pre).
/// A user without baseline requests gets the mean baseline value of the
/// users who have one, so that the adjustment leaves them as they are.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CupedSums {
    pub origin: Paired,
    pub latency: Paired,
    /// Users with baseline requests.
    pub with_history: u64,
}

/// The latency quantiles compared.
pub const QUANTILES: [f64; 2] = [0.5, 0.95];

/// Which arm a rollup row of `day`, `segment` and cache flag is in.
struct Arms {
    period: Days,
    baseline: Days,
    /// (segment, week of the period) cells where at least half of the users
    /// had the cache.
    rolled: BTreeSet<(u16, i32)>,
}

impl Arms {
    fn new(m: &Merged, period: Days, baseline: Days) -> Self {
        // A cell is rolled out when at least half of its users had the cache:
        // a flag that leaked to a few users of a segment not due yet does not
        // turn the segment's other users into controls.
        let mut users: BTreeMap<(u16, i32), (BTreeSet<u32>, BTreeSet<u32>)> = BTreeMap::new();
        for u in m.users_in(period) {
            let cell = users.entry((u.segment, (u.day - period.0).div_euclid(7))).or_default();
            cell.0.insert(u.user);
            if u.enabled {
                cell.1.insert(u.user);
            }
        }
        let rolled = users
            .into_iter()
            .filter(|(_, (all, on))| !on.is_empty() && on.len() * 2 >= all.len())
            .map(|(cell, _)| cell)
            .collect();
        Arms {
            period,
            baseline,
            rolled,
        }
    }

    fn week(&self, day: i32) -> i32 {
        (day - self.period.0).div_euclid(7)
    }

    fn of(&self, day: i32, segment: u16, enabled: bool) -> Option<Arm> {
        if day >= self.period.0 && day < self.period.1 {
            if enabled {
                Some(Arm::Treatment)
            } else {
                // A control only where the cache was rolled out that week.
                self.rolled.contains(&(segment, self.week(day))).then_some(Arm::Control)
            }
        } else if day >= self.baseline.0 && day < self.baseline.1 && !enabled {
            Some(Arm::Baseline)
        } else {
            None
        }
    }
}

/// Per-user sums per arm and segment, in a fixed order (so a rerun gives
/// the same last digit), and the arms' CUPED pairs.
fn request_sums(m: &Merged, arms: &Arms) -> (BTreeMap<(Arm, String), ArmSums>, BTreeMap<Arm, CupedSums>) {
    let per_user = fold::user_sums(m, &user_windows(arms.period, arms.baseline), |u| {
        Some((arms.of(u.day, u.segment, u.enabled)?, u.segment))
    });
    let mut out: BTreeMap<(Arm, String), ArmSums> = BTreeMap::new();
    for (((arm, seg), _user), u) in &per_user {
        out.entry((*arm, m.segments[*seg as usize].clone()))
            .or_default()
            .add_user(u);
    }
    (out, cuped_sums(&per_user))
}

/// One user's sums in one arm and segment.
type PerUser = (((Arm, u16), u32), crate::rollups::merged::UserDay);
/// One user's (requests, origin calls, latency sum) in one arm.
type UserArm = ((Arm, u32), (f64, f64, f64));

/// Each user's (origin calls per request, mean latency) per arm over every
/// segment, paired with their baseline values (see [`CupedSums`]).
fn cuped_sums(per_user: &[PerUser]) -> BTreeMap<Arm, CupedSums> {
    // (arm, user) → (rows, origin calls, latency sum), over the user's segments.
    // Sorted and merged rather than a tree: one entry per user and arm
    // (a million users cost a sort, not a million tree inserts).
    let mut rows: Vec<UserArm> = per_user
        .iter()
        .map(|(((arm, _), user), u)| ((*arm, *user), (u.rows as f64, u.upstream as f64, u.latency_sum)))
        .collect();
    rows.sort_by_key(|r| r.0);
    let mut users: Vec<UserArm> = Vec::with_capacity(rows.len());
    for (key, t) in rows {
        match users.last_mut() {
            Some((k, e)) if *k == key => {
                e.0 += t.0;
                e.1 += t.1;
                e.2 += t.2;
            }
            _ => users.push((key, t)),
        }
    }
    let per_request = |t: &(f64, f64, f64)| (t.0 > 0.0).then(|| (t.1 / t.0, t.2 / t.0));
    let pre: polars::prelude::PlHashMap<u32, (f64, f64)> = users
        .iter()
        .filter(|((arm, _), _)| *arm == Arm::Baseline)
        .filter_map(|((_, user), t)| Some((*user, per_request(t)?)))
        .collect();
    let compared = |arm: Arm| arm == Arm::Control || arm == Arm::Treatment;
    // The mean baseline value of the compared users who have one.
    let (mut n, mut origin, mut latency) = (0.0, 0.0, 0.0);
    for ((_, user), _) in users.iter().filter(|((arm, _), _)| compared(*arm)) {
        if let Some((o, l)) = pre.get(user) {
            n += 1.0;
            origin += o;
            latency += l;
        }
    }
    let fill = if n > 0.0 { (origin / n, latency / n) } else { (0.0, 0.0) };
    let mut out: BTreeMap<Arm, CupedSums> = BTreeMap::new();
    for ((arm, user), t) in users.iter().filter(|((arm, _), _)| compared(*arm)) {
        let Some((o, l)) = per_request(t) else { continue };
        let history = pre.get(user);
        let (po, pl) = history.copied().unwrap_or(fill);
        let c = out.entry(*arm).or_default();
        c.origin.add(o, po);
        c.latency.add(l, pl);
        c.with_history += u64::from(history.is_some());
    }
    out
}

/// Feedback of the period by the arm of the answering user in the week of
/// the answer (a user whose requests that week were all with, or all
/// without, the cache; other answers are in no arm; a control answer counts
/// only where the cache was rolled out), and feedback of the baseline
/// window as baseline.
fn feedback_sums(m: &Merged, feedback: &DataFrame, arms: &Arms, tz: Tz) -> Result<BTreeMap<(Arm, String), ScoreSums>> {
    // (user, week) → (any request with the cache, any without).
    let mut user_week: HashMap<(u32, i32), (bool, bool)> = HashMap::new();
    for u in m.users_in(arms.period) {
        let e = user_week.entry((u.user, arms.week(u.day))).or_default();
        if u.enabled {
            e.0 = true;
        } else {
            e.1 = true;
        }
    }
    let user_ids: HashMap<&str, u32> = m
        .users
        .iter()
        .enumerate()
        .map(|(i, u)| (u.as_str(), i as u32))
        .collect();
    let segment_ids: HashMap<&str, u16> = m
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i as u16))
        .collect();
    let fb = feedback
        .clone()
        .lazy()
        .filter(col(SCORE).is_not_null())
        .select([col(TS), col(USER_ID), col(SEGMENT), col(SCORE)])
        .collect()?;
    let days = crate::rollups::build::local_days(fb.column(TS)?.i64()?, tz);
    let (users, segs, scores) = (
        fb.column(USER_ID)?.str()?,
        fb.column(SEGMENT)?.str()?,
        fb.column(SCORE)?.f64()?,
    );
    let mut out: BTreeMap<(Arm, String), ScoreSums> = BTreeMap::new();
    for i in 0..fb.height() {
        let (Some(day), Some(score), Some(seg)) = (days.get(i), scores.get(i), segs.get(i)) else {
            continue;
        };
        let arm = if day >= arms.period.0 && day < arms.period.1 {
            let week = arms.week(day);
            let user_arm = users
                .get(i)
                .and_then(|u| user_ids.get(u))
                .and_then(|u| user_week.get(&(*u, week)))
                .and_then(|(on, off)| match (on, off) {
                    (true, false) => Some(Arm::Treatment),
                    (false, true) => Some(Arm::Control),
                    _ => None,
                });
            let rolled = segment_ids.get(seg).is_some_and(|s| arms.rolled.contains(&(*s, week)));
            match user_arm {
                Some(Arm::Control) if !rolled => None,
                a => a,
            }
        } else if day >= arms.baseline.0 && day < arms.baseline.1 {
            Some(Arm::Baseline)
        } else {
            None
        };
        let Some(arm) = arm else { continue };
        out.entry((arm, seg.to_string())).or_default().add_score(score);
    }
    Ok(out)
}

/// Latency histograms per arm and segment, and per arm over every segment.
fn latencies(m: &Merged, arms: &Arms) -> (BTreeMap<(Arm, String), Histogram>, BTreeMap<Arm, Histogram>) {
    let mut per: BTreeMap<(Arm, String), Histogram> = BTreeMap::new();
    let mut overall: BTreeMap<Arm, Histogram> = BTreeMap::new();
    for l in &m.latency {
        let Some(arm) = arms.of(l.day, l.segment, l.enabled) else {
            continue;
        };
        per.entry((arm, m.segments[l.segment as usize].clone()))
            .or_default()
            .add(l.bucket, l.count);
        overall.entry(arm).or_default().add(l.bucket, l.count);
    }
    (per, overall)
}

/// The windows whose per-user records the comparisons read: the period,
/// and the baseline window without the period's days (a day in both is in
/// the period's arms), disjoint. A command loads their per-user days
/// ([`Merged::load_days`]) before [`groups`].
pub fn user_windows(period: Days, baseline: Days) -> Vec<Days> {
    let mut out = vec![period];
    for part in [
        (baseline.0, baseline.1.min(period.0)),
        (baseline.0.max(period.1), baseline.1),
    ] {
        if part.0 < part.1 {
            out.push(part);
        }
    }
    out
}

/// Group the rollups of `period` and the baseline window by arm and segment.
pub fn groups(m: &Merged, feedback: &DataFrame, period: Days, baseline: Days, tz: Tz) -> Result<Groups> {
    let arms = Arms::new(m, period, baseline);
    let (latencies, latencies_overall) = latencies(m, &arms);
    let (requests, cuped) = request_sums(m, &arms);
    Ok(Groups {
        requests,
        feedback: feedback_sums(m, feedback, &arms, tz)?,
        latencies,
        latencies_overall,
        cuped,
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
    /// The p-value after Holm's correction over every comparison of the
    /// section ([`Statistics::comparisons`]); None without an effect.
    pub p_adjusted: Option<f64>,
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
    lc: Option<&'a Histogram>,
    lt: Option<&'a Histogram>,
}

/// Every comparison of the section: the per-request ratios, the latency
/// quantiles, then the feedback.
fn compare(s: &Sides) -> Vec<Comparison> {
    let units = |a: Option<&ArmSums>| a.map_or(0, |a| a.units);
    let (cn, tn) = (units(s.c), units(s.t));
    let enough = cn >= MIN_UNITS && tn >= MIN_UNITS;
    let mut out = ratio_comparisons(s, [cn, tn], enough);
    out.extend(quantile_comparisons(s, [cn, tn], enough));
    out.extend(feedback_comparisons(s));
    out
}

/// Origin calls per request, mean latency and 5xx per request: delta-method
/// ratios over users (`n`: users in control, treatment).
fn ratio_comparisons(s: &Sides, [cn, tn]: [u64; 2], enough: bool) -> Vec<Comparison> {
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
            p_adjusted: None,
        });
    }
    out
}

/// p50 and p95 latency from the merged histograms, with rank intervals
/// widened by each arm's design effect (requests clustered in users).
fn quantile_comparisons(s: &Sides, [cn, tn]: [u64; 2], enough: bool) -> Vec<Comparison> {
    let mut out = Vec::new();
    let deff = |a: Option<&ArmSums>| a.map_or(1.0, ArmSums::design_effect);
    let ac = s.lc.map(|h| (h, deff(s.c)));
    let at = s.lt.map(|h| (h, deff(s.t)));
    for (q, metric, label) in [
        (QUANTILES[0], "p50_latency_ms", "p50 latency"),
        (QUANTILES[1], "p95_latency_ms", "p95 latency"),
    ] {
        let effect = match (ac, at) {
            (Some((hc, dc)), Some((ht, dt))) if enough => {
                let qc = |p: f64| hc.quantile(p);
                let qt = |p: f64| ht.quantile(p);
                stats::quantile_effect(
                    &QuantileArm {
                        n: hc.n as f64,
                        design_effect: dc,
                        quantile: &qc,
                    },
                    &QuantileArm {
                        n: ht.n as f64,
                        design_effect: dt,
                        quantile: &qt,
                    },
                    q,
                )
            }
            _ => None,
        };
        out.push(Comparison {
            metric,
            label,
            unit: "ms",
            method: Method::HistogramRanks,
            control: s.lc.and_then(|h| h.quantile(q)),
            treatment: s.lt.and_then(|h| h.quantile(q)),
            control_n: cn,
            treatment_n: tn,
            effect,
            p_adjusted: None,
        });
    }
    out
}

/// Satisfaction (Welch) and the share of answers scoring 1–2 (two
/// proportions), over answers.
fn feedback_comparisons(s: &Sides) -> Vec<Comparison> {
    let mut out = Vec::new();
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
        p_adjusted: None,
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
        p_adjusted: None,
    });
    out
}

/// A treatment-against-control comparison with and without each user's
/// baseline value as covariate (CUPED).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CupedComparison {
    pub metric: &'static str,
    pub label: &'static str,
    /// `ratio` (origin calls per request) or `ms`.
    pub unit: &'static str,
    /// Users per arm (control, treatment), and of them with baseline requests.
    pub users: [u64; 2],
    pub with_history: [u64; 2],
    /// θ, the effects without and with the adjustment and the variance
    /// reduction (None: not enough users, or nothing to adjust by).
    #[serde(flatten)]
    pub cuped: Option<Cuped>,
}

/// A per-user metric: key, label, unit and its pairs.
type CupedMetric = (&'static str, &'static str, &'static str, fn(&CupedSums) -> Paired);

/// CUPED on the per-user metrics of the two arms: at least [`MIN_UNITS`]
/// users in each, and two with baseline history (else unadjusted only).
fn cuped_comparisons(g: &Groups) -> Vec<CupedComparison> {
    let (c, t) = (
        g.cuped.get(&Arm::Control).copied().unwrap_or_default(),
        g.cuped.get(&Arm::Treatment).copied().unwrap_or_default(),
    );
    let metrics: [CupedMetric; 2] = [
        (
            "origin_calls_per_request",
            "Origin calls per request (per user)",
            "ratio",
            |a| a.origin,
        ),
        ("mean_latency_ms", "Mean latency (per user)", "ms", |a| a.latency),
    ];
    metrics
        .into_iter()
        .map(|(metric, label, unit, pick)| {
            let (pc, pt) = (pick(&c), pick(&t));
            let users = [pc.post.n as u64, pt.post.n as u64];
            let enough = users.iter().all(|n| *n >= MIN_UNITS);
            let mut cuped = enough.then(|| stats::cuped(&pc, &pt));
            if c.with_history + t.with_history < 2
                && let Some(x) = cuped.as_mut()
            {
                // Nobody to learn θ from: the unadjusted comparison only.
                x.theta = 0.0;
                x.adjusted = None;
                x.variance_reduction = None;
            }
            CupedComparison {
                metric,
                label,
                unit,
                users,
                with_history: [c.with_history, t.with_history],
                cuped,
            }
        })
        .collect()
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
    /// How latency quantiles are read and compared.
    pub quantiles: QuantileInfo,
    /// None when `rollout.planned_share` is not set.
    pub srm: Option<SrmCheck>,
    pub treatment_vs_control: ArmComparison,
    /// Baseline B against E of the period, overall.
    pub before_after: Vec<Comparison>,
    /// Treatment against control per user, with and without CUPED.
    pub cuped: Vec<CupedComparison>,
    /// How many comparisons Holm's correction ran over (every one with an
    /// effect, in `before_after` and `treatment_vs_control`).
    pub holm_family: usize,
}

/// Latency quantiles come from the merged log-bucketed histograms: each
/// within a relative `alpha` of the exact one.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QuantileInfo {
    pub alpha: f64,
    /// `histogram_ranks`: rank bounds q ± z·√(q(1−q)·deff / n) read off the
    /// histogram, deff the design effect of requests clustered in users.
    pub method: &'static str,
}

impl Statistics {
    /// Every comparison of the section, mutably: before/after, then
    /// treatment against control overall and per segment.
    fn comparisons(&mut self) -> impl Iterator<Item = &mut Comparison> {
        self.before_after
            .iter_mut()
            .chain(self.treatment_vs_control.overall.iter_mut())
            .chain(self.treatment_vs_control.segments.values_mut().flatten())
    }

    /// Holm's correction over every comparison with an effect.
    fn adjust(&mut self) {
        let p: Vec<f64> = self.comparisons().filter_map(|c| c.effect.map(|e| e.p_value)).collect();
        let adjusted = stats::sequential::holm(&p);
        self.holm_family = p.len();
        let mut next = adjusted.into_iter();
        for c in self.comparisons().filter(|c| c.effect.is_some()) {
            c.p_adjusted = next.next();
        }
    }

    /// The before/after comparison of `metric`.
    pub fn before_after(&self, metric: &str) -> Option<&Comparison> {
        self.before_after.iter().find(|c| c.metric == metric)
    }
}

/// The section of `period` against the baseline: the arms' groups read
/// and analysed.
pub fn of_period(
    m: &Merged,
    feedback: &DataFrame,
    period: Days,
    baseline: Days,
    tz: Tz,
    planned_share: Option<f64>,
) -> Result<Statistics> {
    let started = std::time::Instant::now();
    let statistics = analyze(&groups(m, feedback, period, baseline, tz)?, planned_share);
    tracing::debug!(elapsed = ?started.elapsed(), "statistics (arms, CUPED, Holm)");
    Ok(statistics)
}

/// Every comparison of a period, from its [`Groups`].
pub fn analyze(g: &Groups, planned_share: Option<f64>) -> Statistics {
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
        compare(&Sides {
            c: overall.get(&control),
            t: overall.get(&Arm::Treatment),
            fc: fb_overall.get(&control),
            ft: fb_overall.get(&Arm::Treatment),
            lc: lat(control),
            lt: lat(Arm::Treatment),
        })
    };
    let (tvc, before_after) = (against(Arm::Control), against(Arm::Baseline));
    let (segments, srm_segments) = by_segment(g, planned_share);
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
    let mut out = Statistics {
        confidence: stats::CONFIDENCE,
        min_units: MIN_UNITS,
        quantiles: QuantileInfo {
            alpha: crate::rollups::schema::ALPHA,
            method: "histogram_ranks",
        },
        srm,
        treatment_vs_control: ArmComparison { overall: tvc, segments },
        before_after,
        cuped: cuped_comparisons(g),
        holm_family: 0,
    };
    out.adjust();
    out
}

/// Per segment with treatment users: treatment against its control users
/// (segments without control users have none), and the split's check.
fn by_segment(g: &Groups, planned_share: Option<f64>) -> (BTreeMap<String, Vec<Comparison>>, BTreeMap<String, Srm>) {
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
            compare(&Sides {
                c,
                t,
                fc: g.feedback.get(&key(Arm::Control)),
                ft: g.feedback.get(&key(Arm::Treatment)),
                lc: lat(Arm::Control),
                lt: lat(Arm::Treatment),
            }),
        );
    }
    (segments, srm_segments)
}

#[cfg(test)]
mod tests;
