//! Configuration (CONTRACT §1.5): the TOML file model with unknown keys
//! rejected, then validated into [`Settings`] with paths resolved against the
//! config file's folder and every default filled in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::metrics::kpi::{self, Kpi};
use crate::period::local_midnight;

/// Name of the config file looked for in the working directory.
pub const LOCAL_CONFIG: &str = "cacheroi.toml";
/// The sample configuration shipped with the sources, used when neither
/// `--config` nor `./cacheroi.toml` exists, so that a first run works.
pub const BUNDLED_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/cacheroi.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileModel {
    timezone: Option<String>,
    as_of: Option<String>,
    output_dir: Option<PathBuf>,
    templates_dir: Option<PathBuf>,
    sources: Option<SourcesModel>,
    redis: Option<RedisModel>,
    baseline: Option<BaselineModel>,
    rollout: Option<RolloutModel>,
    targets: Option<BTreeMap<String, f64>>,
    costs: Option<CostsModel>,
    roi: Option<RoiModel>,
    email: Option<EmailModel>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoiModel {
    low_origin_call_cost_factor: Option<f64>,
    high_origin_call_cost_factor: Option<f64>,
    sensitivity_swing: Option<f64>,
    npv_horizon_years: Option<u32>,
    discount_rate: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesModel {
    requests: Option<String>,
    feedback: Option<String>,
    customers: Option<String>,
    redis_snapshots: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedisModel {
    #[serde(default)]
    urls: Vec<String>,
    /// PEM file of the CA to trust for rediss:// (self-signed servers).
    ca_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineModel {
    from: NaiveDate,
    to: NaiveDate,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RolloutModel {
    start: Option<NaiveDate>,
    plan: Option<PathBuf>,
    planned_share: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CostsModel {
    currency: Option<String>,
    origin_call_cost: Option<f64>,
    redis_monthly_cost: Option<f64>,
    implementation_cost: Option<f64>,
    hourly_value_of_user_time: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailModel {
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub tls: Option<String>,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub from: Option<String>,
    #[serde(default)]
    pub to: Vec<String>,
    /// Recipients per report kind (default: `to`): executives get the weekly
    /// summary, finance the ROI report.
    #[serde(default)]
    pub weekly_to: Vec<String>,
    #[serde(default)]
    pub impact_to: Vec<String>,
    #[serde(default)]
    pub roi_to: Vec<String>,
    /// CA certificates (PEM) to trust for the SMTP server instead of the public roots.
    pub ca_file: Option<PathBuf>,
    /// Seconds per SMTP attempt (default 30) and attempts (default 3).
    pub timeout_secs: Option<u64>,
    pub tries: Option<u32>,
}

/// Where each input lives; globs are kept as patterns, resolved at read time.
#[derive(Debug, Clone)]
pub struct Sources {
    pub requests: String,
    pub feedback: String,
    pub customers: Option<String>,
    pub redis_snapshots: String,
}

/// Unit costs (CONTRACT §1.5 `[costs]`), in `currency`.
#[derive(Debug, Clone, PartialEq)]
pub struct Costs {
    pub currency: String,
    /// Cost of one origin/back-end call.
    pub origin_call_cost: f64,
    /// Redis bill per month.
    pub redis_monthly_cost: f64,
    /// One-time implementation cost.
    pub implementation_cost: f64,
    /// Value of one hour of a user's time.
    pub hourly_value_of_user_time: f64,
}

/// A `[from, to)` window of local dates and the instants they map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateWindow {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The validated configuration every command works from.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file it came from (shown in report footers).
    pub path: PathBuf,
    /// SHA-256 of the file's bytes, first 12 hex digits (report footers).
    pub hash: String,
    pub timezone: Tz,
    /// "Now" for `last` and defaults; `None` means the clock.
    pub as_of: Option<DateTime<Utc>>,
    pub output_dir: PathBuf,
    /// A folder of templates that replace bundled ones of the same name.
    pub templates_dir: Option<PathBuf>,
    pub sources: Sources,
    pub redis_urls: Vec<String>,
    /// CA certificates (PEM) to trust for rediss:// instead of the public roots.
    pub redis_ca_file: Option<PathBuf>,
    pub baseline: DateWindow,
    pub rollout_start: Option<NaiveDate>,
    pub rollout_plan: Option<PathBuf>,
    pub planned_share: Option<f64>,
    /// Target per KPI: the defaults of CONTRACT §1.5 with `[targets]` applied.
    pub targets: BTreeMap<Kpi, f64>,
    pub costs: Costs,
    pub roi: RoiSettings,
    pub email: Option<EmailModel>,
}

/// `[roi]`: scenarios, sensitivity and NPV of the finance report.
#[derive(Debug, Clone, PartialEq)]
pub struct RoiSettings {
    /// Origin call cost of the low and high scenarios, as factors of the
    /// configured cost (default 0.5 and 1.5).
    pub low_origin_call_cost_factor: f64,
    pub high_origin_call_cost_factor: f64,
    /// ± swing of the Redis cost and the request volume in the sensitivity
    /// table (default 0.25).
    pub sensitivity_swing: f64,
    /// NPV horizon in years (default 3) and annual discount rate (default 0.10).
    pub npv_horizon_years: u32,
    pub discount_rate: f64,
}

impl Default for RoiSettings {
    fn default() -> Self {
        RoiSettings {
            low_origin_call_cost_factor: 0.5,
            high_origin_call_cost_factor: 1.5,
            sensitivity_swing: 0.25,
            npv_horizon_years: 3,
            discount_rate: 0.10,
        }
    }
}

impl Settings {
    /// "Now" as the commands see it: `as_of` if set, else the clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.as_of.unwrap_or_else(Utc::now)
    }
}

/// Which config file to use: `--config`, else `./cacheroi.toml`, else the
/// bundled sample configuration.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    let local = PathBuf::from(LOCAL_CONFIG);
    if local.is_file() {
        return Ok(local);
    }
    let bundled = PathBuf::from(BUNDLED_CONFIG);
    if bundled.is_file() {
        return Ok(bundled);
    }
    bail!(
        "no configuration: pass --config FILE or create ./{LOCAL_CONFIG} (the bundled sample {} is gone)",
        bundled.display()
    )
}

/// Read, parse and validate a config file.
pub fn load(path: &Path) -> Result<Settings> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow!("{}: cannot read config: {e}", path.display()))?;
    parse(path, &text)
}

/// Parse and validate config text; `path` names it in errors and anchors
/// relative paths.
pub fn parse(path: &Path, text: &str) -> Result<Settings> {
    let here = |msg: String| anyhow!("{}: {msg}", path.display());
    let model: FileModel = toml::from_str(text).map_err(|e| {
        let start = e.span().map_or(0, |s| s.start.min(text.len()));
        let line = error_line(text, start, e.message());
        here(format!("line {line}: {}", e.message().replace('\n', " ")))
    })?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let resolve = |p: &str| -> String {
        if Path::new(p).is_absolute() {
            p.to_string()
        } else {
            clean(&dir.join(p)).to_string_lossy().into_owned()
        }
    };

    let tz_name = model.timezone.unwrap_or_else(|| "UTC".to_string());
    let timezone: Tz = tz_name.parse().map_err(|_| {
        here(format!(
            "timezone `{tz_name}` is not an IANA time zone name (e.g. Europe/Berlin)"
        ))
    })?;

    let as_of = match model.as_of.as_deref() {
        None => None,
        Some(s) => Some(parse_as_of(s, timezone).ok_or_else(|| {
            here(format!(
                "as_of `{s}` is neither a date (2026-11-23) nor an RFC 3339 time"
            ))
        })?),
    };

    let src = model
        .sources
        .ok_or_else(|| here("missing [sources] section (requests, feedback, redis_snapshots)".into()))?;
    let need = |v: Option<String>, key: &str| {
        v.filter(|s| !s.trim().is_empty())
            .map(|s| resolve(&s))
            .ok_or_else(|| here(format!("missing sources.{key}")))
    };
    let sources = Sources {
        requests: need(src.requests, "requests")?,
        feedback: need(src.feedback, "feedback")?,
        redis_snapshots: need(src.redis_snapshots, "redis_snapshots")?,
        customers: src.customers.filter(|s| !s.trim().is_empty()).map(|s| resolve(&s)),
    };

    let rollout_start = model.rollout.as_ref().and_then(|r| r.start);
    let (base_from, base_to) = match (&model.baseline, rollout_start) {
        (Some(b), _) => (b.from, b.to),
        (None, Some(start)) => (start - chrono::Duration::days(28), start),
        (None, None) => {
            return Err(here(
                "no baseline window: set [baseline] from/to, or [rollout] start (baseline = the 4 weeks before it)"
                    .into(),
            ));
        }
    };
    if base_to <= base_from {
        return Err(here(format!(
            "baseline.to ({base_to}) must be after baseline.from ({base_from})"
        )));
    }
    let baseline = DateWindow {
        from: base_from,
        to: base_to,
        start: local_midnight(base_from, timezone),
        end: local_midnight(base_to, timezone),
    };

    let planned_share = model.rollout.as_ref().and_then(|r| r.planned_share);
    if let Some(s) = planned_share
        && !(s > 0.0 && s < 1.0)
    {
        return Err(here(format!("rollout.planned_share must be between 0 and 1, got {s}")));
    }
    let rollout_plan = model
        .rollout
        .as_ref()
        .and_then(|r| r.plan.as_ref())
        .map(|p| PathBuf::from(resolve(&p.to_string_lossy())));

    let mut targets: BTreeMap<Kpi, f64> = kpi::ALL
        .iter()
        .filter_map(|k| k.default_target().map(|t| (*k, t)))
        .collect();
    for (key, value) in model.targets.unwrap_or_default() {
        let k = Kpi::from_key(&key).ok_or_else(|| {
            here(format!(
                "unknown target `{key}` in [targets] (known KPIs: {})",
                kpi::ALL.iter().map(|k| k.key()).collect::<Vec<_>>().join(", ")
            ))
        })?;
        if !value.is_finite() {
            return Err(here(format!("targets.{key} must be a number")));
        }
        targets.insert(k, value);
    }

    let c = model.costs.unwrap_or(CostsModel {
        currency: None,
        origin_call_cost: None,
        redis_monthly_cost: None,
        implementation_cost: None,
        hourly_value_of_user_time: None,
    });
    let costs = Costs {
        currency: c.currency.unwrap_or_else(|| "USD".into()),
        origin_call_cost: c.origin_call_cost.unwrap_or(0.0004),
        redis_monthly_cost: c.redis_monthly_cost.unwrap_or(1500.0),
        implementation_cost: c.implementation_cost.unwrap_or(60000.0),
        hourly_value_of_user_time: c.hourly_value_of_user_time.unwrap_or(75.0),
    };
    for (key, v) in [
        ("origin_call_cost", costs.origin_call_cost),
        ("redis_monthly_cost", costs.redis_monthly_cost),
        ("implementation_cost", costs.implementation_cost),
        ("hourly_value_of_user_time", costs.hourly_value_of_user_time),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(here(format!("costs.{key} must be a number ≥ 0, got {v}")));
        }
    }

    let d = RoiSettings::default();
    let roi = match &model.roi {
        Some(r) => RoiSettings {
            low_origin_call_cost_factor: r.low_origin_call_cost_factor.unwrap_or(d.low_origin_call_cost_factor),
            high_origin_call_cost_factor: r.high_origin_call_cost_factor.unwrap_or(d.high_origin_call_cost_factor),
            sensitivity_swing: r.sensitivity_swing.unwrap_or(d.sensitivity_swing),
            npv_horizon_years: r.npv_horizon_years.unwrap_or(d.npv_horizon_years),
            discount_rate: r.discount_rate.unwrap_or(d.discount_rate),
        },
        None => d,
    };
    for (key, v) in [
        ("low_origin_call_cost_factor", roi.low_origin_call_cost_factor),
        ("high_origin_call_cost_factor", roi.high_origin_call_cost_factor),
        ("sensitivity_swing", roi.sensitivity_swing),
        ("discount_rate", roi.discount_rate),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(here(format!("roi.{key} must be a number ≥ 0, got {v}")));
        }
    }
    if roi.npv_horizon_years == 0 || roi.npv_horizon_years > 50 {
        return Err(here(format!(
            "roi.npv_horizon_years must be 1 to 50, got {}",
            roi.npv_horizon_years
        )));
    }

    if let Some(email) = &model.email
        && let Some(tls) = email.tls.as_deref()
        && !matches!(tls, "none" | "starttls" | "tls")
    {
        return Err(here(format!("email.tls must be none, starttls or tls, got `{tls}`")));
    }

    let output_dir = clean(&dir.join(model.output_dir.unwrap_or_else(|| PathBuf::from("reports"))));

    Ok(Settings {
        path: path.to_path_buf(),
        hash: short_hash(text.as_bytes()),
        timezone,
        as_of,
        output_dir,
        templates_dir: model.templates_dir.map(|p| clean(&dir.join(p))),
        sources,
        redis_ca_file: model
            .redis
            .as_ref()
            .and_then(|r| r.ca_file.as_ref())
            .map(|p| clean(&dir.join(p))),
        redis_urls: model.redis.unwrap_or_default().urls,
        baseline,
        rollout_start,
        rollout_plan,
        planned_share,
        targets,
        costs,
        roi,
        email: model.email,
    })
}

