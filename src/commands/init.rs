//! `cacheroi init`: a working, commented `cacheroi.toml` from the files a
//! team already has. The request log is read as `inspect` reads it; its
//! mapping section, the time zone (from the timestamps' offset), the rollout
//! start (the Monday of the first week with cache hits) and the baseline
//! (the four weeks before) are written with each guess said in a comment; a
//! feedback export gets its `[sources.feedback_mapping]` with its scale;
//! a starter rollout plan is written beside the config unless one is there.
//! Nothing is written when a file cannot be read, and an existing config is
//! replaced only with `--force` (an existing plan never).

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use chrono::{Datelike, Duration, NaiveDate};

use crate::cli::InitArgs;
use crate::sources::inspect::{Inspection, inspect};

/// What `init` decided, for the config text and for stdout.
struct Plan {
    timezone: String,
    timezone_note: String,
    rollout: NaiveDate,
    rollout_note: String,
}

/// The starter rollout plan's file, beside the config.
const PLAN_FILE: &str = "rollout-plan.yaml";

/// `cacheroi init`: the lines for stdout (what was guessed, the next command).
pub fn run(args: &InitArgs) -> Result<Vec<String>> {
    let dir = match args.out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if args.out.exists() && !args.force {
        bail!("{} exists: it is never replaced without --force", args.out.display());
    }
    // A plan already there is the product owner's: kept, even with --force.
    let plan_path = dir.join(PLAN_FILE);
    let plan_kept = plan_path.exists();
    let limits = crate::formats::Limits::default();
    let seen = inspect_requests(args, &limits)?;
    let survey = match &args.feedback {
        Some(glob) => Some(crate::sources::survey::survey(
            &crate::sources::resolve(glob, "feedback")?,
            &limits,
        )?),
        None => None,
    };
    if let Some(c) = &args.customers
        && !c.is_file()
    {
        bail!("{}: no such customers file", c.display());
    }
    let plan = decide(args, &seen)?;
    let text = config_text(args, &seen, &plan, survey.as_ref())?;
    // The text must load as the config it will be, before it is written.
    crate::config::parse(&args.out, &text)
        .map_err(|e| anyhow!("the config init made does not load ({e:#}): please report this"))?;
    let name = args
        .out
        .file_name()
        .ok_or_else(|| anyhow!("--out {}: not a file name", args.out.display()))?;
    let mut files = crate::ground::files::Files::default();
    if !plan_kept {
        files.add(
            PLAN_FILE.to_string(),
            crate::evaluate::plan::starter(survey.is_some()).into_bytes(),
        );
    }
    files.add(name.to_string_lossy().into_owned(), text.into_bytes());
    crate::deliver::files::write(&dir, &files)?;
    Ok(summary(args, &plan, &plan_path, plan_kept, survey.as_ref()))
}

/// The request logs as `inspect` sees them; an error when no row is valid.
fn inspect_requests(args: &InitArgs, limits: &crate::formats::Limits) -> Result<Inspection> {
    let paths = crate::sources::resolve(&args.requests, "requests")?;
    let log_format = super::inspect::log_format_arg(args.log_format.as_ref())?;
    let seen = inspect(&paths, None, log_format, limits)?;
    if let Some(p) = &seen.problem {
        bail!("{}: {p}", args.requests);
    }
    if seen.totals.valid == 0 {
        bail!(
            "{}: no valid request rows (cacheroi inspect shows what was read)",
            args.requests
        );
    }
    Ok(seen)
}

/// What was written and guessed, and the next command.
fn summary(
    args: &InitArgs,
    plan: &Plan,
    plan_path: &std::path::Path,
    plan_kept: bool,
    survey: Option<&crate::sources::survey::Survey>,
) -> Vec<String> {
    let config = args.out.display().to_string();
    let explicit = if config == crate::config::LOCAL_CONFIG {
        String::new()
    } else {
        format!(" --config {config}")
    };
    let mut lines = vec![
        format!("wrote {config}"),
        format!("  time zone: {} ({})", plan.timezone, plan.timezone_note),
        format!("  rollout start: {} ({})", plan.rollout, plan.rollout_note),
        format!(
            "  baseline: {} to {} (the four weeks before, end exclusive)",
            plan.rollout - Duration::weeks(4),
            plan.rollout
        ),
        if plan_kept {
            format!("  rollout plan: {} (kept as it is)", plan_path.display())
        } else {
            format!(
                "  rollout plan: {} (a starter: one phase for all users with the brief's guardrails; edit it, docs/gate.md)",
                plan_path.display()
            )
        },
    ];
    if let Some(s) = survey {
        lines.push(format!(
            "  feedback: {} answers read on {} (guessed: {})",
            s.rows,
            s.scale.label(),
            s.scale_note
        ));
    }
    lines.push(format!("next: cacheroi weekly{explicit}"));
    lines
}

