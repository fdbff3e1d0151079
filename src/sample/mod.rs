//! Deterministic sample data: a 4-week baseline and a 6-week phased rollout
//! of the cache, following the product owner's plan (week 1 internal_qa and
//! development_team; weeks 2–3 early_adopters and power_users; weeks 4–5
//! large_enterprise and medium_enterprise; week 6 everyone), with 10 % of
//! users kept as control. The same seed gives the same bytes; the same
//! generator makes benchmark-size data.

mod redis_info;
mod text;

pub use text::ROLLOUT_PLAN;

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

use crate::deliver::files::write_atomic;

/// Monday of the first baseline week.
pub const BASELINE_START: (i32, u32, u32) = (2026, 9, 7);
/// Monday of rollout week 1.
pub const ROLLOUT_START: (i32, u32, u32) = (2026, 10, 5);
pub const BASELINE_WEEKS: i64 = 4;
pub const ROLLOUT_WEEKS: i64 = 6;

/// Format of the daily request files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SampleFormat {
    /// Baseline as .csv.gz without the segment column (an older schema),
    /// rollout weeks 1–3 as .parquet, weeks 4–6 as .ndjson.zst.
    Mixed,
    Csv,
    Parquet,
}

pub struct Options {
    pub out: PathBuf,
    pub seed: u64,
    pub requests_per_day: u64,
    pub format: SampleFormat,
    /// Benchmark data closer to real logs: ten times the customers and
    /// users, and Parquet days of varied schemas (time stamps in ms, µs or
    /// ns, zoned or naive; days without `segment` or `upstream_calls`; extra
    /// columns the reports never read).
    pub wide: bool,
}

struct Customer {
    id: String,
    name: String,
    tier: &'static str,
    segment: &'static str,
    users: u32,
    acv: f64,
}

const SEGMENTS: [(&str, &str, u32, u32); 7] = [
    // segment, tier, customers, users per customer
    ("internal_qa", "internal", 1, 6),
    ("development_team", "internal", 1, 10),
    ("early_adopters", "smb", 4, 8),
    ("power_users", "mid_market", 3, 20),
    ("large_enterprise", "enterprise", 5, 60),
    ("medium_enterprise", "mid_market", 6, 25),
    ("general", "smb", 10, 6),
];

/// The segments whose users have the cache in rollout week `w` (1-based).
pub fn enabled_segments(week: i64) -> &'static [&'static str] {
    match week {
        i64::MIN..=0 => &[],
        1 => &["internal_qa", "development_team"],
        2 | 3 => &["internal_qa", "development_team", "early_adopters", "power_users"],
        4 | 5 => &[
            "internal_qa",
            "development_team",
            "early_adopters",
            "power_users",
            "large_enterprise",
            "medium_enterprise",
        ],
        _ => &[
            "internal_qa",
            "development_team",
            "early_adopters",
            "power_users",
            "large_enterprise",
            "medium_enterprise",
            "general",
        ],
    }
}

const ENDPOINTS: [(&str, bool, f64); 7] = [
    // route, cacheable, relative latency on a miss
    ("GET /api/migrations/:id", true, 1.0),
    ("GET /api/migrations", true, 1.3),
    ("GET /api/projects/:id/status", true, 0.8),
    ("GET /api/reports/:id", true, 1.5),
    ("GET /api/customers/:id/settings", true, 0.9),
    ("POST /api/migrations", false, 1.4),
    ("PUT /api/projects/:id", false, 1.2),
];

/// One generated request.
struct Request {
    ts_us: i64,
    offset_min: i32,
    customer: usize,
    user: u32,
    endpoint: usize,
    status: i64,
    latency_ms: f64,
    cache_status: &'static str,
    cache_enabled: bool,
    upstream_calls: i64,
}

fn customers(scale: u32) -> Vec<Customer> {
    let mut out = Vec::new();
    let mut n = 0;
    for (segment, tier, count, users) in SEGMENTS {
        let users = users * scale;
        for i in 0..count * scale {
            n += 1;
            let name = text::CUSTOMER_NAMES[(n - 1) % text::CUSTOMER_NAMES.len()].to_string();
            out.push(Customer {
                id: format!("c{n:03}"),
                name,
                tier,
                segment,
                users: users + (i * 3) % 7,
                acv: f64::from(users) * 1800.0 + f64::from(i) * 2500.0,
            });
        }
    }
    out
}

/// Whether a user is kept as control (no cache even when the segment has it).
fn is_control(customer: usize, user: u32) -> bool {
    (customer as u32 * 31 + user * 17) % 10 == 3
}

