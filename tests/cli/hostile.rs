//! Hostile and broken input, as a black-box fuzz campaign found it (issues
//! "Hardening" and "Bad input found by fuzzing"): every case ends in a
//! report with every row counted, or in one line on stderr with the right
//! exit code and nothing written — never a panic, a hang, a leaked password
//! or rows lost or counted twice.

use std::fs;
use std::io::Write;
use std::path::Path;

use serde_json::Value;

use super::{cacheroi, sample};

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// One line on stderr, starting with `error:`.
fn one_error_line(out: &std::process::Output) -> String {
    let err = stderr_of(out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(lines[0].len() < 1200, "{} bytes", lines[0].len());
    lines[0].to_string()
}

/// `weekly` over `data/` for W46; its metrics.json.
fn weekly(dir: &Path) -> Value {
    let out = cacheroi(dir)
        .args([
            "-q",
            "weekly",
            "--config",
            "data/cacheroi.toml",
            "--week",
            "2026-W46",
            "--out",
            "out",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    serde_json::from_str(&fs::read_to_string(dir.join("out/weekly/2026-W46/metrics.json")).unwrap()).unwrap()
}

fn quality(m: &Value, source: &str) -> (u64, u64) {
    let q = &m["data_quality"]["sources"][source];
    (q["rows_read"].as_u64().unwrap(), q["rows_rejected"].as_u64().unwrap())
}

fn reason(m: &Value, reason: &str) -> u64 {
    m["data_quality"]["rejected_by_reason"][reason].as_u64().unwrap_or(0)
}

fn set_config(dir: &Path, from: &str, to: &str) {
    let cfg = dir.join("data/cacheroi.toml");
    let text = fs::read_to_string(&cfg).unwrap();
    assert!(text.contains(from), "{from}");
    fs::write(&cfg, text.replacen(from, to, 1)).unwrap();
}

fn append_config(dir: &Path, extra: &str) {
    let cfg = dir.join("data/cacheroi.toml");
    let mut text = fs::read_to_string(&cfg).unwrap();
    if extra.contains("[email]") {
        // The sample's own example [email] is the file's last section.
        text = super::without_email(&text);
    }
    text.push_str(extra);
    fs::write(&cfg, text).unwrap();
}

const DAY: &str = "data/requests/requests-2026-11-10.csv";

/// The byte where field `k` (0-based) of a CSV line starts.
fn field_start(line: &[u8], k: usize) -> usize {
    if k == 0 {
        return 0;
    }
    line.iter()
        .enumerate()
        .filter(|(_, b)| **b == b',')
        .nth(k - 1)
        .unwrap()
        .0
        + 1
}

#[test]
fn cr_only_line_ends_and_blank_lines_lose_and_add_no_row() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    let before = weekly(dir.path());
    let (rows, rejected) = quality(&before, "requests");
    let (fb_rows, _) = quality(&before, "feedback");
    // The same day with CR-only line ends, another gzipped with CR-only ends,
    // blank lines between rows of a third, and the feedback with CR-only ends.
    let day = dir.path().join(DAY);
    let text = fs::read_to_string(&day).unwrap();
    fs::write(&day, text.replace('\n', "\r")).unwrap();
    let other = dir.path().join("data/requests/requests-2026-11-11.csv");
    let text = fs::read_to_string(&other).unwrap();
    fs::remove_file(&other).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.replace('\n', "\r").as_bytes()).unwrap();
    fs::write(other.with_extension("csv.gz"), gz.finish().unwrap()).unwrap();
    let third = dir.path().join("data/requests/requests-2026-11-12.csv");
    let text = fs::read_to_string(&third).unwrap();
    fs::write(&third, text.replace('\n', "\n\n\r\n")).unwrap();
    let fb = dir.path().join("data/feedback.csv");
    let text = fs::read_to_string(&fb).unwrap();
    fs::write(&fb, text.replace("\r\n", "\n").replace('\n', "\r")).unwrap();

    let after = weekly(dir.path());
    assert_eq!(quality(&after, "requests"), (rows, rejected));
    assert_eq!(quality(&after, "feedback").0, fb_rows);
    assert_eq!(after["kpis"]["requests"], before["kpis"]["requests"]);
    assert_eq!(after["kpis"]["cache_hit_rate"], before["kpis"]["cache_hit_rate"]);
}

#[test]
fn a_symlink_loop_reads_every_file_once() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    let before = weekly(dir.path());
    std::os::unix::fs::symlink("..", dir.path().join("data/requests/loop")).unwrap();
    std::os::unix::fs::symlink(dir.path().join(DAY), dir.path().join("data/requests/requests-link.csv")).unwrap();
    set_config(dir.path(), "requests/requests-*", "requests/**/requests-*");
    let after = weekly(dir.path());
    assert_eq!(quality(&after, "requests"), quality(&before, "requests"));
}

