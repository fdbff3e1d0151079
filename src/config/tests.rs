//! The configuration's checks, each error naming its key and line.

use super::*;
use crate::ground::kpi::Kpi;

const MINIMAL: &str = r#"
[sources]
requests = "data/requests/*.csv"
feedback = "data/feedback.csv"
redis_snapshots = "data/redis.ndjson"
[baseline]
from = "2026-09-07"
to = "2026-10-05"
"#;

fn parse_str(text: &str) -> Result<Settings> {
    parse(Path::new("/etc/cacheroi/cacheroi.toml"), text)
}

#[test]
fn paths_are_relative_to_the_config_folder() {
    let s = parse_str(MINIMAL).unwrap();
    assert_eq!(s.sources.requests().unwrap(), "/etc/cacheroi/data/requests/*.csv");
    assert_eq!(s.output_dir, PathBuf::from("/etc/cacheroi/reports"));
    let s = parse_str(&format!("output_dir = \"../out\"\n{MINIMAL}")).unwrap();
    assert_eq!(s.output_dir, PathBuf::from("/etc/out"));
    assert!(s.sources.customers.is_none());
}

#[test]
fn defaults_fill_targets_and_costs() {
    let s = parse_str(MINIMAL).unwrap();
    assert_eq!(s.targets[&Kpi::ApiCallReduction], 0.70);
    assert_eq!(s.targets[&Kpi::ErrorRate], 0.001);
    assert_eq!(s.targets[&Kpi::P99LatencyMs], 100.0);
    assert_eq!(s.targets.len(), 9);
    assert_eq!(s.costs.origin_call_cost, 0.0004);
    assert_eq!(s.costs.redis_monthly_cost, 1500.0);
    assert_eq!(s.timezone, chrono_tz::UTC);
}

#[test]
fn targets_override_defaults() {
    let s = parse_str(&format!("{MINIMAL}\n[targets]\napi_call_reduction = 0.5\n")).unwrap();
    assert_eq!(s.targets[&Kpi::ApiCallReduction], 0.5);
}

