//! Text parts of the sample: names, comments (with commas, quotes, newlines,
//! HTML and emoji on purpose), bad rows, the rollout plan and the config.

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{CustomerView, enabled_segments};
use crate::deliver::files::write_atomic;

pub const CUSTOMER_NAMES: [&str; 30] = [
    "Acme QA (internal)",
    "Platform Dev Team",
    "Brightline Labs",
    "O'Neil & Daughters, Ltd.",
    "Zürich Datenwerk AG",
    "Nimbus \"Early\" Co",
    "Helios Analytics",
    "Quarry Systems",
    "Tessellate Inc.",
    "Globex Corporation",
    "Initech",
    "Umbrella Logistics",
    "Stark Migration Services",
    "Wayne Enterprises",
    "Cyberdyne <Systems>",
    "Hooli",
    "Vandelay Industries",
    "Soylent Foods",
    "Wonka Industries",
    "Ünïcode 🚀 Labs",
    "Pied Piper",
    "Dunder Mifflin",
    "Oceanic Air",
    "Monarch Solutions",
    "Prestige Worldwide",
    "Bluth Company",
    "Gringotts",
    "Los Pollos Hermanos",
    "Sterling Cooper",
    "Massive Dynamic",
];

const COMMENTS: [&str; 14] = [
    "Migrations page loads instantly now, great work!",
    "Faster, but the status page showed stale data once, then fixed itself.",
    "Still slow on the reports tab, \"loading…\" for ages",
    "Love it 😍🚀",
    "Dashboard feels snappier.\nExport is the same speed though.",
    "<b>Bold</b> move — it's quick, thanks",
    "<script>alert(1)</script>",
    "Numbers, commas, and \"quotes\": all fine, 10/10",
    "Had an error after the update; support fixed it",
    "meh",
    "Can you make the audit log this fast too?",
    "=HYPERLINK(\"http://example.com\",\"click\")",
    "Great 👍 | would recommend",
    "Slow again today 😞",
];

/// The planted complaint of the stale-data incident in rollout week 3.
const STALE_COMPLAINT: &str = "Status page showed yesterday's numbers all morning (stale cache?)";

/// Bad request rows for day `d` (comma-separated, with segment, 10 fields),
/// one of each reject reason of docs/bad-input.md, on a few fixed days.
pub fn bad_request_lines(d: i64) -> Vec<String> {
    let day = NaiveDate::from_ymd_opt(
        super::BASELINE_START.0,
        super::BASELINE_START.1,
        super::BASELINE_START.2,
    )
    .expect("date")
        + Duration::days(d);
    match d {
        3 => vec![
            format!(",c003,c003-u001,early_adopters,GET /api/migrations,200,12.5,,false,1"),
            format!("{day} 10:00:00,c004,c004-u002,early_adopters,GET /api/migrations,200,12.5,,false,1"),
            format!("{day}T10:00:01Z,c005,,early_adopters,GET /api/migrations,200,12.5,,false,1"),
            format!("{day}T10:00:02Z,c006,c006-u003,early_adopters,GET /api/migrations,200,abc,,false,1"),
        ],
        11 => vec![
            format!("{day}T11:00:00Z,c007,c007-u001,power_users,GET /api/migrations/:id,200,-4.2,,false,1"),
            format!("{day}T11:00:01Z,c007,c007-u002,power_users,GET /api/migrations/:id,200,40.2,HTI,false,1"),
            format!("{day}T11:00:02Z,c007,c007-u003,power_users,GET /api/migrations/:id,2OO,40.2,,false,1"),
        ],
        60 => vec![
            format!("{day}T09:00:00+01:00,c012,c012-u004,large_enterprise,GET /api/reports/:id,200,31.5,HIT,maybe,0"),
            format!("{day}T09:00:01+01:00,c012,c012-u004,large_enterprise,GET /api/reports/:id,200,31.5,HIT,true,-1"),
            "TORN".to_string(),
        ],
        _ => Vec::new(),
    }
}

fn score(rng: &mut ChaCha8Rng, cached: bool) -> i64 {
    let weights: [f64; 5] = if cached {
        [0.002, 0.005, 0.083, 0.31, 0.60]
    } else {
        [0.015, 0.035, 0.25, 0.40, 0.30]
    };
    let x: f64 = rng.random();
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        if x < acc {
            return i as i64 + 1;
        }
    }
    5
}