/// The 1-based line of a TOML error. serde reports an unknown field with the
/// span of its whole table, so the key itself is looked up from there.
fn error_line(text: &str, start: usize, message: &str) -> usize {
    let line_of = |offset: usize| text[..offset].matches('\n').count() + 1;
    let unknown = message
        .strip_prefix("unknown field `")
        .and_then(|m| m.split('`').next());
    if let Some(key) = unknown {
        let mut offset = start;
        for line in text[start..].split_inclusive('\n') {
            let t = line.trim_start();
            if t.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
            {
                return line_of(offset);
            }
            offset += line.len();
        }
    }
    line_of(start)
}

/// Resolve `.` and `..` lexically, so paths read well in reports.
fn clean(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn parse_as_of(s: &str, tz: Tz) -> Option<DateTime<Utc>> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(local_midnight(d, tz));
    }
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

fn short_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[sources]
requests = "data/requests/*.csv"
feedback = "data/feedback.csv"
redis_snapshots = "data/redis.ndjson"
[baseline]
from = "2026-09-07"
to = "2026-10-05"
"#;

    fn parse_str(text: &str) -> Result<Settings> {
        parse(Path::new("/etc/cacheroi/cacheroi.toml"), text)
    }

    #[test]
    fn paths_are_relative_to_the_config_folder() {
        let s = parse_str(MINIMAL).unwrap();
        assert_eq!(s.sources.requests, "/etc/cacheroi/data/requests/*.csv");
        assert_eq!(s.output_dir, PathBuf::from("/etc/cacheroi/reports"));
        let s = parse_str(&format!("output_dir = \"../out\"\n{MINIMAL}")).unwrap();
        assert_eq!(s.output_dir, PathBuf::from("/etc/out"));
        assert!(s.sources.customers.is_none());
    }

    #[test]
    fn defaults_fill_targets_and_costs() {
        let s = parse_str(MINIMAL).unwrap();
        assert_eq!(s.targets[&Kpi::ApiCallReduction], 0.70);
        assert_eq!(s.targets[&Kpi::ErrorRate], 0.001);
        assert_eq!(s.targets[&Kpi::P99LatencyMs], 100.0);
        assert_eq!(s.targets.len(), 9);
        assert_eq!(s.costs.origin_call_cost, 0.0004);
        assert_eq!(s.costs.redis_monthly_cost, 1500.0);
        assert_eq!(s.timezone, chrono_tz::UTC);
    }

    #[test]
    fn targets_override_defaults() {
        let s = parse_str(&format!("{MINIMAL}\n[targets]\napi_call_reduction = 0.5\n")).unwrap();
        assert_eq!(s.targets[&Kpi::ApiCallReduction], 0.5);
    }

    #[test]
    fn unknown_key_is_named() {
        let err = parse_str(&format!("colour = \"red\"\n{MINIMAL}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
        assert!(err.starts_with("/etc/cacheroi/cacheroi.toml: line 1"), "{err}");
        assert!(!err.contains('\n'), "one line: {err}");
        let err = parse_str(&format!("{MINIMAL}\n[targets]\nhit_rate = 0.9\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown target `hit_rate`"), "{err}");
        let err = parse_str(&format!("{MINIMAL}\n[costs]\norigin_cost = 1\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("origin_cost"), "{err}");
    }

    #[test]
    fn bad_time_zone_is_one_line() {
        let err = parse_str(&format!("timezone = \"Mars/Olympus\"\n{MINIMAL}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("timezone `Mars/Olympus`"), "{err}");
    }

    #[test]
    fn baseline_must_end_after_it_starts() {
        let text = MINIMAL.replace("to = \"2026-10-05\"", "to = \"2026-09-01\"");
        let err = parse_str(&text).unwrap_err().to_string();
        assert!(
            err.contains("baseline.to (2026-09-01) must be after baseline.from (2026-09-07)"),
            "{err}"
        );
    }

    #[test]
    fn missing_sources_are_named() {
        let text = MINIMAL.replace("feedback = \"data/feedback.csv\"\n", "");
        let err = parse_str(&text).unwrap_err().to_string();
        assert!(err.contains("missing sources.feedback"), "{err}");
        let err = parse_str("timezone = \"UTC\"\n").unwrap_err().to_string();
        assert!(err.contains("missing [sources]"), "{err}");
    }

    #[test]
    fn as_of_pins_now_in_the_report_zone() {
        let s = parse_str(&format!(
            "timezone = \"America/New_York\"\nas_of = \"2026-11-23\"\n{MINIMAL}"
        ))
        .unwrap();
        // Midnight in New York on 2026-11-23 (EST, UTC−5) is 05:00 UTC.
        assert_eq!(s.now().to_rfc3339(), "2026-11-23T05:00:00+00:00");
    }

    #[test]
    fn baseline_defaults_to_four_weeks_before_rollout() {
        let text = MINIMAL.replace(
            "[baseline]\nfrom = \"2026-09-07\"\nto = \"2026-10-05\"\n",
            "[rollout]\nstart = \"2026-10-05\"\n",
        );
        let s = parse_str(&text).unwrap();
        assert_eq!(s.baseline.from, NaiveDate::from_ymd_opt(2026, 9, 7).unwrap());
        assert_eq!(s.baseline.to, NaiveDate::from_ymd_opt(2026, 10, 5).unwrap());
    }
}
