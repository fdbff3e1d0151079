//! Did the feature flags do what the rollout plan says? Per week and
//! segment: the share of users with the cache against the plan's
//! expectation (0 before the segment's phase, `planned_share` from it on),
//! leaks (the cache in a segment not due yet), gaps (a due segment far
//! below its share), flag flips (a user with both values in a week, or a
//! changed value between two weeks after the phase started), the control
//! share, and rollout progress against the plan's milestones.

use serde::Serialize;

use super::plan::Plan;
use crate::ground::kpi::Kpi;
use std::collections::BTreeMap;

use crate::metrics::conformance::{EXAMPLES, SegmentFlags, by_segment, by_segment_run};
use crate::period::IsoWeek;
use crate::rollups::Merged;
use crate::rollups::build::epoch_day;

/// A due segment within this many points of its planned share is on plan;
/// within [`OFF_PLAN`] it is off plan (amber); beyond it, a gap or a
/// missing control group (red).
pub const ON_PLAN: f64 = 0.05;
pub const OFF_PLAN: f64 = 0.15;

/// What judging the flags needs.
#[derive(Debug, Clone, Copy)]
pub struct FlagRules<'a> {
    pub plan: &'a Plan,
    pub rollout_start: chrono::NaiveDate,
    /// The share of a due segment's users meant to have the cache.
    pub planned_share: f64,
}

/// One segment in one week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentCell {
    pub segment: String,
    pub users: u64,
    pub with_cache: u64,
    pub share: Option<f64>,
    /// The plan's share for this week: 0 before the segment's phase.
    pub expected: f64,
    pub due: bool,
    /// `ok`, `off_plan`, `flips`, `leak`, `gap`, `no_control`, `no_users`.
    pub finding: &'static str,
    /// `green`, `amber`, `red`, `grey`.
    pub color: &'static str,
    /// Users whose flag flipped (counted only after the segment's phase began).
    pub flips: u64,
    /// Example user ids for the finding, and of the flips.
    pub examples: Vec<String>,
    pub flip_examples: Vec<String>,
}

/// The week's milestone and whether the rollout reached it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MilestoneCheck {
    pub weeks: String,
    pub target: f64,
    pub met: bool,
}

/// The flags of one week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekConformance {
    pub iso_week: String,
    pub rollout_week: i64,
    pub segments: Vec<SegmentCell>,
    /// Users with the cache in segments not due yet, and a few of them
    /// ("segment: user").
    pub flag_leaks: u64,
    pub leak_examples: Vec<String>,
    /// Due segments far below their planned share.
    pub gaps: Vec<String>,
    pub flag_flips: u64,
    pub flip_examples: Vec<String>,
    /// Users without the cache among those in due segments, and the plan's
    /// 1 − planned_share.
    pub control_share: Option<f64>,
    pub expected_control_share: f64,
    /// The plan's share of a due segment's users with the cache.
    pub planned_share: f64,
    /// Users with the cache among those in due segments.
    pub rollout_progress: Option<f64>,
    /// Target segments enabled (at least half their planned share on).
    pub segments_enabled: usize,
    pub target_segments: usize,
    pub rollout_complete: Option<f64>,
    pub milestone: Option<MilestoneCheck>,
    /// The worst colour of the week.
    pub color: &'static str,
}

impl WeekConformance {
    /// The week's conformance KPIs, for the gate and metrics.json.
    pub fn kpis(&self) -> [(Kpi, Option<f64>); 5] {
        [
            (Kpi::RolloutComplete, self.rollout_complete),
            (Kpi::RolloutProgress, self.rollout_progress),
            (Kpi::FlagLeaks, Some(self.flag_leaks as f64)),
            (Kpi::FlagFlips, Some(self.flag_flips as f64)),
            (Kpi::ControlShare, self.control_share),
        ]
    }
}

