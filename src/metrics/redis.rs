//! Redis KPIs over a period (docs/kpis.md#redis-figures): per instance, the delta of each
//! counter between consecutive captures that both lie in P (the new value
//! itself after a restart or when the counter went down), then summed over
//! instances; the hit rate is the ratio of the summed deltas.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::period::Period;
use crate::sources::redis_store::{Capture, Store};

/// One instance's figures over the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InstanceKpis {
    pub instance: String,
    pub redis_version: Option<String>,
    pub snapshots: u64,
    pub failed_captures: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub hit_rate: Option<f64>,
    pub evicted_keys: u64,
    pub expired_keys: u64,
    pub restarts: u64,
    pub peak_used_memory_bytes: u64,
    /// maxmemory of the last capture (0: no limit set).
    pub maxmemory_bytes: Option<u64>,
    /// mem_fragmentation_ratio of the last capture.
    pub mem_fragmentation_ratio: Option<f64>,
    /// Peak used memory / maxmemory (None when no limit is set).
    pub peak_memory_share: Option<f64>,
    /// Mean of instantaneous_ops_per_sec over the captures.
    pub mean_ops_per_sec: Option<f64>,
    /// Role of the last capture (`master`, `slave`).
    pub role: Option<String>,
    /// Pairs of captures in which the role changed without a restart.
    pub failovers: u64,
    /// Pairs of captures where one lacks a counter (a partial INFO): no
    /// delta is taken for that counter.
    pub counter_gaps: u64,
    /// Hours of the period with at least one capture / hours in the period.
    pub coverage: f64,
    /// Silences between consecutive captures longer than [`GAP_FACTOR`]
    /// times the instance's usual interval (its median), longest first, at
    /// most [`GAPS_SHOWN`]: a stopped cron, an exporter or Redis down.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<Gap>,
    /// Redis 7 per-command latency of the last capture, busiest commands first (at most 5).
    pub command_latency: Vec<crate::sources::redis_store::CommandLatency>,
}

/// A silence between two captures of an instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    /// The captures on either side (RFC 3339, UTC).
    pub from: String,
    pub to: String,
    pub seconds: i64,
}

/// A gap is an interval longer than this many usual intervals.
pub const GAP_FACTOR: i64 = 3;
/// The longest gaps an instance lists.
pub const GAPS_SHOWN: usize = 5;

/// The instance's usual interval between captures: the median, at most an
/// hour (an hour for a single capture: the snapshot cron's cadence).
fn usual_interval(caps: &[&Capture]) -> i64 {
    let mut steps: Vec<i64> = caps
        .windows(2)
        .map(|p| (p[1].ts - p[0].ts).num_milliseconds())
        .collect();
    if steps.is_empty() {
        return HOUR_MS;
    }
    steps.sort_unstable();
    steps[steps.len() / 2].clamp(1, HOUR_MS)
}

const HOUR_MS: i64 = 3_600_000;

/// The share of the period the captures vouch for. A silence counts when it
/// is longer than one and a half usual intervals: between two captures, or
/// from the last capture to the period's end, it loses its part beyond one
/// interval (a capture vouches for the interval after it); from the
/// period's start to the first capture it loses all of it. Hourly snapshots
/// that miss an hour lose 1/168 of a week; an exporter scraped every 15 s
/// that is down for 10 minutes loses 10 minutes; a few seconds of jitter,
/// or a cron at :40, lose nothing. No capture at all: 0.
fn coverage(caps: &[&Capture], period: &Period) -> f64 {
    let usual = usual_interval(caps);
    let (start, end) = (period.start.timestamp_millis(), period.end.timestamp_millis());
    let length = (end - start).max(1);
    if caps.is_empty() {
        return 0.0;
    }
    let times: Vec<i64> = caps.iter().map(|c| c.ts.timestamp_millis().clamp(start, end)).collect();
    let long = |d: i64| 2 * d > 3 * usual;
    let head = times[0] - start;
    let after: i64 = times
        .windows(2)
        .map(|p| p[1] - p[0])
        .chain(std::iter::once(end - times[times.len() - 1]))
        .filter(|d| long(*d))
        .map(|d| d - usual)
        .sum();
    let lost = after + if long(head) { head } else { 0 };
    ((length - lost) as f64 / length as f64).clamp(0.0, 1.0)
}

