//! E-mail delivery of a rendered report (CONTRACT §2 `send`, §1.5 `[email]`):
//! a multipart message whose HTML part shows the charts as inline PNG parts
//! referenced by `cid:` (not SVG, not data URIs, which Gmail and Outlook
//! drop), a plain-text part, attachments, and SMTP over lettre with none /
//! STARTTLS / implicit TLS, a password from an environment variable and a
//! bounded retry. Every failure is one line naming the server and the reason.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use serde_json::Value;

pub use crate::config::TlsMode;
use crate::config::{Email, Settings};

/// Which report a message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportKind {
    Weekly,
    Impact,
    Roi,
}

impl ReportKind {
    pub fn name(self) -> &'static str {
        match self {
            ReportKind::Weekly => "weekly",
            ReportKind::Impact => "impact",
            ReportKind::Roi => "roi",
        }
    }
}

/// `[email]` resolved for sending: the validated settings and the password
/// read from the environment. Its `Debug` masks the password.
#[derive(Clone)]
pub struct EmailSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    password: Option<String>,
    pub from: String,
    pub to: Vec<String>,
    pub weekly_to: Vec<String>,
    pub impact_to: Vec<String>,
    pub roi_to: Vec<String>,
    pub ca_file: Option<PathBuf>,
    pub timeout: Duration,
    pub tries: u32,
}

impl std::fmt::Debug for EmailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .field("to", &self.to)
            .field("weekly_to", &self.weekly_to)
            .field("impact_to", &self.impact_to)
            .field("roi_to", &self.roi_to)
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .field("tries", &self.tries)
            .finish()
    }
}

impl EmailSettings {
    /// From the validated config; a missing key or password is a one-line
    /// error. A dry run (`need_server` false) needs only `from`.
    pub fn from_settings(settings: &Settings, need_server: bool) -> Result<Self> {
        let cfg = settings.path.display();
        let m: &Email = settings
            .email
            .as_ref()
            .ok_or_else(|| anyhow!("{cfg}: sending needs an `[email]` section (smtp_host, from, to)"))?;
        let host = match (&m.smtp_host, need_server) {
            (Some(h), _) => h.clone(),
            (None, false) => String::new(),
            (None, true) => bail!("{cfg}: `[email] smtp_host` is not set"),
        };
        let from = m
            .from
            .clone()
            .ok_or_else(|| anyhow!("{cfg}: `[email] from` is not set"))?;
        let password = match &m.password_env {
            Some(_) if !need_server => None,
            Some(var) => Some(std::env::var(var).map_err(|_| {
                anyhow!("{cfg}: `[email] password_env` names {var}, which is not set in the environment")
            })?),
            None => None,
        };
        Ok(EmailSettings {
            host,
            port: m.smtp_port,
            tls: m.tls,
            username: m.username.clone(),
            password,
            from,
            to: m.to.clone(),
            weekly_to: m.weekly_to.clone(),
            impact_to: m.impact_to.clone(),
            roi_to: m.roi_to.clone(),
            ca_file: m.ca_file.clone(),
            timeout: m.timeout,
            tries: m.tries,
        })
    }

    /// Recipients of a report kind: its own list, else `to`.
    pub fn recipients(&self, kind: ReportKind) -> &[String] {
        let own = match kind {
            ReportKind::Weekly => &self.weekly_to,
            ReportKind::Impact => &self.impact_to,
            ReportKind::Roi => &self.roi_to,
        };
        if own.is_empty() { &self.to } else { own }
    }

    /// "smtp 127.0.0.1:587 (starttls)" for messages.
    pub fn server(&self) -> String {
        let mode = match self.tls {
            TlsMode::None => "no TLS",
            TlsMode::StartTls => "starttls",
            TlsMode::Tls => "tls",
        };
        format!("smtp {}:{} ({mode})", self.host, self.port)
    }
}

/// An inline image: (content id, PNG bytes).
type Inline = (String, Vec<u8>);

