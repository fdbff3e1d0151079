//! Command-line interface: the clap types. The `///` comments are the help text.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

use crate::period::Calendar;

/// Is the Redis cache paying off? KPIs, reports and rollout checks from request
/// logs, feedback scores and Redis INFO snapshots.
#[derive(Debug, Parser)]
#[command(name = "cacheroi", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file (default: ./cacheroi.toml, else the bundled sample
    /// configuration over sample-data/).
    #[arg(long, short = 'c', global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(long, short = 'v', action = ArgAction::Count, global = true, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Print only errors on stderr.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Weekly stakeholder summary for one ISO week: summary.html (for the
    /// inbox), summary.md, metrics.json and charts/ (PNG and SVG) under
    /// <out>/weekly/<iso-week>/.
    Weekly(WeeklyArgs),
    /// Post-launch impact report over the whole rollout: impact.html, impact.md,
    /// metrics.json and charts under <out>/impact/.
    Impact(ImpactArgs),
    /// Finance ROI over a window: roi.html, roi.md, roi.csv, roi.xlsx (live
    /// formulas) and metrics.json under <out>/roi/.
    Roi(RoiArgs),
    /// One report per customer with only that customer's numbers and
    /// feedback: <out>/customers/<id>/report.html, report.md, metrics.json.
    CustomerReport(CustomerReportArgs),
    /// A brief of the week for one audience, from the weekly report's
    /// figures: executive (verdict, money, the one risk, the brief's claims
    /// measured), technical (per endpoint, errors, Redis, rollback) or
    /// support (low scores by customer and theme, affected customers, the
    /// plan); `<out>/brief-<audience>/<week>/`.
    Brief(BriefArgs),
    /// What the tool sees in request-log files: format, columns, the
    /// cache-status words and how they count, the first rows and the totals
    /// after mapping, and the `[sources.requests_mapping]` section that reads
    /// them (the configured one with --config, else one guessed).
    Inspect(InspectArgs),
    /// Write a working, commented cacheroi.toml from the files you have: the
    /// request log read as `inspect` reads it (its mapping section), the
    /// rollout start guessed from the first week with cache hits and the
    /// four weeks before it as baseline; never replaces a file without --force.
    Init(InitArgs),
    /// Evaluate the rollout plan's phase for a week: exit 0 proceed, 3 hold
    /// (criteria not yet met), 4 rollback (a trigger fired).
    Gate(GateArgs),
    /// The week's KPIs, targets and gate verdict as Prometheus series — a
    /// textfile for node_exporter (written atomically) or a push to a
    /// Pushgateway — and the plan's rollback triggers as alerting rules.
    Export(ExportArgs),
    /// The risk register judged for a week: each risk's state, signals,
    /// trend, owner and contingency; exit 0 ok, 3 a risk on watch, 4 a risk
    /// triggered.
    Risks(RisksArgs),
    /// Post a digest to Slack (`[slack] webhook_env` names the environment
    /// variable holding the incoming-webhook URL): the weekly report's
    /// verdict, numbers and next step, or with --daily the last complete day
    /// against the day before; retried on 429 and 5xx.
    Notify(NotifyArgs),
    /// Capture INFO from each Redis instance into the snapshot store (for cron).
    Snapshot(SnapshotArgs),
    /// Roll up new and changed request-log files into the rollup store (every
    /// report does it first; run it from cron to keep reports fast).
    Rollup(RollupArgs),
    /// E-mail a rendered report over SMTP per `[email]` (rendering it first if
    /// it is not there); --dry-run writes the message to a file instead.
    Send(SendArgs),
    /// For cron: the weekly report, its rollout gate and the e-mail in one go,
    /// once per week (a rerun replaces the files and mails again only with
    /// --resend); a lock keeps two runs from overlapping.
    Run(RunArgs),
    /// Generate deterministic sample data (requests, feedback, customers, Redis
    /// snapshots, rollout plan, risk register, config) for demos and benchmarks.
    Sample(SampleArgs),
}