/// What every request of a day is drawn from.
struct Day<'a> {
    custs: &'a [Customer],
    /// Each customer's weight (its users) and their sum.
    weights: &'a [u32],
    total_weight: u32,
    hit_ln: &'a LogNormal<f64>,
    miss_ln: &'a LogNormal<f64>,
    /// Segments with the cache on this day.
    enabled: &'a [&'static str],
    /// Share of cacheable lookups served from the cache.
    hit_p: f64,
    day_start: i64,
}

impl Day<'_> {
    /// A cacheable lookup's status for a uniform draw `x`.
    fn cache_status(&self, x: f64) -> &'static str {
        if x < 0.0005 {
            "ERROR"
        } else if x < 0.015 {
            "BYPASS"
        } else if x < 0.015 + self.hit_p {
            "HIT"
        } else if x < 0.055 + self.hit_p {
            "STALE"
        } else {
            "MISS"
        }
    }

    /// Draw one request (the draws in a fixed order: the sample is the same
    /// for a seed).
    fn draw(&self, rng: &mut ChaCha8Rng) -> Request {
        let mut pick = rng.random_range(0..self.total_weight);
        let mut customer = 0;
        while pick >= self.weights[customer] {
            pick -= self.weights[customer];
            customer += 1;
        }
        let c = &self.custs[customer];
        let user = rng.random_range(0..c.users);
        // Business hours carry most traffic.
        let hour = if rng.random_bool(0.75) {
            rng.random_range(8..19)
        } else {
            rng.random_range(0..24)
        };
        let ts_us =
            self.day_start + (hour * 3600 + rng.random_range(0..3600)) * 1_000_000 + rng.random_range(0..1000) * 1000;
        let endpoint = rng.random_range(0..ENDPOINTS.len());
        let (_, cacheable, weight) = ENDPOINTS[endpoint];
        let cache_enabled = self.enabled.contains(&c.segment) && !is_control(customer, user);
        let cache_status = if !cache_enabled || !cacheable {
            ""
        } else {
            self.cache_status(rng.random())
        };
        let served = matches!(cache_status, "HIT" | "STALE");
        let mut latency_ms = if served {
            self.hit_ln.sample(rng) * if cache_status == "STALE" { 1.3 } else { 1.0 }
        } else {
            self.miss_ln.sample(rng) * weight
        };
        // A miss costs one to three origin calls.
        let upstream_calls = if served {
            0
        } else {
            match rng.random::<f64>() {
                x if x < 0.6 => 1,
                x if x < 0.9 => 2,
                _ => 3,
            }
        };
        let x: f64 = rng.random();
        let status = if x < 0.0006 {
            latency_ms += 800.0;
            503
        } else if x < 0.012 {
            404
        } else if endpoint == 5 {
            201
        } else {
            200
        };
        let offset_min = if c.segment == "large_enterprise" {
            60
        } else if customer % 5 == 1 {
            -300
        } else {
            0
        };
        Request {
            ts_us,
            offset_min,
            customer,
            user,
            endpoint,
            status,
            latency_ms: (latency_ms * 100.0).round() / 100.0,
            cache_status,
            cache_enabled,
            upstream_calls,
        }
    }
}

/// Per hour: (hits, misses) looked up in Redis, per instance.
type RedisHourly = BTreeMap<i64, [(u64, u64); 2]>;

/// Count a request's Redis lookup on the instance its customer and user
/// hash to.
fn count_lookup(redis_hourly: &mut RedisHourly, r: &Request) {
    if matches!(r.cache_status, "HIT" | "STALE" | "MISS" | "ERROR") {
        let inst = (r.customer + r.user as usize) % 2;
        let e = redis_hourly.entry(r.ts_us / 3_600_000_000).or_default();
        if matches!(r.cache_status, "HIT" | "STALE") {
            e[inst].0 += 1
        } else {
            e[inst].1 += 1
        }
    }
}

/// A flag rule that matched too broadly: in rollout weeks 1–2 two users
/// of the first medium-enterprise customer (due in week 4) have the
/// cache — the leak the weekly report's flags section must show. Set
/// after drawing, so every other row stays as it was.
fn leak(rows: &mut [Request], custs: &[Customer], week: i64, redis_hourly: &mut RedisHourly) {
    if !(1..=2).contains(&week) {
        return;
    }
    let Some(leaky) = custs.iter().position(|c| c.segment == "medium_enterprise") else {
        return;
    };
    for r in rows.iter_mut().filter(|r| r.customer == leaky && r.user < 2) {
        let cacheable = ENDPOINTS[r.endpoint].1;
        r.cache_enabled = true;
        if cacheable {
            r.cache_status = "HIT";
            r.upstream_calls = 0;
            r.latency_ms = (r.latency_ms * 15.0).round() / 100.0;
            let inst = (r.customer + r.user as usize) % 2;
            redis_hourly.entry(r.ts_us / 3_600_000_000).or_default()[inst].0 += 1;
        }
    }
}