#[test]
fn broken_bytes_and_quotes_cost_one_row_each() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    let before = weekly(dir.path());
    let (rows, rejected) = quality(&before, "requests");
    let day = dir.path().join(DAY);
    let text = fs::read(&day).unwrap();
    let mut lines: Vec<Vec<u8>> = text.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    // Row 1 (line 2): an invalid byte in the user id; row 2: an overlong
    // encoding of '/' in the endpoint; row 3: an unbalanced quote in the
    // endpoint; the last row is truncated mid-field.
    let user = field_start(&lines[1], 2);
    lines[1].insert(user + 1, 0xff);
    let ep = lines[2].iter().position(|b| *b == b'/').unwrap();
    lines[2].splice(ep..=ep, [0xc0, 0xaf]);
    let comma = lines[3].iter().position(|b| *b == b',').unwrap();
    lines[3].insert(comma + 1, b'"');
    let last = lines.iter().rposition(|l| !l.is_empty()).unwrap();
    let cut = lines[last].len() / 2;
    lines[last].truncate(cut);
    fs::write(&day, lines.join(&b'\n')).unwrap();
    // A feedback comment with an invalid byte stays a row (free text).
    let fb = dir.path().join("data/feedback.csv");
    let mut fbytes = fs::read(&fb).unwrap();
    fbytes.extend_from_slice(b"2026-11-10T10:00:00Z,c001,c001-u001,5,caf\xe9 au lait\n");
    fs::write(&fb, fbytes).unwrap();

    let after = weekly(dir.path());
    // No row lost or added; three malformed rows, and the truncated one is
    // counted under the reason its missing fields give.
    assert_eq!(quality(&after, "requests").0, rows);
    assert_eq!(reason(&after, "malformed_row"), 3, "{}", after["data_quality"]);
    assert!(quality(&after, "requests").1 >= rejected + 4);
    let (fb_rows, fb_rejected) = quality(&after, "feedback");
    assert_eq!(fb_rows, quality(&before, "feedback").0 + 1);
    assert_eq!(fb_rejected, quality(&before, "feedback").1);
    let examples = after["data_quality"]["sources"]["requests"]["examples"]
        .as_array()
        .unwrap();
    let malformed: Vec<&Value> = examples.iter().filter(|e| e["reason"] == "malformed_row").collect();
    assert_eq!(malformed[0]["at"], "line 2");
    assert!(
        malformed[0]["value"]
            .as_str()
            .unwrap()
            .contains("invalid UTF-8 in `user_id`")
    );
}

#[test]
fn empty_files_are_zero_rows() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    let before = weekly(dir.path());
    fs::write(dir.path().join("data/requests/requests-2026-11-20.csv"), "").unwrap();
    fs::write(dir.path().join("data/requests/requests-2026-11-21.ndjson"), "").unwrap();
    fs::write(dir.path().join("data/requests/requests-2026-11-22.ndjson"), "\n\r\n").unwrap();
    // Keys that look like the tool's own columns are just extra columns.
    fs::write(
        dir.path().join("data/requests/requests-2026-11-23.ndjson"),
        "{\"ts\":\"2026-11-23T10:00:00Z\",\"customer_id\":\"c1\",\"user_id\":\"u\",\"endpoint\":\"GET /x\",\"status\":200,\"latency_ms\":1,\"cache_status\":\"HIT\",\"cache_enabled\":true,\"__row\":5,\"__malformed\":true,\"__cacheroi_row\":1}\n",
    )
    .unwrap();
    let after = weekly(dir.path());
    let (rows, rejected) = quality(&before, "requests");
    assert_eq!(quality(&after, "requests"), (rows + 1, rejected));
}

