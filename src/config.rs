//! Configuration (docs/configuration.md): the TOML file model with unknown keys
//! rejected, then validated into [`Settings`] with paths resolved against the
//! config file's folder and every default filled in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

pub use crate::deliver::mail::{EmailSettings, TlsMode};
use crate::ground::kpi::{self, Kpi};
pub use crate::ground::money::{Costs, RoiSettings};
use crate::period::{FIRST_YEAR, LAST_YEAR, local_midnight, sane_date};
use crate::report::kind::ReportKind;

/// Name of the config file looked for in the working directory.
pub const LOCAL_CONFIG: &str = "cacheroi.toml";
/// The sample configuration shipped with the sources, used when neither
/// `--config` nor `./cacheroi.toml` exists, so that a first run works.
pub const BUNDLED_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/cacheroi.toml");

type Sp<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileModel {
    timezone: Option<Sp<String>>,
    as_of: Option<Sp<String>>,
    output_dir: Option<Sp<PathBuf>>,
    templates_dir: Option<Sp<PathBuf>>,
    sources: Option<SourcesModel>,
    redis: Option<RedisModel>,
    baseline: Option<BaselineModel>,
    rollout: Option<RolloutModel>,
    targets: Option<BTreeMap<String, Sp<f64>>>,
    costs: Option<CostsModel>,
    roi: Option<RoiModel>,
    email: Option<EmailModel>,
    slack: Option<SlackModel>,
    limits: Option<LimitsModel>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlackModel {
    webhook_env: Option<Sp<String>>,
    report_url: Option<Sp<String>>,
}

/// `[slack]`: where `cacheroi notify` posts.
#[derive(Debug, Clone, PartialEq)]
pub struct Slack {
    /// The environment variable holding the incoming-webhook URL (a secret:
    /// never printed).
    pub webhook_env: String,
    /// Where the reports are published, for the digest's link (optional).
    pub report_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsModel {
    max_expansion: Option<Sp<i64>>,
    max_decompressed_mib: Option<Sp<i64>>,
    max_line_kib: Option<Sp<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoiModel {
    low_origin_call_cost_factor: Option<Sp<f64>>,
    high_origin_call_cost_factor: Option<Sp<f64>>,
    sensitivity_swing: Option<Sp<f64>>,
    npv_horizon_years: Option<Sp<i64>>,
    discount_rate: Option<Sp<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesModel {
    requests: Option<Sp<String>>,
    feedback: Option<Sp<String>>,
    customers: Option<Sp<String>>,
    redis_snapshots: Option<Sp<String>>,
    rollups: Option<Sp<String>>,
    requests_mapping: Option<Sp<crate::sources::mapping::MappingModel>>,
    feedback_mapping: Option<Sp<crate::sources::mapping::FeedbackModel>>,
    prometheus: Option<Sp<crate::sources::prometheus::PrometheusModel>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedisModel {
    #[serde(default)]
    urls: Vec<Sp<String>>,
    /// PEM file of the CA to trust for rediss:// (self-signed servers).
    ca_file: Option<Sp<PathBuf>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineModel {
    from: Sp<NaiveDate>,
    to: Sp<NaiveDate>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RolloutModel {
    start: Option<Sp<NaiveDate>>,
    plan: Option<Sp<PathBuf>>,
    planned_share: Option<Sp<f64>>,
    risks: Option<Sp<PathBuf>>,
    decide_on: Option<Sp<String>>,
    evidence_alpha: Option<Sp<f64>>,
    sequential_tuning: Option<Sp<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CostsModel {
    currency: Option<Sp<String>>,
    origin_call_cost: Option<Sp<f64>>,
    redis_monthly_cost: Option<Sp<f64>>,
    implementation_cost: Option<Sp<f64>>,
    hourly_value_of_user_time: Option<Sp<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailModel {
    smtp_host: Option<Sp<String>>,
    smtp_port: Option<Sp<i64>>,
    tls: Option<Sp<String>>,
    username: Option<Sp<String>>,
    password_env: Option<Sp<String>>,
    from: Option<Sp<String>>,
    #[serde(default)]
    to: Vec<Sp<String>>,
    #[serde(default)]
    weekly_to: Vec<Sp<String>>,
    #[serde(default)]
    impact_to: Vec<Sp<String>>,
    #[serde(default)]
    roi_to: Vec<Sp<String>>,
    #[serde(default)]
    executive_to: Vec<Sp<String>>,
    #[serde(default)]
    technical_to: Vec<Sp<String>>,
    #[serde(default)]
    support_to: Vec<Sp<String>>,
    #[serde(default)]
    escalation_to: Vec<Sp<String>>,
    #[serde(default)]
    escalation_levels: BTreeMap<String, Vec<Sp<String>>>,
    ca_file: Option<Sp<PathBuf>>,
    timeout_secs: Option<Sp<i64>>,
    tries: Option<Sp<i64>>,
}

/// Where each input lives; globs are kept as patterns, resolved at read time.
/// Requests and feedback are needed by the reports only (`snapshot` reads
/// none of them): their accessors name the missing key.
#[derive(Debug, Clone)]
pub struct Sources {
    requests: Option<String>,
    feedback: Option<String>,
    pub customers: Option<String>,
    /// The Redis snapshot store (None: the reports have no Redis figures).
    pub redis_snapshots: Option<String>,
    /// The rollup dataset: one an engine made (read only), or where
    /// cacheroi keeps its own (default `<output_dir>/rollups`).
    pub rollups: Option<String>,
    /// `[sources.requests_mapping]`: the request log's own columns and words.
    pub mapping: Option<crate::sources::mapping::Mapping>,
    /// `[sources.feedback_mapping]`: the feedback file's own column names.
    pub feedback_mapping: Option<crate::sources::mapping::Renames>,
    /// `[sources.prometheus]`: the Redis figures from redis_exporter's
    /// series (instead of the snapshot store; never both).
    pub prometheus: Option<crate::sources::prometheus::Prometheus>,
    /// The config file, for errors.
    config: PathBuf,
}

impl Sources {
    fn need<'a>(&self, v: &'a Option<String>, key: &str) -> Result<&'a str> {
        v.as_deref()
            .ok_or_else(|| anyhow!("{}: missing sources.{key}", self.config.display()))
    }

    /// The request-log path or glob.
    pub fn requests(&self) -> Result<&str> {
        self.need(&self.requests, "requests")
    }

    /// The feedback path or glob, if configured (without it the feedback
    /// KPIs are not measured).
    pub fn feedback(&self) -> Option<&str> {
        self.feedback.as_deref()
    }

    /// The snapshot store, which `cacheroi snapshot` needs.
    pub fn redis_store(&self) -> Result<&str> {
        self.need(&self.redis_snapshots, "redis_snapshots")
    }

    /// The optional sources not configured, each with the KPIs it measures.
    pub fn missing(&self) -> Vec<crate::ground::kpi::MissingSource> {
        use crate::ground::kpi::MissingSource;
        let mut out = Vec::new();
        if self.feedback.is_none() {
            out.push(MissingSource::Feedback);
        }
        if self.redis_snapshots.is_none() && self.prometheus.is_none() {
            out.push(MissingSource::Redis);
        }
        out
    }
}

/// A `[from, to)` window of local dates and the instants they map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateWindow {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// `[email]`, validated: defaults applied, addresses checked. The password
/// itself is read from `password_env` only when a message is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub from: Option<String>,
    pub to: Vec<String>,
    /// Recipients per report kind (default: `to`): executives get the weekly
    /// summary, finance the ROI report.
    pub weekly_to: Vec<String>,
    pub impact_to: Vec<String>,
    pub roi_to: Vec<String>,
    /// Recipients of each audience's brief (default: `to`).
    pub executive_to: Vec<String>,
    pub technical_to: Vec<String>,
    pub support_to: Vec<String>,
    /// Who gets the week's mail, its subject prefixed `ROLLBACK:` or `RISK
    /// TRIGGERED:`, when the gate says roll back or a risk triggers.
    pub escalation_to: Vec<String>,
    /// Addresses per level of the risk register's escalation path: a risk
    /// that triggers also reaches its level's addresses.
    pub escalation_levels: Vec<(String, Vec<String>)>,
    /// CA certificates (PEM) to trust for the SMTP server instead of the public roots.
    pub ca_file: Option<PathBuf>,
    /// Time per SMTP attempt and attempts.
    pub timeout: std::time::Duration,
    pub tries: u32,
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
    /// The baseline window; reports need it ([`Settings::baseline`]).
    baseline: Option<DateWindow>,
    pub rollout_start: Option<NaiveDate>,
    pub rollout_plan: Option<PathBuf>,
    /// The risk register (`[rollout] risks`), beside the plan.
    pub risks: Option<PathBuf>,
    pub planned_share: Option<f64>,
    /// `[rollout] decide_on` with its error level and tuning.
    pub reading: crate::evaluate::week::Reading,
    /// Target per KPI: the defaults of docs/configuration.md#targets with `[targets]`
    /// applied; the KPIs of sources not configured are unmeasured.
    pub targets: crate::ground::kpi::Targets,
    pub costs: Costs,
    pub roi: RoiSettings,
    pub email: Option<Email>,
    pub slack: Option<Slack>,
    /// What one input file may cost (`[limits]`).
    pub limits: crate::formats::Limits,
}

impl Settings {
    /// "Now" as the commands see it: `as_of` if set, else the clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.as_of.unwrap_or_else(Utc::now)
    }

    /// The baseline window: `[baseline]`, else the 4 weeks before `[rollout] start`.
    pub fn baseline(&self) -> Result<DateWindow> {
        self.baseline.ok_or_else(|| {
            anyhow!(
                "{}: no baseline window: set [baseline] from/to, or [rollout] start (baseline = the 4 weeks before it)",
                self.path.display()
            )
        })
    }

    /// The SMTP server and sender of `[email]`; a missing key or password
    /// is a one-line error. A dry run (`need_server` false) needs only `from`.
    pub fn smtp(&self, need_server: bool) -> Result<EmailSettings> {
        let cfg = self.path.display();
        let m: &Email = self.email.as_ref().ok_or_else(|| match need_server {
            true => anyhow!("{cfg}: sending needs an `[email]` section (smtp_host, from, to)"),
            false => anyhow!("{cfg}: a dry run needs an `[email]` section with `from` (and `to`, or --to)"),
        })?;
        let host = match (&m.smtp_host, need_server) {
            (Some(h), _) => h.clone(),
            (None, false) => String::new(),
            (None, true) => bail!("{cfg}: `[email] smtp_host` is not set"),
        };
        let from = m
            .from
            .clone()
            .ok_or_else(|| anyhow!("{cfg}: `[email] from` is not set"))?;
        let password = match &m.password_env {
            Some(_) if !need_server => None,
            Some(var) => Some(std::env::var(var).map_err(|_| {
                anyhow!("{cfg}: `[email] password_env` names {var}, which is not set in the environment")
            })?),
            None => None,
        };
        Ok(EmailSettings {
            host,
            port: m.smtp_port,
            tls: m.tls,
            username: m.username.clone(),
            password,
            from,
            ca_file: m.ca_file.clone(),
            timeout: m.timeout,
            tries: m.tries,
        })
    }

    /// Recipients of a report kind: its own list (`weekly_to`, …), else
    /// `to`; none without `[email]`.
    pub fn recipients(&self, kind: ReportKind) -> Vec<String> {
        let Some(m) = &self.email else { return Vec::new() };
        let own = match kind {
            ReportKind::Weekly => &m.weekly_to,
            ReportKind::Impact => &m.impact_to,
            ReportKind::Roi => &m.roi_to,
            ReportKind::BriefExecutive => &m.executive_to,
            ReportKind::BriefTechnical => &m.technical_to,
            ReportKind::BriefSupport => &m.support_to,
            // Never the general list: each goes to its own contact.
            ReportKind::Customer => return Vec::new(),
        };
        if own.is_empty() { m.to.clone() } else { own.clone() }
    }

    /// Who an escalation of the week reaches: `escalation_to`, then the
    /// addresses of each of `levels` (the triggered risks' levels), each
    /// once. A level the config does not name adds nobody.
    pub fn escalation_recipients(&self, levels: &[String]) -> Vec<String> {
        let Some(m) = &self.email else { return Vec::new() };
        let mut to = m.escalation_to.clone();
        for level in levels {
            for (name, addresses) in &m.escalation_levels {
                if name.trim().eq_ignore_ascii_case(level.trim()) {
                    to.extend(addresses.iter().cloned());
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        to.retain(|a| seen.insert(a.to_ascii_lowercase()));
        to
    }

    /// The baseline window as local epoch days `[from, to)`, the grain of the
    /// rollups.
    pub fn baseline_days(&self) -> Result<(i32, i32)> {
        let b = self.baseline()?;
        Ok((
            crate::rollups::build::epoch_day(b.from),
            crate::rollups::build::epoch_day(b.to),
        ))
    }

    /// The part of the configuration the gate needs.
    pub fn gate_rules(&self) -> Result<crate::evaluate::week::Rules<'_>> {
        Ok(crate::evaluate::week::Rules {
            config: self.path.display().to_string(),
            plan: self
                .rollout_plan
                .as_deref()
                .map_or_else(|| "plan".to_string(), |p| p.display().to_string()),
            rollout_start: self.rollout_start,
            baseline_days: self.baseline_days()?,
            timezone: self.timezone,
            costs: &self.costs,
            targets: &self.targets,
            planned_share: self.planned_share,
            reading: self.reading,
        })
    }

    /// The part of the configuration the report stage needs.
    pub fn report_context(&self) -> crate::report::Context {
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let base_dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        let base = base_dir.display().to_string();
        let shown = |p: &str| crate::quality::relative(p, &base);
        crate::report::Context {
            config: self.path.display().to_string(),
            base_dir: base.clone(),
            config_hash: self.hash.clone(),
            timezone: self.timezone,
            costs: self.costs.clone(),
            targets: self.targets.clone(),
            rollout_start: self.rollout_start,
            baseline: self.baseline.map(|b| (b.from, b.to)),
            inputs: crate::report::InputNames {
                requests: shown(self.sources.requests.as_deref().unwrap_or_default()),
                feedback: shown(self.sources.feedback.as_deref().unwrap_or_default()),
                customers: self.sources.customers.as_deref().map(shown),
                redis_snapshots: match (&self.sources.redis_snapshots, &self.sources.prometheus) {
                    (Some(s), _) => shown(s),
                    (None, Some(p)) => format!("Prometheus {}", p.shown),
                    _ => String::new(),
                },
            },
            missing: self.sources.missing(),
            score_scale: self
                .sources
                .feedback_mapping
                .as_ref()
                .map(|m| m.scale)
                .unwrap_or_default(),
        }
    }

    /// Check what every report needs (the request and feedback sources and
    /// the baseline), so that a report fails before it reads anything.
    pub fn for_reports(self) -> Result<Self> {
        if self.sources.rollups.is_none() {
            self.sources.requests()?;
        }
        self.baseline()?;
        Ok(self)
    }

    /// Where the rollups live: `[sources] rollups`, else `<output_dir>/rollups`.
    pub fn rollups_dir(&self) -> PathBuf {
        self.sources
            .rollups
            .as_ref()
            .map_or_else(|| self.output_dir.join("rollups"), PathBuf::from)
    }
}

/// The largest config file read (a config is a few kB; `/dev/zero` is not one).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

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

/// Read, parse and validate a config file (at most [`MAX_CONFIG_BYTES`]).
pub fn load(path: &Path) -> Result<Settings> {
    use std::io::Read;
    let cannot = |e: &dyn std::fmt::Display| anyhow!("{}: cannot read config: {e}", path.display());
    let meta = std::fs::metadata(path).map_err(|e| cannot(&e))?;
    if meta.is_dir() {
        bail!("{}: cannot read config: it is a folder", path.display());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(|e| cannot(&e))?
        .take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cannot(&e))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        bail!(
            "{}: cannot read config: larger than {} KiB (is it a config file?)",
            path.display(),
            MAX_CONFIG_BYTES / 1024
        );
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow!(
            "{}: cannot read config: not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    parse(path, &text)
}

/// Errors of one config file, each naming the file and the line of the key.
struct Errors<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Errors<'_> {
    fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.text.as_bytes()[..offset].iter().filter(|b| **b == b'\n').count() + 1
    }

    /// `<file>: line N: <key> <message>`.
    fn at<T>(&self, v: &Sp<T>, key: &str, msg: impl std::fmt::Display) -> anyhow::Error {
        anyhow!(
            "{}: line {}: {key} {msg}",
            self.path.display(),
            self.line(v.span().start)
        )
    }

    /// A number within `[lo, hi]`.
    fn number(&self, v: &Option<Sp<f64>>, key: &str, default: f64, lo: f64, hi: f64) -> Result<f64> {
        let Some(v) = v else { return Ok(default) };
        let x = *v.get_ref();
        if !(x.is_finite() && x >= lo && x <= hi) {
            return Err(self.at(v, key, format!("must be a number from {lo} to {hi}, got {x}")));
        }
        Ok(x)
    }

    /// An integer within `[lo, hi]`.
    fn integer(&self, v: &Option<Sp<i64>>, key: &str, default: i64, lo: i64, hi: i64) -> Result<i64> {
        let Some(v) = v else { return Ok(default) };
        let x = *v.get_ref();
        if !(lo..=hi).contains(&x) {
            return Err(self.at(v, key, format!("must be a whole number from {lo} to {hi}, got {x}")));
        }
        Ok(x)
    }

    /// Text of at most `max` characters.
    fn text(&self, v: &Sp<String>, key: &str, max: usize) -> Result<String> {
        let t = v.get_ref();
        if t.chars().count() > max {
            return Err(self.at(v, key, format!("is longer than {max} characters")));
        }
        Ok(t.clone())
    }

    /// A date within the years the tool accepts.
    fn date(&self, v: &Sp<NaiveDate>, key: &str) -> Result<NaiveDate> {
        let d = *v.get_ref();
        if !sane_date(d) {
            return Err(self.at(v, key, format!("{d} is outside {FIRST_YEAR}–{LAST_YEAR}")));
        }
        Ok(d)
    }
}

/// The longest path, glob or name accepted in a config (characters).
const MAX_TEXT: usize = 4096;

/// Parse and validate config text; `path` names it in errors and anchors
/// relative paths.
pub fn parse(path: &Path, text: &str) -> Result<Settings> {
    let here = |msg: String| anyhow!("{}: {msg}", path.display());
    let err = Errors { path, text };
    let model: FileModel = toml::from_str(text).map_err(|e| {
        let start = e.span().map_or(0, |s| s.start.min(text.len()));
        let line = error_line(text, start, e.message());
        here(format!(
            "line {line}: {}",
            crate::error::clip(&e.message().replace('\n', " "), 300)
        ))
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
    let path_of = |v: &Sp<PathBuf>, key: &str| -> Result<PathBuf> {
        let p = v.get_ref();
        if p.as_os_str().len() > MAX_TEXT {
            return Err(err.at(v, key, format!("is longer than {MAX_TEXT} characters")));
        }
        Ok(clean(&dir.join(p)))
    };

    let timezone = timezone_of(&err, &model.timezone)?;

    let as_of = match &model.as_of {
        None => None,
        Some(v) => Some(
            parse_as_of(v.get_ref(), timezone)
                .filter(|t| sane_date(t.date_naive()))
                .ok_or_else(|| {
                    err.at(
                        v,
                        "as_of",
                        format!(
                            "`{}` is neither a date (2026-11-23) nor an RFC 3339 time in {FIRST_YEAR}–{LAST_YEAR}",
                            crate::error::clip(v.get_ref(), 60)
                        ),
                    )
                })?,
        ),
    };

    let src = model.sources.ok_or_else(|| {
        here("missing [sources] section (requests; optionally feedback, customers, redis_snapshots)".into())
    })?;
    let optional = |v: &Option<Sp<String>>, key: &str| -> Result<Option<String>> {
        match v {
            Some(v) if !v.get_ref().trim().is_empty() => Ok(Some(resolve(&err.text(v, key, MAX_TEXT)?))),
            _ => Ok(None),
        }
    };
    let sources = Sources {
        requests: optional(&src.requests, "sources.requests")?,
        feedback: optional(&src.feedback, "sources.feedback")?,
        redis_snapshots: optional(&src.redis_snapshots, "sources.redis_snapshots")?,
        customers: optional(&src.customers, "sources.customers")?,
        rollups: optional(&src.rollups, "sources.rollups")?,
        mapping: src
            .requests_mapping
            .as_ref()
            .map(|m| {
                crate::sources::mapping::Mapping::new(m.get_ref()).map_err(|e| err.at(m, "sources.requests_mapping", e))
            })
            .transpose()?,
        feedback_mapping: src
            .feedback_mapping
            .as_ref()
            .map(|m| {
                crate::sources::mapping::Renames::new(m.get_ref()).map_err(|e| err.at(m, "sources.feedback_mapping", e))
            })
            .transpose()?,
        prometheus: src
            .prometheus
            .as_ref()
            .map(|m| {
                let mut p = crate::sources::prometheus::Prometheus::new(m.get_ref())
                    .map_err(|e| err.at(m, "sources.prometheus", e))?;
                p.ca_file = p.ca_file.map(|f| PathBuf::from(resolve(&f.to_string_lossy())));
                Ok::<_, anyhow::Error>(p)
            })
            .transpose()?,
        config: path.to_path_buf(),
    };
    if let (Some(store), Some(prom)) = (&src.redis_snapshots, &src.prometheus)
        && !store.get_ref().trim().is_empty()
    {
        return Err(err.at(
            prom,
            "sources.prometheus",
            "and sources.redis_snapshots both give the Redis figures: drop one of them (sources.redis_snapshots, or the [sources.prometheus] section)",
        ));
    }

    let rollout = model.rollout.unwrap_or_default();
    let rollout_start = rollout_start_of(&err, &rollout)?;
    let baseline = baseline_of(&err, model.baseline.as_ref(), rollout_start, timezone)?;

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
    let reading = reading_of(&err, &rollout)?;
    let rollout_plan = rollout.plan.as_ref().map(|p| path_of(p, "rollout.plan")).transpose()?;
    let risks = rollout
        .risks
        .as_ref()
        .map(|p| path_of(p, "rollout.risks"))
        .transpose()?;

    let targets = crate::ground::kpi::Targets::from(targets_of(&err, model.targets.unwrap_or_default())?)
        .without(&sources.missing());

    let costs = costs_of(&err, model.costs.unwrap_or_default())?;
    let roi = roi_of(&err, model.roi.unwrap_or_default())?;

    let email = model.email.as_ref().map(|m| email(&err, m, &path_of)).transpose()?;
    let slack = match &model.slack {
        None => None,
        Some(m) => Some(Slack {
            webhook_env: match &m.webhook_env {
                Some(v) if !v.get_ref().trim().is_empty() => err.text(v, "slack.webhook_env", 200)?,
                _ => bail!(
                    "{}: `[slack] webhook_env` must name the environment variable holding the webhook URL",
                    path.display()
                ),
            },
            report_url: m
                .report_url
                .as_ref()
                .map(|v| err.text(v, "slack.report_url", MAX_TEXT))
                .transpose()?,
        }),
    };

    let limits = limits_of(&err, model.limits.unwrap_or_default())?;

    let redis = model.redis.unwrap_or_default();
    let redis_urls = redis
        .urls
        .iter()
        .map(|u| err.text(u, "redis.urls", MAX_TEXT))
        .collect::<Result<Vec<_>>>()?;

    Ok(Settings {
        path: path.to_path_buf(),
        hash: short_hash(text.as_bytes()),
        timezone,
        as_of,
        output_dir: match &model.output_dir {
            Some(p) => path_of(p, "output_dir")?,
            None => clean(&dir.join("reports")),
        },
        templates_dir: model
            .templates_dir
            .as_ref()
            .map(|p| path_of(p, "templates_dir"))
            .transpose()?,
        sources,
        redis_ca_file: redis
            .ca_file
            .as_ref()
            .map(|p| path_of(p, "redis.ca_file"))
            .transpose()?,
        redis_urls,
        baseline,
        rollout_start,
        rollout_plan,
        risks,
        planned_share,
        reading,
        targets,
        costs,
        roi,
        email,
        slack,
        limits,
    })
}

/// `[rollout] decide_on` ("plan", the default, or "evidence"), with the
/// evidence reading's `evidence_alpha` (0 < α < 0.5, default 0.05) and
/// `sequential_tuning` (at least 10 units, default 5,000).
fn reading_of(err: &Errors, rollout: &RolloutModel) -> Result<crate::evaluate::week::Reading> {
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

/// `timezone`: an IANA name (default UTC).
fn timezone_of(err: &Errors, v: &Option<Sp<String>>) -> Result<Tz> {
    let timezone: Tz = match v {
        None => chrono_tz::UTC,
        Some(v) => v.get_ref().parse().map_err(|_| {
            err.at(
                v,
                "timezone",
                format!(
                    "`{}` is not an IANA time zone name (e.g. Europe/Berlin)",
                    crate::error::clip(v.get_ref(), 60)
                ),
            )
        })?,
    };
    Ok(timezone)
}

/// `[rollout] start`: a Monday, if given.
fn rollout_start_of(err: &Errors, rollout: &RolloutModel) -> Result<Option<NaiveDate>> {
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
fn baseline_of(
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

/// `[targets]` over the KPIs' defaults.
fn targets_of(err: &Errors, given: BTreeMap<String, Sp<f64>>) -> Result<BTreeMap<Kpi, f64>> {
    let mut targets: BTreeMap<Kpi, f64> = kpi::ALL
        .iter()
        .filter_map(|k| k.default_target().map(|t| (*k, t)))
        .collect();
    for (key, value) in given {
        let k = Kpi::from_key(&key).ok_or_else(|| {
            anyhow!(
                "{}: line {}: unknown target `{}` in [targets] (known KPIs: {})",
                err.path.display(),
                err.line(value.span().start),
                crate::error::clip(&key, 60),
                kpi::ALL.iter().map(|k| k.key()).collect::<Vec<_>>().join(", ")
            )
        })?;
        let t = err.number(&Some(value), &format!("targets.{key}"), 0.0, -1e12, 1e12)?;
        targets.insert(k, t);
    }
    Ok(targets)
}

/// `[costs]`.
fn costs_of(err: &Errors, c: CostsModel) -> Result<Costs> {
    // Money stays far below what exact decimal arithmetic can hold (about
    // 7.9e28), whatever the window and horizon.
    let currency = match &c.currency {
        None => "USD".to_string(),
        Some(v) => {
            let t = err.text(v, "costs.currency", 12)?;
            if t.trim().is_empty() || t.chars().any(char::is_control) {
                return Err(err.at(v, "costs.currency", "must be a short currency code like USD or EUR"));
            }
            t
        }
    };
    let costs = Costs {
        currency,
        origin_call_cost: err.number(&c.origin_call_cost, "costs.origin_call_cost", 0.0004, 0.0, 1e6)?,
        redis_monthly_cost: err.number(&c.redis_monthly_cost, "costs.redis_monthly_cost", 1500.0, 0.0, 1e12)?,
        implementation_cost: err.number(&c.implementation_cost, "costs.implementation_cost", 60000.0, 0.0, 1e12)?,
        hourly_value_of_user_time: err.number(
            &c.hourly_value_of_user_time,
            "costs.hourly_value_of_user_time",
            75.0,
            0.0,
            1e6,
        )?,
    };
    Ok(costs)
}

/// `[roi]`.
fn roi_of(err: &Errors, r: RoiModel) -> Result<RoiSettings> {
    let d = RoiSettings::default();
    let roi = RoiSettings {
        low_origin_call_cost_factor: err.number(
            &r.low_origin_call_cost_factor,
            "roi.low_origin_call_cost_factor",
            d.low_origin_call_cost_factor,
            0.0,
            100.0,
        )?,
        high_origin_call_cost_factor: err.number(
            &r.high_origin_call_cost_factor,
            "roi.high_origin_call_cost_factor",
            d.high_origin_call_cost_factor,
            0.0,
            100.0,
        )?,
        sensitivity_swing: err.number(
            &r.sensitivity_swing,
            "roi.sensitivity_swing",
            d.sensitivity_swing,
            0.0,
            1.0,
        )?,
        npv_horizon_years: err.integer(&r.npv_horizon_years, "roi.npv_horizon_years", 3, 1, 50)? as u32,
        discount_rate: err.number(&r.discount_rate, "roi.discount_rate", d.discount_rate, 0.0, 1.0)?,
    };
    Ok(roi)
}

/// `[limits]`.
fn limits_of(err: &Errors, l: LimitsModel) -> Result<crate::formats::Limits> {
    let d = crate::formats::Limits::default();
    let limits = crate::formats::Limits {
        max_expansion: err.integer(
            &l.max_expansion,
            "limits.max_expansion",
            d.max_expansion as i64,
            1,
            100_000,
        )? as u64,
        max_decompressed_mib: err.integer(
            &l.max_decompressed_mib,
            "limits.max_decompressed_mib",
            d.max_decompressed_mib as i64,
            1,
            1 << 30,
        )? as u64,
        max_line_kib: err.integer(
            &l.max_line_kib,
            "limits.max_line_kib",
            d.max_line_kib as i64,
            1,
            1 << 20,
        )? as u64,
    };
    Ok(limits)
}

/// `[email]` validated: the TLS mode, the port, the addresses, the limits.
fn email(err: &Errors, m: &EmailModel, path_of: &dyn Fn(&Sp<PathBuf>, &str) -> Result<PathBuf>) -> Result<Email> {
    let tls = match &m.tls {
        None => TlsMode::StartTls,
        Some(v) => match v.get_ref().as_str() {
            "none" => TlsMode::None,
            "starttls" => TlsMode::StartTls,
            "tls" => TlsMode::Tls,
            other => {
                return Err(err.at(
                    v,
                    "email.tls",
                    format!("must be none, starttls or tls, got `{}`", crate::error::clip(other, 40)),
                ));
            }
        },
    };
    let default_port = match tls {
        TlsMode::None => 25,
        TlsMode::StartTls => 587,
        TlsMode::Tls => 465,
    };
    let address = |v: &Sp<String>, key: &str| -> Result<String> {
        let t = err.text(v, key, 320)?;
        t.parse::<lettre::message::Mailbox>().map_err(|e| {
            err.at(
                v,
                key,
                format!("`{}` is not an e-mail address: {e}", crate::error::clip(&t, 80)),
            )
        })?;
        Ok(t)
    };
    let list = |vs: &[Sp<String>], key: &str| vs.iter().map(|v| address(v, key)).collect::<Result<Vec<_>>>();
    let text = |v: &Option<Sp<String>>, key: &str, max: usize| v.as_ref().map(|v| err.text(v, key, max)).transpose();
    let username = text(&m.username, "email.username", 320)?;
    if let (Some(v), None) = (&m.password_env, &username) {
        return Err(err.at(v, "email.password_env", "is set but `username` is not"));
    }
    Ok(Email {
        smtp_host: text(&m.smtp_host, "email.smtp_host", 253)?.filter(|h| !h.trim().is_empty()),
        smtp_port: err.integer(&m.smtp_port, "email.smtp_port", default_port, 1, 65535)? as u16,
        tls,
        username,
        password_env: text(&m.password_env, "email.password_env", 256)?,
        from: m.from.as_ref().map(|v| address(v, "email.from")).transpose()?,
        to: list(&m.to, "email.to")?,
        weekly_to: list(&m.weekly_to, "email.weekly_to")?,
        impact_to: list(&m.impact_to, "email.impact_to")?,
        roi_to: list(&m.roi_to, "email.roi_to")?,
        executive_to: list(&m.executive_to, "email.executive_to")?,
        technical_to: list(&m.technical_to, "email.technical_to")?,
        support_to: list(&m.support_to, "email.support_to")?,
        escalation_to: list(&m.escalation_to, "email.escalation_to")?,
        escalation_levels: m
            .escalation_levels
            .iter()
            .map(|(level, to)| Ok((level.clone(), list(to, &format!("email.escalation_levels.{level}"))?)))
            .collect::<Result<Vec<_>>>()?,
        ca_file: m.ca_file.as_ref().map(|p| path_of(p, "email.ca_file")).transpose()?,
        timeout: std::time::Duration::from_secs(err.integer(&m.timeout_secs, "email.timeout_secs", 30, 1, 600)? as u64),
        tries: err.integer(&m.tries, "email.tries", 3, 1, 20)? as u32,
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
        return sane_date(d).then(|| local_midnight(d, tz));
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
        assert_eq!(s.sources.requests().unwrap(), "/etc/cacheroi/data/requests/*.csv");
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
        assert_eq!(
            err,
            "/etc/cacheroi/cacheroi.toml: line 8: baseline.to (2026-09-01) must be after baseline.from (2026-09-07)"
        );
    }

    #[test]
    fn missing_sources_are_named() {
        let text = MINIMAL.replace("feedback = \"data/feedback.csv\"\n", "");
        // A config without feedback serves the reports, which name what is
        // not measured; `snapshot` names the store it needs.
        let s = parse_str(&text).unwrap().for_reports().unwrap();
        assert_eq!(s.sources.missing(), [crate::ground::kpi::MissingSource::Feedback]);
        let text = MINIMAL.replace("redis_snapshots = \"data/redis.ndjson\"\n", "");
        let s = parse_str(&text).unwrap();
        let err = s.sources.redis_store().unwrap_err().to_string();
        assert!(err.contains("missing sources.redis_snapshots"), "{err}");
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
        assert_eq!(s.baseline().unwrap().from, NaiveDate::from_ymd_opt(2026, 9, 7).unwrap());
        assert_eq!(s.baseline().unwrap().to, NaiveDate::from_ymd_opt(2026, 10, 5).unwrap());
    }

    /// The line of the first error, parsed from `<file>: line N: …`.
    fn line_of(err: &str) -> usize {
        err.split("line ")
            .nth(1)
            .and_then(|r| r.split(':').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    #[test]
    fn out_of_range_values_name_the_key_and_its_line() {
        for (extra, key) in [
            ("[costs]\nredis_monthly_cost = 1e27\n", "costs.redis_monthly_cost"),
            ("[costs]\nimplementation_cost = 1e29\n", "costs.implementation_cost"),
            ("[costs]\norigin_call_cost = -0.1\n", "costs.origin_call_cost"),
            ("[costs]\norigin_call_cost = nan\n", "costs.origin_call_cost"),
            ("[roi]\ndiscount_rate = 3\n", "roi.discount_rate"),
            ("[roi]\nnpv_horizon_years = 500\n", "roi.npv_horizon_years"),
            ("[roi]\nsensitivity_swing = 2\n", "roi.sensitivity_swing"),
            ("[targets]\nadoption = inf\n", "targets.adoption"),
            ("[rollout]\nplanned_share = 1.5\n", "rollout.planned_share"),
            ("[rollout]\ndecide_on = \"gut\"\n", "rollout.decide_on"),
            ("[rollout]\nevidence_alpha = 0.5\n", "rollout.evidence_alpha"),
            ("[rollout]\nsequential_tuning = 2\n", "rollout.sequential_tuning"),
            ("[email]\ntls = \"startls\"\n", "email.tls"),
            ("[email]\nsmtp_port = 70000\n", "email.smtp_port"),
            ("[email]\nfrom = \"not an address\"\n", "email.from"),
            ("[email]\nto = [\"ok@example.com\", \"@@\"]\n", "email.to"),
            ("[email]\npassword_env = \"X\"\n", "email.password_env"),
        ] {
            let text = format!("{MINIMAL}{extra}");
            let err = parse_str(&text).unwrap_err().to_string();
            assert!(err.contains(key), "{key}: {err}");
            // The key is on the last line of the text.
            assert_eq!(line_of(&err), text.lines().count(), "{key}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn a_mapping_that_cannot_work_names_its_section_and_key() {
        for (extra, key) in [
            (
                "[sources.requests_mapping]\nlatency = { column = \"x\", unit = \"h\" }\n",
                "sources.requests_mapping latency: unit `h` is not ms, s or us",
            ),
            (
                "[sources.requests_mapping]\nformat = \"nginx\"\nlog_format = \"$status$request_time\"\n",
                "sources.requests_mapping log_format: `$status` and `$request_time` have no text between them",
            ),
            (
                "[sources.feedback_mapping]\nscore = { column = \"r\", format = \"%d\" }\n",
                "sources.feedback_mapping score: `format` applies to ts only",
            ),
        ] {
            let text = format!("{MINIMAL}{extra}");
            let err = parse_str(&text).unwrap_err().to_string();
            assert!(err.contains(key), "{key}: {err}");
            // The section's line (its header).
            let header = text.lines().position(|l| l.starts_with("[sources.")).unwrap() + 1;
            assert_eq!(line_of(&err), header, "{err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn the_slack_section_names_the_variable_not_the_url() {
        let s = parse_str(&format!("{MINIMAL}[slack]\nwebhook_env = \"HOOK\"\n")).unwrap();
        assert_eq!(s.slack.unwrap().webhook_env, "HOOK");
        let err = parse_str(&format!("{MINIMAL}[slack]\nreport_url = \"https://r\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`[slack] webhook_env` must name the environment variable"),
            "{err}"
        );
        // A URL pasted as a key of its own is an unknown field, not a silent secret.
        let err = parse_str(&format!("{MINIMAL}[slack]\nwebhook_url = \"https://hooks\"\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("webhook_url"), "{err}");
        assert!(!err.contains("https://hooks"), "{err}");
    }

    #[test]
    fn a_long_currency_is_refused() {
        let text = format!("{MINIMAL}[costs]\ncurrency = \"{}\"\n", "X".repeat(1 << 20));
        let err = parse_str(&text).unwrap_err().to_string();
        assert!(err.contains("costs.currency is longer than 12 characters"), "{err}");
        assert!(err.len() < 200, "{}", err.len());
    }

    #[test]
    fn dates_outside_the_sane_years_are_refused() {
        let text = MINIMAL.replace("2026-09-07", "1900-01-01");
        let err = parse_str(&text).unwrap_err().to_string();
        assert!(err.contains("baseline.from 1900-01-01 is outside 1970–2199"), "{err}");
        let text = MINIMAL.replace(
            "[baseline]\nfrom = \"2026-09-07\"\nto = \"2026-10-05\"\n",
            "[rollout]\nstart = \"1900-01-01\"\n",
        );
        let err = parse_str(&text).unwrap_err().to_string();
        assert!(err.contains("rollout.start 1900-01-01 is outside"), "{err}");
        let err = parse_str(&format!("as_of = \"9999-01-01\"\n{MINIMAL}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("as_of"), "{err}");
    }

    #[test]
    fn rollout_start_must_be_a_monday() {
        let text = MINIMAL.replace(
            "[baseline]\nfrom = \"2026-09-07\"\nto = \"2026-10-05\"\n",
            "[rollout]\nstart = \"2026-10-07\"\n",
        );
        let err = parse_str(&text).unwrap_err().to_string();
        assert!(
            err.ends_with(
                "line 7: rollout.start 2026-10-07 is a Wed: rollout week 1 starts on a Monday (e.g. 2026-10-05)"
            ),
            "{err}"
        );
    }

    #[test]
    fn snapshot_needs_only_the_store() {
        // No baseline, no requests: the hourly capture is set up before the rollout date is known.
        let s =
            parse_str("[sources]\nredis_snapshots = \"redis.ndjson\"\n[redis]\nurls = [\"redis://h:1\"]\n").unwrap();
        assert_eq!(s.sources.redis_snapshots.as_deref(), Some("/etc/cacheroi/redis.ndjson"));
        let err = s.for_reports().unwrap_err().to_string();
        assert!(err.contains("missing sources.requests"), "{err}");
        let s = parse_str("[sources]\nredis_snapshots = \"r\"\nrequests = \"q\"\nfeedback = \"f\"\n").unwrap();
        let err = s.baseline().unwrap_err().to_string();
        assert!(err.contains("no baseline window"), "{err}");
    }

    #[test]
    fn e_mail_settings_take_their_defaults() {
        let s = parse_str(&format!(
            "{MINIMAL}[email]\nsmtp_host = \"smtp.example.com\"\ntls = \"tls\"\nfrom = \"Reports <r@example.com>\"\n"
        ))
        .unwrap();
        let e = s.email.unwrap();
        assert_eq!((e.tls, e.smtp_port, e.tries), (TlsMode::Tls, 465, 3));
        assert_eq!(e.timeout, std::time::Duration::from_secs(30));
    }

    #[test]
    fn an_oversized_config_is_refused_without_reading_it_all() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.toml");
        std::fs::write(&p, vec![b'#'; (MAX_CONFIG_BYTES + 10) as usize]).unwrap();
        let err = load(&p).unwrap_err().to_string();
        assert!(err.contains("larger than 1024 KiB"), "{err}");
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("it is a folder"), "{err}");
        std::fs::write(&p, b"timezone = \"\xff\"\n").unwrap();
        let err = load(&p).unwrap_err().to_string();
        assert!(err.contains("not UTF-8"), "{err}");
    }
}
