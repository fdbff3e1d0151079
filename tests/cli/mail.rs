//! `send` and `run` against a real SMTP server (aiosmtpd, tests/smtp/server.py,
//! installed by scripts/test.sh) on a free loopback port: the message as a
//! mail client sees it, STARTTLS with a test CA, a wrong password, an
//! unreachable server, one mail per week, the run lock, dry runs and empty
//! weeks.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use mail_parser::{MessageParser, MimeHeaders};

use super::snapshot::{free_port, test_certificates};
use super::{cacheroi, copy_dir};

/// The SMTP server of a test, killed on drop; messages land in `dir`.
struct Smtp {
    port: u16,
    dir: PathBuf,
    child: Child,
}

impl Smtp {
    fn start(root: &Path, extra: &[&str]) -> Smtp {
        let port = free_port();
        let dir = root.join(format!("mail-{port}"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--dir"])
            .arg(&dir)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (scripts/test.sh installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("ready"), "SMTP server did not start: {line:?}");
        Smtp { port, dir, child }
    }

    /// A server speaking TLS with `cert`/`key` (STARTTLS unless `extra` says
    /// --implicit-tls).
    fn tls(root: &Path, cert: &Path, key: &Path, extra: &[&str]) -> Smtp {
        let mut args = vec!["--cert", cert.to_str().unwrap(), "--key", key.to_str().unwrap()];
        args.extend_from_slice(extra);
        Smtp::start(root, &args)
    }

    /// The stored messages, oldest first.
    fn messages(&self) -> Vec<Vec<u8>> {
        let mut names: Vec<PathBuf> = fs::read_dir(&self.dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        names.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        names.sort();
        names.iter().map(|p| fs::read(p).unwrap()).collect()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A copy of the bundled sample with `[email]` pointing at `port`.
fn with_email(dir: &Path, email: &str) {
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data"),
        &dir.join("data"),
    );
    let cfg = dir.join("data/cacheroi.toml");
    let mut text = super::without_email(&fs::read_to_string(&cfg).unwrap());
    text.push_str(&format!("\n[email]\n{email}\n"));
    fs::write(&cfg, text).unwrap();
}

fn plain(port: u16) -> String {
    format!(
        "smtp_host = \"127.0.0.1\"\nsmtp_port = {port}\ntls = \"none\"\nfrom = \"Cache reports <reports@example.com>\"\n\
         to = [\"leadership@example.com\", \"cto@example.com\"]\nroi_to = [\"finance@example.com\"]\ntimeout_secs = 5\ntries = 2"
    )
}

fn cmd(dir: &Path, args: &[&str]) -> std::process::Output {
    super::on_sample(dir, &[&["-q"], args].concat())
}

#[test]
fn send_mails_the_weekly_report_with_inline_charts_and_attachments() {
    let root = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(root.path(), &[]);
    with_email(root.path(), &plain(smtp.port));
    // Not rendered yet: send renders it first.
    let out = cmd(root.path(), &["send", "--week", "2026-W46"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    let m = MessageParser::default().parse(&mails[0]).unwrap();
    let subject = m.subject().unwrap();
    assert!(subject.starts_with("Cache rollout W46: API calls −"), "{subject}");
    assert!(subject.ends_with("targets met · gate: hold"), "{subject}");
    let to: Vec<String> = m
        .to()
        .unwrap()
        .iter()
        .filter_map(|a| a.address().map(str::to_string))
        .collect();
    assert_eq!(to, ["leadership@example.com", "cto@example.com"]);
    assert!(m.message_id().is_some() && m.date().is_some());
    // The text part and the HTML part of a multipart/alternative.
    let text = m.body_text(0).unwrap().replace("\r\n", "\n");
    // Rendered for reading: the heading underlined, no Markdown escapes or
    // HTML entities (the sample has a comment with <b> and phase names with _).
    assert!(
        text.contains("Cache rollout — weekly summary 2026-W46\n====="),
        "{text}"
    );
    assert!(
        !text.contains("&lt;") && !text.contains("&amp;") && !text.contains("\\_") && !text.contains("\\|"),
        "{text}"
    );
    let html = m.body_html(0).unwrap();
    assert!(html.contains("Rollout gate: HOLD"));
    // Plain words in the mail: no plan keys, no command-line syntax.
    assert!(
        !html.contains("--attest") && !html.contains("all_kpis_met") && !html.contains("api_call_reduction,"),
        "gate box in plain words"
    );
    assert!(
        !html.contains("src=\"charts/") && !html.contains("data:image"),
        "no file or data URIs"
    );
    // Every cid: in the HTML has its inline PNG part.
    let cids: Vec<&str> = html
        .split("src=\"cid:")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(cids.len(), 5);
    for cid in &cids {
        let part = m
            .parts
            .iter()
            .find(|p| p.content_id() == Some(cid))
            .unwrap_or_else(|| panic!("no part for cid:{cid}"));
        assert_eq!(
            part.content_type().map(|c| (c.ctype(), c.subtype())),
            Some(("image", Some("png")))
        );
        assert!(part.contents().starts_with(b"\x89PNG"), "{cid} is a PNG");
    }
    // metrics.json attached, byte for byte.
    let att: Vec<_> = m.attachments().filter(|a| a.attachment_name().is_some()).collect();
    assert_eq!(att.len(), 1);
    assert_eq!(att[0].attachment_name(), Some("metrics.json"));
    let on_disk = fs::read(root.path().join("out/weekly/2026-W46/metrics.json")).unwrap();
    assert_eq!(att[0].contents(), on_disk.as_slice());
    // The delivery is logged.
    let log = fs::read_to_string(root.path().join("out/deliveries.ndjson")).unwrap();
    assert_eq!(log.lines().count(), 1);
    assert!(log.contains("\"period\":\"2026-W46\""));
}

#[test]
fn the_roi_report_goes_to_finance_with_its_spreadsheet() {
    let root = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(root.path(), &[]);
    with_email(root.path(), &plain(smtp.port));
    let out = cmd(root.path(), &["send", "--report", "roi"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mails = smtp.messages();
    let m = MessageParser::default().parse(&mails[0]).unwrap();
    // The figure to budget with first (the run-rate), then what was saved so far.
    let subject = m.subject().unwrap();
    assert!(
        subject.starts_with("Cache rollout ROI 2026-10-05 to 2026-11-16: ")
            && subject.contains(" a year at current adoption (2026-W46), ")
            && subject.ends_with(" saved so far"),
        "{subject}"
    );
    let to: Vec<&str> = m.to().unwrap().iter().filter_map(|a| a.address()).collect();
    assert_eq!(to, ["finance@example.com"]);
    let names: Vec<&str> = m.attachments().filter_map(|a| a.attachment_name()).collect();
    assert_eq!(names, ["roi.csv", "roi.xlsx"]);
    let xlsx = m
        .attachments()
        .find(|a| a.attachment_name() == Some("roi.xlsx"))
        .unwrap();
    assert_eq!(
        xlsx.contents(),
        fs::read(root.path().join("out/roi/roi.xlsx")).unwrap().as_slice()
    );
}

#[test]
fn starttls_with_a_test_ca_and_a_wrong_password() {
    let root = tempfile::tempdir().unwrap();
    let (ca, crt, key) = test_certificates(root.path());
    let smtp = Smtp::tls(root.path(), &crt, &key, &["--user", "reports", "--password", "s3cret"]);
    with_email(
        root.path(),
        &format!(
            "smtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"starttls\"\nusername = \"reports\"\n\
             password_env = \"CACHEROI_TEST_SMTP_PASSWORD\"\nca_file = \"{}\"\nfrom = \"reports@example.com\"\n\
             to = [\"leadership@example.com\"]\ntimeout_secs = 5\ntries = 3",
            smtp.port,
            ca.display()
        ),
    );
    let run = |pw: &str| {
        cacheroi(root.path())
            .env("CACHEROI_TEST_SMTP_PASSWORD", pw)
            .args([
                "-q",
                "send",
                "--week",
                "2026-W46",
                "--config",
                "data/cacheroi.toml",
                "--out",
                "out",
            ])
            .output()
            .unwrap()
    };
    let ok = run("s3cret");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(smtp.messages().len(), 1);
    let bad = run("wrong");
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.contains(&format!("smtp 127.0.0.1:{} (starttls)", smtp.port)),
        "{err}"
    );
    assert!(
        err.contains("535") || err.to_lowercase().contains("authentication"),
        "{err}"
    );
    assert!(
        !err.contains("wrong") && !err.contains("s3cret"),
        "no password in messages"
    );
    assert_eq!(smtp.messages().len(), 1, "nothing more delivered");
    let log = fs::read_to_string(root.path().join("out/deliveries.ndjson")).unwrap();
    assert_eq!(log.lines().count(), 1, "the failure is not logged as a delivery");
}

#[test]
fn implicit_tls_is_spoken_from_the_first_byte() {
    let root = tempfile::tempdir().unwrap();
    let (ca, crt, key) = test_certificates(root.path());
    let smtp = Smtp::tls(root.path(), &crt, &key, &["--implicit-tls"]);
    let email = format!(
        "smtp_host = \"127.0.0.1\"\nsmtp_port = {}\ntls = \"tls\"\nca_file = \"{}\"\n\
         from = \"reports@example.com\"\nto = [\"leadership@example.com\"]\ntimeout_secs = 3\ntries = 1",
        smtp.port,
        ca.display()
    );
    with_email(root.path(), &email);
    let out = cmd(root.path(), &["send", "--week", "2026-W46"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(smtp.messages().len(), 1);
    // The same server refuses a client that will not speak TLS.
    let plain = email.replace("tls = \"tls\"", "tls = \"none\"");
    let root2 = tempfile::tempdir().unwrap();
    with_email(root2.path(), &plain);
    let out = cmd(root2.path(), &["send", "--week", "2026-W46"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(smtp.messages().len(), 1);
}

#[test]
fn an_unreachable_server_fails_loudly_and_logs_nothing() {
    let root = tempfile::tempdir().unwrap();
    let port = free_port();
    with_email(root.path(), &plain(port));
    let out = cmd(root.path(), &["run", "--week", "2026-W46"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("smtp 127.0.0.1:{port}")), "{err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
    assert!(!root.path().join("out/deliveries.ndjson").exists());
    // The report itself was written: the failure is the delivery only.
    assert!(root.path().join("out/weekly/2026-W46/summary.html").exists());
}

#[test]
fn run_mails_once_per_week_unless_resent() {
    let root = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(root.path(), &[]);
    with_email(root.path(), &plain(smtp.port));
    let first = cacheroi(root.path())
        .args([
            "run",
            "--week",
            "2026-W46",
            "--config",
            "data/cacheroi.toml",
            "--out",
            "out",
        ])
        .output()
        .unwrap();
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stdout.contains("2026-W46: gate hold"), "{stdout}");
    assert!(stdout.contains("sent “Cache rollout W46"), "{stdout}");
    assert_eq!(smtp.messages().len(), 1);
    let again = cacheroi(root.path())
        .args([
            "run",
            "--week",
            "2026-W46",
            "--config",
            "data/cacheroi.toml",
            "--out",
            "out",
        ])
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already sent"));
    assert_eq!(smtp.messages().len(), 1, "no second mail");
    let quiet = cmd(root.path(), &["run", "--week", "2026-W46", "--resend"]);
    assert!(quiet.status.success());
    assert!(
        quiet.stdout.is_empty() && quiet.stderr.is_empty(),
        "--quiet prints nothing on success"
    );
    assert_eq!(smtp.messages().len(), 2, "--resend sends again");
}

#[test]
fn two_overlapping_runs_one_works_one_exits_with_the_lock_message() {
    let root = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(root.path(), &[]);
    with_email(root.path(), &plain(smtp.port));
    let bin = assert_cmd::cargo::cargo_bin("cacheroi");
    let spawn = || {
        Command::new(&bin)
            .current_dir(root.path())
            .args([
                "-q",
                "run",
                "--week",
                "2026-W46",
                "--config",
                "data/cacheroi.toml",
                "--out",
                "out",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let codes = [a.status.code(), b.status.code()];
    assert!(codes.contains(&Some(0)) && codes.contains(&Some(1)), "{codes:?}");
    let loser = if a.status.success() { &b } else { &a };
    let err = String::from_utf8_lossy(&loser.stderr);
    assert!(err.contains("another `cacheroi run` is in progress"), "{err}");
    assert_eq!(smtp.messages().len(), 1);
}

#[test]
fn a_dry_run_writes_the_message_and_sends_nothing() {
    let root = tempfile::tempdir().unwrap();
    // No server at all: a dry run needs none.
    with_email(
        root.path(),
        "from = \"reports@example.com\"\nto = [\"leadership@example.com\"]",
    );
    let out = cmd(root.path(), &["send", "--week", "2026-W46", "--dry-run", "monday.eml"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let eml = fs::read(root.path().join("monday.eml")).unwrap();
    let m = MessageParser::default().parse(&eml).unwrap();
    assert!(m.subject().unwrap().starts_with("Cache rollout W46"));
    assert_eq!(
        m.attachments().filter(|a| a.content_id().is_some()).count(),
        5,
        "inline charts"
    );
    assert!(!root.path().join("out/deliveries.ndjson").exists());
}

#[test]
fn an_empty_week_is_an_error_not_an_empty_email() {
    let root = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(root.path(), &[]);
    with_email(root.path(), &plain(smtp.port));
    let out = cmd(root.path(), &["run", "--week", "2026-W30"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("2026-W30") && err.contains("no valid request rows"),
        "{err}"
    );
    assert!(smtp.messages().is_empty());
    assert!(!root.path().join("out/weekly/2026-W30").exists(), "nothing written");
}

/// The sample's configuration carries example addresses: a dry run works as
/// it is, and sending for real names the one key that is missing.
#[test]
fn a_dry_run_works_on_the_sample_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    super::sample(dir.path(), 40);
    let out = cmd(dir.path(), &["send", "--week", "2026-W46", "--dry-run", "m.eml"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let eml = fs::read_to_string(dir.path().join("m.eml")).unwrap();
    assert!(eml.contains("leadership@example.com"));
    let out = cmd(dir.path(), &["send", "--week", "2026-W46"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`[email] smtp_host` is not set"), "{err}");
}

/// The recipients of a parsed message.
fn recipients(m: &mail_parser::Message) -> Vec<String> {
    m.to()
        .unwrap()
        .iter()
        .filter_map(|a| a.address().map(str::to_string))
        .collect()
}

fn escalating(port: u16) -> String {
    format!(
        "{}\nescalation_to = [\"oncall@example.com\"]\n\n[email.escalation_levels]\n\
         \"engineering manager\" = [\"em@example.com\", \"oncall@example.com\"]\n\"VP engineering\" = [\"vp@example.com\"]\n",
        plain(port)
    )
}

/// A rollback goes up the escalation path once per week: the weekly mail to
/// its recipients, then the same report, subject prefixed `ROLLBACK:` and
/// the fired trigger first, to `escalation_to`.
#[test]
fn a_rollback_week_is_escalated_once_with_the_fired_trigger_first() {
    let root = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(root.path(), &[]);
    with_email(root.path(), &escalating(smtp.port));
    // The sample's leak (2 users in rollout week 1) fires this trigger.
    let plan = root.path().join("data/rollout-plan.yml");
    let text = fs::read_to_string(&plan).unwrap().replace(
        "      - p99_latency > 200ms\n",
        "      - p99_latency > 200ms\n      - flag_leaks > 0\n",
    );
    fs::write(&plan, text).unwrap();
    let out = cmd(root.path(), &["run", "--week", "2026-W41"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mails = smtp.messages();
    assert_eq!(mails.len(), 2);
    let weekly = MessageParser::default().parse(&mails[0]).unwrap();
    assert!(weekly.subject().unwrap().starts_with("Cache rollout W41:"));
    assert_eq!(recipients(&weekly), ["leadership@example.com", "cto@example.com"]);
    let up = MessageParser::default().parse(&mails[1]).unwrap();
    let subject = up.subject().unwrap();
    assert!(subject.starts_with("ROLLBACK: Cache rollout W41:"), "{subject}");
    assert!(subject.ends_with("gate: roll back"), "{subject}");
    // A rollback reaches escalation_to; no risk triggered, so no level.
    assert_eq!(recipients(&up), ["oncall@example.com"]);
    let text = up.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(
        text.starts_with("ROLLBACK — 2026-W41: the rollout gate says roll back phase 1 internal now."),
        "{text}"
    );
    let fired = text.find("Rollback triggers that fired").expect("the trigger");
    let report = text
        .find("Cache rollout — weekly summary 2026-W41")
        .expect("the report");
    assert!(fired < report);
    assert!(text[fired..report].contains("(is 2)"), "{}", &text[fired..report]);
    let html = up.body_html(0).unwrap();
    let box_at = html.find("Rollback triggers that fired").unwrap();
    assert!(box_at < html.find("Rollout gate: ROLL BACK").unwrap());
    assert!(html.find("<body").unwrap() < box_at);
    // The charts are still inline parts.
    assert_eq!(up.attachments().filter(|a| a.content_id().is_some()).count(), 5);
    // Once per week: a second run sends neither.
    let again = cmd(root.path(), &["run", "--week", "2026-W41"]);
    assert!(again.status.success());
    assert_eq!(smtp.messages().len(), 2, "no second mail");
    let log = fs::read_to_string(root.path().join("out/deliveries.ndjson")).unwrap();
    assert!(log.contains("\"report\":\"escalation\""), "{log}");
}

/// A risk that triggers (the sample's stale share is 2.77 % in W46, over a
/// trigger lowered to 2.5 %) escalates to its level's addresses too.
#[test]
fn a_triggered_risk_reaches_its_escalation_level() {
    let root = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(root.path(), &[]);
    with_email(root.path(), &escalating(smtp.port));
    let risks = root.path().join("data/risks.yml");
    let text = fs::read_to_string(&risks)
        .unwrap()
        .replace("trigger: stale_share > 5%", "trigger: stale_share > 2.5%");
    fs::write(&risks, text).unwrap();
    let out = cmd(root.path(), &["run", "--week", "2026-W46", "--dry-run", "monday.eml"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(smtp.messages().is_empty(), "a dry run sends nothing");
    let eml = fs::read(root.path().join("monday.escalation.eml")).unwrap();
    let up = MessageParser::default().parse(&eml).unwrap();
    assert!(up.subject().unwrap().starts_with("RISK TRIGGERED: Cache rollout W46:"));
    // escalation_to, then the engineering manager's level (oncall once).
    assert_eq!(recipients(&up), ["oncall@example.com", "em@example.com"]);
    let text = up.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(text.contains("Cache invalidation bugs serve stale data"), "{text}");
    assert!(text.contains("Contingency: Flush the affected keys"), "{text}");
    assert!(text.contains("escalate to engineering manager (3 of 5)"), "{text}");
    assert!(root.path().join("monday.eml").exists(), "the weekly message too");
}

/// Without `escalation_to` a rollback is said, not silently dropped.
#[test]
fn a_rollback_without_escalation_recipients_says_so() {
    let root = tempfile::tempdir().unwrap();
    with_email(
        root.path(),
        "from = \"reports@example.com\"\nto = [\"leadership@example.com\"]",
    );
    let plan = root.path().join("data/rollout-plan.yml");
    let text = fs::read_to_string(&plan).unwrap().replace(
        "      - p99_latency > 200ms\n",
        "      - p99_latency > 200ms\n      - flag_leaks > 0\n",
    );
    fs::write(&plan, text).unwrap();
    let out = super::on_sample(root.path(), &["run", "--week", "2026-W41", "--dry-run", "m.eml"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("2026-W41: ROLLBACK — nobody escalated to: set `[email] escalation_to`"),
        "{stdout}"
    );
    assert!(!root.path().join("m.escalation.eml").exists());
}

/// `send --report customer`: each customer with a contact_email (the
/// sample's five enterprise customers) gets one message with its own report
/// only — no other customer's id or name in its subject, parts or
/// attachment — and a dry run writes one .eml each.
#[test]
fn each_customer_is_mailed_its_own_report_only() {
    let root = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(root.path(), &[]);
    with_email(root.path(), &plain(smtp.port));
    let out = cmd(root.path(), &["send", "--report", "customer"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = fs::read_to_string(root.path().join("data/customers.csv")).unwrap();
    let customers: Vec<(String, String, String)> = csv::Reader::from_reader(table.as_bytes())
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].to_string(), r[6].to_string())
        })
        .collect();
    let contacts: Vec<&(String, String, String)> = customers.iter().filter(|c| !c.2.is_empty()).collect();
    let mails = smtp.messages();
    assert_eq!(mails.len(), contacts.len());
    assert_eq!(contacts.len(), 5);
    for raw in &mails {
        let m = MessageParser::default().parse(raw).unwrap();
        let to = recipients(&m);
        assert_eq!(to.len(), 1);
        let (id, name, _) = contacts.iter().find(|c| c.2 == to[0]).expect("a contact");
        let subject = m.subject().unwrap();
        assert!(subject.ends_with(name.as_str()), "{subject}");
        let mut shown = vec![
            subject.to_string(),
            m.body_text(0).unwrap().to_string(),
            m.body_html(0).unwrap().to_string(),
        ];
        for a in m.attachments() {
            if a.attachment_name() == Some("metrics.json") {
                shown.push(String::from_utf8_lossy(a.contents()).into_owned());
            }
        }
        let all = shown.join("\n");
        assert!(all.contains(id.as_str()), "{id} not named in its own message");
        for (other_id, other_name, _) in &customers {
            if other_id == id {
                continue;
            }
            assert!(!all.contains(other_id.as_str()), "{id}'s message holds {other_id}");
            if !name.contains(other_name.as_str()) {
                let escaped = other_name.replace('&', "&amp;").replace('<', "&lt;");
                assert!(
                    !all.contains(other_name.as_str()) && !all.contains(&escaped),
                    "{id}'s message holds {other_name}"
                );
            }
        }
    }
    // A dry run: one file per customer, nothing sent.
    let dry = cmd(root.path(), &["send", "--report", "customer", "--dry-run", "c.eml"]);
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    for (id, _, _) in &contacts {
        assert!(root.path().join(format!("c-{id}.eml")).exists(), "c-{id}.eml");
    }
    assert_eq!(smtp.messages().len(), 5);
    // A contact that is not an address is one line naming the customer.
    let t = root.path().join("data/customers.csv");
    fs::write(&t, table.replace("success+c011@example.com", "not an address")).unwrap();
    let bad = cmd(root.path(), &["send", "--report", "customer", "--dry-run", "d.eml"]);
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("customers.csv: customer c011: contact_email"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