fn decide(args: &InitArgs, seen: &Inspection) -> Result<Plan> {
    let (timezone, timezone_note) = match &args.timezone {
        Some(z) => {
            z.parse::<chrono_tz::Tz>().map_err(|_| {
                anyhow!(
                    "--timezone `{}` is not an IANA zone like Europe/Berlin",
                    crate::error::clip(z, 60)
                )
            })?;
            (z.clone(), "--timezone".to_string())
        }
        None => zone_of(&seen.totals.offsets),
    };
    let (rollout, rollout_note) = match args.rollout_start {
        Some(d) if d.weekday() == chrono::Weekday::Mon => (d, "--rollout-start".to_string()),
        Some(d) => bail!(
            "--rollout-start {d} is a {:?}: rollout week 1 starts on a Monday (e.g. {})",
            d.weekday(),
            monday_of(d)
        ),
        None => {
            let first_hit = seen
                .totals
                .first_hit_ts
                .and_then(chrono::DateTime::from_timestamp_micros)
                .ok_or_else(|| {
                    anyhow!(
                        "{}: no cache hits in the logs to date the rollout from: pass --rollout-start (a Monday)",
                        args.requests
                    )
                })?;
            let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
            let day = first_hit.with_timezone(&tz).date_naive();
            (
                monday_of(day),
                format!("guessed: the Monday of the first week with cache hits, first hit {first_hit}"),
            )
        }
    };
    Ok(Plan {
        timezone,
        timezone_note,
        rollout,
        rollout_note,
    })
}

/// The time zone the logs' offsets name: one whole-hour offset is the
/// fixed zone `Etc/GMT∓h` (IANA's signs are inverted); anything else (none,
/// several — summer time —, or a half hour) leaves UTC, and the note says
/// to name the zone.
fn zone_of(offsets: &std::collections::BTreeMap<i32, u64>) -> (String, String) {
    let shown = |o: i32| {
        let sign = if o < 0 { '-' } else { '+' };
        format!("{sign}{:02}:{:02}", o.abs() / 3600, o.abs() % 3600 / 60)
    };
    let pass = "pass --timezone with your zone (Europe/Berlin) for weeks cut at your midnight";
    match offsets.keys().copied().collect::<Vec<_>>()[..] {
        [] => (
            "UTC".into(),
            format!("the default: the timestamps carry no offset; {pass}"),
        ),
        [0] => ("UTC".into(), "guessed: every timestamp carries +00:00".into()),
        [o] if o % 3600 == 0 => (
            format!("Etc/GMT{:+}", -o / 3600),
            format!(
                "guessed: every timestamp carries {}, a fixed offset without summer time; {pass}",
                shown(o)
            ),
        ),
        ref several => (
            "UTC".into(),
            format!(
                "the default: the timestamps carry {}, which no whole-hour fixed zone is; {pass}",
                several.iter().map(|o| shown(*o)).collect::<Vec<_>>().join(" and ")
            ),
        ),
    }
}

fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

