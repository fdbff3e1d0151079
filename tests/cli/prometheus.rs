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

    // The Grafana dashboard's queries are PromQL this Prometheus accepts.
    let dash: Value = serde_json::from_str(
        &fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("grafana/cacheroi-dashboard.json")).unwrap(),
    )
    .unwrap();
    let mut queries = 0;
    for panel in dash["panels"].as_array().unwrap() {
        for t in panel["targets"].as_array().unwrap() {
            let expr = t["expr"].as_str().unwrap().replace("$redis", "job=\"redis\"");
            let q: String = url::form_urlencoded::byte_serialize(expr.as_bytes()).collect();
            let (status, body) = http_get(prom_port, &format!("/api/v1/query?query={q}")).unwrap();
            assert_eq!(status, 200, "{expr}: {body}");
            queries += 1;
        }
    }
    assert!(queries >= 9);

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

fn promtool(args: &[&str], stdin: Option<&Path>) -> std::process::Output {
    let mut cmd = Command::new("promtool");
    cmd.args(args);
    if let Some(p) = stdin {
        cmd.stdin(fs::File::open(p).unwrap());
    }
    cmd.output().expect("promtool comes with the prometheus package")
}

/// Two optional figures equal to the last bit serde_json's parser keeps (it
/// reads decimals to within an ulp; the textfile writes shortest round-trip).
fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs()),
        (None, None) => true,
        _ => false,
    }
}

