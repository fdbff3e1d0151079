//! `cacheroi notify`: the Slack digest of the weekly report (or, with
//! --daily, of the last complete day) posted to the incoming webhook whose
//! URL the environment variable `[slack] webhook_env` holds.

use anyhow::{Result, anyhow};
use chrono::Duration;

use crate::cli::NotifyArgs;
use crate::config::Settings;
use crate::deliver::files::write_atomic;
use crate::deliver::slack::{Retry, post};
use crate::period::{local_midnight, resolve_week};
use crate::report::digest::{self, Day};
use crate::rollups::build::epoch_day;

/// The digest's JSON and what it is about ("2026-W46", "2026-11-15").
fn payload(settings: &Settings, args: &NotifyArgs, link: Option<&str>) -> Result<(String, String)> {
    if !args.daily {
        let week = resolve_week(
            args.week.as_deref().unwrap_or("last"),
            settings.now(),
            settings.timezone,
        )?;
        let report = super::weekly::build(settings, week)?;
        return Ok((digest::weekly(&report, link).to_string(), week.label()));
    }
    // The last complete local day before now, and the one before it.
    let tz = settings.timezone;
    let today = settings.now().with_timezone(&tz).date_naive();
    let (day, before) = (today - Duration::days(1), today - Duration::days(2));
    let from = local_midnight(before, tz).timestamp_micros();
    let to = local_midnight(today, tz).timestamp_micros();
    let data = super::inputs::load(settings, crate::sources::in_ranges(&[(from, to)]), &[], false)?;
    let days = crate::metrics::daily::daily(&data.requests, (epoch_day(before), epoch_day(today)));
    let of = |date| {
        days.iter().find(|d| d.date == date).map(|d| Day {
            date,
            requests: d.requests,
            origin_calls: d.origin,
            hit_rate: (d.e_lookups > 0).then(|| d.e_hits as f64 / d.e_lookups as f64),
        })
    };
    let this = of(day).ok_or_else(|| anyhow!("no request rows on {day}: nothing to post"))?;
    Ok((
        digest::daily(&this, of(before).as_ref(), link).to_string(),
        day.to_string(),
    ))
}

/// Post (or write, with --dry-run) the digest; the line for stdout.
pub fn run(settings: &Settings, args: &NotifyArgs) -> Result<Vec<String>> {
    let slack = settings.slack.as_ref().ok_or_else(|| {
        anyhow!(
            "notify needs a `[slack]` section with webhook_env in {}",
            settings.path.display()
        )
    })?;
    let source = format!("${}", slack.webhook_env);
    // Check the secret is there before computing anything.
    let url = match &args.dry_run {
        Some(_) => None,
        None => Some(std::env::var(&slack.webhook_env).map_err(|_| {
            anyhow!(
                "notify: the environment variable {} (`[slack] webhook_env`) is not set",
                slack.webhook_env
            )
        })?),
    };
    let (body, about) = payload(settings, args, slack.report_url.as_deref())?;
    if let Some(file) = &args.dry_run {
        write_atomic(file, body.as_bytes())?;
        return Ok(vec![format!(
            "{}: the Slack digest of {about} (not posted)",
            file.display()
        )]);
    }
    let url = url.unwrap_or_default();
    let attempts = post(&url, &body, &source, &Retry::default())?;
    Ok(vec![format!(
        "posted the Slack digest of {about} ({source}, {attempts} attempt{})",
        if attempts == 1 { "" } else { "s" }
    )])
}
