//! The product owner's rollout plan (CONTRACT §6): phases with their rollout
//! weeks, segments, features, success criteria and rollback triggers, in the
//! order written.

use std::path::Path;

use anyhow::{Result, anyhow};
use serde::Serialize;
use serde_yaml_ng::Value;

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

pub fn read(path: &Path) -> Result<Plan> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow!("{}: cannot read the rollout plan: {e}", path.display()))?;
    parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Parse the plan; errors name the phase and field in one line.
pub fn parse(text: &str) -> Result<Plan> {
    let doc: Value =
        serde_yaml_ng::from_str(text).map_err(|e| anyhow!("not YAML: {}", e.to_string().replace('\n', " ")))?;
    let phases = doc
        .get("rollout_phases")
        .and_then(Value::as_mapping)
        .ok_or_else(|| anyhow!("`rollout_phases` must map phase names to phases"))?;
    let mut out = Vec::new();
    for (name, body) in phases {
        let name = name.as_str().map(str::to_string).unwrap_or_else(|| format!("{name:?}"));
        let field = |f: &str| body.get(f);
        let week = field("week").ok_or_else(|| anyhow!("phase `{name}`: missing `week`"))?;
        let week_text = match week {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        let (first_week, last_week) = parse_weeks(&week_text).ok_or_else(|| {
            anyhow!("phase `{name}`: `week` must be a week like 1 or a range like 2-3, got `{week_text}`")
        })?;
        let list = |f: &str| -> Result<Vec<String>> {
            match field(f) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Sequence(items)) => items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s.clone()),
                        Value::Number(n) => Ok(n.to_string()),
                        Value::Bool(b) => Ok(b.to_string()),
                        _ => Err(anyhow!("phase `{name}`: `{f}` must be a list of strings")),
                    })
                    .collect(),
                Some(Value::String(s)) => Ok(vec![s.clone()]),
                Some(_) => Err(anyhow!("phase `{name}`: `{f}` must be a list of strings")),
            }
        };
        let mut segments = list("segments")?;
        if segments.is_empty() {
            return Err(anyhow!(
                "phase `{name}`: `segments` must name at least one segment (or all_users)"
            ));
        }
        if segments.iter().any(|s| s == ALL_USERS) {
            segments.clear();
        }
        let (features, success_criteria, rollback_trigger) =
            (list("features")?, list("success_criteria")?, list("rollback_trigger")?);
        out.push(Phase {
            name,
            first_week,
            last_week,
            segments,
            features,
            success_criteria,
            rollback_trigger,
        });
    }
    Ok(Plan { phases: out })
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
    (a >= 1 && b >= a).then_some((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_sample_plan_in_order() {
        let plan = parse(crate::sample::ROLLOUT_PLAN).unwrap();
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
    }
}