/// The value of the first line of `text` that starts with `series`.
fn value_of(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Prometheus out (issue 27): the week's series in a textfile promtool
/// accepts and node_exporter serves, pushed to a real Pushgateway, equal to
/// the week's metrics.json; an unmeasured KPI is absent; the alerting rules
/// pass `promtool check rules` and `promtool test rules`
/// (tests/prometheus/alerts_test.yml: each trigger fires past its threshold
/// and stays quiet under it).
#[test]
fn export_reaches_node_exporter_the_pushgateway_and_promtool() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    super::sample(root, 100);
    let week = "2026-W46";
    let out = cacheroi(root)
        .args(["-q", "export", "--config", "data/cacheroi.toml", "--week", week])
        .args(["--textfile", "tf/cacheroi.prom", "--alert-rules", "rules/alerts.yml"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = fs::read_to_string(root.join("tf/cacheroi.prom")).unwrap();
    let check = promtool(&["check", "metrics"], Some(&root.join("tf/cacheroi.prom")));
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
    assert!(
        check.stdout.is_empty() && check.stderr.is_empty(),
        "no lint: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    // Every KPI with a value in metrics.json, and only those.
    let m = cacheroi(root)
        .args([
            "-q",
            "weekly",
            "--config",
            "data/cacheroi.toml",
            "--week",
            week,
            "--out",
            "w",
        ])
        .output()
        .unwrap();
    assert!(m.status.success());
    let metrics: Value =
        serde_json::from_str(&fs::read_to_string(root.join(format!("w/weekly/{week}/metrics.json"))).unwrap()).unwrap();
    let kpis = metrics["kpis"].as_object().unwrap();
    for (k, cell) in kpis {
        let got = value_of(&text, &format!("cacheroi_kpi{{kpi=\"{k}\",segment=\"all\"}} "));
        assert!(same(got, cell["value"].as_f64()), "{k}: {got:?} {}", cell["value"]);
        let target = value_of(&text, &format!("cacheroi_kpi_target{{kpi=\"{k}\"}} "));
        assert!(same(target, cell["target"].as_f64()), "{k} target");
    }
    let seg = &metrics["segments"]["early_adopters"]["cache_hit_rate"]["value"];
    assert!(same(
        value_of(
            &text,
            "cacheroi_kpi{kpi=\"cache_hit_rate\",segment=\"early_adopters\"} "
        ),
        seg.as_f64()
    ));
    let verdict = metrics["gate"]["verdict"].as_str().unwrap();
    assert_eq!(
        value_of(
            &text,
            &format!("cacheroi_gate_verdict{{verdict=\"{verdict}\",phase=\"phase_4_general_availability\"}} ")
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(value_of(&text, "cacheroi_rollout_week "), Some(6.0));
    // 2026-11-09 00:00 UTC: 20,766 days after 1970-01-01 (2026-01-01 is day
    // 20,454, and Nov 9 is 312 days later) × 86,400 s.
    assert_eq!(
        value_of(
            &text,
            "cacheroi_report_week_start_timestamp_seconds{week=\"2026-W46\"} "
        ),
        Some(20_766.0 * 86_400.0)
    );
    assert!(same(
        value_of(&text, "cacheroi_cost_savings_usd "),
        kpis["cost_savings"]["value"].as_f64()
    ));
    // Without feedback, satisfaction has no value: no series, never 0.
    let no_feedback = fs::read_to_string(root.join("data/cacheroi.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("feedback ="))
        .collect::<Vec<_>>()
        .join("\n");
    fs::write(root.join("data/nofb.toml"), no_feedback).unwrap();
    let out = cacheroi(root)
        .args([
            "-q",
            "export",
            "--config",
            "data/nofb.toml",
            "--week",
            week,
            "--textfile",
            "tf2/c.prom",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text2 = fs::read_to_string(root.join("tf2/c.prom")).unwrap();
    assert!(!text2.contains("cacheroi_kpi{kpi=\"customer_satisfaction\""), "{text2}");
    assert!(!text2.contains("cacheroi_kpi{kpi=\"complaints\""), "{text2}");
    assert!(text2.contains("kpi=\"cache_hit_rate\""));

    // node_exporter's textfile collector serves it.
    let port = free_port();
    let _node = Killed(
        Command::new("prometheus-node-exporter")
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--collector.textfile.directory={}", root.join("tf").display()))
            .args(["--collector.disable-defaults", "--collector.textfile"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus-node-exporter is installed by scripts/test.sh"),
    );
    let mut served = String::new();
    wait_until("node_exporter serves the textfile", 20, || {
        served = http_get(port, "/metrics").map(|(_, b)| b).unwrap_or_default();
        served.contains("cacheroi_kpi{")
    });
    assert!(same(
        value_of(&served, "cacheroi_kpi{kpi=\"cache_hit_rate\",segment=\"all\"} "),
        kpis["cache_hit_rate"]["value"].as_f64()
    ));
    assert!(served.lines().any(|l| l == "node_textfile_scrape_error 0"), "{served}");

    // The Pushgateway holds the pushed series under job="cacheroi".
    let port = free_port();
    let _gw = Killed(
        Command::new("prometheus-pushgateway")
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus-pushgateway is installed by scripts/test.sh"),
    );
    wait_until("the Pushgateway answers", 20, || {
        http_get(port, "/-/ready").is_some_and(|(s, _)| s == 200)
    });
    let out = cacheroi(root)
        .args(["-q", "export", "--config", "data/cacheroi.toml", "--week", week])
        .args(["--pushgateway", &format!("http://127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let held = http_get(port, "/metrics").unwrap().1;
    let line = held
        .lines()
        .find(|l| {
            l.starts_with("cacheroi_kpi{") && l.contains("kpi=\"cache_hit_rate\"") && l.contains("segment=\"all\"")
        })
        .unwrap_or_else(|| panic!("{held}"));
    assert!(line.contains("job=\"cacheroi\""), "{line}");
    assert!(same(
        line.rsplit(' ').next().unwrap().parse::<f64>().ok(),
        kpis["cache_hit_rate"]["value"].as_f64()
    ));
    // A Pushgateway that is not there: one line after the retries; a bad URL
    // before any work.
    drop(_gw);
    for (url, says) in [
        (format!("http://127.0.0.1:{port}"), "after 3 attempts"),
        ("pushgateway:9091".to_string(), "with http:// or https://"),
    ] {
        let out = cacheroi(root)
            .args([
                "-q",
                "export",
                "--config",
                "data/cacheroi.toml",
                "--week",
                week,
                "--pushgateway",
                &url,
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(says), "{err}");
    }

    // The alerting rules: promtool checks them and tests them.
    let rules = root.join("rules");
    let check = promtool(&["check", "rules", rules.join("alerts.yml").to_str().unwrap()], None);
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    assert!(String::from_utf8_lossy(&check.stdout).contains("SUCCESS: 5 rules found"));
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/prometheus/alerts_test.yml"),
        rules.join("alerts_test.yml"),
    )
    .unwrap();
    let test = promtool(
        &["test", "rules", rules.join("alerts_test.yml").to_str().unwrap()],
        None,
    );
    assert!(
        test.status.success(),
        "{}{}",
        String::from_utf8_lossy(&test.stdout),
        String::from_utf8_lossy(&test.stderr)
    );
    let written = fs::read_to_string(rules.join("alerts.yml")).unwrap();
    assert!(
        written.contains("# security_incident (phase_3_enterprise): a person judges it"),
        "{written}"
    );
}