#[derive(Debug, Args)]
pub struct WeeklyArgs {
    /// ISO week to report, e.g. 2026-W47, or `last`: the last complete ISO week
    /// before `as_of` (or today).
    #[arg(long, default_value = "last", value_name = "WEEK")]
    pub week: String,
    /// Output folder (default: `output_dir` of the configuration).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// A report window: `impact` and `roi`.
#[derive(Debug, Args)]
pub struct WindowArgs {
    /// First day of the window (default: `[rollout] start`).
    #[arg(long, value_name = "DATE")]
    pub from: Option<chrono::NaiveDate>,
    /// Day after the window, exclusive (default: the day after the last request row).
    #[arg(long, value_name = "DATE")]
    pub to: Option<chrono::NaiveDate>,
    /// A calendar month, e.g. 2026-11, in the configuration's time zone
    /// (instead of --from/--to).
    #[arg(long, value_name = "YYYY-MM", value_parser = Calendar::month,
          conflicts_with_all = ["from", "to", "quarter", "year"])]
    pub month: Option<Calendar>,
    /// A calendar quarter, e.g. 2026-Q4 (instead of --from/--to).
    #[arg(long, value_name = "YYYY-Qn", value_parser = Calendar::quarter,
          conflicts_with_all = ["from", "to", "year"])]
    pub quarter: Option<Calendar>,
    /// A calendar year, e.g. 2026 (instead of --from/--to).
    #[arg(long, value_name = "YYYY", value_parser = Calendar::year, conflicts_with_all = ["from", "to"])]
    pub year: Option<Calendar>,
    /// Output folder (default: `output_dir` of the configuration).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

impl WindowArgs {
    /// The window's first day and exclusive end as asked (a month, quarter
    /// or year, else --from and --to; None: the default).
    pub fn dates(&self) -> (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>) {
        match self.month.or(self.quarter).or(self.year) {
            Some(c) => (Some(c.from), Some(c.to)),
            None => (self.from, self.to),
        }
    }
}

/// `roi`: a window, and the months to split it into.
#[derive(Debug, Args)]
pub struct RoiArgs {
    #[command(flatten)]
    pub window: WindowArgs,
    /// Add one column per calendar month of the window to roi.csv, roi.xlsx
    /// and the report's month table.
    #[arg(long, value_enum, value_name = "SPLIT")]
    pub by: Option<Split>,
}

/// How `roi --by` splits the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Split {
    Month,
}

/// `customer-report`: which customers, over which window.
#[derive(Debug, Args)]
pub struct CustomerReportArgs {
    /// A customer id (repeatable).
    #[arg(long, value_name = "ID")]
    pub customer: Vec<String>,
    /// Every enterprise customer (tier `enterprise` in the customers table).
    #[arg(long)]
    pub all_enterprise: bool,
    #[command(flatten)]
    pub window: WindowArgs,
}

