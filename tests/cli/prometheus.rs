//! Prometheus in (issue 27): a real Prometheus scrapes a real redis_exporter
//! over a real redis-server every second; a weekly report with
//! `[sources.prometheus]` reads the raw samples and its keyspace hits and
//! misses equal Redis's own INFO counters, across a restart; an exporter
//! outage shows as a gap and lost coverage; Prometheus stopped is one line.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Datelike;
use serde_json::Value;

use super::cacheroi;
use super::snapshot::{Server, free_port};

/// A child process killed on drop.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// GET `path` from 127.0.0.1:`port`: (status, body).
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let status = resp.split_whitespace().nth(1)?.parse().ok()?;
    Some((
        status,
        resp.split_once("\r\n\r\n").map(|x| x.1.to_string()).unwrap_or_default(),
    ))
}

fn wait_until(what: &str, secs: u64, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("{what}: not within {secs} s");
}

fn exporter(redis_port: u16, port: u16) -> Killed {
    let child = Command::new("prometheus-redis-exporter")
        .args(["-redis.addr", &format!("redis://127.0.0.1:{redis_port}")])
        .args(["-web.listen-address", &format!("127.0.0.1:{port}")])
        .arg("-redis-only-metrics")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus-redis-exporter is installed by scripts/test.sh");
    wait_until("redis_exporter answers", 20, || {
        http_get(port, "/metrics").is_some_and(|(s, _)| s == 200)
    });
    Killed(child)
}

/// A Prometheus scraping `targets` as job `job` every second.
pub fn prometheus(dir: &Path, job: &str, targets: &[u16]) -> (Killed, u16) {
    let port = free_port();
    let list: Vec<String> = targets.iter().map(|t| format!("'127.0.0.1:{t}'")).collect();
    fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: {job}\n    static_configs:\n      - targets: [{}]\n",
            list.join(", ")
        ),
    )
    .unwrap();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus is installed by scripts/test.sh");
    wait_until("Prometheus is ready", 60, || {
        http_get(port, "/-/ready").is_some_and(|(s, _)| s == 200)
    });
    (Killed(child), port)
}

/// The latest value of an instant query's first series.
pub fn latest(port: u16, query: &str) -> Option<f64> {
    let q: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let (status, body) = http_get(port, &format!("/api/v1/query?query={q}"))?;
    if status != 200 {
        return None;
    }
    let v: Value = serde_json::from_str(&body).ok()?;
    v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
}