/// Write the sample into `opts.out`; returns the files written.
pub fn generate(opts: &Options) -> Result<Vec<PathBuf>> {
    let out = &opts.out;
    std::fs::create_dir_all(out.join("requests")).with_context(|| format!("{}: cannot create", out.display()))?;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let custs = customers(if opts.wide { 10 } else { 1 });
    let weights: Vec<u32> = custs.iter().map(|c| c.users).collect();
    let start = NaiveDate::from_ymd_opt(BASELINE_START.0, BASELINE_START.1, BASELINE_START.2).expect("date");
    let rollout = NaiveDate::from_ymd_opt(ROLLOUT_START.0, ROLLOUT_START.1, ROLLOUT_START.2).expect("date");
    let days = (BASELINE_WEEKS + ROLLOUT_WEEKS) * 7;
    let hit_ln = LogNormal::new(6.0f64.ln(), 0.45)?;
    // Origin latency: median 70 ms, so p99 with the cache stays under the
    // plan's 200 ms guardrail while missing the brief's 100 ms target.
    let miss_ln = LogNormal::new(70.0f64.ln(), 0.33)?;
    let mut written = Vec::new();
    let mut redis_hourly = RedisHourly::new();

    for d in 0..days {
        let date = start + Duration::days(d);
        let week = if date >= rollout {
            (date - rollout).num_days() / 7 + 1
        } else {
            0
        };
        let enabled = enabled_segments(week);
        let weekday = date.format("%u").to_string().parse::<u32>().unwrap_or(1);
        let factor = if weekday >= 6 { 0.5 } else { 1.2 };
        let n = (opts.requests_per_day as f64 * factor) as usize;
        let day = Day {
            custs: &custs,
            weights: &weights,
            total_weight: weights.iter().sum(),
            hit_ln: &hit_ln,
            miss_ln: &miss_ln,
            enabled,
            hit_p: [0.0, 0.62, 0.70, 0.76, 0.80, 0.84, 0.87][week.clamp(0, 6) as usize],
            day_start: Utc
                .from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight"))
                .timestamp_micros(),
        };
        let mut rows = Vec::with_capacity(n);
        for _ in 0..n {
            let r = day.draw(&mut rng);
            count_lookup(&mut redis_hourly, &r);
            rows.push(r);
        }
        rows.sort_by_key(|r| r.ts_us);
        leak(&mut rows, &custs, week, &mut redis_hourly);
        written.push(write_day(opts, date, d, week, &rows, &custs)?);
    }

    written.push(write_customers(out, &custs)?);
    written.push(text::write_feedback(
        out,
        &mut rng,
        &custs_view(&custs),
        start,
        rollout,
        days,
        opts.requests_per_day,
    )?);
    written.push(redis_info::write_store(out, &redis_hourly, rollout)?);
    written.extend(write_documents(out, start, rollout, opts.requests_per_day)?);
    Ok(written)
}

/// Write day `d`'s requests in the format the sample gives that week.
fn write_day(
    opts: &Options,
    date: NaiveDate,
    d: i64,
    week: i64,
    rows: &[Request],
    custs: &[Customer],
) -> Result<PathBuf> {
    let (format, compression, with_segment) = match (opts.format, week) {
        (SampleFormat::Mixed, 0) => ("csv", ".gz", false),
        (SampleFormat::Mixed, 1..=3) => ("parquet", "", true),
        (SampleFormat::Mixed, _) => ("ndjson", ".zst", true),
        (SampleFormat::Csv, _) => ("csv", "", true),
        (SampleFormat::Parquet, _) => ("parquet", "", true),
    };
    let path = opts
        .out
        .join("requests")
        .join(format!("requests-{date}.{format}{compression}"));
    // A few bad rows in text files, one of each reason, on fixed days.
    let bad = if format != "parquet" {
        text::bad_request_lines(d)
    } else {
        Vec::new()
    };
    match format {
        "csv" => write_csv(&path, rows, custs, with_segment, &bad)?,
        "ndjson" => write_ndjson(&path, rows, custs, &bad)?,
        _ => write_parquet(&path, rows, custs, opts.wide.then_some(d))?,
    }
    Ok(path)
}