/// Write feedback.csv: a few answers a day, scores higher for users with the cache.
pub fn write_feedback(
    out: &Path,
    rng: &mut ChaCha8Rng,
    custs: &[CustomerView],
    start: NaiveDate,
    rollout: NaiveDate,
    days: i64,
    requests_per_day: u64,
) -> Result<PathBuf> {
    let path = out.join("feedback.csv");
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(["ts", "customer_id", "user_id", "score", "comment"])?;
    let per_day = (requests_per_day / 150).clamp(3, 400);
    for d in 0..days {
        let date = start + Duration::days(d);
        let week = if date >= rollout {
            (date - rollout).num_days() / 7 + 1
        } else {
            0
        };
        let day_start = Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight"));
        let mut answers = Vec::new();
        for _ in 0..per_day {
            let ci = rng.random_range(0..custs.len());
            let c = &custs[ci];
            let user = rng.random_range(0..c.users);
            let cached = enabled_segments(week).contains(&c.segment) && !super::is_control(ci, user);
            let ts = day_start + Duration::seconds(rng.random_range(8 * 3600..20 * 3600));
            let s = score(rng, cached);
            let comment = if rng.random_bool(0.4) {
                COMMENTS[rng.random_range(0..COMMENTS.len())]
            } else {
                ""
            };
            answers.push((
                ts,
                c.id.clone(),
                format!("{}-u{:03}", c.id, user),
                s.to_string(),
                comment.to_string(),
            ));
        }
        answers.sort();
        for (ts, cid, uid, s, comment) in answers {
            w.write_record([ts.format("%Y-%m-%dT%H:%M:%SZ").to_string(), cid, uid, s, comment])?;
        }
        // Rollout week 3, Wednesday: the early adopters see stale data after
        // a deploy (the plan's complaint trigger fires: a rollback week).
        if week == 3 && date.format("%u").to_string() == "3" {
            for (i, c) in custs
                .iter()
                .filter(|c| c.segment == "early_adopters")
                .cycle()
                .take(5)
                .enumerate()
            {
                let t = format!("{date}T{:02}:15:00Z", 10 + i);
                let user = format!("{}-u{:03}", c.id, i % c.users as usize);
                w.write_record([t.as_str(), c.id.as_str(), user.as_str(), "1", STALE_COMPLAINT])?;
            }
        }
        if d == 20 {
            let t = format!("{date}T12:00:00Z");
            w.write_record([t.as_str(), "c010", "c010-u001", "6", "Six stars!"])?;
            w.write_record([t.as_str(), "c010", "c010-u002", "five", ""])?;
            w.write_record([format!("{date} 12:00").as_str(), "c010", "c010-u003", "4", ""])?;
        }
    }
    write_atomic(&path, &w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
    Ok(path)
}

/// The product owner's rollout plan (docs/gate.md#the-plan).
pub const ROLLOUT_PLAN: &str = r#"# Phased rollout of the Redis cache (USE_REDIS_CACHE), as agreed with the product owner.
rollout_phases:
  phase_1_internal:
    week: 1
    segments: [internal_qa, development_team]
    features: [basic_caching]
    success_criteria:
      - no_critical_bugs
      - performance_targets_met
    rollback_trigger:
      - error_rate > 1%
      - p99_latency > 200ms
  phase_2_early_adopters:
    week: 2-3
    segments: [early_adopters, power_users]
    features: [basic_caching, smart_invalidation]
    success_criteria:
      - 50%_api_reduction
      - positive_feedback
    rollback_trigger:
      - cache_hit_rate < 60%
      - customer_complaints > 3
  phase_3_enterprise:
    week: 4-5
    segments: [large_enterprise, medium_enterprise]
    features: [basic_caching, smart_invalidation, cache_warming]
    success_criteria:
      - cost_savings_demonstrated
      - no_critical_bugs
    rollback_trigger:
      - any_data_loss
      - security_incident
  phase_4_general_availability:
    week: 6
    segments: [all_users]
    features: [basic_caching, smart_invalidation, cache_warming]
    success_criteria:
      - all_kpis_met
      - 90%_adoption
    rollback_trigger:
      - error_rate > 1%
# The brief's milestones: the share of target segments with the cache on.
milestones:
  2-3: 25%
  4-5: 75%
  6: 100%
"#;

/// The brief's risk register: each risk with its owner, contingency and
/// escalation level, and signals the weekly report watches.
pub const RISKS: &str = r#"# Risks of the Redis cache rollout, from the product brief. Each signal is a
# KPI comparison like the plan's criteria: `watch` warns, `trigger` calls for
# the contingency. A risk without signals is listed for its owner's review.
escalation: [feature team, product owner, engineering manager, VP engineering, executive team]
risks:
  stale_data:
    risk: Cache invalidation bugs serve stale data
    impact: high
    mitigation: Invalidate on every write; short TTLs on volatile keys
    owner: QA Team
    contingency: Flush the affected keys and turn smart invalidation off; roll the phase back if stale answers persist
    escalation: engineering manager
    signals:
      - watch: stale_share > 2%
        trigger: stale_share > 5%
  performance_degradation:
    risk: Performance degradation for some users
    impact: high
    mitigation: Load tests before each phase; latency alerts per segment
    owner: DevOps Team
    contingency: Switch USE_REDIS_CACHE off for the slow segments, then investigate
    escalation: engineering manager
    signals:
      - watch: p99_latency_ms > 150
        trigger: p99_latency_ms > 250
      - watch: latency_regression_segments > 0
        trigger: latency_regression_segments > 2
  customer_confusion:
    risk: Customer confusion leads to tickets and negative feedback
    impact: medium
    mitigation: Release notes and a support briefing before each phase
    owner: Customer Success
    contingency: Pause the rollout and contact the customers who complained
    escalation: product owner
    signals:
      - watch: complaint_share > 5%
        trigger: complaint_share > 10%
  partial_adoption:
    risk: Partial adoption leaves the savings short
    impact: medium
    mitigation: Enable whole segments; check the flags every week
    owner: Product Team
    contingency: Fix the flag rules of the segments behind (see Flags against the plan) and extend the phase
    escalation: product owner
    signals:
      - watch: rollout_progress < 80%
        trigger: rollout_progress < 50%
      - watch: flag_leaks > 0
        trigger: flag_leaks > 25
  infrastructure_costs:
    risk: Infrastructure costs above expectation
    impact: medium
    mitigation: Right-sized instances; memory and eviction alerts
    owner: Finance Team
    contingency: Shorten TTLs, trim large keys or move to a smaller instance; re-run the finance ROI
    escalation: VP engineering
    signals:
      - watch: redis_cost_per_month > 850
        trigger: redis_cost_per_month > 1200
"#;

/// The sample configuration over the generated files.
pub fn sample_config(baseline_start: NaiveDate, rollout: NaiveDate, requests_per_day: u64) -> String {
    let per_week = crate::ground::units::count(Some((requests_per_day * 7) as f64));
    let end = rollout + Duration::days(super::ROLLOUT_WEEKS * 7);
    format!(
        r#"# Sample configuration over the files beside it (written by `cacheroi sample`).
# Paths are relative to this file.
timezone = "UTC"
as_of = "{end}"              # pins "now": `--week last` is the last rollout week
output_dir = "reports"            # reports and the rollup store, beside the data

[sources]
requests = "requests/requests-*"        # .csv.gz, .parquet and .ndjson.zst days
feedback = "feedback.csv"
customers = "customers.csv"
redis_snapshots = "redis-snapshots.ndjson"

[redis]
urls = ["redis://127.0.0.1:6379"]

[baseline]
from = "{baseline_start}"
to = "{rollout}"

[rollout]
start = "{rollout}"
plan = "rollout-plan.yml"
risks = "risks.yml"                   # the risk register the reports watch
planned_share = 0.9

# Scaled to the sample's small volume (~{per_week} requests a week): each origin
# call here stands for a batch of calls to a paid migration API.
[costs]
currency = "USD"
origin_call_cost = 0.06
redis_monthly_cost = 900.0
implementation_cost = 12000.0
hourly_value_of_user_time = 75.0

# Where `cacheroi send` and `run` mail the reports: example addresses, so that
# `cacheroi send --dry-run FILE.eml` works as it is. To send for real, set
# smtp_host (and password_env) and your own addresses.
[email]
from = "Cache reports <reports@example.com>"
to = ["leadership@example.com"]

# `cacheroi notify` posts a digest to the Slack incoming webhook whose URL this
# environment variable holds (a secret: keep it out of the config);
# `--dry-run FILE.json` writes the digest instead.
[slack]
webhook_env = "CACHEROI_SLACK_WEBHOOK"
"#
    )
}
