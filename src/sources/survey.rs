//! What a feedback file holds, for `cacheroi init`: which of its columns are
//! the feedback's (guessed from their names), the layout of its timestamps
//! and the scale of its scores (docs/inputs.md "Survey exports"), written as
//! the `[sources.feedback_mapping]` section that reads it.

use std::path::PathBuf;

use anyhow::{Result, bail};
use chrono::{DateTime, NaiveDateTime};
use polars::prelude::*;

use crate::formats::{Limits, RawFile, Wanted};
use crate::frames::{COMMENT, CUSTOMER_ID, SCORE, SEGMENT, TS, USER_ID, parse_rfc3339_micros};
use crate::ground::score::Scale;

/// Column names each feedback column is guessed from, most likely first
/// (matched without regard to case, a space as an underscore).
const GUESSES: [(&str, &[&str]); 6] = [
    (
        TS,
        &[
            "ts",
            "timestamp",
            "submitted_at",
            "submitted",
            "created_at",
            "date",
            "time",
            "datetime",
            "end_date",
            "start_date",
        ],
    ),
    (
        CUSTOMER_ID,
        &[
            "customer_id",
            "customer",
            "account_id",
            "account",
            "tenant_id",
            "tenant",
            "company",
            "org_id",
        ],
    ),
    (
        USER_ID,
        &["user_id", "user", "respondent_id", "respondent", "uid", "email"],
    ),
    (
        SCORE,
        &[
            "score",
            "rating",
            "nps",
            "nps_score",
            "csat",
            "csat_score",
            "satisfaction",
        ],
    ),
    (
        COMMENT,
        &[
            "comment", "comments", "feedback", "text", "verbatim", "reason", "response",
        ],
    ),
    (SEGMENT, &["segment"]),
];

/// Words a column's name may contain when no name above matches: a survey
/// question as its header ("How likely are you to recommend us?").
const WORDS: [(&str, &[&str]); 2] = [
    (SCORE, &["score", "rating", "recommend", "satisf"]),
    (COMMENT, &["comment", "feedback", "why"]),
];

/// Timestamp layouts survey tools write, tried on the file's values when
/// they are not RFC 3339; where two read every value (07/11 is July or
/// November), the first listed wins and the comment says so.
const LAYOUTS: [&str; 10] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
];

/// How many values of a column the guesses look at.
const SAMPLE: usize = 1000;

/// A feedback file as `init` saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    /// The `[sources.feedback_mapping]` section, or a comment that the
    /// file needs none.
    pub section: String,
    pub scale: Scale,
    /// Why that scale: the answers seen.
    pub scale_note: String,
    /// Records read over every file.
    pub rows: usize,
}

/// Look at the feedback files `paths` (what `--feedback` matched).
pub fn survey(paths: &[PathBuf], limits: &Limits) -> Result<Survey> {
    let Some(first) = paths.first() else {
        bail!("no feedback file to look at");
    };
    let found = columns_found(paths, limits)?;
    let picks = pick(&found);
    let shown = || crate::error::clip(&found.join(", "), 300);
    for required in [TS, CUSTOMER_ID, SCORE] {
        if !picks.iter().any(|(c, _)| *c == required) {
            bail!(
                "{}: no column looks like the feedback's {required} (columns: {}): name it in \
                 [sources.feedback_mapping] as {required} = \"…\"",
                first.display(),
                shown()
            );
        }
    }
    let source = |c: &str| picks.iter().find(|(k, _)| *k == c).map(|(_, s)| s.clone());
    let leak = |s: String| -> &'static str { Box::leak(s.to_ascii_lowercase().into_boxed_str()) };
    let wanted = Wanted {
        names: picks.iter().map(|(_, s)| leak(s.clone())).collect(),
        free_text: source(COMMENT).map(leak).into_iter().collect(),
    };
    let (score_col, ts_col) = (source(SCORE).unwrap_or_default(), source(TS).unwrap_or_default());
    let (scores, times, rows) = sample(paths, &wanted, (&score_col, &ts_col), limits)?;
    let (scale, scale_note) = scale_of(&scores).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: no numeric answer in column `{}`: is it the score?",
            first.display(),
            crate::error::clip(&score_col, 40)
        )
    })?;
    let layout = layout_of(&times).map_err(|example| {
        anyhow::anyhow!(
            "{}: timestamps like `{}` in column `{}` read in no layout cacheroi knows: write \
             ts = {{ column = \"{}\", format = \"…\" }} (a strftime layout) in [sources.feedback_mapping]",
            first.display(),
            crate::error::clip(&example, 40),
            crate::error::clip(&ts_col, 40),
            crate::error::clip(&ts_col, 40)
        )
    })?;
    Ok(Survey {
        section: section(&picks, layout, scale, &scale_note),
        scale,
        scale_note,
        rows,
    })
}