#[test]
fn unknown_key_is_named() {
    let err = parse_str(&format!("colour = \"red\"\n{MINIMAL}"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("colour"), "{err}");
    assert!(err.starts_with("/etc/cacheroi/cacheroi.toml: line 1"), "{err}");
    assert!(!err.contains('\n'), "one line: {err}");
    let err = parse_str(&format!("{MINIMAL}\n[targets]\nhit_rate = 0.9\n"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown target `hit_rate`"), "{err}");
    let err = parse_str(&format!("{MINIMAL}\n[costs]\norigin_cost = 1\n"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("origin_cost"), "{err}");
}

#[test]
fn bad_time_zone_is_one_line() {
    let err = parse_str(&format!("timezone = \"Mars/Olympus\"\n{MINIMAL}"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("timezone `Mars/Olympus`"), "{err}");
}

#[test]
fn baseline_must_end_after_it_starts() {
    let text = MINIMAL.replace("to = \"2026-10-05\"", "to = \"2026-09-01\"");
    let err = parse_str(&text).unwrap_err().to_string();
    assert_eq!(
        err,
        "/etc/cacheroi/cacheroi.toml: line 8: baseline.to (2026-09-01) must be after baseline.from (2026-09-07)"
    );
}

#[test]
fn missing_sources_are_named() {
    let text = MINIMAL.replace("feedback = \"data/feedback.csv\"\n", "");
    // A config without feedback serves the reports, which name what is
    // not measured; `snapshot` names the store it needs.
    let s = parse_str(&text).unwrap().for_reports().unwrap();
    assert_eq!(s.sources.missing(), [crate::ground::kpi::MissingSource::Feedback]);
    let text = MINIMAL.replace("redis_snapshots = \"data/redis.ndjson\"\n", "");
    let s = parse_str(&text).unwrap();
    let err = s.sources.redis_store().unwrap_err().to_string();
    assert!(err.contains("missing sources.redis_snapshots"), "{err}");
    let err = parse_str("timezone = \"UTC\"\n").unwrap_err().to_string();
    assert!(err.contains("missing [sources]"), "{err}");
}

#[test]
fn as_of_pins_now_in_the_report_zone() {
    let s = parse_str(&format!(
        "timezone = \"America/New_York\"\nas_of = \"2026-11-23\"\n{MINIMAL}"
    ))
    .unwrap();
    // Midnight in New York on 2026-11-23 (EST, UTC−5) is 05:00 UTC.
    assert_eq!(s.now().to_rfc3339(), "2026-11-23T05:00:00+00:00");
}

#[test]
fn baseline_defaults_to_four_weeks_before_rollout() {
    let text = MINIMAL.replace(
        "[baseline]\nfrom = \"2026-09-07\"\nto = \"2026-10-05\"\n",
        "[rollout]\nstart = \"2026-10-05\"\n",
    );
    let s = parse_str(&text).unwrap();
    assert_eq!(s.baseline().unwrap().from, NaiveDate::from_ymd_opt(2026, 9, 7).unwrap());
    assert_eq!(s.baseline().unwrap().to, NaiveDate::from_ymd_opt(2026, 10, 5).unwrap());
}

/// The line of the first error, parsed from `<file>: line N: …`.
fn line_of(err: &str) -> usize {
    err.split("line ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn out_of_range_values_name_the_key_and_its_line() {
    for (extra, key) in [
        ("[costs]\nredis_monthly_cost = 1e27\n", "costs.redis_monthly_cost"),
        ("[costs]\nimplementation_cost = 1e29\n", "costs.implementation_cost"),
        ("[costs]\norigin_call_cost = -0.1\n", "costs.origin_call_cost"),
        ("[costs]\norigin_call_cost = nan\n", "costs.origin_call_cost"),
        ("[roi]\ndiscount_rate = 3\n", "roi.discount_rate"),
        ("[roi]\nnpv_horizon_years = 500\n", "roi.npv_horizon_years"),
        ("[roi]\nsensitivity_swing = 2\n", "roi.sensitivity_swing"),
        ("[targets]\nadoption = inf\n", "targets.adoption"),
        ("[rollout]\nplanned_share = 1.5\n", "rollout.planned_share"),
        ("[rollout]\ndecide_on = \"gut\"\n", "rollout.decide_on"),
        ("[rollout]\nevidence_alpha = 0.5\n", "rollout.evidence_alpha"),
        ("[rollout]\nsequential_tuning = 2\n", "rollout.sequential_tuning"),
        ("[email]\ntls = \"startls\"\n", "email.tls"),
        ("[email]\nsmtp_port = 70000\n", "email.smtp_port"),
        ("[email]\nfrom = \"not an address\"\n", "email.from"),
        ("[email]\nto = [\"ok@example.com\", \"@@\"]\n", "email.to"),
        ("[email]\npassword_env = \"X\"\n", "email.password_env"),
    ] {
        let text = format!("{MINIMAL}{extra}");
        let err = parse_str(&text).unwrap_err().to_string();
        assert!(err.contains(key), "{key}: {err}");
        // The key is on the last line of the text.
        assert_eq!(line_of(&err), text.lines().count(), "{key}: {err}");
        assert!(!err.contains('\n'), "{err}");
    }
}

#[test]
fn a_mapping_that_cannot_work_names_its_section_and_key() {
    for (extra, key) in [
        (
            "[sources.requests_mapping]\nlatency = { column = \"x\", unit = \"h\" }\n",
            "sources.requests_mapping latency: unit `h` is not ms, s or us",
        ),
        (
            "[sources.requests_mapping]\nformat = \"nginx\"\nlog_format = \"$status$request_time\"\n",
            "sources.requests_mapping log_format: `$status` and `$request_time` have no text between them",
        ),
        (
            "[sources.feedback_mapping]\nscore = { column = \"r\", format = \"%d\" }\n",
            "sources.feedback_mapping score: `format` applies to ts only",
        ),
    ] {
        let text = format!("{MINIMAL}{extra}");
        let err = parse_str(&text).unwrap_err().to_string();
        assert!(err.contains(key), "{key}: {err}");
        // The section's line (its header).
        let header = text.lines().position(|l| l.starts_with("[sources.")).unwrap() + 1;
        assert_eq!(line_of(&err), header, "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
}

#[test]
fn the_slack_section_names_the_variable_not_the_url() {
    let s = parse_str(&format!("{MINIMAL}[slack]\nwebhook_env = \"HOOK\"\n")).unwrap();
    assert_eq!(s.slack.unwrap().webhook_env, "HOOK");
    let err = parse_str(&format!("{MINIMAL}[slack]\nreport_url = \"https://r\"\n"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`[slack] webhook_env` must name the environment variable"),
        "{err}"
    );
    // A URL pasted as a key of its own is an unknown field, not a silent secret.
    let err = parse_str(&format!("{MINIMAL}[slack]\nwebhook_url = \"https://hooks\"\n"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("webhook_url"), "{err}");
    assert!(!err.contains("https://hooks"), "{err}");
}

#[test]
fn a_long_currency_is_refused() {
    let text = format!("{MINIMAL}[costs]\ncurrency = \"{}\"\n", "X".repeat(1 << 20));
    let err = parse_str(&text).unwrap_err().to_string();
    assert!(err.contains("costs.currency is longer than 12 characters"), "{err}");
    assert!(err.len() < 200, "{}", err.len());
}

#[test]
fn dates_outside_the_sane_years_are_refused() {
    let text = MINIMAL.replace("2026-09-07", "1900-01-01");
    let err = parse_str(&text).unwrap_err().to_string();
    assert!(err.contains("baseline.from 1900-01-01 is outside 1970–2199"), "{err}");
    let text = MINIMAL.replace(
        "[baseline]\nfrom = \"2026-09-07\"\nto = \"2026-10-05\"\n",
        "[rollout]\nstart = \"1900-01-01\"\n",
    );
    let err = parse_str(&text).unwrap_err().to_string();
    assert!(err.contains("rollout.start 1900-01-01 is outside"), "{err}");
    let err = parse_str(&format!("as_of = \"9999-01-01\"\n{MINIMAL}"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("as_of"), "{err}");
}

#[test]
fn rollout_start_must_be_a_monday() {
    let text = MINIMAL.replace(
        "[baseline]\nfrom = \"2026-09-07\"\nto = \"2026-10-05\"\n",
        "[rollout]\nstart = \"2026-10-07\"\n",
    );
    let err = parse_str(&text).unwrap_err().to_string();
    assert!(
        err.ends_with("line 7: rollout.start 2026-10-07 is a Wed: rollout week 1 starts on a Monday (e.g. 2026-10-05)"),
        "{err}"
    );
}

#[test]
fn snapshot_needs_only_the_store() {
    // No baseline, no requests: the hourly capture is set up before the rollout date is known.
    let s = parse_str("[sources]\nredis_snapshots = \"redis.ndjson\"\n[redis]\nurls = [\"redis://h:1\"]\n").unwrap();
    assert_eq!(s.sources.redis_snapshots.as_deref(), Some("/etc/cacheroi/redis.ndjson"));
    let err = s.for_reports().unwrap_err().to_string();
    assert!(err.contains("missing sources.requests"), "{err}");
    let s = parse_str("[sources]\nredis_snapshots = \"r\"\nrequests = \"q\"\nfeedback = \"f\"\n").unwrap();
    let err = s.baseline().unwrap_err().to_string();
    assert!(err.contains("no baseline window"), "{err}");
}

#[test]
fn e_mail_settings_take_their_defaults() {
    let s = parse_str(&format!(
        "{MINIMAL}[email]\nsmtp_host = \"smtp.example.com\"\ntls = \"tls\"\nfrom = \"Reports <r@example.com>\"\n"
    ))
    .unwrap();
    let e = s.email.unwrap();
    assert_eq!((e.tls, e.smtp_port, e.tries), (TlsMode::Tls, 465, 3));
    assert_eq!(e.timeout, std::time::Duration::from_secs(30));
}

#[test]
fn an_oversized_config_is_refused_without_reading_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.toml");
    std::fs::write(&p, vec![b'#'; (MAX_CONFIG_BYTES + 10) as usize]).unwrap();
    let err = load(&p).unwrap_err().to_string();
    assert!(err.contains("larger than 1024 KiB"), "{err}");
    let err = load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("it is a folder"), "{err}");
    std::fs::write(&p, b"timezone = \"\xff\"\n").unwrap();
    let err = load(&p).unwrap_err().to_string();
    assert!(err.contains("not UTF-8"), "{err}");
}