/// The rollout plan, the risk register and the config beside the data.
fn write_documents(out: &Path, start: NaiveDate, rollout: NaiveDate, requests_per_day: u64) -> Result<Vec<PathBuf>> {
    let plan = out.join("rollout-plan.yml");
    write_atomic(&plan, text::ROLLOUT_PLAN.as_bytes())?;
    let risks = out.join("risks.yml");
    write_atomic(&risks, text::RISKS.as_bytes())?;
    let config = out.join("cacheroi.toml");
    write_atomic(
        &config,
        text::sample_config(start, rollout, requests_per_day).as_bytes(),
    )?;
    Ok(vec![plan, risks, config])
}

/// What the feedback generator needs of a customer.
pub struct CustomerView {
    pub id: String,
    pub segment: &'static str,
    pub users: u32,
}

fn custs_view(c: &[Customer]) -> Vec<CustomerView> {
    c.iter()
        .map(|c| CustomerView {
            id: c.id.clone(),
            segment: c.segment,
            users: c.users,
        })
        .collect()
}

fn rfc3339(ts_us: i64, offset_min: i32) -> String {
    let offset = chrono::FixedOffset::east_opt(offset_min * 60).expect("offset");
    let t = chrono::DateTime::from_timestamp_micros(ts_us)
        .expect("ts")
        .with_timezone(&offset);
    if offset_min == 0 {
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
    }
}

fn open(path: &Path) -> Result<Box<dyn Write>> {
    let file = std::fs::File::create(path).with_context(|| format!("{}: cannot create", path.display()))?;
    let name = path.to_string_lossy();
    Ok(if name.ends_with(".gz") {
        Box::new(flate2::write::GzEncoder::new(
            BufWriter::new(file),
            flate2::Compression::new(6),
        ))
    } else if name.ends_with(".zst") {
        Box::new(zstd::stream::write::Encoder::new(BufWriter::new(file), 3)?.auto_finish())
    } else {
        Box::new(BufWriter::new(file))
    })
}

