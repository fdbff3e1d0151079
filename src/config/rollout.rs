//! `[baseline]` and `[rollout]`: the windows, the plan, the gate's reading.

use anyhow::Result;
use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;

use std::path::PathBuf;

use super::errors::Errors;
use super::{Here, Sp};
use crate::period::local_midnight;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BaselineModel {
    pub(super) from: Sp<NaiveDate>,
    pub(super) to: Sp<NaiveDate>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RolloutModel {
    pub(super) start: Option<Sp<NaiveDate>>,
    pub(super) plan: Option<Sp<PathBuf>>,
    pub(super) planned_share: Option<Sp<f64>>,
    pub(super) risks: Option<Sp<PathBuf>>,
    pub(super) decide_on: Option<Sp<String>>,
    pub(super) evidence_alpha: Option<Sp<f64>>,
    pub(super) sequential_tuning: Option<Sp<f64>>,
}

/// A `[from, to)` window of local dates and the instants they map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateWindow {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// `[rollout] decide_on` ("plan", the default, or "evidence"), with the
/// evidence reading's `evidence_alpha` (0 < α < 0.5, default 0.05) and
/// `sequential_tuning` (at least 10 units, default 5,000).
pub(super) fn reading_of(err: &Errors, rollout: &RolloutModel) -> Result<crate::evaluate::week::Reading> {
    use crate::evaluate::week::Reading;
    use crate::stats::sequential::{DEFAULT_ALPHA, DEFAULT_TUNING, Sequential};
    let alpha = match &rollout.evidence_alpha {
        Some(v) if !(*v.get_ref() > 0.0 && *v.get_ref() < 0.5) => {
            return Err(err.at(
                v,
                "rollout.evidence_alpha",
                format!("must be between 0 and 0.5 (e.g. 0.05), got {}", v.get_ref()),
            ));
        }
        v => v.as_ref().map_or(DEFAULT_ALPHA, |v| *v.get_ref()),
    };
    let tuning = match &rollout.sequential_tuning {
        Some(v) if !(v.get_ref().is_finite() && *v.get_ref() >= 10.0) => {
            return Err(err.at(
                v,
                "rollout.sequential_tuning",
                format!(
                    "must be a number of units of at least 10 (default 5000), got {}",
                    v.get_ref()
                ),
            ));
        }
        v => v.as_ref().map_or(DEFAULT_TUNING, |v| *v.get_ref()),
    };
    match rollout.decide_on.as_ref().map(|v| (v, v.get_ref().trim())) {
        None | Some((_, "plan")) => Ok(Reading::Plan),
        Some((_, "evidence")) => Ok(Reading::Evidence(Sequential { alpha, tuning })),
        Some((v, other)) => Err(err.at(
            v,
            "rollout.decide_on",
            format!(
                "`{}` is neither \"plan\" (the week's figures against the thresholds) nor \"evidence\" (intervals over the phase so far)",
                crate::error::clip(other, 40)
            ),
        )),
    }
}

/// `[rollout] start`: a Monday, if given.
pub(super) fn rollout_start_of(err: &Errors, rollout: &RolloutModel) -> Result<Option<NaiveDate>> {
    let rollout_start = match &rollout.start {
        None => None,
        Some(v) => {
            let d = err.date(v, "rollout.start")?;
            if d.weekday() != Weekday::Mon {
                let monday = d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday()));
                return Err(err.at(
                    v,
                    "rollout.start",
                    format!(
                        "{d} is a {:?}: rollout week 1 starts on a Monday (e.g. {monday})",
                        d.weekday()
                    ),
                ));
            }
            Some(d)
        }
    };
    Ok(rollout_start)
}

/// `[baseline]`, else the 4 weeks before the rollout start.
pub(super) fn baseline_of(
    err: &Errors,
    baseline: Option<&BaselineModel>,
    rollout_start: Option<NaiveDate>,
    timezone: Tz,
) -> Result<Option<DateWindow>> {
    let baseline = match (baseline, rollout_start) {
        (Some(b), _) => {
            let (from, to) = (err.date(&b.from, "baseline.from")?, err.date(&b.to, "baseline.to")?);
            if to <= from {
                return Err(err.at(
                    &b.to,
                    "baseline.to",
                    format!("({to}) must be after baseline.from ({from})"),
                ));
            }
            Some((from, to))
        }
        (None, Some(start)) => Some((start - chrono::Duration::days(28), start)),
        (None, None) => None,
    };
    let baseline = baseline.map(|(from, to)| DateWindow {
        from,
        to,
        start: local_midnight(from, timezone),
        end: local_midnight(to, timezone),
    });
    Ok(baseline)
}

/// `[rollout]` and `[baseline]`, validated.
pub(super) struct Rollout {
    pub(super) start: Option<NaiveDate>,
    pub(super) baseline: Option<DateWindow>,
    pub(super) plan: Option<PathBuf>,
    pub(super) risks: Option<PathBuf>,
    pub(super) planned_share: Option<f64>,
    pub(super) reading: crate::evaluate::week::Reading,
}

/// `[rollout]` (start a Monday, plan and risk register paths, the planned
/// share strictly between 0 and 1, the gate's reading) and the baseline.
pub(super) fn rollout_of(
    err: &Errors,
    here: &Here,
    rollout: RolloutModel,
    baseline: Option<&BaselineModel>,
    timezone: Tz,
) -> Result<Rollout> {
    let start = rollout_start_of(err, &rollout)?;
    let planned_share = match &rollout.planned_share {
        Some(v) if !(*v.get_ref() > 0.0 && *v.get_ref() < 1.0) => {
            return Err(err.at(
                v,
                "rollout.planned_share",
                format!("must be between 0 and 1, got {}", v.get_ref()),
            ));
        }
        v => v.as_ref().map(|v| *v.get_ref()),
    };
    Ok(Rollout {
        start,
        baseline: baseline_of(err, baseline, start, timezone)?,
        reading: reading_of(err, &rollout)?,
        plan: here.optional_path(&rollout.plan, "rollout.plan")?,
        risks: here.optional_path(&rollout.risks, "rollout.risks")?,
        planned_share,
    })
}
