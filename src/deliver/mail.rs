//! E-mail delivery of a rendered report (docs/guide.md#e-mail-and-cron-send-run, docs/configuration.md#email):
//! a multipart message whose HTML part shows the charts as inline PNG parts
//! referenced by `cid:` (not SVG, not data URIs, which Gmail and Outlook
//! drop), a plain-text part, attachments, and SMTP over lettre with none /
//! STARTTLS / implicit TLS, a password from an environment variable and a
//! bounded retry. Every failure is one line naming the server and the reason.

use std::path::PathBuf;
use std::time::Duration;

use crate::ground::files::Files;
use crate::report::kind::Parts;
use anyhow::{Context, Result, anyhow, bail};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    None,
    StartTls,
    Tls,
}

/// The SMTP server and sender, resolved by `config` from `[email]` (the
/// password read from the environment). Its `Debug` masks the password.
#[derive(Clone)]
pub struct EmailSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
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
            .field("ca_file", &self.ca_file)
            .field("timeout", &self.timeout)
            .field("tries", &self.tries)
            .finish()
    }
}

impl EmailSettings {
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

/// A rendered report's message parts, ready to mail.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The report's kind ("weekly", …), for the delivery log and messages.
    pub label: String,
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

impl Rendered {
    /// The same report opened by `html` (placed right after `<body>`) and
    /// `text`, under another subject and label: an escalation of the mail.
    pub fn prefaced(mut self, label: &str, subject: String, html: &str, text: &str) -> Rendered {
        let at = self
            .html
            .find("<body")
            .and_then(|b| self.html[b..].find('>').map(|e| b + e + 1))
            .unwrap_or(0);
        self.html.insert_str(at, html);
        self.text = format!("{text}{}", self.text);
        self.label = label.to_string();
        self.subject = subject;
        self
    }
}

fn file<'a>(files: &'a Files, name: &str) -> Result<&'a [u8]> {
    files
        .get(name)
        .ok_or_else(|| anyhow!("the rendered report has no {name}"))
}

fn text(files: &Files, name: &str) -> Result<String> {
    String::from_utf8(file(files, name)?.to_vec()).with_context(|| format!("{name}: not UTF-8"))
}

/// Point every `src="charts/NAME.png"` at an inline part `cid:NAME@cacheroi`
/// and collect those images from the report's `charts/` files.
fn inline_charts(html: &str, files: &Files) -> Result<(String, Vec<Inline>)> {
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
            images.push((cid.clone(), self::file(files, &format!("charts/{file}"))?.to_vec()));
        }
        out.push_str(&format!("src=\"cid:{cid}\""));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok((out, images))
}

/// The message parts of a rendered report: its HTML with the charts inline,
/// its Markdown as the text part, its attachments; `label` names the report
/// in messages and the delivery log.
pub fn parts_of(files: &Files, parts: &Parts, label: String, period: String, subject: String) -> Result<Rendered> {
    let (html, images) = inline_charts(&text(files, parts.html)?, files)?;
    let attachments = parts
        .attachments
        .iter()
        .map(|(name, ct)| Ok((name.to_string(), ct.to_string(), file(files, name)?.to_vec())))
        .collect::<Result<Vec<_>>>()?;
    Ok(Rendered {
        label,
        period,
        subject,
        html,
        text: crate::render::text::plain(&text(files, parts.markdown)?),
        images,
        attachments,
    })
}

/// Whether `s` is an e-mail address ("Name <a@b>" allowed).
pub fn check_address(s: &str) -> Result<()> {
    mailbox(s, "address").map(|_| ())
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
        bail!("no recipients: set `[email] to` (or `{}_to`), or pass --to", r.label);
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
        let mut files = Files::default();
        files.add("charts/a.png", b"PNG-A".to_vec());
        let html = r#"<p><img src="charts/a.png" alt="x"> <img src="charts/a.png"></p>"#;
        let (out, images) = inline_charts(html, &files).unwrap();
        assert_eq!(
            out,
            r#"<p><img src="cid:a@cacheroi" alt="x"> <img src="cid:a@cacheroi"></p>"#
        );
        assert_eq!(images, vec![("a@cacheroi".to_string(), b"PNG-A".to_vec())]);
    }

    #[test]
    fn charts_outside_the_report_folder_are_refused() {
        // Even a file set that holds such a name (none read from a folder
        // does) gives nothing but plain chart names.
        let mut files = Files::default();
        files.add("../../secret.png", b"SECRET".to_vec());
        for src in [
            "../../secret.png",
            "/etc/passwd",
            "sub/../../secret.png",
            "..\\secret.png",
        ] {
            let html = format!(r#"<img src="charts/{src}">"#);
            let err = inline_charts(&html, &files).unwrap_err().to_string();
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
            ca_file: None,
            timeout: Duration::from_secs(1),
            tries: 1,
        };
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("hunter2") && shown.contains("***"), "{shown}");
    }
}