/// A week's KPI values with its conformance KPIs added (None without a plan
/// or before the rollout: they stay without data).
pub fn with_flags(
    values: &crate::metrics::requests::KpiValues,
    c: Option<&WeekConformance>,
) -> crate::metrics::requests::KpiValues {
    let mut out = values.clone();
    if let Some(c) = c {
        out.extend(c.kpis());
    }
    out
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn rank(color: &str) -> u8 {
    match color {
        "red" => 3,
        "amber" => 2,
        "green" => 1,
        _ => 0,
    }
}

/// Judge one segment's week.
fn cell(segment: &str, f: &SegmentFlags, week: u32, first_due: Option<u32>, p: f64) -> SegmentCell {
    let due = first_due.is_some_and(|d| d <= week);
    let expected = if due { p } else { 0.0 };
    let share = ratio(f.with_cache, f.users);
    // Flips count once the phase has begun: both values within a week after
    // its first week (the switch itself may fall mid-week), and a changed
    // value between two weeks that were both due.
    let started = first_due.is_some_and(|d| d < week);
    let flips = if started { f.both + f.changed } else { 0 };
    let mut flip_examples: Vec<String> = Vec::new();
    if started {
        flip_examples.extend(f.both_examples.iter().chain(&f.changed_examples).cloned());
    }
    flip_examples.sort();
    flip_examples.dedup();
    flip_examples.truncate(EXAMPLES);
    let (finding, color, examples) = match share {
        None => ("no_users", "grey", Vec::new()),
        Some(_) if !due && f.with_cache > 0 => ("leak", "red", f.with_cache_examples.clone()),
        Some(_) if !due => ("ok", "green", Vec::new()),
        Some(s) if s < p - OFF_PLAN => ("gap", "red", Vec::new()),
        Some(s) if s > p + OFF_PLAN => ("no_control", "red", Vec::new()),
        Some(s) if (s - p).abs() > ON_PLAN => ("off_plan", "amber", Vec::new()),
        Some(_) if flips > 0 => ("flips", "amber", flip_examples.clone()),
        Some(_) => ("ok", "green", Vec::new()),
    };
    SegmentCell {
        segment: segment.to_string(),
        users: f.users,
        with_cache: f.with_cache,
        share,
        expected,
        due,
        finding,
        color,
        flips,
        examples,
        flip_examples,
    }
}

/// The flags of `week` against the plan; None before the rollout.
pub fn week(rules: &FlagRules, m: &Merged, week: IsoWeek) -> Option<WeekConformance> {
    rollout_week_of(rules, week)?;
    judge(rules, week, &by_segment(m, epoch_day(week.monday())))
}

/// [`week`] for consecutive weeks, each week's users read once.
pub fn weeks(rules: &FlagRules, m: &Merged, weeks: &[IsoWeek]) -> Vec<Option<WeekConformance>> {
    let mondays: Vec<i32> = weeks.iter().map(|w| epoch_day(w.monday())).collect();
    let consecutive = mondays.windows(2).all(|p| p[1] - p[0] == 7);
    if !consecutive {
        return weeks.iter().map(|w| week(rules, m, *w)).collect();
    }
    // Weeks before the rollout have no conformance: skip reading them.
    let from = weeks
        .iter()
        .position(|w| rollout_week_of(rules, *w).is_some())
        .unwrap_or(weeks.len());
    let mut out: Vec<Option<WeekConformance>> = vec![None; from];
    let flags = by_segment_run(m, &mondays[from..]);
    out.extend(weeks[from..].iter().zip(&flags).map(|(w, f)| judge(rules, *w, f)));
    out
}

fn rollout_week_of(rules: &FlagRules, week: IsoWeek) -> Option<u32> {
    let days = (week.monday() - rules.rollout_start).num_days();
    if days < 0 {
        return None;
    }
    u32::try_from(days / 7 + 1).ok()
}

/// The week's segments summed: leaks where a segment is not due, flips and
/// users where it is, with a few examples of each.
#[derive(Default)]
struct Tally {
    leaks: u64,
    flips: u64,
    due_users: u64,
    due_with: u64,
    leak_examples: Vec<String>,
    flip_examples: Vec<String>,
}

impl Tally {
    fn of(segments: &[SegmentCell]) -> Tally {
        let mut t = Tally::default();
        for c in segments {
            if c.due {
                t.due_users += c.users;
                t.due_with += c.with_cache;
                t.flips += c.flips;
                t.flip_examples
                    .extend(c.flip_examples.iter().map(|u| format!("{}: {u}", c.segment)));
            } else if c.with_cache > 0 {
                t.leaks += c.with_cache;
                t.leak_examples
                    .extend(c.examples.iter().map(|u| format!("{}: {u}", c.segment)));
            }
        }
        t.leak_examples.truncate(EXAMPLES);
        t.flip_examples.sort();
        t.flip_examples.dedup();
        t.flip_examples.truncate(EXAMPLES);
        t
    }
}

fn judge(rules: &FlagRules, week: IsoWeek, flags: &BTreeMap<String, SegmentFlags>) -> Option<WeekConformance> {
    let w = rollout_week_of(rules, week)?;
    let rollout_week = i64::from(w);
    let p = rules.planned_share;
    // Every segment the plan names, and those seen this week.
    let mut names: Vec<String> = rules
        .plan
        .phases
        .iter()
        .flat_map(|ph| ph.segments.iter().cloned())
        .chain(flags.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    let empty = SegmentFlags::default();
    let segments: Vec<SegmentCell> = names
        .iter()
        .map(|s| cell(s, flags.get(s).unwrap_or(&empty), w, rules.plan.first_due(s), p))
        .collect();

    let t = Tally::of(&segments);
    // Target segments: those the plan names, and with a phase for all users
    // every segment seen this week.
    let targets: Vec<&SegmentCell> = segments
        .iter()
        .filter(|c| rules.plan.has_all_users() || rules.plan.first_due(&c.segment).is_some())
        .collect();
    let target_segments = targets.len();
    let enabled = targets.iter().filter(|c| c.share.is_some_and(|s| s >= p / 2.0)).count();
    let rollout_complete = (target_segments > 0).then(|| enabled as f64 / target_segments as f64);
    let milestone = rules.plan.milestone_of(w).map(|ms| MilestoneCheck {
        weeks: ms.weeks_label(),
        target: ms.rollout_complete,
        met: rollout_complete.is_some_and(|r| r + 1e-12 >= ms.rollout_complete),
    });
    let color = segments
        .iter()
        .map(|c| c.color)
        .max_by_key(|c| rank(c))
        .unwrap_or("grey");
    Some(WeekConformance {
        iso_week: week.label(),
        rollout_week,
        gaps: segments
            .iter()
            .filter(|c| c.finding == "gap")
            .map(|c| c.segment.clone())
            .collect(),
        segments,
        flag_leaks: t.leaks,
        leak_examples: t.leak_examples,
        flag_flips: t.flips,
        flip_examples: t.flip_examples,
        control_share: ratio(t.due_users - t.due_with, t.due_users),
        expected_control_share: 1.0 - p,
        planned_share: p,
        rollout_progress: ratio(t.due_with, t.due_users),
        segments_enabled: enabled,
        target_segments,
        rollout_complete,
        milestone,
        color,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::plan::parse;
    use crate::metrics::conformance::merged_of;

    /// Plan: segment a from rollout week 1, b from week 2; c is in no phase.
    /// planned_share 0.9; milestone: week 2, 100 % of target segments.
    /// Rollout week 1 = 2026-W46 (from Mon 2026-11-09), week 2 = W47.
    /// W46: a 9 of 10 users on · b 1 of 4 on (not due: a leak) · c 0 of 2.
    /// W47: a 9 of 10 on, ua1 also off once (a flip) · b 1 of 4 (due: a gap)
    ///      · c 1 of 2 on (never due: a leak).
    fn inputs() -> (Plan, Merged) {
        let plan = parse(
            "rollout_phases:\n  p1:\n    week: 1\n    segments: [a]\n  p2:\n    week: 2\n    segments: [b]\n\
             milestones:\n  2: 100%\n",
        )
        .unwrap();
        let mut rows: Vec<(String, &str, String, bool)> = Vec::new();
        for day in ["2026-11-10", "2026-11-17"] {
            let ts = format!("{day}T10:00:00Z");
            for i in 1..=10 {
                rows.push((ts.clone(), "a", format!("ua{i}"), i <= 9));
            }
            for i in 1..=4 {
                rows.push((ts.clone(), "b", format!("ub{i}"), i == 1));
            }
            rows.push((ts.clone(), "c", "uc1".into(), false));
            rows.push((ts.clone(), "c", "uc2".into(), day == "2026-11-17"));
        }
        rows.push(("2026-11-18T10:00:00Z".into(), "a", "ua1".into(), false));
        let borrowed: Vec<(&str, &str, &str, bool)> = rows
            .iter()
            .map(|(t, s, u, on)| (t.as_str(), *s, u.as_str(), *on))
            .collect();
        (plan, merged_of(&borrowed))
    }

    fn rules(plan: &Plan) -> FlagRules<'_> {
        FlagRules {
            plan,
            rollout_start: chrono::NaiveDate::from_ymd_opt(2026, 11, 9).unwrap(),
            planned_share: 0.9,
        }
    }

    #[test]
    fn leaks_gaps_flips_and_the_control_share_by_hand() {
        let (plan, m) = inputs();
        let c = week(&rules(&plan), &m, IsoWeek { year: 2026, week: 47 }).unwrap();
        assert_eq!(c.rollout_week, 2);
        let cells: Vec<(&str, u64, u64, &str, &str, u64)> = c
            .segments
            .iter()
            .map(|s| (s.segment.as_str(), s.users, s.with_cache, s.finding, s.color, s.flips))
            .collect();
        assert_eq!(
            cells,
            [
                // a: 9/10 = 0.9 as planned, but ua1 had both values: a flip.
                ("a", 10, 9, "flips", "amber", 1),
                // b: due from this week, 1/4 = 0.25 < 0.9 − 0.15: a gap (its
                // first week: no flips counted).
                ("b", 4, 1, "gap", "red", 0),
                // c: in no phase, yet uc2 had the cache: a leak.
                ("c", 2, 1, "leak", "red", 0),
            ]
        );
        assert_eq!((c.flag_leaks, c.leak_examples.clone()), (1, vec!["c: uc2".to_string()]));
        assert_eq!(c.gaps, ["b"]);
        assert_eq!((c.flag_flips, c.flip_examples.clone()), (1, vec!["a: ua1".to_string()]));
        // Due users: a 10 + b 4 = 14, with the cache 9 + 1 = 10.
        let close = |a: Option<f64>, b: f64| assert!((a.unwrap() - b).abs() < 1e-12, "{a:?} vs {b}");
        close(c.rollout_progress, 10.0 / 14.0);
        close(c.control_share, 4.0 / 14.0);
        assert!((c.expected_control_share - 0.1).abs() < 1e-12);
        // Targets a and b (c is in no phase); enabled (≥ 0.45 on): a only → 50 %,
        // short of the week's 100 % milestone.
        assert_eq!((c.segments_enabled, c.target_segments), (1, 2));
        close(c.rollout_complete, 0.5);
        assert_eq!(
            c.milestone,
            Some(MilestoneCheck {
                weeks: "week 2".into(),
                target: 1.0,
                met: false
            })
        );
        assert_eq!(c.color, "red");
        // The KPIs the gate reads.
        let k: Vec<(Kpi, Option<f64>)> = c.kpis().to_vec();
        assert_eq!(k[2], (Kpi::FlagLeaks, Some(1.0)));
        assert_eq!(k[3], (Kpi::FlagFlips, Some(1.0)));
    }

    #[test]
    fn the_first_week_leaks_what_is_not_due_and_nothing_before_the_rollout() {
        let (plan, m) = inputs();
        let c = week(&rules(&plan), &m, IsoWeek { year: 2026, week: 46 }).unwrap();
        // W46: a on plan (9/10); b not due with ub1 on: a leak; c none on.
        let findings: Vec<&str> = c.segments.iter().map(|s| s.finding).collect();
        assert_eq!(findings, ["ok", "leak", "ok"]);
        assert_eq!(c.leak_examples, ["b: ub1"]);
        assert!(c.milestone.is_none());
        assert!(week(&rules(&plan), &m, IsoWeek { year: 2026, week: 45 }).is_none());
    }

    #[test]
    fn a_run_of_weeks_reads_each_week_once_and_agrees_with_week_by_week() {
        let (plan, m) = inputs();
        let r = rules(&plan);
        let ws = [45, 46, 47].map(|week| IsoWeek { year: 2026, week });
        let run = weeks(&r, &m, &ws);
        let one: Vec<_> = ws.iter().map(|w| week(&r, &m, *w)).collect();
        assert_eq!(run, one);
        assert!(run[0].is_none() && run[2].is_some());
    }
}
