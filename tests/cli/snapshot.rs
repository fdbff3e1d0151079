//! `snapshot` against real redis-server processes spawned on free loopback
//! ports (scripts/test.sh installs redis-server and redis-tools).

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cacheroi::sources::redis_store;

use super::cacheroi;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A redis-server of the test's own, killed on drop.
pub struct Server {
    pub port: u16,
    child: Child,
    dir: PathBuf,
    extra: Vec<String>,
}

impl Server {
    pub fn start(dir: &Path, extra: &[&str]) -> Server {
        Server::start_on(dir, free_port(), extra.iter().map(|s| s.to_string()).collect())
    }

    fn start_on(dir: &Path, port: u16, extra: Vec<String>) -> Server {
        let dir = dir.join(format!("redis-{port}"));
        fs::create_dir_all(&dir).unwrap();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(["--dir", dir.to_str().unwrap()])
            .args(&extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed by scripts/test.sh");
        let server = Server {
            port,
            child,
            dir,
            extra,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server on port {} did not start", self.port);
    }

    /// Run redis-cli against this server.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// SHUTDOWN NOSAVE, then start again on the same port.
    pub fn restart(mut self) -> Server {
        self.cli(&["SHUTDOWN", "NOSAVE"]);
        let _ = self.child.wait();
        let (dir, port, extra) = (self.dir.parent().unwrap().to_path_buf(), self.port, self.extra.clone());
        std::mem::forget(self);
        Server::start_on(&dir, port, extra)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A config whose snapshot store is `dir/store.ndjson`.
fn config(dir: &Path) -> PathBuf {
    fs::write(
        dir.join("r.csv"),
        "ts,customer_id,user_id,endpoint,status,latency_ms,cache_status,cache_enabled\n",
    )
    .unwrap();
    fs::write(dir.join("f.csv"), "ts,customer_id,score\n").unwrap();
    let cfg = dir.join("cacheroi.toml");
    fs::write(
        &cfg,
        "[sources]\nrequests = \"r.csv\"\nfeedback = \"f.csv\"\nredis_snapshots = \"store.ndjson\"\n[baseline]\nfrom = \"2026-09-07\"\nto = \"2026-10-05\"\n",
    )
    .unwrap();
    cfg
}

fn snapshot(dir: &Path, urls: &[String]) -> std::process::Output {
    let mut cmd = cacheroi(dir);
    cmd.args([
        "-q",
        "snapshot",
        "--config",
        "cacheroi.toml",
        "--timeout",
        "1",
        "--tries",
        "2",
    ]);
    for u in urls {
        cmd.args(["--redis", u]);
    }
    cmd.output().unwrap()
}

fn store(dir: &Path) -> redis_store::Store {
    redis_store::read(&dir.join("store.ndjson")).unwrap()
}

/// Redis KPIs over everything in the store.
fn kpis(dir: &Path) -> cacheroi::metrics::redis::RedisKpis {
    let tz = chrono_tz::UTC;
    let today = chrono::Utc::now().date_naive();
    let period =
        cacheroi::period::Period::new(today - chrono::Duration::days(1), today + chrono::Duration::days(2), tz);
    cacheroi::metrics::redis::measure(&store(dir), &period)
}

fn hits_and_misses(s: &Server, hits: usize, misses: usize) {
    s.cli(&["SET", "k", "v"]);
    for _ in 0..hits {
        s.cli(&["GET", "k"]);
    }
    for _ in 0..misses {
        s.cli(&["GET", "nope"]);
    }
}

#[test]
fn two_instances_give_the_expected_deltas_and_a_restart_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    config(dir);
    let a = Server::start(dir, &[]);
    let b = Server::start(dir, &[]);
    let urls = vec![a.url(), b.url()];
    assert!(snapshot(dir, &urls).status.success());
    // Between the captures: a gets 5 hits and 2 misses, b 1 hit and 3 misses.
    hits_and_misses(&a, 5, 2);
    hits_and_misses(&b, 1, 3);
    let out = snapshot(dir, &urls);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("captured 127.0.0.1:{}", a.port)), "{stdout}");
    let k = kpis(dir);
    assert_eq!(k.snapshots, 4);
    assert_eq!((k.keyspace_hits, k.keyspace_misses), (6, 5));
    assert!((k.hit_rate.unwrap() - 6.0 / 11.0).abs() < 1e-12);
    assert_eq!(k.restarts, 0);

    // Restart b (SHUTDOWN NOSAVE semantics: the process dies, counters restart).
    let b = b.restart();
    hits_and_misses(&b, 2, 0);
    assert!(snapshot(dir, &[a.url(), b.url()]).status.success());
    let k = kpis(dir);
    assert_eq!(k.restarts, 1);
    // After the restart the delta is the new value itself: b's 2 new hits.
    assert_eq!(k.keyspace_hits, 6 + 2);
}

#[test]
fn password_and_an_info_only_acl_user_work_and_stay_secret() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    config(dir);
    let s = Server::start(dir, &["--requirepass", "top-secret-pw"]);
    s.cli(&[
        "-a",
        "top-secret-pw",
        "--no-auth-warning",
        "ACL",
        "SETUSER",
        "reporter",
        "on",
        ">reporter-pw",
        "-@all",
        "+info",
    ]);
    let urls = [
        format!("redis://:top-secret-pw@127.0.0.1:{}", s.port),
        format!("redis://reporter:reporter-pw@127.0.0.1:{}/0", s.port),
    ];
    let out = snapshot(dir, &urls[..1]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = snapshot(dir, &urls[1..]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let wrong = snapshot(dir, &[format!("redis://reporter:wrong-pw@127.0.0.1:{}", s.port)]);
    assert_eq!(wrong.status.code(), Some(1));
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        err.contains(&format!("redis://reporter:***@127.0.0.1:{}", s.port)),
        "{err}"
    );
    let text = fs::read_to_string(dir.join("store.ndjson")).unwrap();
    for secret in ["top-secret-pw", "reporter-pw", "wrong-pw"] {
        assert!(!text.contains(secret) && !err.contains(secret), "{secret} leaked");
    }
    let st = store(dir);
    assert_eq!((st.captures.len(), st.failures.len()), (2, 1));
    assert_eq!(st.captures[0].instance, format!("127.0.0.1:{}", s.port));
}

#[test]
fn a_dead_port_is_recorded_as_a_failure_and_the_rest_is_captured() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    config(dir);
    let s = Server::start(dir, &[]);
    let dead = free_port();
    let out = snapshot(dir, &[s.url(), format!("redis://127.0.0.1:{dead}")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<_> = err.lines().filter(|l| l.starts_with("error: cannot capture")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains(&format!("127.0.0.1:{dead}")) && lines[0].contains("refused"),
        "{err}"
    );
    let st = store(dir);
    assert_eq!(st.captures.len(), 1);
    assert_eq!(st.failures.len(), 1);
    assert_eq!(st.failures[0].instance, format!("127.0.0.1:{dead}"));
}

#[test]
fn concurrent_runs_leave_a_well_formed_store_and_retention_drops_old_captures() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    config(dir);
    let a = Server::start(dir, &[]);
    let b = Server::start(dir, &[]);
    // An old capture and a torn line from an older crash.
    fs::write(
        dir.join("store.ndjson"),
        "{\"ts\":\"2020-01-01T00:00:00Z\",\"instance\":\"old:1\",\"error\":\"x\"}\n{\"ts\":\"2026-11-",
    )
    .unwrap();
    let urls = [a.url(), b.url()];
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("cacheroi"));
            cmd.current_dir(dir)
                .args([
                    "-q",
                    "snapshot",
                    "--config",
                    "cacheroi.toml",
                    "--redis",
                    &urls[0],
                    "--redis",
                    &urls[1],
                ])
                .stdout(Stdio::null());
            cmd.spawn().unwrap()
        })
        .collect();
    for mut r in runs {
        assert!(r.wait().unwrap().success());
    }
    let st = store(dir);
    assert_eq!(st.captures.len(), 8, "4 runs × 2 instances");
    assert_eq!(st.bad_lines, 1, "only the torn line from before");
    let out = cacheroi(dir)
        .args(["-q", "snapshot", "--config", "cacheroi.toml", "--retain", "400d"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("dropped 1"));
    let st = store(dir);
    assert_eq!((st.captures.len(), st.failures.len()), (8, 0));
}

