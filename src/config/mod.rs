//! Configuration (docs/configuration.md): the TOML file model with unknown keys
//! rejected, then validated into [`Settings`] with paths resolved against the
//! config file's folder and every default filled in.
//!
//! One file per section (the model and its validation): `sources` (with
//! `[redis]`), `rollout` (with `[baseline]`), `money` (`[targets]`,
//! `[costs]`, `[roi]`), `delivery` (`[email]`, `[slack]`), `limits`; the
//! shared checks in `errors`. A new section is a new file, a field of
//! [`FileModel`] and one line of [`parse`].

mod delivery;
mod errors;
mod limits;
mod money;
mod rollout;
mod sources;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

pub use self::delivery::{Email, Slack};
use self::errors::{Errors, MAX_TEXT};
pub use self::rollout::DateWindow;
pub use self::sources::Sources;
pub use crate::deliver::mail::{EmailSettings, TlsMode};
use crate::ground::kpi;
pub use crate::ground::money::{Costs, RoiSettings};
use crate::period::{FIRST_YEAR, LAST_YEAR, local_midnight, sane_date};

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
    sources: Option<sources::SourcesModel>,
    redis: Option<sources::RedisModel>,
    baseline: Option<rollout::BaselineModel>,
    rollout: Option<rollout::RolloutModel>,
    targets: Option<BTreeMap<String, Sp<f64>>>,
    costs: Option<money::CostsModel>,
    roi: Option<money::RoiModel>,
    email: Option<delivery::EmailModel>,
    slack: Option<delivery::SlackModel>,
    limits: Option<limits::LimitsModel>,
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

/// The settings of `--config`, else of `./cacheroi.toml`; None without
/// either (never the bundled sample's: for commands that work without one).
pub fn explicit_or_local(explicit: Option<&Path>) -> Result<Option<Settings>> {
    match explicit {
        Some(p) => load(p).map(Some),
        None if Path::new(LOCAL_CONFIG).is_file() => load(Path::new(LOCAL_CONFIG)).map(Some),
        None => Ok(None),
    }
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

/// The folder a config file lives in, against which its relative paths
/// resolve.
struct Here<'a> {
    dir: PathBuf,
    err: &'a Errors<'a>,
}

impl Here<'_> {
    /// A path, glob or URL-like text of the config, resolved when relative.
    fn resolve(&self, p: &str) -> String {
        if Path::new(p).is_absolute() {
            p.to_string()
        } else {
            clean(&self.dir.join(p)).to_string_lossy().into_owned()
        }
    }

    /// A path key of the config, resolved.
    fn path(&self, v: &Sp<PathBuf>, key: &str) -> Result<PathBuf> {
        let p = v.get_ref();
        if p.as_os_str().len() > MAX_TEXT {
            return Err(self.err.at(v, key, format!("is longer than {MAX_TEXT} characters")));
        }
        Ok(clean(&self.dir.join(p)))
    }

    /// An optional path key, resolved.
    fn optional_path(&self, v: &Option<Sp<PathBuf>>, key: &str) -> Result<Option<PathBuf>> {
        v.as_ref().map(|p| self.path(p, key)).transpose()
    }
}

/// Parse and validate config text; `path` names it in errors and anchors
/// relative paths. Each section is read by its own module.
pub fn parse(path: &Path, text: &str) -> Result<Settings> {
    let err = Errors { path, text };
    let model: FileModel = toml::from_str(text).map_err(|e| {
        let start = e.span().map_or(0, |s| s.start.min(text.len()));
        let line = error_line(text, start, e.message());
        anyhow!(
            "{}: line {line}: {}",
            path.display(),
            crate::error::clip(&e.message().replace('\n', " "), 300)
        )
    })?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let here = Here {
        dir: std::fs::canonicalize(&dir).unwrap_or(dir),
        err: &err,
    };
    let timezone = timezone_of(&err, &model.timezone)?;
    let as_of = as_of_of(&err, &model.as_of, timezone)?;
    let sources = sources::sources_of(&err, &here, model.sources)?;
    let rollout = rollout::rollout_of(
        &err,
        &here,
        model.rollout.unwrap_or_default(),
        model.baseline.as_ref(),
        timezone,
    )?;
    let targets =
        kpi::Targets::from(money::targets_of(&err, model.targets.unwrap_or_default())?).without(&sources.missing());
    let redis = model.redis.unwrap_or_default();
    Ok(Settings {
        path: path.to_path_buf(),
        hash: short_hash(text.as_bytes()),
        timezone,
        as_of,
        output_dir: match &model.output_dir {
            Some(p) => here.path(p, "output_dir")?,
            None => clean(&here.dir.join("reports")),
        },
        templates_dir: here.optional_path(&model.templates_dir, "templates_dir")?,
        redis_ca_file: here.optional_path(&redis.ca_file, "redis.ca_file")?,
        redis_urls: sources::redis_urls(&err, &redis)?,
        sources,
        baseline: rollout.baseline,
        rollout_start: rollout.start,
        rollout_plan: rollout.plan,
        risks: rollout.risks,
        planned_share: rollout.planned_share,
        reading: rollout.reading,
        targets,
        costs: money::costs_of(&err, model.costs.unwrap_or_default())?,
        roi: money::roi_of(&err, model.roi.unwrap_or_default())?,
        email: model
            .email
            .as_ref()
            .map(|m| delivery::email(&err, m, &here))
            .transpose()?,
        slack: model.slack.as_ref().map(|m| delivery::slack(&err, m)).transpose()?,
        limits: limits::limits_of(&err, model.limits.unwrap_or_default())?,
    })
}

/// `as_of`: a date or an RFC 3339 time, within the years the tool accepts.
fn as_of_of(err: &Errors, v: &Option<Sp<String>>, timezone: Tz) -> Result<Option<DateTime<Utc>>> {
    let Some(v) = v else { return Ok(None) };
    parse_as_of(v.get_ref(), timezone)
        .filter(|t| sane_date(t.date_naive()))
        .map(Some)
        .ok_or_else(|| {
            err.at(
                v,
                "as_of",
                format!(
                    "`{}` is neither a date (2026-11-23) nor an RFC 3339 time in {FIRST_YEAR}–{LAST_YEAR}",
                    crate::error::clip(v.get_ref(), 60)
                ),
            )
        })
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
mod tests;