/// The gaps of one instance's captures, sorted by time.
fn gaps(caps: &[&Capture]) -> Vec<Gap> {
    if caps.len() < 3 {
        return Vec::new();
    }
    let usual = usual_interval(caps);
    let mut out: Vec<Gap> = caps
        .windows(2)
        .filter(|p| (p[1].ts - p[0].ts).num_milliseconds() > GAP_FACTOR * usual)
        .map(|p| Gap {
            from: p[0].ts.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            to: p[1].ts.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            seconds: (p[1].ts - p[0].ts).num_seconds(),
        })
        .collect();
    out.sort_by(|a, b| b.seconds.cmp(&a.seconds).then_with(|| a.from.cmp(&b.from)));
    out.truncate(GAPS_SHOWN);
    out
}

/// The `redis` block of metrics.json.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RedisKpis {
    pub hit_rate: Option<f64>,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub evicted_keys: u64,
    pub expired_keys: u64,
    pub restarts: u64,
    pub failovers: u64,
    pub peak_used_memory_bytes: u64,
    pub snapshots: u64,
    /// Pairs of captures where one lacks a counter (no delta taken).
    pub counter_gaps: u64,
    pub failed_captures: u64,
    /// Mean capture coverage over instances (share of the period's hours captured).
    pub coverage: Option<f64>,
    /// Store lines that were not captures (torn writes), over the whole store.
    pub unreadable_lines: u64,
    pub instances: Vec<InstanceKpis>,
    /// Not measured: no Redis source is configured (`no_source:redis`).
    /// metrics.json then shows every figure as null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The report's line naming the source and its key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_measured: Option<String>,
}

impl RedisKpis {
    /// No figure at all: the source is not configured.
    pub fn not_measured(reason: &'static str, line: String) -> Self {
        RedisKpis {
            reason: Some(reason),
            not_measured: Some(line),
            ..Default::default()
        }
    }
}

/// Delta of a counter between two consecutive captures; the new value itself
/// after a restart or when the counter went down (it was reset). None (a
/// gap) when a capture lacks the counter: without a restart, the new value
/// would be the counter's whole lifetime, not the pair's delta.
fn delta(prev: Option<u64>, next: Option<u64>, restarted: bool) -> Option<u64> {
    match (prev, next) {
        (_, None) => None,
        (None, Some(n)) => restarted.then_some(n),
        (Some(p), Some(n)) if restarted || n < p => Some(n),
        (Some(p), Some(n)) => Some(n - p),
    }
}

/// Whether the instance restarted between two captures: `run_id` changed or
/// `uptime_in_seconds` went down.
pub fn restarted(prev: &Capture, next: &Capture) -> bool {
    let run_changed = matches!((&prev.run_id, &next.run_id), (Some(a), Some(b)) if a != b);
    let uptime_down = matches!((prev.uptime_in_seconds, next.uptime_in_seconds), (Some(a), Some(b)) if b < a);
    run_changed || uptime_down
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b != 0).then(|| a as f64 / b as f64)
}

