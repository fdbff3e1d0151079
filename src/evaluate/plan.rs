//! The product owner's rollout plan (docs/gate.md#the-plan): phases with their rollout
//! weeks, segments, features, success criteria and rollback triggers, in the
//! order written.

use anyhow::{Result, anyhow};
use serde::{Deserialize, Serialize};

/// `segments: [all_users]` means everyone.
pub const ALL_USERS: &str = "all_users";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phase {
    pub name: String,
    /// First and last rollout week (1-based, inclusive).
    pub first_week: u32,
    pub last_week: u32,
    /// The phase's segments; empty means all users.
    pub segments: Vec<String>,
    pub features: Vec<String>,
    pub success_criteria: Vec<String>,
    pub rollback_trigger: Vec<String>,
}

impl Phase {
    pub fn all_users(&self) -> bool {
        self.segments.is_empty()
    }

    pub fn weeks_label(&self) -> String {
        if self.first_week == self.last_week {
            format!("week {}", self.first_week)
        } else {
            format!("weeks {}–{}", self.first_week, self.last_week)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub phases: Vec<Phase>,
    /// The brief's rollout milestones ("weeks 4–5: 75 % rollout complete").
    pub milestones: Vec<Milestone>,
}

/// A share of the target segments to have enabled by rollout weeks
/// `first_week..=last_week`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Milestone {
    pub first_week: u32,
    pub last_week: u32,
    pub rollout_complete: f64,
}

impl Milestone {
    pub fn weeks_label(&self) -> String {
        if self.first_week == self.last_week {
            format!("week {}", self.first_week)
        } else {
            format!("weeks {}–{}", self.first_week, self.last_week)
        }
    }
}

impl Plan {
    /// The phase whose weeks hold rollout week `w`; after the last phase, the last.
    pub fn phase_of(&self, w: u32) -> Option<&Phase> {
        self.phases
            .iter()
            .find(|p| w >= p.first_week && w <= p.last_week)
            .or_else(|| {
                self.phases
                    .iter()
                    .filter(|p| w > p.last_week)
                    .max_by_key(|p| p.last_week)
            })
    }
}

/// The largest plan file read (a plan is a few kB).
/// The plan `cacheroi init` writes when a team has none yet: the cache for
/// every user from rollout week 1, judged on what the sources measure, with
/// the brief's measurable guardrails (docs/gate.md "A starter plan"). With
/// feedback, satisfaction and complaints join the criteria.
pub fn starter(with_feedback: bool) -> String {
    let (success, trigger) = if with_feedback {
        ("\n      - positive_feedback", "\n      - customer_complaints > 3")
    } else {
        ("", "")
    };
    format!(
        "# A starter rollout plan written by `cacheroi init`: the cache for every user from
# rollout week 1, judged on what the logs measure, with the brief's guardrails.
# Replace it with your own phases (docs/gate.md): each with its weeks, its
# segments, its success criteria and its rollback triggers.
rollout_phases:
  all_users:
    week: 1
    segments: [all_users]
    features: [caching]
    success_criteria:
      - performance_targets_met
      - 50%_api_reduction{success}
    rollback_trigger:
      - error_rate > 1%
      - p99_latency > 200ms
      - cache_hit_rate < 60%{trigger}
"
    )
}

/// The most text a plan may hold once its YAML aliases are expanded: an
/// anchor of 1 MiB referenced 10,000 times is refused, not materialised.
pub const MAX_EXPANDED_BYTES: usize = 1 << 20;
/// The most phases, and items per list.
const MAX_PHASES: usize = 100;
const MAX_ITEMS: usize = 256;

/// Start parsing a document: it may hold [`MAX_EXPANDED_BYTES`] of text.
pub(crate) fn reset_budget() {
    BUDGET.with(|b| b.set(MAX_EXPANDED_BYTES));
}

thread_local! {
    /// Bytes of text the plan being parsed may still hold.
    static BUDGET: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A scalar as text (strings, numbers and booleans), charged to [`BUDGET`].
pub(crate) struct Text(pub(crate) String);

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text, E> {
                let left = BUDGET.with(|b| b.get());
                if v.len() + 16 > left {
                    return Err(E::custom(format!(
                        "the plan holds more than {} KiB of text once its aliases are expanded",
                        MAX_EXPANDED_BYTES / 1024
                    )));
                }
                BUDGET.with(|b| b.set(left - v.len() - 16));
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Text, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Text, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Text, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Text, E> {
                self.visit_str(&v.to_string())
            }
        }
        d.deserialize_any(V)
    }
}