/// Every column name the files have among the guesses, in the order met.
fn columns_found(paths: &[PathBuf], limits: &Limits) -> Result<Vec<String>> {
    let names: Vec<&'static str> = GUESSES.iter().flat_map(|(_, g)| g.iter().copied()).collect();
    let mut found: Vec<String> = Vec::new();
    for path in paths {
        let raw = RawFile::open(
            path,
            &Wanted {
                names: names.clone(),
                free_text: Vec::new(),
            },
            limits,
        )?;
        for n in raw.found() {
            if !found.iter().any(|f| f.eq_ignore_ascii_case(n)) {
                found.push(n.clone());
            }
        }
    }
    Ok(found)
}

/// A sample of the scores and timestamps the files hold, and how many
/// records they have.
fn sample(
    paths: &[PathBuf],
    wanted: &Wanted,
    (score_col, ts_col): (&str, &str),
    limits: &Limits,
) -> Result<(Vec<f64>, Vec<String>, usize)> {
    let (mut scores, mut times, mut rows) = (Vec::new(), Vec::new(), 0);
    for path in paths {
        let df = RawFile::open(path, wanted, limits)?.frame.collect()?;
        rows += df.height();
        if let Ok(c) = df.column(&score_col.to_ascii_lowercase()) {
            let c = c.as_materialized_series().cast(&DataType::Float64)?;
            scores.extend(
                c.f64()?
                    .into_no_null_iter()
                    .filter(|v| v.is_finite())
                    .take(SAMPLE * 100),
            );
        }
        if let Ok(c) = df.column(&ts_col.to_ascii_lowercase())
            && let Ok(s) = c.str()
            && times.len() < SAMPLE
        {
            times.extend(
                s.iter()
                    .flatten()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .take(SAMPLE)
                    .map(str::to_string),
            );
        }
    }
    Ok((scores, times, rows))
}