/// One instance's KPIs from its captures of the period, in time order:
/// counters summed between consecutive captures (a restart starts them
/// anew), the last capture's settings.
fn instance_kpis(instance: &str, caps: &[&Capture], failed_captures: u64, period: &Period) -> InstanceKpis {
    let mut k = InstanceKpis {
        instance: instance.to_string(),
        snapshots: caps.len() as u64,
        failed_captures,
        ..Default::default()
    };
    for pair in caps.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let r = restarted(a, b);
        k.restarts += u64::from(r);
        let role_changed = matches!((&a.role, &b.role), (Some(x), Some(y)) if x != y);
        k.failovers += u64::from(role_changed && !r);
        let pairs = [
            (&mut k.keyspace_hits, a.keyspace_hits, b.keyspace_hits),
            (&mut k.keyspace_misses, a.keyspace_misses, b.keyspace_misses),
            (&mut k.evicted_keys, a.evicted_keys, b.evicted_keys),
            (&mut k.expired_keys, a.expired_keys, b.expired_keys),
        ];
        let mut gap = false;
        for (sum, x, y) in pairs {
            match delta(x, y, r) {
                Some(d) => *sum = sum.saturating_add(d),
                None => gap = true,
            }
        }
        k.counter_gaps += u64::from(gap);
    }
    k.hit_rate = ratio(k.keyspace_hits, k.keyspace_hits + k.keyspace_misses);
    k.peak_used_memory_bytes = caps.iter().filter_map(|c| c.used_memory).max().unwrap_or(0);
    if let Some(last) = caps.last() {
        k.redis_version = last.redis_version.clone();
        k.maxmemory_bytes = last.maxmemory;
        k.mem_fragmentation_ratio = last.mem_fragmentation_ratio;
        k.role = last.role.clone();
        k.command_latency = last.command_latency.iter().take(5).cloned().collect();
    }
    k.peak_memory_share = k
        .maxmemory_bytes
        .filter(|m| *m > 0)
        .map(|m| k.peak_used_memory_bytes as f64 / m as f64);
    let ops: Vec<f64> = caps
        .iter()
        .filter_map(|c| c.instantaneous_ops_per_sec)
        .map(|o| o as f64)
        .collect();
    k.mean_ops_per_sec = (!ops.is_empty()).then(|| ops.iter().sum::<f64>() / ops.len() as f64);
    k.coverage = coverage(caps, period);
    k.gaps = gaps(caps);
    k
}

impl RedisKpis {
    /// Add one instance: its counts to the totals, the instance to the list.
    fn add(&mut self, k: InstanceKpis) {
        self.keyspace_hits += k.keyspace_hits;
        self.keyspace_misses += k.keyspace_misses;
        self.evicted_keys += k.evicted_keys;
        self.expired_keys += k.expired_keys;
        self.restarts += k.restarts;
        self.failovers += k.failovers;
        self.counter_gaps += k.counter_gaps;
        self.peak_used_memory_bytes += k.peak_used_memory_bytes;
        self.snapshots += k.snapshots;
        self.failed_captures += k.failed_captures;
        self.instances.push(k);
    }
}

