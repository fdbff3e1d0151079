//! Sample Redis snapshot store: hourly `INFO everything` captures of two
//! instances whose hit/miss counters follow the generated request log, with
//! one restart, one failed capture and one torn line.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::deliver::files::write_atomic;

const INSTANCES: [&str; 2] = ["cache-1.internal:6379", "cache-2.internal:6379"];

struct State {
    run_id: String,
    started: i64,
    hits: u64,
    misses: u64,
    expired: u64,
    evicted: u64,
    commands: u64,
}

fn info_text(s: &State, now: i64, used_memory: u64, port: u16) -> String {
    let mut t = String::new();
    let mut line = |l: &str| {
        t.push_str(l);
        t.push_str("\r\n");
    };
    line("# Server");
    line("redis_version:7.0.15");
    line("redis_mode:standalone");
    line("os:Linux 6.1.0-18-amd64 x86_64");
    line(&format!("run_id:{}", s.run_id));
    line(&format!("tcp_port:{port}"));
    line(&format!("uptime_in_seconds:{}", now - s.started));
    line(&format!("uptime_in_days:{}", (now - s.started) / 86_400));
    line("");
    line("# Clients");
    line("connected_clients:42");
    line("");
    line("# Memory");
    line(&format!("used_memory:{used_memory}"));
    line(&format!("used_memory_human:{:.2}M", used_memory as f64 / 1_048_576.0));
    line("maxmemory:536870912");
    line("maxmemory_policy:allkeys-lru");
    line(&format!(
        "mem_fragmentation_ratio:{:.2}",
        1.05 + (now % 7) as f64 / 100.0
    ));
    line("");
    line("# Stats");
    line(&format!("total_commands_processed:{}", s.commands));
    line("instantaneous_ops_per_sec:57");
    line(&format!("expired_keys:{}", s.expired));
    line(&format!("evicted_keys:{}", s.evicted));
    line(&format!("keyspace_hits:{}", s.hits));
    line(&format!("keyspace_misses:{}", s.misses));
    line("");
    line("# Replication");
    line("role:master");
    line("connected_slaves:0");
    line("");
    line("# Keyspace");
    line(&format!(
        "db0:keys={},expires={},avg_ttl=3600000",
        s.hits / 10 + 100,
        s.hits / 12 + 80
    ));
    t
}

/// Write redis-snapshots.ndjson covering the rollout weeks.
pub fn write_store(out: &Path, hourly: &BTreeMap<i64, [(u64, u64); 2]>, rollout: NaiveDate) -> Result<PathBuf> {
    let path = out.join("redis-snapshots.ndjson");
    let first_hour = Utc
        .from_utc_datetime(&rollout.and_hms_opt(0, 0, 0).expect("midnight"))
        .timestamp()
        / 3600;
    let last_hour = first_hour + super::ROLLOUT_WEEKS * 7 * 24;
    let restart_hour = first_hour + 24 * 24 + 3; // 2026-10-29 03:00, rollout week 4
    let failed_hour = first_hour + 30 * 24 + 14; // week 5: one capture of cache-1 failed
    let torn_hour = first_hour + 9 * 24; // an older crash left a torn line
    let mut states: Vec<State> = (0..2)
        .map(|i| State {
            run_id: format!("{:040x}", 0x5eed_0000_u64 + i as u64),
            started: (first_hour - 48) * 3600,
            hits: 0,
            misses: 0,
            expired: 0,
            evicted: 0,
            commands: 0,
        })
        .collect();
    let mut text = String::new();
    for hour in first_hour..=last_hour {
        let now = hour * 3600;
        for (i, inst) in INSTANCES.iter().enumerate() {
            let s = &mut states[i];
            if i == 1 && hour == restart_hour {
                s.run_id = format!("{:040x}", 0xdead_beef_u64);
                s.started = now - 120;
                s.hits = 0;
                s.misses = 0;
                s.expired = 0;
                s.evicted = 0;
                s.commands = 0;
            }
            // Lookups of the hour before this capture.
            let (h, m) = hourly.get(&(hour - 1)).map_or((0, 0), |v| v[i]);
            s.hits += h;
            s.misses += m;
            s.commands += 2 * (h + m) + 10;
            s.expired += (h + m) / 20;
            let age_h = ((now - s.started) / 3600) as u64;
            if age_h > 24 * 14 && hour % 5 == 0 {
                s.evicted += 1;
            }
            let used_memory = 20_000_000 + (age_h * 900_000).min(470_000_000) + (hour as u64 % 13) * 50_000;
            let ts: DateTime<Utc> = Utc.timestamp_opt(now + 2, 0).single().expect("ts");
            let line = if i == 0 && hour == failed_hour {
                serde_json::json!({"ts": ts.to_rfc3339(), "instance": inst, "error": "timeout after 2 s (3 tries)"})
            } else {
                serde_json::json!({"ts": ts.to_rfc3339(), "instance": inst, "info": info_text(s, now, used_memory, 6379)})
            };
            writeln!(text, "{line}")?;
        }
        if hour == torn_hour {
            text.push_str("{\"ts\":\"2026-10-14T00:00:02+00:00\",\"instance\":\"cache-1.internal:6379\",\"info\":\"# Server\\r\\nredis_ver\n");
        }
    }
    write_atomic(&path, text.as_bytes())?;
    Ok(path)
}