/// A path or glob as the config writes it: relative to the config's folder
/// works only when that is where it was given from, so anything else is
/// written absolute.
fn as_written(given: &str, config: &Path) -> Result<String> {
    let path = Path::new(given);
    let beside = config.parent().is_none_or(|d| d.as_os_str().is_empty());
    if path.is_absolute() || beside {
        return Ok(given.to_string());
    }
    Ok(std::env::current_dir()?.join(path).display().to_string())
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn config_text(
    args: &InitArgs,
    seen: &Inspection,
    plan: &Plan,
    survey: Option<&crate::sources::survey::Survey>,
) -> Result<String> {
    let date = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let baseline_from = plan.rollout - Duration::weeks(4);
    let mut text = String::new();
    text.push_str("# Written by `cacheroi init` from the files named below; every guess is\n");
    text.push_str("# said in a comment. Edit freely: docs/configuration.md has every key.\n");
    text.push_str(&format!(
        "timezone = {}           # {}\n",
        toml_string(&plan.timezone),
        plan.timezone_note
    ));
    text.push_str("# as_of is left to the clock: `weekly` reports the last complete week.\n");
    text.push_str("output_dir = \"reports\"\n\n");
    text.push_str("[sources]\n");
    text.push_str(&format!(
        "requests = {}   # {} files, {} valid rows\n",
        toml_string(&as_written(&args.requests, &args.out)?),
        seen.files.len(),
        seen.totals.valid
    ));
    match &args.feedback {
        Some(f) => text.push_str(&format!("feedback = {}\n", toml_string(&as_written(f, &args.out)?))),
        None => text.push_str("# feedback = \"survey.csv\"      # adds satisfaction, responses and complaints\n"),
    }
    match &args.customers {
        Some(c) => text.push_str(&format!(
            "customers = {}\n",
            toml_string(&as_written(&c.display().to_string(), &args.out)?)
        )),
        None => text.push_str("# customers = \"customers.csv\"  # adds names, tiers and per-customer finance\n"),
    }
    if args.redis.is_empty() {
        text.push_str("# redis_snapshots = \"redis-snapshots.ndjson\"  # adds the Redis figures (cacheroi snapshot)\n");
    } else {
        text.push_str("redis_snapshots = \"redis-snapshots.ndjson\"   # filled by `cacheroi snapshot` from cron\n");
    }
    text.push('\n');
    if !args.redis.is_empty() {
        let urls: Vec<String> = args.redis.iter().map(|u| toml_string(u)).collect();
        text.push_str(&format!("[redis]\nurls = [{}]\n\n", urls.join(", ")));
    }
    text.push_str(&format!(
        "[baseline]                     # the four weeks before the rollout, to exclusive\nfrom = \"{}\"\nto = \"{}\"\n\n",
        date(baseline_from),
        date(plan.rollout)
    ));
    text.push_str(&format!(
        "[rollout]\nstart = \"{}\"             # {}\nplan = \"{PLAN_FILE}\"        # a starter plan: one phase for all users; make it yours (docs/gate.md)\n\n",
        date(plan.rollout),
        plan.rollout_note
    ));
    if seen.suggestion.starts_with("[sources.requests_mapping]") {
        text.push_str("# How the request log's own columns and words read (as `cacheroi inspect` found them).\n");
        text.push_str(seen.suggestion.trim_end());
        text.push('\n');
    }
    if let Some(s) = survey {
        text.push('\n');
        text.push_str(s.section.trim_end());
        text.push('\n');
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_whole_hour_offset_names_a_fixed_zone_and_anything_else_leaves_utc() {
        let of = |o: &[(i32, u64)]| zone_of(&o.iter().copied().collect());
        // +01:00 is Etc/GMT-1 (IANA inverts the sign), −05:00 Etc/GMT+5.
        assert_eq!(of(&[(3600, 10)]).0, "Etc/GMT-1");
        assert_eq!(of(&[(-5 * 3600, 3)]).0, "Etc/GMT+5");
        assert!(of(&[(3600, 10)]).1.contains("every timestamp carries +01:00"));
        assert_eq!(
            of(&[(0, 4)]),
            ("UTC".into(), "guessed: every timestamp carries +00:00".into())
        );
        // Summer time: +01:00 and +02:00 is no fixed zone; +05:30 is none either.
        let (zone, note) = of(&[(3600, 5), (7200, 5)]);
        assert_eq!(zone, "UTC");
        assert!(note.contains("carry +01:00 and +02:00"), "{note}");
        assert_eq!(of(&[(5 * 3600 + 1800, 1)]).0, "UTC");
        assert!(of(&[]).1.starts_with("the default: the timestamps carry no offset"));
        for (o, _) in [(3600, 1), (-5 * 3600, 1)] {
            of(&[(o, 1)]).0.parse::<chrono_tz::Tz>().unwrap();
        }
    }
}
