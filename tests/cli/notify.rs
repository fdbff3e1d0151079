//! `cacheroi notify` against a real local HTTP server standing in for a
//! Slack incoming webhook (tests/slack/server.py), its answers scripted:
//! 200; 429 then 200 (Retry-After honoured); 500 three times; 404 (never
//! retried). The webhook URL is a secret: it must appear in no output.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::snapshot::free_port;
use super::{cacheroi, copy_dir};

struct Hook {
    port: u16,
    dir: PathBuf,
    child: Child,
}

impl Hook {
    fn start(root: &Path, statuses: &str) -> Hook {
        let port = free_port();
        let dir = root.join(format!("posts-{port}"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slack/server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--statuses", statuses, "--dir"])
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("ready"), "webhook server did not start: {line:?}");
        Hook { port, dir, child }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/services/T000/B000/SECRETTOKEN", self.port)
    }

    /// (status answered, seconds since the first request, body) per request.
    fn posts(&self) -> Vec<(u16, f64, Value)> {
        let mut names: Vec<PathBuf> = fs::read_dir(&self.dir)
            .map(|d| {
                d.map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|e| e == "meta"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
            .iter()
            .map(|meta| {
                let m = fs::read_to_string(meta).unwrap();
                let f: Vec<&str> = m.split_whitespace().collect();
                let body = fs::read_to_string(meta.with_extension("json")).unwrap();
                (
                    f[0].parse().unwrap(),
                    f[3].parse().unwrap(),
                    serde_json::from_str(&body).unwrap(),
                )
            })
            .collect()
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn notify(root: &Path, hook: &Hook, args: &[&str]) -> std::process::Output {
    let data = root.join("data");
    if !data.exists() {
        copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data"), &data);
    }
    cacheroi(root)
        .env("CACHEROI_SLACK_WEBHOOK", hook.url())
        .args(["-v", "notify", "--config", "data/cacheroi.toml"])
        .args(args)
        .output()
        .unwrap()
}

fn no_secret(out: &std::process::Output) {
    for text in [&out.stdout, &out.stderr] {
        let t = String::from_utf8_lossy(text);
        assert!(!t.contains("SECRETTOKEN") && !t.contains("/services/"), "{t}");
    }
}

#[test]
fn the_weekly_digest_is_posted_once_on_200() {
    let root = tempfile::tempdir().unwrap();
    let hook = Hook::start(root.path(), "200");
    let out = notify(root.path(), &hook, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    no_secret(&out);
    let posts = hook.posts();
    assert_eq!(posts.len(), 1);
    let body = &posts[0].2;
    assert_eq!(
        body["text"],
        "Cache rollout 2026-W46: HOLD — phase 4 general availability"
    );
    assert_eq!(body["blocks"][0]["type"], "header");
    let fields = body["blocks"][1]["fields"].as_array().unwrap();
    assert_eq!(
        fields[2]["text"],
        "*Net savings*\n347.11 USD\n_this week; 18,099.32 USD a year at this rate_"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("posted the Slack digest of 2026-W46 ($CACHEROI_SLACK_WEBHOOK, 1 attempt)")
    );
}

#[test]
fn a_429_is_retried_after_retry_after_and_the_daily_digest_covers_the_last_day() {
    let root = tempfile::tempdir().unwrap();
    let hook = Hook::start(root.path(), "429,200");
    let out = notify(root.path(), &hook, &["--daily"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    no_secret(&out);
    let posts = hook.posts();
    assert_eq!(posts.iter().map(|p| p.0).collect::<Vec<_>>(), [429, 200]);
    // Retry-After: 1 was honoured.
    assert!(posts[1].1 >= 0.95, "retried after {} s", posts[1].1);
    assert_eq!(posts[0].2, posts[1].2);
    // as_of 2026-11-16: the last complete day is Sunday 2026-11-15.
    assert_eq!(posts[1].2["text"], "Cache rollout, Sunday 2026-11-15");
}

#[test]
fn a_500_is_retried_twice_then_fails_in_one_line() {
    let root = tempfile::tempdir().unwrap();
    let hook = Hook::start(root.path(), "500");
    let out = notify(root.path(), &hook, &[]);
    assert_eq!(out.status.code(), Some(1));
    no_secret(&out);
    assert_eq!(hook.posts().len(), 3);
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.trim().lines().last().unwrap();
    assert_eq!(
        last,
        "error: Slack webhook ($CACHEROI_SLACK_WEBHOOK): HTTP 500 Internal Server Error after 3 attempts"
    );
}

#[test]
fn a_404_is_not_retried_and_a_missing_variable_is_named() {
    let root = tempfile::tempdir().unwrap();
    let hook = Hook::start(root.path(), "404");
    let out = notify(root.path(), &hook, &[]);
    assert_eq!(out.status.code(), Some(1));
    no_secret(&out);
    assert_eq!(hook.posts().len(), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTTP 404 Not Found, not retried"));
    // Without the variable: one line naming it, nothing posted.
    let out = cacheroi(root.path())
        .env_remove("CACHEROI_SLACK_WEBHOOK")
        .args(["notify", "--config", "data/cacheroi.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: notify: the environment variable CACHEROI_SLACK_WEBHOOK (`[slack] webhook_env`) is not set"
    );
    assert_eq!(hook.posts().len(), 1);
}