/// (canonical column, the file's column) for each feedback column found.
fn pick(found: &[String]) -> Vec<(&'static str, String)> {
    let mut picks: Vec<(&'static str, String)> = Vec::new();
    for (canonical, guesses) in GUESSES {
        let by_name = guesses.iter().find_map(|g| {
            found
                .iter()
                .find(|f| f.trim().replace(' ', "_").eq_ignore_ascii_case(g))
        });
        let by_word = || {
            WORDS.iter().find(|(c, _)| *c == canonical).and_then(|(_, words)| {
                found.iter().find(|f| {
                    let lower = f.to_ascii_lowercase();
                    words.iter().any(|w| lower.contains(w)) && !picks.iter().any(|(_, p)| p == *f)
                })
            })
        };
        if let Some(f) = by_name.or_else(by_word)
            && !picks.iter().any(|(_, p)| p == f)
        {
            picks.push((canonical, f.clone()));
        }
    }
    picks
}

/// The scale the answers are on, with why: answers above 5 are on a
/// ten-point scale, from 0 when one is 0, else from 1.
fn scale_of(scores: &[f64]) -> Option<(Scale, String)> {
    let lo = scores.iter().copied().reduce(f64::min)?;
    let hi = scores.iter().copied().reduce(f64::max)?;
    let scale = if lo < 1.0 {
        Scale::ZeroToTen
    } else if hi > 5.0 {
        Scale::OneToTen
    } else {
        Scale::OneToFive
    };
    let (a, b) = scale.bounds();
    let mut note = format!("answers from {lo} to {hi}");
    if lo < a as f64 || hi > b as f64 {
        note.push_str(&format!(
            "; those outside {} will be rejected rows (score_out_of_range)",
            scale.label()
        ));
    }
    Some((scale, note))
}

/// The strftime layout the timestamps need: None when they are RFC 3339
/// (or not text); Err(an example) when no known layout reads them.
fn layout_of(times: &[String]) -> Result<Option<&'static str>, String> {
    let Some(example) = times.first() else {
        return Ok(None);
    };
    let rfc = times.iter().filter(|t| parse_rfc3339_micros(t).is_some()).count();
    if rfc * 2 >= times.len() {
        return Ok(None);
    }
    let reads =
        |t: &str, f: &str| DateTime::parse_from_str(t, f).is_ok() || NaiveDateTime::parse_from_str(t, f).is_ok();
    let best = LAYOUTS
        .iter()
        .map(|f| (times.iter().filter(|t| reads(t, f)).count(), *f))
        .fold((0, ""), |best, this| if this.0 > best.0 { this } else { best });
    match best {
        (0, _) => Err(example.clone()),
        (_, f) => Ok(Some(f)),
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The mapping section, or a comment when the file has the canonical
/// columns on 1–5.
fn section(picks: &[(&'static str, String)], layout: Option<&str>, scale: Scale, scale_note: &str) -> String {
    let identity = layout.is_none() && scale == Scale::OneToFive && picks.iter().all(|(c, f)| f == c);
    if identity {
        return "# The feedback has the canonical columns on 1–5: no [sources.feedback_mapping] is needed.".into();
    }
    let mut lines = vec![
        "# How the feedback's own columns read (guessed from their names by `cacheroi init`).".to_string(),
        "[sources.feedback_mapping]".to_string(),
    ];
    for (canonical, file_column) in picks {
        match (*canonical, layout) {
            (TS, Some(f)) => lines.push(format!(
                "ts = {{ column = {}, format = {} }}",
                toml_string(file_column),
                toml_string(f)
            )),
            _ => lines.push(format!("{canonical} = {}", toml_string(file_column))),
        }
        if *canonical == SCORE {
            lines.push(format!(
                "scale = \"{}\"            # guessed: {scale_note}",
                scale.label().replace('–', "-")
            ));
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn a_survey_export_gets_its_columns_layout_and_scale() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "nps.csv",
            "Submitted At,Account,How likely are you to recommend us?,Why?\n\
             2026-11-17 09:30:00,c1,0,slow\n2026-11-18 10:00:00,c2,9,\"fast, good\"\n",
        );
        let s = survey(&[p], &Limits::default()).unwrap();
        assert_eq!(s.scale, Scale::ZeroToTen);
        assert_eq!(s.rows, 2);
        assert_eq!(
            s.section,
            "# How the feedback's own columns read (guessed from their names by `cacheroi init`).\n\
             [sources.feedback_mapping]\n\
             ts = { column = \"Submitted At\", format = \"%Y-%m-%d %H:%M:%S\" }\n\
             customer_id = \"Account\"\n\
             score = \"How likely are you to recommend us?\"\n\
             scale = \"0-10\"            # guessed: answers from 0 to 9\n\
             comment = \"Why?\""
        );
        // The section reads as a mapping.
        let m: crate::sources::mapping::FeedbackModel =
            toml::from_str(s.section.split_once('\n').unwrap().1.split_once('\n').unwrap().1).unwrap();
        assert_eq!(
            crate::sources::mapping::Renames::new(&m).unwrap().scale,
            Scale::ZeroToTen
        );
    }

    #[test]
    fn canonical_feedback_needs_no_section_and_one_to_ten_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "f.csv",
            "ts,customer_id,score\n2026-11-17T09:30:00Z,c1,5\n2026-11-17T09:31:00Z,c1,1\n",
        );
        let s = survey(&[p], &Limits::default()).unwrap();
        assert_eq!(s.scale, Scale::OneToFive);
        assert!(s.section.starts_with("# The feedback has the canonical columns"));
        // 1 to 10 without a 0: a 1–10 scale; 12 is outside and said so.
        let p = write(
            &dir,
            "g.csv",
            "ts,customer_id,rating\n2026-11-17T09:30:00Z,c1,1\n2026-11-17T09:31:00Z,c1,12\n",
        );
        let s = survey(&[p], &Limits::default()).unwrap();
        assert_eq!(s.scale, Scale::OneToTen);
        assert_eq!(
            s.scale_note,
            "answers from 1 to 12; those outside 1–10 will be rejected rows (score_out_of_range)"
        );
    }

    #[test]
    fn a_file_without_a_score_or_a_known_time_is_one_line_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "x.csv", "ts,customer_id,mood\n2026-11-17T09:30:00Z,c1,ok\n");
        let e = survey(std::slice::from_ref(&p), &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!(
                "{}: no column looks like the feedback's score (columns: ts, customer_id, mood)",
                p.display()
            )),
            "{e}"
        );
        let p = write(&dir, "y.csv", "ts,customer_id,score\nyesterday at noon,c1,4\n");
        let e = survey(std::slice::from_ref(&p), &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("timestamps like `yesterday at noon` in column `ts` read in no layout"),
            "{e}"
        );
        assert!(!e.contains('\n'));
    }
}