#[derive(Debug, Args)]
pub struct BriefArgs {
    /// Who the brief is for.
    #[arg(long, value_enum)]
    pub audience: crate::report::brief::Audience,
    #[command(flatten)]
    pub week: WeeklyArgs,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Request-log files (CSV, NDJSON, Parquet, or nginx access logs, `.gz` too).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The nginx `log_format` the files were written with (as in nginx.conf),
    /// or a preset: combined, combined_cache.
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub type ImpactArgs = WindowArgs;

#[derive(Debug, Args)]
pub struct SendArgs {
    /// Which report to send.
    #[arg(long, value_enum, default_value = "weekly")]
    pub report: crate::report::kind::ReportKind,
    /// The week of a weekly report, e.g. 2026-W47, or `last`.
    #[arg(long, default_value = "last", value_name = "WEEK")]
    pub week: String,
    /// Recipient (repeatable; default: `[email] <report>_to`, else `[email] to`).
    #[arg(long = "to", value_name = "ADDR")]
    pub to: Vec<String>,
    /// Write the exact message to this .eml file instead of sending it.
    #[arg(long, value_name = "FILE.eml")]
    pub dry_run: Option<PathBuf>,
    /// Report folder root (default: `output_dir` of the configuration).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// ISO week to report and send, e.g. 2026-W47, or `last`.
    #[arg(long, default_value = "last", value_name = "WEEK")]
    pub week: String,
    /// Send even if the delivery log says this week was already sent.
    #[arg(long)]
    pub resend: bool,
    /// Write the message to this .eml file instead of sending it (no log entry).
    #[arg(long, value_name = "FILE.eml")]
    pub dry_run: Option<PathBuf>,
    /// Report folder root (default: `output_dir` of the configuration).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The request-log files: a path or glob (CSV, NDJSON, Parquet, nginx access logs).
    #[arg(long, value_name = "GLOB")]
    pub requests: String,
    /// Survey answers (optional).
    #[arg(long, value_name = "GLOB")]
    pub feedback: Option<String>,
    /// The customers CSV (optional).
    #[arg(long, value_name = "FILE")]
    pub customers: Option<PathBuf>,
    /// A Redis URL for `cacheroi snapshot` (repeatable; optional).
    #[arg(long = "redis", value_name = "URL")]
    pub redis: Vec<String>,
    /// Monday of rollout week 1 (default: guessed from the first cache hits).
    #[arg(long, value_name = "DATE")]
    pub rollout_start: Option<chrono::NaiveDate>,
    /// IANA time zone of the reports' weeks (default: UTC).
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
    /// The nginx `log_format` of the files, or a preset (combined, combined_cache).
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// The config file to write.
    #[arg(long, default_value = crate::config::LOCAL_CONFIG, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// ISO week to decide on, e.g. 2026-W46, or `last`.
    #[arg(long, default_value = "last", value_name = "WEEK")]
    pub week: String,
    /// Answer a manual check of the plan, e.g. security_incident=false (repeatable).
    #[arg(long, value_name = "NAME=true|false")]
    pub attest: Vec<String>,
    /// Print the decision as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).multiple(true).args(["textfile", "pushgateway", "alert_rules"])))]
pub struct ExportArgs {
    /// ISO week to export, e.g. 2026-W46, or `last`.
    #[arg(long, default_value = "last", value_name = "WEEK")]
    pub week: String,
    /// Write the series to this file (for node_exporter's textfile
    /// collector: end its name in .prom).
    #[arg(long, value_name = "FILE")]
    pub textfile: Option<std::path::PathBuf>,
    /// Push the series to this Pushgateway (PUT /metrics/job/cacheroi).
    #[arg(long, value_name = "URL")]
    pub pushgateway: Option<String>,
    /// Write the rollout plan's measurable rollback triggers as Prometheus
    /// alerting rules to this file.
    #[arg(long, value_name = "FILE")]
    pub alert_rules: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct RisksArgs {
    /// ISO week to judge, e.g. 2026-W46, or `last`.
    #[arg(long, default_value = "last", value_name = "WEEK")]
    pub week: String,
    /// Print the risks as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// The last complete day in the report's time zone instead of a week.
    #[arg(long, conflicts_with = "week")]
    pub daily: bool,
    /// ISO week of the weekly digest, e.g. 2026-W46, or `last`.
    #[arg(long, value_name = "WEEK")]
    pub week: Option<String>,
    /// Write the JSON payload to FILE instead of posting it.
    #[arg(long, value_name = "FILE.json")]
    pub dry_run: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Redis URL to capture (repeatable; default: `[redis] urls`):
    /// redis://[user:password@]host:port, rediss:// for TLS,
    /// redis+cluster:// (or rediss+cluster://) for every node of a cluster.
    #[arg(long = "redis", value_name = "URL")]
    pub redis: Vec<String>,
    /// Drop captures older than this (e.g. 400d, 12w, 36h; at most 100 years)
    /// after capturing.
    #[arg(long, value_name = "AGE", value_parser = parse_retention)]
    pub retain: Option<chrono::Duration>,
    /// Connect timeout in seconds, more than 0 and at most 300 (the reply may
    /// take 2.5 times as long).
    #[arg(long, default_value = "2", value_name = "SECONDS", value_parser = parse_timeout)]
    pub timeout: std::time::Duration,
    /// Attempts per instance (1 to 20), with back-off between them.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub tries: u32,
    /// PEM file of the CA to trust for rediss:// (default: `[redis] ca_file`,
    /// else the public roots).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RollupArgs {
    /// Roll up only files modified on or after this date (older files keep
    /// their rollups; new old files wait for a run without --since).
    #[arg(long, value_name = "DATE")]
    pub since: Option<chrono::NaiveDate>,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Folder to write the sample data into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Seed of the random generator: the same seed gives the same files.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Average request rows per day (weekdays carry more, weekends less).
    #[arg(long, default_value_t = 1500)]
    pub requests_per_day: u64,
    /// Format of the daily request files.
    #[arg(long, value_enum, default_value = "mixed")]
    pub format: crate::sample::SampleFormat,
    /// Benchmark data closer to real logs: ten times the customers and users,
    /// and Parquet days of varied schemas (time stamps in ms, µs or ns, zoned
    /// or naive; days without optional columns; extra columns).
    #[arg(long)]
    pub wide: bool,
}

/// The longest `--retain`: 100 years.
pub const MAX_RETAIN_DAYS: i64 = 36_525;

/// Parse a retention like `400d`, `12w` or `36h` (more than 0, at most
/// [`MAX_RETAIN_DAYS`]).
pub fn parse_retention(s: &str) -> Result<chrono::Duration, String> {
    let bad = || format!("`{}` is not an age like 400d, 12w or 36h", crate::error::clip(s, 40));
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = t.split_at(split);
    let n: i64 = n.parse().map_err(|_| bad())?;
    let hours_per = match unit {
        "d" => 24,
        "w" => 24 * 7,
        "h" => 1,
        _ => return Err(bad()),
    };
    let hours = n.checked_mul(hours_per).filter(|h| *h > 0).ok_or_else(bad)?;
    if hours > MAX_RETAIN_DAYS * 24 {
        return Err(format!("`{}` is longer than 100 years", crate::error::clip(s, 40)));
    }
    Ok(chrono::Duration::hours(hours))
}

/// Parse a timeout in seconds: a finite number above 0, at most 300.
pub fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{}` is not a number of seconds", crate::error::clip(s, 40)))?;
    // At least a millisecond: a positive number below it would round to a
    // zero duration, which the Redis client rejects (found by fuzzing).
    if !(secs.is_finite() && (0.001..=300.0).contains(&secs)) {
        return Err(format!(
            "{secs} s: the timeout must be at least 0.001 and at most 300 seconds"
        ));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_units_and_bounds() {
        let h = |n| Ok(chrono::Duration::hours(n));
        assert_eq!(parse_retention("400d"), h(400 * 24));
        assert_eq!(parse_retention("12w"), h(12 * 7 * 24));
        assert_eq!(parse_retention("36h"), h(36));
        for bad in [
            "400",
            "0d",
            "1y",
            "",
            "d",
            "-5d",
            "999999999999d",
            "100000000d",
            "99999999999999999999999h",
        ] {
            assert!(parse_retention(bad).is_err(), "{bad}");
        }
        assert!(parse_retention("36525d").is_ok());
        assert!(parse_retention("36526d").is_err());
    }

    #[test]
    fn timeouts_must_be_finite_and_positive() {
        assert_eq!(parse_timeout("2"), Ok(std::time::Duration::from_secs(2)));
        assert_eq!(parse_timeout("0.25"), Ok(std::time::Duration::from_millis(250)));
        assert_eq!(parse_timeout("0.001"), Ok(std::time::Duration::from_millis(1)));
        // Fuzz finding: a positive timeout that is a zero duration.
        let tiny = ".000000000000000000000000000000000003";
        for bad in [
            "-1", "nan", "NaN", "inf", "-inf", "0", "1e300", "301", "fast", tiny, "0.0009",
        ] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }
}