#[test]
fn a_three_node_cluster_is_captured_whole() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    config(dir);
    let nodes: Vec<Server> = (0..3)
        .map(|_| Server::start(dir, &["--cluster-enabled", "yes", "--cluster-node-timeout", "2000"]))
        .collect();
    // Cluster config files go to each node's own --dir; create the cluster.
    let mut args = vec!["--cluster".to_string(), "create".to_string()];
    args.extend(nodes.iter().map(|n| format!("127.0.0.1:{}", n.port)));
    args.push("--cluster-yes".into());
    let out = Command::new("redis-cli").args(&args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let seed = format!("redis+cluster://127.0.0.1:{}", nodes[0].port);
    let out = snapshot(dir, &[seed]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let st = store(dir);
    let mut instances: Vec<_> = st.captures.iter().map(|c| c.instance.clone()).collect();
    instances.sort();
    let mut want: Vec<_> = nodes.iter().map(|n| format!("127.0.0.1:{}", n.port)).collect();
    want.sort();
    assert_eq!(instances, want);
}

#[test]
fn no_redis_to_capture_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    config(dir.path());
    cacheroi(dir.path())
        .args(["snapshot", "--config", "cacheroi.toml"])
        .assert()
        .code(2);
    cacheroi(dir.path())
        .args(["snapshot", "--config", "cacheroi.toml", "--redis", "http://x"])
        .assert()
        .code(2);
}