/// Redis KPIs of `period` from the store.
pub fn measure(store: &Store, period: &Period) -> RedisKpis {
    let in_p = |c: &Capture| c.ts >= period.start && c.ts < period.end;
    let mut by_instance: BTreeMap<&str, Vec<&Capture>> = BTreeMap::new();
    for c in store.captures.iter().filter(|c| in_p(c)) {
        by_instance.entry(c.instance.as_str()).or_default().push(c);
    }
    let mut failed: BTreeMap<&str, u64> = BTreeMap::new();
    for f in store
        .failures
        .iter()
        .filter(|f| f.ts >= period.start && f.ts < period.end)
    {
        *failed.entry(f.instance.as_str()).or_default() += 1;
        by_instance.entry(f.instance.as_str()).or_default();
    }
    let mut out = RedisKpis {
        unreadable_lines: store.bad_lines,
        ..Default::default()
    };
    for (instance, mut caps) in by_instance {
        caps.sort_by_key(|c| c.ts);
        let k = instance_kpis(instance, &caps, failed.get(instance).copied().unwrap_or(0), period);
        out.add(k);
    }
    out.hit_rate = ratio(out.keyspace_hits, out.keyspace_hits + out.keyspace_misses);
    out.coverage = (!out.instances.is_empty())
        .then(|| out.instances.iter().map(|i| i.coverage).sum::<f64>() / out.instances.len() as f64);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::IsoWeek;
    use chrono::{DateTime, Utc};

    #[allow(
        clippy::too_many_arguments,
        reason = "a table of captures reads best one row per call"
    )]
    fn cap(ts: &str, inst: &str, run: &str, up: u64, hits: u64, misses: u64, evicted: u64, mem: u64) -> Capture {
        Capture {
            ts: DateTime::parse_from_rfc3339(ts).unwrap().with_timezone(&Utc),
            instance: inst.into(),
            redis_version: Some("7.0.15".into()),
            run_id: Some(run.into()),
            uptime_in_seconds: Some(up),
            keyspace_hits: Some(hits),
            keyspace_misses: Some(misses),
            evicted_keys: Some(evicted),
            expired_keys: Some(0),
            used_memory: Some(mem),
            maxmemory: Some(0),
            mem_fragmentation_ratio: Some(1.1),
            instantaneous_ops_per_sec: None,
            total_commands_processed: None,
            connected_clients: None,
            role: Some("master".into()),
            command_latency: Vec::new(),
        }
    }

    /// Captures every 15 s with one silence of 90 s (6 usual intervals > 3):
    /// one gap, its ends and length; a silence of 45 s (3 intervals) is none
    /// (but more than 1.5 intervals: it loses coverage).
    #[test]
    fn silences_longer_than_three_usual_intervals_are_gaps() {
        let at = |s: i64| {
            let ts = chrono::DateTime::from_timestamp(1_763_251_200 + s, 0)
                .unwrap()
                .to_rfc3339();
            cap(&ts, "a:1", "r1", 100 + s as u64, s as u64, 0, 0, 1)
        };
        let caps: Vec<Capture> = [0, 15, 30, 45, 135, 150, 165, 210, 225].into_iter().map(at).collect();
        let refs: Vec<&Capture> = caps.iter().collect();
        let g = gaps(&refs);
        assert_eq!(g.len(), 1, "{g:?}");
        assert_eq!(g[0].seconds, 90);
        assert_eq!(
            (g[0].from.as_str(), g[0].to.as_str()),
            ("2025-11-16T00:00:45Z", "2025-11-16T00:02:15Z")
        );
        assert!(gaps(&refs[..2]).is_empty());
        // Over the day of the captures (86,400 s), every 15 s from 0 to 225
        // with silences of 90 s (loses 90 − 15 = 75) and 45 s (loses 30);
        // the last capture vouches for 15 s, the rest of the day
        // (86,400 − 225 − 15 = 86,160) is lost: covered 240 − 105 = 135 s.
        let day = Period::new(
            chrono::NaiveDate::from_ymd_opt(2025, 11, 16).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2025, 11, 17).unwrap(),
            chrono_tz::UTC,
        );
        assert!(
            (coverage(&refs, &day) - 135.0 / 86_400.0).abs() < 1e-12,
            "{}",
            coverage(&refs, &day)
        );
        assert_eq!(coverage(&[], &day), 0.0);
    }

    #[test]
    fn deltas_restarts_and_hit_rate_follow_the_contract() {
        // Week 2026-W47 in UTC: [2026-11-16, 2026-11-23).
        let period = IsoWeek { year: 2026, week: 47 }.period(chrono_tz::UTC);
        let store = Store {
            captures: vec![
                // Before P: its counters do not count (the pair is not in P).
                cap("2026-11-15T23:00:00Z", "a:1", "r1", 100, 500, 100, 0, 10),
                cap("2026-11-16T00:00:00Z", "a:1", "r1", 3700, 600, 120, 1, 20),
                cap("2026-11-16T01:00:00Z", "a:1", "r1", 7300, 900, 170, 3, 50),
                // Restart: run_id changes, counters restart from 0.
                cap("2026-11-16T02:00:00Z", "a:1", "r2", 60, 40, 10, 0, 30),
                cap("2026-11-16T03:00:00Z", "b:1", "s1", 10, 1000, 0, 0, 100),
                // Counter went down without a restart signal: new value itself.
                cap("2026-11-16T04:00:00Z", "b:1", "s1", 3610, 200, 50, 0, 80),
                // After P: excluded.
                cap("2026-11-23T00:00:00Z", "b:1", "s1", 9999, 99999, 0, 0, 999),
            ],
            ..Default::default()
        };
        let k = measure(&store, &period);
        // a: pairs (00→01) hits +300 misses +50 evicted +2; (01→02) restart: +40, +10, +0.
        // b: pair (03→04) hits went down: +200, misses +50.
        // Σ hits = 300 + 40 + 200 = 540; Σ misses = 50 + 10 + 50 = 110.
        assert_eq!(k.keyspace_hits, 540);
        assert_eq!(k.keyspace_misses, 110);
        // hit_rate = 540 / 650 = 0.830769…
        assert!((k.hit_rate.unwrap() - 540.0 / 650.0).abs() < 1e-12);
        assert_eq!(k.evicted_keys, 2);
        assert_eq!(k.restarts, 1);
        assert_eq!(k.snapshots, 5);
        // Peak memory: max of a in P (50) + max of b in P (100) = 150.
        assert_eq!(k.peak_used_memory_bytes, 150);
        // Coverage: a was captured in 3 of the week's 168 hours, b in 2.
        assert!((k.instances[0].coverage - 3.0 / 168.0).abs() < 1e-12);
        assert!((k.coverage.unwrap() - (3.0 + 2.0) / 2.0 / 168.0).abs() < 1e-12);
        assert_eq!(k.failovers, 0);
    }

    #[test]
    fn a_capture_missing_a_counter_is_a_gap_not_a_lifetime() {
        // The middle capture lacks keyspace_hits (a partial INFO): the pairs
        // around it take no hits delta, instead of adding 1,000,000 (the
        // counter's lifetime) in the second pair. Misses are complete.
        let period = IsoWeek { year: 2026, week: 47 }.period(chrono_tz::UTC);
        let mut partial = cap("2026-11-16T01:00:00Z", "a:1", "r1", 7300, 0, 150, 0, 50);
        partial.keyspace_hits = None;
        let store = Store {
            captures: vec![
                cap("2026-11-16T00:00:00Z", "a:1", "r1", 3700, 999_000, 100, 0, 20),
                partial,
                cap("2026-11-16T02:00:00Z", "a:1", "r1", 10900, 1_000_000, 170, 0, 50),
            ],
            ..Default::default()
        };
        let k = measure(&store, &period);
        // Hits: both pairs are gaps → 0. Misses: 50 + 20 = 70.
        assert_eq!((k.keyspace_hits, k.keyspace_misses), (0, 70));
        assert_eq!(k.counter_gaps, 2);
        // After a restart the new value is the delta, whatever came before.
        let mut restarted = cap("2026-11-16T03:00:00Z", "a:1", "r2", 10, 30, 5, 0, 50);
        restarted.keyspace_misses = Some(5);
        let mut store = store;
        store.captures.push(restarted);
        let k = measure(&store, &period);
        assert_eq!((k.keyspace_hits, k.keyspace_misses, k.counter_gaps), (30, 75, 2));
    }

    #[test]
    fn a_role_change_without_restart_is_a_failover() {
        let period = IsoWeek { year: 2026, week: 47 }.period(chrono_tz::UTC);
        let mut replica = cap("2026-11-16T01:00:00Z", "a:1", "r1", 7300, 900, 170, 3, 50);
        replica.role = Some("slave".into());
        let store = Store {
            captures: vec![cap("2026-11-16T00:00:00Z", "a:1", "r1", 3700, 600, 120, 1, 20), replica],
            ..Default::default()
        };
        let k = measure(&store, &period);
        assert_eq!((k.failovers, k.restarts), (1, 0));
        assert_eq!(k.instances[0].role.as_deref(), Some("slave"));
    }

    #[test]
    fn no_captures_gives_zero_counts_and_no_hit_rate() {
        let period = IsoWeek { year: 2026, week: 47 }.period(chrono_tz::UTC);
        let k = measure(&Store::default(), &period);
        assert_eq!(k.hit_rate, None);
        assert_eq!((k.snapshots, k.restarts, k.evicted_keys), (0, 0, 0));
    }
}