/// A list of texts, or one text, or nothing.
pub(crate) struct TextList(pub(crate) Vec<String>);

impl<'de> serde::Deserialize<'de> for TextList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = TextList;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<TextList, A::Error> {
                let mut out = Vec::new();
                while let Some(Text(t)) = seq.next_element()? {
                    if out.len() == MAX_ITEMS {
                        return Err(serde::de::Error::custom(format!("more than {MAX_ITEMS} items")));
                    }
                    out.push(t);
                }
                Ok(TextList(out))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TextList, E> {
                Ok(TextList(vec![
                    Text::deserialize(serde::de::value::StrDeserializer::<E>::new(v))?.0,
                ]))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<TextList, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<TextList, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<TextList, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<TextList, E> {
                Ok(TextList(Vec::new()))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct PhaseModel {
    week: Option<Text>,
    segments: Option<TextList>,
    features: Option<TextList>,
    success_criteria: Option<TextList>,
    rollback_trigger: Option<TextList>,
}

/// A YAML map read in the order written (phases, milestones, risks): at
/// most [`MAX_PHASES`] entries, an error in an entry's value prefixed with
/// its name when the kind says so ("risk `x`: …").
pub(crate) struct Ordered<V>(pub(crate) Vec<(String, V)>);

/// What an [`Ordered`] map holds.
pub(crate) trait Entry: for<'de> serde::Deserialize<'de> {
    /// "a map of phase names to phases".
    const EXPECTING: &'static str;
    /// "phases", for "more than 100 phases".
    const PLURAL: &'static str;
    /// Prefix of a value's error: "risk" gives "risk `x`: …".
    const LABEL: Option<&'static str> = None;
}

impl<'de, V: Entry> serde::Deserialize<'de> for Ordered<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<V>(std::marker::PhantomData<V>);
        impl<'de, V: Entry> serde::de::Visitor<'de> for Visit<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(V::EXPECTING)
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> Result<Ordered<V>, M::Error> {
                let mut out = Vec::new();
                while let Some(Text(name)) = m.next_key::<Text>()? {
                    if out.len() == MAX_PHASES {
                        return Err(serde::de::Error::custom(format!(
                            "more than {MAX_PHASES} {}",
                            V::PLURAL
                        )));
                    }
                    let value = m.next_value::<V>().map_err(|e| match V::LABEL {
                        Some(label) => serde::de::Error::custom(format!("{label} `{name}`: {e}")),
                        None => e,
                    })?;
                    out.push((name, value));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

impl Entry for PhaseModel {
    const EXPECTING: &'static str = "a map of phase names to phases";
    const PLURAL: &'static str = "phases";
}

/// A milestone's share ("75%"), as written.
#[derive(serde::Deserialize)]
#[serde(transparent)]
struct Share(Text);

impl Entry for Share {
    const EXPECTING: &'static str = "a map of rollout weeks to shares, like \"4-5\": 75%";
    const PLURAL: &'static str = "milestones";
}

#[derive(serde::Deserialize)]
struct PlanModel {
    rollout_phases: Option<Ordered<PhaseModel>>,
    /// Rollout weeks → share of target segments, in order.
    milestones: Option<Ordered<Share>>,
}

/// Parse the plan; errors name the phase and field in one line. Every
/// criterion is checked here (see [`crate::evaluate::gate::parse`]).
pub fn parse(text: &str) -> Result<Plan> {
    reset_budget();
    let one_line = |e: &dyn std::fmt::Display| crate::error::clip(&e.to_string().replace('\n', " "), 300);
    let doc: PlanModel = match serde_yaml_ng::from_str::<Option<PlanModel>>(text) {
        Ok(Some(doc)) => doc,
        Ok(None) => PlanModel {
            rollout_phases: None,
            milestones: None,
        },
        Err(e) if e.to_string().contains("rollout weeks to shares") || e.to_string().contains("milestones") => {
            return Err(anyhow!(
                "`milestones` must map rollout weeks to shares, like \"4-5\": 75% ({})",
                one_line(&e)
            ));
        }
        Err(e) if e.to_string().contains("rollout_phases") || e.to_string().contains("phase names") => {
            return Err(anyhow!(
                "`rollout_phases` must map phase names to phases ({})",
                one_line(&e)
            ));
        }
        Err(e) => return Err(anyhow!("not a rollout plan: {}", one_line(&e))),
    };
    let phases = doc
        .rollout_phases
        .ok_or_else(|| anyhow!("`rollout_phases` must map phase names to phases"))?
        .0
        .into_iter()
        .map(|(name, body)| phase(name, body))
        .collect::<Result<Vec<_>>>()?;
    let milestones = doc
        .milestones
        .map(|m| m.0)
        .unwrap_or_default()
        .into_iter()
        .map(|(weeks, Share(Text(share)))| milestone(&weeks, &share))
        .collect::<Result<Vec<_>>>()?;
    Ok(Plan { phases, milestones })
}

/// One phase, its criteria checked.
fn phase(name: String, body: PhaseModel) -> Result<Phase> {
    let week_text = body
        .week
        .map(|t| t.0)
        .ok_or_else(|| anyhow!("phase `{name}`: missing `week`"))?;
    let (first_week, last_week) = parse_weeks(&week_text).ok_or_else(|| {
        anyhow!(
            "phase `{name}`: `week` must be a week like 1 or a range like 2-3, got `{}`",
            crate::error::clip(&week_text, 40)
        )
    })?;
    let list = |l: Option<TextList>| l.map(|l| l.0).unwrap_or_default();
    let mut segments = list(body.segments);
    if segments.is_empty() {
        return Err(anyhow!(
            "phase `{name}`: `segments` must name at least one segment (or all_users)"
        ));
    }
    if segments.iter().any(|s| s == ALL_USERS) {
        segments.clear();
    }
    let (features, success_criteria, rollback_trigger) = (
        list(body.features),
        list(body.success_criteria),
        list(body.rollback_trigger),
    );
    for c in success_criteria.iter().chain(&rollback_trigger) {
        crate::evaluate::gate::parse(c).map_err(|e| anyhow!("phase `{name}`: {e}"))?;
    }
    Ok(Phase {
        name,
        first_week,
        last_week,
        segments,
        features,
        success_criteria,
        rollback_trigger,
    })
}

/// One milestone: rollout weeks and the share of target segments.
fn milestone(weeks: &str, share: &str) -> Result<Milestone> {
    let (first_week, last_week) = parse_weeks(weeks).ok_or_else(|| {
        anyhow!(
            "milestone `{}`: must be rollout weeks like 6 or 4-5",
            crate::error::clip(weeks, 40)
        )
    })?;
    let rollout_complete = share
        .trim()
        .strip_suffix('%')
        .and_then(|n| n.trim().parse::<f64>().ok())
        .filter(|n| (0.0..=100.0).contains(n))
        .map(|n| n / 100.0)
        .ok_or_else(|| {
            anyhow!(
                "milestone `{weeks}`: `{}` is not a share like 75%",
                crate::error::clip(share, 40)
            )
        })?;
    Ok(Milestone {
        first_week,
        last_week,
        rollout_complete,
    })
}

impl Plan {
    /// The milestone that covers rollout week `w`.
    pub fn milestone_of(&self, w: u32) -> Option<&Milestone> {
        self.milestones.iter().find(|m| m.first_week <= w && w <= m.last_week)
    }

    /// The first rollout week in which `segment` is due (a phase lists it,
    /// or a phase for all users starts), if any.
    pub fn first_due(&self, segment: &str) -> Option<u32> {
        self.phases
            .iter()
            .filter(|p| p.all_users() || p.segments.iter().any(|s| s == segment))
            .map(|p| p.first_week)
            .min()
    }

    /// Whether a phase enables every user.
    pub fn has_all_users(&self) -> bool {
        self.phases.iter().any(Phase::all_users)
    }
}

fn parse_weeks(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
        None => {
            let w = s.parse().ok()?;
            (w, w)
        }
    };
    // At most 520 rollout weeks (ten years): every loop over them stays small.
    (a >= 1 && b >= a && b <= 520).then_some((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_plan_is_one_phase_for_everyone_with_measurable_criteria() {
        let plan = parse(&starter(false)).unwrap();
        assert_eq!(plan.phases.len(), 1);
        let p = &plan.phases[0];
        assert!(p.all_users());
        assert_eq!((p.first_week, p.last_week), (1, 1));
        assert_eq!(p.success_criteria, ["performance_targets_met", "50%_api_reduction"]);
        assert_eq!(
            p.rollback_trigger,
            ["error_rate > 1%", "p99_latency > 200ms", "cache_hit_rate < 60%"]
        );
        let with = parse(&starter(true)).unwrap();
        assert_eq!(with.phases[0].success_criteria.last().unwrap(), "positive_feedback");
        assert_eq!(
            with.phases[0].rollback_trigger.last().unwrap(),
            "customer_complaints > 3"
        );
    }

    #[test]
    fn parses_the_sample_plan_in_order() {
        let plan = parse(include_str!("../../sample-data/rollout-plan.yml")).unwrap();
        let names: Vec<_> = plan.phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "phase_1_internal",
                "phase_2_early_adopters",
                "phase_3_enterprise",
                "phase_4_general_availability"
            ]
        );
        let p2 = &plan.phases[1];
        assert_eq!((p2.first_week, p2.last_week), (2, 3));
        assert_eq!(p2.segments, vec!["early_adopters", "power_users"]);
        assert_eq!(p2.success_criteria, vec!["50%_api_reduction", "positive_feedback"]);
        assert_eq!(
            p2.rollback_trigger,
            vec!["cache_hit_rate < 60%", "customer_complaints > 3"]
        );
        assert!(plan.phases[3].all_users());
        assert_eq!(plan.phase_of(3).unwrap().name, "phase_2_early_adopters");
        assert_eq!(plan.phase_of(9).unwrap().name, "phase_4_general_availability");
        assert!(plan.phase_of(0).is_none());
    }

    #[test]
    fn milestones_are_read_and_checked() {
        let plan =
            parse("rollout_phases:\n  p1:\n    week: 1\n    segments: [a]\nmilestones:\n  2-3: 25%\n  6: 100%\n")
                .unwrap();
        assert_eq!(
            plan.milestones,
            [
                Milestone {
                    first_week: 2,
                    last_week: 3,
                    rollout_complete: 0.25
                },
                Milestone {
                    first_week: 6,
                    last_week: 6,
                    rollout_complete: 1.0
                },
            ]
        );
        assert_eq!(plan.milestone_of(3).map(|m| m.weeks_label()), Some("weeks 2–3".into()));
        assert_eq!(plan.first_due("a"), Some(1));
        assert_eq!(plan.first_due("b"), None);
        let err = parse("rollout_phases:\n  p1:\n    week: 1\n    segments: [a]\nmilestones:\n  4-5: most\n")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "milestone `4-5`: `most` is not a share like 75%");
        let err = parse("rollout_phases:\n  p1:\n    week: 1\n    segments: [a]\nmilestones:\n  later: 50%\n")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "milestone `later`: must be rollout weeks like 6 or 4-5");
    }

    #[test]
    fn errors_name_the_phase_and_field() {
        let err = parse("rollout_phases:\n  p1:\n    week: soon\n    segments: [a]\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "phase `p1`: `week` must be a week like 1 or a range like 2-3, got `soon`"
        );
        let err = parse("rollout_phases:\n  p1:\n    week: 1\n").unwrap_err().to_string();
        assert!(err.contains("phase `p1`: `segments`"), "{err}");
        let err = parse("phases: []\n").unwrap_err().to_string();
        assert!(err.contains("rollout_phases"), "{err}");
        let err = parse(
            "rollout_phases:\n  p1:\n    week: 1\n    segments: [a]\n    rollback_trigger: [\"p99 latency > 200ms\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("phase `p1`: `p99 latency > 200ms`: unknown metric"),
            "{err}"
        );
    }

    #[test]
    fn an_alias_bomb_is_refused_before_it_expands() {
        // A 64 kB anchor referenced 10,000 times would expand to 640 MB.
        let big = "x".repeat(64 * 1024);
        let mut text =
            format!("anchor: &big \"{big}\"\nrollout_phases:\n  p1:\n    week: 1\n    segments: [a]\n    features: [");
        text.push_str(&vec!["*big"; 10_000].join(", "));
        text.push_str("]\n");
        let t = std::time::Instant::now();
        let err = parse(&text).unwrap_err().to_string();
        assert!(
            err.contains("once its aliases are expanded") || err.contains("more than 256 items"),
            "{err}"
        );
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
        // The classic billion laughs too.
        let laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\nrollout_phases:\n  p1:\n    week: 1\n    segments: *d\n";
        assert!(parse(laughs).is_err());
        // A modest alias is fine.
        let ok = "common: &common [\"error_rate > 1%\"]\nrollout_phases:\n  p1:\n    week: 1\n    segments: [a]\n    rollback_trigger: *common\n";
        assert_eq!(parse(ok).unwrap().phases[0].rollback_trigger, vec!["error_rate > 1%"]);
    }
}