fn write_csv(path: &Path, rows: &[Request], custs: &[Customer], with_segment: bool, bad: &[String]) -> Result<()> {
    let mut w = ::csv::Writer::from_writer(open(path)?);
    let mut header = vec!["ts", "customer_id", "user_id"];
    if with_segment {
        header.push("segment");
    }
    header.extend([
        "endpoint",
        "status",
        "latency_ms",
        "cache_status",
        "cache_enabled",
        "upstream_calls",
    ]);
    w.write_record(&header)?;
    for (i, r) in rows.iter().enumerate() {
        let c = &custs[r.customer];
        let mut rec = vec![
            rfc3339(r.ts_us, r.offset_min),
            c.id.clone(),
            format!("{}-u{:03}", c.id, r.user),
        ];
        if with_segment {
            rec.push(c.segment.to_string());
        }
        rec.extend([
            ENDPOINTS[r.endpoint].0.to_string(),
            r.status.to_string(),
            r.latency_ms.to_string(),
            r.cache_status.to_string(),
            r.cache_enabled.to_string(),
            r.upstream_calls.to_string(),
        ]);
        w.write_record(&rec)?;
        if i == rows.len() / 2 {
            for b in bad.iter().filter(|b| *b != "TORN") {
                let mut fields: Vec<String> = b.split(',').map(str::to_string).collect();
                if !with_segment {
                    fields.remove(3);
                }
                w.write_record(&fields)?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

fn write_ndjson(path: &Path, rows: &[Request], custs: &[Customer], bad: &[String]) -> Result<()> {
    let mut w = open(path)?;
    for (i, r) in rows.iter().enumerate() {
        let c = &custs[r.customer];
        let v = serde_json::json!({
            "ts": rfc3339(r.ts_us, r.offset_min),
            "customer_id": c.id,
            "user_id": format!("{}-u{:03}", c.id, r.user),
            "segment": c.segment,
            "endpoint": ENDPOINTS[r.endpoint].0,
            "status": r.status,
            "latency_ms": r.latency_ms,
            "cache_status": if r.cache_status.is_empty() { serde_json::Value::Null } else { r.cache_status.into() },
            "cache_enabled": r.cache_enabled,
            "upstream_calls": r.upstream_calls,
        });
        writeln!(w, "{v}")?;
        if i == rows.len() / 2 {
            for b in bad {
                if b == "TORN" {
                    writeln!(w, "{{\"ts\":\"2026-11-0")?;
                    continue;
                }
                let f: Vec<&str> = b.split(',').collect();
                let v = serde_json::json!({
                    "ts": f[0], "customer_id": f[1], "user_id": f[2], "segment": f[3], "endpoint": f[4],
                    "status": f[5], "latency_ms": f[6], "cache_status": f[7], "cache_enabled": f[8], "upstream_calls": f[9],
                });
                writeln!(w, "{v}")?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// `varied`: the day's index, to vary the schema as real logs do (None: the
/// one canonical schema).
fn write_parquet(path: &Path, rows: &[Request], custs: &[Customer], varied: Option<i64>) -> Result<()> {
    let ts: Vec<i64> = rows.iter().map(|r| r.ts_us).collect();
    let k = varied.unwrap_or(0);
    let unit = match (varied.is_some(), k % 3) {
        (false, _) | (true, 0) => TimeUnit::Microseconds,
        (true, 1) => TimeUnit::Milliseconds,
        _ => TimeUnit::Nanoseconds,
    };
    let zone = (varied.is_none() || k % 2 == 0).then_some(polars::prelude::TimeZone::UTC);
    let ts = Column::new("ts".into(), ts)
        .cast(&DataType::Datetime(TimeUnit::Microseconds, zone.clone()))?
        .cast(&DataType::Datetime(unit, zone))?;
    let mut df = DataFrame::new(
        rows.len(),
        vec![
            ts,
            Column::new(
                "customer_id".into(),
                rows.iter().map(|r| custs[r.customer].id.clone()).collect::<Vec<_>>(),
            ),
            Column::new(
                "user_id".into(),
                rows.iter()
                    .map(|r| format!("{}-u{:03}", custs[r.customer].id, r.user))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "segment".into(),
                rows.iter().map(|r| custs[r.customer].segment).collect::<Vec<_>>(),
            ),
            Column::new(
                "endpoint".into(),
                rows.iter().map(|r| ENDPOINTS[r.endpoint].0).collect::<Vec<_>>(),
            ),
            Column::new(
                "status".into(),
                rows.iter().map(|r| r.status as i32).collect::<Vec<_>>(),
            ),
            Column::new(
                "latency_ms".into(),
                rows.iter().map(|r| r.latency_ms).collect::<Vec<_>>(),
            ),
            Column::new(
                "cache_status".into(),
                rows.iter()
                    .map(|r| (!r.cache_status.is_empty()).then_some(r.cache_status))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "cache_enabled".into(),
                rows.iter().map(|r| r.cache_enabled).collect::<Vec<_>>(),
            ),
            Column::new(
                "upstream_calls".into(),
                rows.iter().map(|r| r.upstream_calls as i32).collect::<Vec<_>>(),
            ),
        ],
    )?;
    if let Some(k) = varied {
        vary(&mut df, rows, k)?;
    }
    let file = std::fs::File::create(path).with_context(|| format!("{}: cannot create", path.display()))?;
    ParquetWriter::new(file).finish(&mut df)?;
    Ok(())
}

/// Day `k`'s schema as real logs vary it: older days lack the optional
/// columns; every day carries columns the reports never read.
fn vary(df: &mut DataFrame, rows: &[Request], k: i64) -> Result<()> {
    if k % 5 == 1 {
        *df = df.drop("segment")?;
    }
    if k % 7 == 2 {
        *df = df.drop("upstream_calls")?;
    }
    let n = rows.len();
    df.with_column(Column::new(
        "request_id".into(),
        (0..n).map(|i| format!("{k:03}-{i:09}")).collect::<Vec<_>>(),
    ))?;
    df.with_column(Column::new(
        "bytes_sent".into(),
        rows.iter().map(|r| (r.latency_ms * 97.0) as i64).collect::<Vec<_>>(),
    ))?;
    Ok(())
}

fn write_customers(out: &Path, custs: &[Customer]) -> Result<PathBuf> {
    let path = out.join("customers.csv");
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record([
        "customer_id",
        "name",
        "tier",
        "seats",
        "segment",
        "annual_contract_value",
        "contact_email",
    ])?;
    for c in custs {
        // Enterprise customers have a success contact (`send --report customer`).
        let contact = if c.tier == "enterprise" {
            format!("success+{}@example.com", c.id)
        } else {
            String::new()
        };
        w.write_record([
            c.id.clone(),
            c.name.clone(),
            c.tier.to_string(),
            c.users.to_string(),
            c.segment.to_string(),
            format!("{:.2}", c.acv),
            contact,
        ])?;
    }
    write_atomic(&path, &w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
    Ok(path)
}