fn info(redis: &Server, field: &str) -> f64 {
    let text = redis.cli(&["INFO", "stats"]);
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Wait until Prometheus's latest scrape shows Redis's INFO hits and misses.
fn scraped(port: u16, redis: &Server) -> (f64, f64) {
    let (hits, misses) = (info(redis, "keyspace_hits"), info(redis, "keyspace_misses"));
    wait_until("Prometheus has the counters", 30, || {
        latest(port, "redis_keyspace_hits_total{job=\"redis\"}") == Some(hits)
            && latest(port, "redis_keyspace_misses_total{job=\"redis\"}") == Some(misses)
    });
    (hits, misses)
}

#[test]
fn a_report_reads_redis_from_prometheus_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let redis = Server::start(root, &[]);
    let exporter_port = free_port();
    let mut exp = exporter(redis.port, exporter_port);
    let (prom, prom_port) = prometheus(root, "redis", &[exporter_port]);
    // The first scrape, before any traffic: every counter is 0.
    assert_eq!(scraped(prom_port, &redis), (0.0, 0.0));

    // Life 1: 7 hits, 3 misses, scraped; then the exporter is down 6 s.
    redis.cli(&["SET", "k", "v"]);
    for _ in 0..7 {
        redis.cli(&["GET", "k"]);
    }
    for _ in 0..3 {
        redis.cli(&["GET", "nokey"]);
    }
    let (hits_1, misses_1) = scraped(prom_port, &redis);
    assert_eq!((hits_1, misses_1), (7.0, 3.0));
    drop(exp);
    std::thread::sleep(Duration::from_secs(6));
    exp = exporter(redis.port, exporter_port);
    scraped(prom_port, &redis);
    // Life 2: a restart resets the counters; 4 hits and 3 misses after it.
    let redis = redis.restart();
    redis.cli(&["GET", "k"]);
    redis.cli(&["SET", "k2", "v"]);
    for _ in 0..4 {
        redis.cli(&["GET", "k2"]);
    }
    for _ in 0..2 {
        redis.cli(&["GET", "nokey"]);
    }
    let (hits_2, misses_2) = scraped(prom_port, &redis);
    assert_eq!((hits_2, misses_2), (4.0, 3.0));

    let today = chrono::Utc::now().date_naive();
    let week = format!("{}-W{:02}", today.iso_week().year(), today.iso_week().week());
    fs::write(
        root.join("r.csv"),
        format!(
            "ts,customer_id,user_id,endpoint,status,latency_ms,cache_status,cache_enabled\n{},c1,u1,GET /a,200,12,HIT,true\n",
            (chrono::Utc::now() - chrono::Duration::seconds(30)).to_rfc3339()
        ),
    )
    .unwrap();
    let config = |url: &str, selector: &str| {
        format!(
            "[sources]\nrequests = \"r.csv\"\n[baseline]\nfrom = \"2026-09-07\"\nto = \"2026-10-05\"\n\
             [sources.prometheus]\nurl = \"{url}\"\nredis_selector = '{selector}'\n"
        )
    };
    fs::write(
        root.join("c.toml"),
        config(&format!("http://127.0.0.1:{prom_port}"), "{job=\"redis\"}"),
    )
    .unwrap();
    let run = |cfg: &str| {
        cacheroi(root)
            .args(["-q", "weekly", "--week", &week, "--config", cfg, "--out", "out"])
            .output()
            .unwrap()
    };
    let out = run("c.toml");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let m: Value =
        serde_json::from_str(&fs::read_to_string(root.join(format!("out/weekly/{week}/metrics.json"))).unwrap())
            .unwrap();
    let r = &m["redis"];
    // Life 1's deltas from 0, then the restart's new values: Redis's own INFO.
    assert_eq!(r["keyspace_hits"].as_f64(), Some(hits_1 + hits_2), "{r}");
    assert_eq!(r["keyspace_misses"].as_f64(), Some(misses_1 + misses_2), "{r}");
    assert_eq!(r["restarts"], 1, "{r}");
    assert!((r["hit_rate"].as_f64().unwrap() - 11.0 / 17.0).abs() < 1e-12);
    let inst = &r["instances"][0];
    assert_eq!(inst["instance"], format!("127.0.0.1:{exporter_port}"));
    assert!(inst["redis_version"].as_str().is_some_and(|v| !v.is_empty()), "{inst}");
    // The exporter's 6 s outage is a gap of at least 5 s (scrapes every
    // second), and coverage is less than the scraped span.
    let gap = inst["gaps"][0]["seconds"].as_i64().unwrap_or(0);
    assert!(gap >= 5, "{inst}");
    let week_s = 7.0 * 86_400.0;
    assert!(inst["coverage"].as_f64().unwrap() * week_s < 600.0, "{inst}");
    let md = fs::read_to_string(root.join(format!("out/weekly/{week}/summary.md"))).unwrap();
    assert!(md.contains("longest"), "the gap is shown");

    // Bad input, before any query: one line each naming what to fix.
    for (cfg, says) in [
        (config("127.0.0.1:9090", "{job=\"redis\"}"), "write it with its scheme"),
        (
            config(&format!("http://127.0.0.1:{prom_port}"), "{job=redis}"),
            "must be quoted",
        ),
        (
            config(&format!("http://127.0.0.1:{prom_port}"), "{job=\"redis\"}")
                + "bearer_token_env = \"CACHEROI_UNSET_TOKEN\"\n",
            "CACHEROI_UNSET_TOKEN",
        ),
        (
            config(&format!("http://127.0.0.1:{prom_port}"), "{job=\"nothing\"}"),
            "no redis_exporter series match",
        ),
    ] {
        fs::write(root.join("bad.toml"), &cfg).unwrap();
        let out = run("bad.toml");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{cfg}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(says), "{cfg}: {err}");
    }
    // Both Redis sources: which key to drop.
    fs::write(
        root.join("both.toml"),
        config(&format!("http://127.0.0.1:{prom_port}"), "{}")
            .replace("[sources]\n", "[sources]\nredis_snapshots = \"s.ndjson\"\n"),
    )
    .unwrap();
    let err = String::from_utf8_lossy(&run("both.toml").stderr).to_string();
    assert!(err.contains("drop one of them"), "{err}");

    // Prometheus stopped: one line naming the URL, after the retries.
    drop(prom);
    drop(exp);
    let out = run("c.toml");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("Prometheus http://127.0.0.1:{prom_port}")),
        "{err}"
    );
    assert!(err.contains("after 3 attempts"), "{err}");
}