#[test]
fn far_weeks_and_windows_are_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    for week in ["262142-W52", "262143-W01", "99999-W01", "2200-W01", "1969-W01"] {
        let out = cacheroi(dir.path())
            .args([
                "weekly",
                "--config",
                "data/cacheroi.toml",
                "--out",
                "out",
                "--week",
                week,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{week}: {}", stderr_of(&out));
        assert!(one_error_line(&out).contains("years 1970–2199"));
    }
    let out = cacheroi(dir.path())
        .args([
            "impact",
            "--config",
            "data/cacheroi.toml",
            "--out",
            "out",
            "--from",
            "1900-01-01",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(one_error_line(&out).contains("--from 1900-01-01 is outside 1970–2199"));
    assert!(!dir.path().join("out").exists());
    // A far week inside the range costs no more than its (empty) data: one
    // year of trend, no rows.
    let out = cacheroi(dir.path())
        .args([
            "-q",
            "weekly",
            "--config",
            "data/cacheroi.toml",
            "--out",
            "out",
            "--week",
            "2199-W52",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let m: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("out/weekly/2199-W52/metrics.json")).unwrap())
            .unwrap();
    assert_eq!(m["kpis"]["requests"]["value"], 0.0);
    // The widest window is bounded by the data.
    let out = cacheroi(dir.path())
        .args([
            "-q",
            "impact",
            "--config",
            "data/cacheroi.toml",
            "--out",
            "out",
            "--from",
            "1970-01-05",
            "--to",
            "2199-12-30",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
}

#[test]
fn a_row_from_the_year_9999_does_not_stretch_the_window() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    let day = dir.path().join(DAY);
    let mut text = fs::read_to_string(&day).unwrap();
    text.push_str("9999-12-31T23:00:00Z,c009,c009-u013,power_users,GET /x,200,6.5,HIT,true,0\n");
    fs::write(&day, text).unwrap();
    let out = cacheroi(dir.path())
        .args(["-q", "impact", "--config", "data/cacheroi.toml", "--out", "out"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let m: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("out/impact/metrics.json")).unwrap()).unwrap();
    // as_of is 2026-11-16: the default window ends there, not in 10000.
    assert_eq!(m["window"]["to"], "2026-11-16");
    assert_eq!(m["data_quality"]["rows_after_as_of"], 1);
    assert_eq!(m["data_quality"]["latest_after_as_of"], "9999-12-31T23:00:00.000Z");
    let html = fs::read_to_string(dir.path().join("out/impact/impact.html")).unwrap();
    assert!(html.contains("rows are dated on or after the report date"));
}

#[test]
fn snapshot_numbers_and_ages_are_checked_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    let store = dir.path().join("data/redis-snapshots.ndjson");
    let before = fs::read(&store).unwrap();
    for args in [
        &["--timeout", "-1"][..],
        &["--timeout", "nan"],
        &["--timeout", "inf"],
        &["--retain", "999999999999d"],
        &["--retain", "100000000d"],
        &["--tries", "0"],
    ] {
        let out = cacheroi(dir.path())
            .args([
                "snapshot",
                "--config",
                "data/cacheroi.toml",
                "--redis",
                "redis://127.0.0.1:1",
            ])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
        assert!(!stderr_of(&out).contains("panicked"), "{args:?}");
        assert_eq!(fs::read(&store).unwrap(), before, "{args:?}: the store is untouched");
    }
}

#[test]
fn passwords_never_reach_stderr_or_the_store() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    // A URL that does not parse (port out of range), and one that parses but
    // whose server refuses the connection; at the most verbose log level.
    for url in [
        "redis://reporter:hunter2@127.0.0.1:99999",
        "redis://reporter:hunter2@127.0.0.1:1",
    ] {
        let out = cacheroi(dir.path())
            .args([
                "-vvv",
                "snapshot",
                "--config",
                "data/cacheroi.toml",
                "--tries",
                "1",
                "--timeout",
                "0.5",
            ])
            .args(["--redis", url])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = stderr_of(&out);
        assert!(!err.contains("hunter2"), "{url}: {err}");
        assert!(err.contains("reporter:***@127.0.0.1"), "{url}: {err}");
    }
    let store = fs::read_to_string(dir.path().join("data/redis-snapshots.ndjson")).unwrap();
    assert!(!store.contains("hunter2"));
}

#[test]
fn snapshot_needs_no_baseline() {
    // The hourly capture is set up before anyone knows the rollout date.
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("data")).unwrap();
    fs::write(
        dir.path().join("data/cacheroi.toml"),
        "[sources]\nredis_snapshots = \"store.ndjson\"\n[redis]\nurls = [\"redis://127.0.0.1:1\"]\n",
    )
    .unwrap();
    let out = cacheroi(dir.path())
        .args([
            "snapshot",
            "--config",
            "data/cacheroi.toml",
            "--tries",
            "1",
            "--timeout",
            "0.5",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("cannot capture") && !err.contains("baseline"), "{err}");
    let store = fs::read_to_string(dir.path().join("data/store.ndjson")).unwrap();
    assert!(store.contains("\"error\""), "the failure is recorded: {store}");
    // A report from the same config names what it lacks.
    let out = cacheroi(dir.path())
        .args(["-q", "weekly", "--config", "data/cacheroi.toml", "--out", "out"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(one_error_line(&out).contains("missing sources.requests"));
}

#[test]
fn a_store_line_that_is_not_utf8_is_counted_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    let store = dir.path().join("data/redis-snapshots.ndjson");
    let before = weekly(dir.path())["redis"]["unreadable_lines"].as_u64().unwrap();
    let mut bytes = fs::read(&store).unwrap();
    bytes.extend_from_slice(b"{\"ts\":\"2026-11-10T10:00:00Z\",\"instance\":\"\xff\",\"error\":\"x\"}\n");
    fs::write(&store, bytes).unwrap();
    let m = weekly(dir.path());
    assert_eq!(m["redis"]["unreadable_lines"].as_u64(), Some(before + 1));
}

#[test]
fn configs_that_are_not_configs_fail_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    let out = cacheroi(dir.path())
        .args(["weekly", "--config", "/dev/zero", "--out", "out"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(one_error_line(&out).contains("larger than 1024 KiB"));
    for (from, to, want) in [
        (
            "currency = \"USD\"",
            &*format!("currency = \"{}\"", "X".repeat(100_000)),
            "costs.currency is longer than 12 characters",
        ),
        (
            "start = \"2026-10-05\"",
            "start = \"2026-10-07\"",
            "rollout week 1 starts on a Monday",
        ),
        (
            "redis_monthly_cost = 900.0",
            "redis_monthly_cost = 1e27",
            "costs.redis_monthly_cost must be a number from 0 to 1000000000000",
        ),
        (
            "feedback = \"feedback.csv\"",
            "feedback = \"/dev/null\"",
            "/dev/null: is a device, not a file",
        ),
        (
            "requests = \"requests/requests-*\"",
            "requests = \"/**/requests-2026-11-2*.csv\"",
            "would walk the whole disk",
        ),
    ] {
        let cfg = dir.path().join("data/cacheroi.toml");
        let orig = fs::read_to_string(&cfg).unwrap();
        fs::write(&cfg, orig.replacen(from, to, 1)).unwrap();
        let out = cacheroi(dir.path())
            .args(["weekly", "--config", "data/cacheroi.toml", "--out", "out"])
            .output()
            .unwrap();
        fs::write(&cfg, &orig).unwrap();
        assert_eq!(out.status.code(), Some(1), "{want}");
        let line = one_error_line(&out);
        assert!(line.contains(want), "{want}: {line}");
    }
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_garbage_header_is_echoed_short() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    let mut garbage = "a".repeat(1 << 20);
    garbage.push('\n');
    fs::write(dir.path().join(DAY), garbage).unwrap();
    let out = cacheroi(dir.path())
        .args(["-q", "weekly", "--config", "data/cacheroi.toml", "--out", "out"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let line = one_error_line(&out);
    assert!(
        line.contains("required column `ts` is missing (columns found: aaaa"),
        "{line}"
    );
}

#[test]
fn compression_bombs_and_endless_lines_fail_their_file_fast() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    append_config(dir.path(), "\n[limits]\nmax_decompressed_mib = 64\n");
    // 100 MiB of "a" without a line end, gzipped to ~100 kB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let block = vec![b'a'; 1 << 20];
    for _ in 0..100 {
        gz.write_all(&block).unwrap();
    }
    let bomb = dir.path().join("data/requests/requests-2026-11-20.csv.gz");
    fs::write(&bomb, gz.finish().unwrap()).unwrap();
    let out = cacheroi(dir.path())
        .args(["-q", "weekly", "--config", "data/cacheroi.toml", "--out", "out"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let line = one_error_line(&out);
    assert!(
        line.contains("requests-2026-11-20.csv.gz") && line.contains("KiB"),
        "{line}"
    );
    // The same bytes as zstd with line ends: the decompressed size is capped.
    fs::remove_file(&bomb).unwrap();
    let lines: Vec<u8> = b"aaaaaaaaaaaaaaa\n".repeat(100 << 16);
    fs::write(
        dir.path().join("data/requests/requests-2026-11-20.csv.zst"),
        zstd::encode_all(&lines[..], 3).unwrap(),
    )
    .unwrap();
    let out = cacheroi(dir.path())
        .args(["-q", "weekly", "--config", "data/cacheroi.toml", "--out", "out"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let line = one_error_line(&out);
    assert!(line.contains("compression bomb"), "{line}");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_plan_that_expands_without_bound_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    let big = "x".repeat(1 << 20);
    let mut plan = format!(
        "anchor: &big \"{big}\"\nrollout_phases:\n  p1:\n    week: 1-9\n    segments: [all_users]\n    features: ["
    );
    plan.push_str(&vec!["*big"; 10_000].join(", "));
    plan.push_str("]\n");
    fs::write(dir.path().join("data/rollout-plan.yml"), plan).unwrap();
    let out = cacheroi(dir.path())
        .args(["gate", "--config", "data/cacheroi.toml", "--week", "2026-W46"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // Larger than the 256 KiB a plan may be, before any alias is expanded.
    assert!(one_error_line(&out).contains("rollout-plan.yml"));
    // Small enough to be read, too large once expanded.
    let mid = "x".repeat(32 * 1024);
    let mut plan = format!(
        "anchor: &big \"{mid}\"\nrollout_phases:\n  p1:\n    week: 1-9\n    segments: [all_users]\n    features: ["
    );
    plan.push_str(&vec!["*big"; 200].join(", "));
    plan.push_str("]\n");
    fs::write(dir.path().join("data/rollout-plan.yml"), plan).unwrap();
    let out = cacheroi(dir.path())
        .args(["gate", "--config", "data/cacheroi.toml", "--week", "2026-W46"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(one_error_line(&out).contains("once its aliases are expanded"));
}

#[test]
fn a_mistyped_guardrail_is_a_plan_error() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    fs::write(
        dir.path().join("data/rollout-plan.yml"),
        "rollout_phases:\n  p1:\n    week: 1-9\n    segments: [all_users]\n    rollback_trigger:\n      - p99 latency > 200ms\n",
    )
    .unwrap();
    let out = cacheroi(dir.path())
        .args(["gate", "--config", "data/cacheroi.toml", "--week", "2026-W46"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(one_error_line(&out).contains("phase `p1`: `p99 latency > 200ms`: unknown metric `p99 latency`"));
}

#[test]
fn e_mail_settings_are_checked_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    append_config(
        dir.path(),
        "\n[email]\nsmtp_host = \"127.0.0.1\"\ntls = \"startls\"\nfrom = \"a@example.com\"\nto = [\"b@example.com\"]\n",
    );
    let out = cacheroi(dir.path())
        .args([
            "send",
            "--config",
            "data/cacheroi.toml",
            "--week",
            "2026-W46",
            "--dry-run",
            "x.eml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let line = one_error_line(&out);
    assert!(
        line.contains("email.tls must be none, starttls or tls, got `startls`") && line.contains("line "),
        "{line}"
    );
}

/// Write a one-row request Parquet file with DuckDB, `latency` being the SQL
/// of the latency_ms column and `extra` more columns.
fn duckdb_parquet(path: &Path, latency: &str, extra: &str) {
    let sql = format!(
        "COPY (SELECT TIMESTAMP '2026-11-10 10:00:00' AS ts, 'c009' AS customer_id, 'c009-u001' AS user_id, \
         'GET /x' AS endpoint, 200 AS status, {latency} AS latency_ms, 'HIT' AS cache_status, true AS cache_enabled{extra}) \
         TO '{}' (FORMAT PARQUET)",
        path.display()
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &format!("import duckdb; duckdb.sql(\"\"\"{sql}\"\"\")")])
        .output()
        .expect("python3 with duckdb (scripts/test.sh installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn parquet_types_cacheroi_cannot_read_are_named_or_ignored() {
    let dir = tempfile::tempdir().unwrap();
    sample(dir.path(), 50);
    let before = weekly(dir.path());
    // An unused extra column of an unsupported type costs nothing.
    let p = dir.path().join("data/requests/requests-2026-11-20.parquet");
    duckdb_parquet(&p, "6.5::DOUBLE", ", [1, 2] AS tags, INTERVAL 3 DAY AS age");
    let after = weekly(dir.path());
    assert_eq!(
        quality(&after, "requests"),
        (quality(&before, "requests").0 + 1, quality(&before, "requests").1)
    );
    // SQL engines write numbers as decimals: read them as numbers.
    duckdb_parquet(
        &p,
        "CAST(6.5 AS DECIMAL(12,3))",
        ", CAST(1 AS DECIMAL(18,0)) AS upstream_calls",
    );
    let after = weekly(dir.path());
    assert_eq!(
        quality(&after, "requests"),
        (quality(&before, "requests").0 + 1, quality(&before, "requests").1)
    );
    // An unsupported type in a used column is a one-line error naming file and column.
    duckdb_parquet(&p, "[6.5, 1.0]", "");
    let out = cacheroi(dir.path())
        .args(["-q", "weekly", "--config", "data/cacheroi.toml", "--out", "out2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let line = one_error_line(&out);
    assert!(
        line.contains("requests-2026-11-20.parquet") && line.contains("column `latency_ms` has type"),
        "{line}"
    );
    assert!(!dir.path().join("out2").exists());
}