/// A private CA and a server certificate for 127.0.0.1 signed by it (PEM).
pub fn test_certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.distinguished_name = DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "cacheroi test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &issuer).unwrap();
    let (ca, crt, pem_key) = (dir.join("ca.pem"), dir.join("server.pem"), dir.join("server.key"));
    fs::write(&ca, ca_cert.pem()).unwrap();
    fs::write(&crt, cert.pem()).unwrap();
    fs::write(&pem_key, key.serialize_pem()).unwrap();
    (ca, crt, pem_key)
}

#[test]
fn a_tls_instance_with_a_private_ca_is_captured() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    config(dir);
    let (ca, crt, key) = test_certificates(dir);
    let tls_port = free_port();
    let s = Server::start(
        dir,
        &[
            "--tls-port",
            &tls_port.to_string(),
            "--tls-cert-file",
            crt.to_str().unwrap(),
            "--tls-key-file",
            key.to_str().unwrap(),
            "--tls-ca-cert-file",
            ca.to_str().unwrap(),
            "--tls-auth-clients",
            "no",
        ],
    );
    let url = format!("rediss://127.0.0.1:{tls_port}");
    let out = cacheroi(dir)
        .args([
            "-q",
            "snapshot",
            "--config",
            "cacheroi.toml",
            "--redis",
            &url,
            "--ca-file",
        ])
        .arg(&ca)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let st = store(dir);
    assert_eq!(st.captures.len(), 1);
    assert_eq!(st.captures[0].instance, format!("127.0.0.1:{tls_port}"));
    assert!(st.captures[0].redis_version.is_some());
    // Without the private CA the certificate is not trusted: a failure record.
    let out = cacheroi(dir)
        .args([
            "-q",
            "snapshot",
            "--config",
            "cacheroi.toml",
            "--tries",
            "1",
            "--redis",
            &url,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(store(dir).failures.len(), 1);
    drop(s);
}