/// A rendered report read back from its folder, ready to mail.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub kind: ReportKind,
    /// Week label or window, for the subject and the delivery log.
    pub period: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// (content id, PNG bytes) of every chart the HTML shows.
    pub images: Vec<Inline>,
    /// (file name, content type, bytes).
    pub attachments: Vec<(String, String, Vec<u8>)>,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{}: cannot read the rendered report", path.display()))
}

fn text(path: &Path) -> Result<String> {
    String::from_utf8(read(path)?).with_context(|| format!("{}: not UTF-8", path.display()))
}

/// Point every `src="charts/NAME.png"` at an inline part `cid:NAME@cacheroi`
/// and collect those images from `dir/charts/`.
fn inline_charts(html: &str, dir: &Path) -> Result<(String, Vec<Inline>)> {
    let mut out = String::with_capacity(html.len());
    let mut images = Vec::new();
    let mut rest = html;
    const SRC: &str = "src=\"charts/";
    while let Some(at) = rest.find(SRC) {
        out.push_str(&rest[..at]);
        let after = &rest[at + SRC.len()..];
        let end = after
            .find('"')
            .ok_or_else(|| anyhow!("unterminated src attribute in the HTML"))?;
        let file = &after[..end];
        // Only a chart of this report: one plain file name inside charts/
        // (a custom template must not attach any readable file).
        let plain = std::path::Path::new(file)
            .components()
            .map(|c| matches!(c, std::path::Component::Normal(_)))
            .collect::<Vec<_>>()
            == [true];
        if !plain || file.contains('\\') {
            bail!(
                "the HTML shows `charts/{}`: only images inside the report's charts/ folder can be mailed",
                crate::error::clip(file, 80)
            );
        }
        let stem = file.strip_suffix(".png").unwrap_or(file);
        let cid = format!("{stem}@cacheroi");
        if !images.iter().any(|(c, _)| *c == cid) {
            images.push((cid.clone(), read(&dir.join("charts").join(file))?));
        }
        out.push_str(&format!("src=\"cid:{cid}\""));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok((out, images))
}

fn count_met(kpis: &Value) -> (usize, usize) {
    let Some(map) = kpis.as_object() else { return (0, 0) };
    let with: Vec<&Value> = map.values().filter(|c| !c["target"].is_null()).collect();
    (with.iter().filter(|c| c["status"] == "met").count(), with.len())
}

fn api_calls(kpis: &Value) -> String {
    match kpis["api_call_reduction"]["value"].as_f64() {
        Some(v) if v >= 0.0 => format!("API calls −{:.0} %", v * 100.0),
        Some(v) => format!("API calls +{:.0} %", -v * 100.0),
        None => "API calls: no data".into(),
    }
}

/// The subject line of a report from its metrics.json.
pub fn subject(kind: ReportKind, m: &Value) -> (String, String) {
    match kind {
        ReportKind::Weekly => {
            let week = m["period"]["iso_week"].as_str().unwrap_or("?").to_string();
            let short = week.split_once('-').map_or(week.as_str(), |(_, w)| w).to_string();
            let (met, with) = count_met(&m["kpis"]);
            let gate = m["gate"]["verdict"]
                .as_str()
                .map(|v| format!(" · gate: {}", if v == "rollback" { "roll back" } else { v }))
                .unwrap_or_default();
            (
                format!(
                    "Cache rollout {short}: {}, {met} of {with} targets met{gate}",
                    api_calls(&m["kpis"])
                ),
                week,
            )
        }
        ReportKind::Impact => {
            let (from, to) = (
                m["window"]["from"].as_str().unwrap_or("?"),
                m["window"]["to"].as_str().unwrap_or("?"),
            );
            let (met, with) = count_met(&m["kpis"]);
            (
                format!(
                    "Cache rollout impact {from} to {to}: {}, {met} of {with} targets met",
                    api_calls(&m["kpis"])
                ),
                format!("{from}..{to}"),
            )
        }
        ReportKind::Roi => {
            let (from, to) = (
                m["window"]["from"].as_str().unwrap_or("?"),
                m["window"]["to"].as_str().unwrap_or("?"),
            );
            let cur = m["generated"]["currency"].as_str().unwrap_or("USD");
            let money = |k: &str| crate::render::format::money(m["roi"][k].as_f64(), cur);
            (
                format!(
                    "Cache rollout ROI {from} to {to}: net savings {} ({} a year)",
                    money("net_savings"),
                    money("annualized_net_savings")
                ),
                format!("{from}..{to}"),
            )
        }
    }
}

/// Read a rendered report from `dir` (weekly: `<out>/weekly/<week>`,
/// impact: `<out>/impact`, roi: `<out>/roi`).
pub fn load(kind: ReportKind, dir: &Path) -> Result<Rendered> {
    let (html_name, md_name, attach): (&str, &str, &[(&str, &str)]) = match kind {
        ReportKind::Weekly => ("summary.html", "summary.md", &[("metrics.json", "application/json")]),
        ReportKind::Impact => ("impact.html", "impact.md", &[("metrics.json", "application/json")]),
        ReportKind::Roi => (
            "roi.html",
            "roi.md",
            &[
                ("roi.csv", "text/csv; charset=utf-8"),
                (
                    "roi.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
            ],
        ),
    };
    let metrics: Value = serde_json::from_slice(&read(&dir.join("metrics.json"))?)
        .with_context(|| format!("{}: not JSON", dir.join("metrics.json").display()))?;
    let (subject, period) = subject(kind, &metrics);
    let (html, images) = inline_charts(&text(&dir.join(html_name))?, dir)?;
    let attachments = attach
        .iter()
        .map(|(name, ct)| Ok((name.to_string(), ct.to_string(), read(&dir.join(name))?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Rendered {
        kind,
        period,
        subject,
        html,
        text: text(&dir.join(md_name))?,
        images,
        attachments,
    })
}

fn mailbox(s: &str, what: &str) -> Result<Mailbox> {
    s.parse::<Mailbox>()
        .map_err(|e| anyhow!("{what} `{s}` is not an e-mail address: {e}"))
}

/// The message: multipart/alternative of the text and the HTML (itself
/// multipart/related with the chart images), inside multipart/mixed when
/// there are attachments.
pub fn compose(r: &Rendered, from: &str, to: &[String]) -> Result<Message> {
    if to.is_empty() {
        bail!(
            "no recipients: set `[email] to` (or `{}_to`), or pass --to",
            r.kind.name()
        );
    }
    let mut b = Message::builder()
        .from(mailbox(from, "[email] from")?)
        .subject(&r.subject)
        .date_now()
        .message_id(None)
        .user_agent(format!("cacheroi {}", env!("CARGO_PKG_VERSION")));
    for t in to {
        b = b.to(mailbox(t, "recipient")?);
    }
    let mut related = MultiPart::related().singlepart(SinglePart::html(r.html.clone()));
    for (cid, png) in &r.images {
        let id = cid.clone();
        related = related.singlepart(Attachment::new_inline(id).body(png.clone(), ContentType::parse("image/png")?));
    }
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::plain(r.text.clone()))
        .multipart(related);
    let body = if r.attachments.is_empty() {
        alternative
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for (name, ct, bytes) in &r.attachments {
            mixed = mixed.singlepart(Attachment::new(name.clone()).body(bytes.clone(), ContentType::parse(ct)?));
        }
        mixed
    };
    b.multipart(body).context("building the message")
}

fn transport(cfg: &EmailSettings) -> Result<SmtpTransport> {
    let mut b = SmtpTransport::builder_dangerous(cfg.host.as_str())
        .port(cfg.port)
        .timeout(Some(cfg.timeout));
    if cfg.tls != TlsMode::None {
        let mut params = TlsParameters::builder(cfg.host.clone());
        if let Some(ca) = &cfg.ca_file {
            let pem = std::fs::read(ca).with_context(|| format!("{}: cannot read `[email] ca_file`", ca.display()))?;
            params = params.add_root_certificate(
                Certificate::from_pem(&pem).map_err(|e| anyhow!("{}: not a PEM certificate: {e}", ca.display()))?,
            );
        }
        let params = params
            .build_rustls()
            .map_err(|e| anyhow!("{}: TLS setup: {e}", cfg.server()))?;
        b = b.tls(match cfg.tls {
            TlsMode::Tls => Tls::Wrapper(params),
            _ => Tls::Required(params),
        });
    }
    if let (Some(user), Some(pass)) = (&cfg.username, &cfg.password) {
        b = b.credentials(Credentials::new(user.clone(), pass.clone()));
    }
    Ok(b.build())
}

/// The error and its causes in one line.
fn reason(e: &lettre::transport::smtp::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(c) = src {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = c.source();
    }
    s.replace(['\r', '\n'], " ")
}

/// Send over SMTP, retrying transient failures (connection, timeout, 4xx)
/// with a doubling pause; a permanent refusal (5xx, e.g. a wrong password)
/// is not retried. Returns the server's reply.
pub fn send(msg: &Message, cfg: &EmailSettings) -> Result<String> {
    let smtp = transport(cfg)?;
    let mut pause = Duration::from_millis(500);
    let mut last = String::new();
    for attempt in 1..=cfg.tries {
        match smtp.send(msg) {
            Ok(resp) => return Ok(resp.message().collect::<Vec<_>>().join(" ")),
            Err(e) => {
                last = reason(&e);
                if e.is_permanent() || attempt == cfg.tries {
                    break;
                }
                tracing::warn!(attempt, "{}: {last}; retrying in {pause:?}", cfg.server());
                std::thread::sleep(pause);
                pause *= 2;
            }
        }
    }
    Err(anyhow!("{}: {last}", cfg.server()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_become_cid_references() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("charts")).unwrap();
        std::fs::write(dir.path().join("charts/a.png"), b"PNG-A").unwrap();
        let html = r#"<p><img src="charts/a.png" alt="x"> <img src="charts/a.png"></p>"#;
        let (out, images) = inline_charts(html, dir.path()).unwrap();
        assert_eq!(
            out,
            r#"<p><img src="cid:a@cacheroi" alt="x"> <img src="cid:a@cacheroi"></p>"#
        );
        assert_eq!(images, vec![("a@cacheroi".to_string(), b"PNG-A".to_vec())]);
    }

    #[test]
    fn charts_outside_the_report_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("report/charts")).unwrap();
        std::fs::write(dir.path().join("secret.png"), b"SECRET").unwrap();
        for src in [
            "../../secret.png",
            "/etc/passwd",
            "sub/../../secret.png",
            "..\\secret.png",
        ] {
            let html = format!(r#"<img src="charts/{src}">"#);
            let err = inline_charts(&html, &dir.path().join("report"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("only images inside the report's charts/ folder"),
                "{src}: {err}"
            );
        }
    }

    #[test]
    fn debug_masks_the_smtp_password() {
        let cfg = EmailSettings {
            host: "smtp.example.com".into(),
            port: 587,
            tls: TlsMode::StartTls,
            username: Some("reports".into()),
            password: Some("hunter2".into()),
            from: "a@example.com".into(),
            to: Vec::new(),
            weekly_to: Vec::new(),
            impact_to: Vec::new(),
            roi_to: Vec::new(),
            ca_file: None,
            timeout: Duration::from_secs(1),
            tries: 1,
        };
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("hunter2") && shown.contains("***"), "{shown}");
    }

    #[test]
    fn the_subject_has_the_week_and_the_headline() {
        let m: Value = serde_json::json!({
            "period": {"iso_week": "2026-W47"},
            "kpis": {
                "api_call_reduction": {"value": 0.7412, "target": 0.7, "status": "met"},
                "adoption": {"value": 0.8, "target": 0.9, "status": "at_risk"},
                "requests": {"value": 10.0, "target": null, "status": null}
            },
            "gate": {"verdict": "hold"}
        });
        let (s, period) = subject(ReportKind::Weekly, &m);
        assert_eq!(s, "Cache rollout W47: API calls −74 %, 1 of 2 targets met · gate: hold");
        assert_eq!(period, "2026-W47");
    }
}
