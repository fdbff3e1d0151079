//! `[email]` and `[slack]`: where the reports go.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use serde::Deserialize;

use super::errors::{Errors, MAX_TEXT};
use super::{Here, Settings, Sp};
use crate::deliver::mail::{EmailSettings, TlsMode};
use crate::report::kind::ReportKind;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SlackModel {
    pub(super) webhook_env: Option<Sp<String>>,
    pub(super) report_url: Option<Sp<String>>,
}

/// `[slack]`: where `cacheroi notify` posts.
#[derive(Debug, Clone, PartialEq)]
pub struct Slack {
    /// The environment variable holding the incoming-webhook URL (a secret:
    /// never printed).
    pub webhook_env: String,
    /// Where the reports are published, for the digest's link (optional).
    pub report_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EmailModel {
    pub(super) smtp_host: Option<Sp<String>>,
    pub(super) smtp_port: Option<Sp<i64>>,
    pub(super) tls: Option<Sp<String>>,
    pub(super) username: Option<Sp<String>>,
    pub(super) password_env: Option<Sp<String>>,
    pub(super) from: Option<Sp<String>>,
    #[serde(default)]
    pub(super) to: Vec<Sp<String>>,
    #[serde(default)]
    pub(super) weekly_to: Vec<Sp<String>>,
    #[serde(default)]
    pub(super) impact_to: Vec<Sp<String>>,
    #[serde(default)]
    pub(super) roi_to: Vec<Sp<String>>,
    #[serde(default)]
    pub(super) executive_to: Vec<Sp<String>>,
    #[serde(default)]
    pub(super) technical_to: Vec<Sp<String>>,
    #[serde(default)]
    pub(super) support_to: Vec<Sp<String>>,
    #[serde(default)]
    pub(super) escalation_to: Vec<Sp<String>>,
    #[serde(default)]
    pub(super) escalation_levels: BTreeMap<String, Vec<Sp<String>>>,
    pub(super) ca_file: Option<Sp<PathBuf>>,
    pub(super) timeout_secs: Option<Sp<i64>>,
    pub(super) tries: Option<Sp<i64>>,
}

/// `[email]`, validated: defaults applied, addresses checked. The password
/// itself is read from `password_env` only when a message is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub from: Option<String>,
    pub to: Vec<String>,
    /// Recipients per report kind (default: `to`): executives get the weekly
    /// summary, finance the ROI report.
    pub weekly_to: Vec<String>,
    pub impact_to: Vec<String>,
    pub roi_to: Vec<String>,
    /// Recipients of each audience's brief (default: `to`).
    pub executive_to: Vec<String>,
    pub technical_to: Vec<String>,
    pub support_to: Vec<String>,
    /// Who gets the week's mail, its subject prefixed `ROLLBACK:` or `RISK
    /// TRIGGERED:`, when the gate says roll back or a risk triggers.
    pub escalation_to: Vec<String>,
    /// Addresses per level of the risk register's escalation path: a risk
    /// that triggers also reaches its level's addresses.
    pub escalation_levels: Vec<(String, Vec<String>)>,
    /// CA certificates (PEM) to trust for the SMTP server instead of the public roots.
    pub ca_file: Option<PathBuf>,
    /// Time per SMTP attempt and attempts.
    pub timeout: std::time::Duration,
    pub tries: u32,
}

impl Settings {
    /// The SMTP server and sender of `[email]`; a missing key or password
    /// is a one-line error. A dry run (`need_server` false) needs only `from`.
    pub fn smtp(&self, need_server: bool) -> Result<EmailSettings> {
        let cfg = self.path.display();
        let m: &Email = self.email.as_ref().ok_or_else(|| match need_server {
            true => anyhow!("{cfg}: sending needs an `[email]` section (smtp_host, from, to)"),
            false => anyhow!("{cfg}: a dry run needs an `[email]` section with `from` (and `to`, or --to)"),
        })?;
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
            ca_file: m.ca_file.clone(),
            timeout: m.timeout,
            tries: m.tries,
        })
    }

    /// Recipients of a report kind: its own list (`weekly_to`, …), else
    /// `to`; none without `[email]`.
    pub fn recipients(&self, kind: ReportKind) -> Vec<String> {
        let Some(m) = &self.email else { return Vec::new() };
        let own = match kind {
            ReportKind::Weekly => &m.weekly_to,
            ReportKind::Impact => &m.impact_to,
            ReportKind::Roi => &m.roi_to,
            ReportKind::BriefExecutive => &m.executive_to,
            ReportKind::BriefTechnical => &m.technical_to,
            ReportKind::BriefSupport => &m.support_to,
            // Never the general list: each goes to its own contact.
            ReportKind::Customer => return Vec::new(),
        };
        if own.is_empty() { m.to.clone() } else { own.clone() }
    }

    /// Who an escalation of the week reaches: `escalation_to`, then the
    /// addresses of each of `levels` (the triggered risks' levels), each
    /// once. A level the config does not name adds nobody.
    pub fn escalation_recipients(&self, levels: &[String]) -> Vec<String> {
        let Some(m) = &self.email else { return Vec::new() };
        let mut to = m.escalation_to.clone();
        for level in levels {
            for (name, addresses) in &m.escalation_levels {
                if name.trim().eq_ignore_ascii_case(level.trim()) {
                    to.extend(addresses.iter().cloned());
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        to.retain(|a| seen.insert(a.to_ascii_lowercase()));
        to
    }
}

/// `[email]` validated: the TLS mode, the port, the addresses, the limits.
pub(super) fn email(err: &Errors, m: &EmailModel, here: &Here) -> Result<Email> {
    let tls = match &m.tls {
        None => TlsMode::StartTls,
        Some(v) => match v.get_ref().as_str() {
            "none" => TlsMode::None,
            "starttls" => TlsMode::StartTls,
            "tls" => TlsMode::Tls,
            other => {
                return Err(err.at(
                    v,
                    "email.tls",
                    format!("must be none, starttls or tls, got `{}`", crate::error::clip(other, 40)),
                ));
            }
        },
    };
    let default_port = match tls {
        TlsMode::None => 25,
        TlsMode::StartTls => 587,
        TlsMode::Tls => 465,
    };
    let address = |v: &Sp<String>, key: &str| -> Result<String> {
        let t = err.text(v, key, 320)?;
        t.parse::<lettre::message::Mailbox>().map_err(|e| {
            err.at(
                v,
                key,
                format!("`{}` is not an e-mail address: {e}", crate::error::clip(&t, 80)),
            )
        })?;
        Ok(t)
    };
    let list = |vs: &[Sp<String>], key: &str| vs.iter().map(|v| address(v, key)).collect::<Result<Vec<_>>>();
    let text = |v: &Option<Sp<String>>, key: &str, max: usize| v.as_ref().map(|v| err.text(v, key, max)).transpose();
    let username = text(&m.username, "email.username", 320)?;
    if let (Some(v), None) = (&m.password_env, &username) {
        return Err(err.at(v, "email.password_env", "is set but `username` is not"));
    }
    Ok(Email {
        smtp_host: text(&m.smtp_host, "email.smtp_host", 253)?.filter(|h| !h.trim().is_empty()),
        smtp_port: err.integer(&m.smtp_port, "email.smtp_port", default_port, 1, 65535)? as u16,
        tls,
        username,
        password_env: text(&m.password_env, "email.password_env", 256)?,
        from: m.from.as_ref().map(|v| address(v, "email.from")).transpose()?,
        to: list(&m.to, "email.to")?,
        weekly_to: list(&m.weekly_to, "email.weekly_to")?,
        impact_to: list(&m.impact_to, "email.impact_to")?,
        roi_to: list(&m.roi_to, "email.roi_to")?,
        executive_to: list(&m.executive_to, "email.executive_to")?,
        technical_to: list(&m.technical_to, "email.technical_to")?,
        support_to: list(&m.support_to, "email.support_to")?,
        escalation_to: list(&m.escalation_to, "email.escalation_to")?,
        escalation_levels: m
            .escalation_levels
            .iter()
            .map(|(level, to)| Ok((level.clone(), list(to, &format!("email.escalation_levels.{level}"))?)))
            .collect::<Result<Vec<_>>>()?,
        ca_file: here.optional_path(&m.ca_file, "email.ca_file")?,
        timeout: std::time::Duration::from_secs(err.integer(&m.timeout_secs, "email.timeout_secs", 30, 1, 600)? as u64),
        tries: err.integer(&m.tries, "email.tries", 3, 1, 20)? as u32,
    })
}

/// `[slack]`: the webhook's environment variable is required.
pub(super) fn slack(err: &Errors, m: &SlackModel) -> Result<Slack> {
    Ok(Slack {
        webhook_env: match &m.webhook_env {
            Some(v) if !v.get_ref().trim().is_empty() => err.text(v, "slack.webhook_env", 200)?,
            _ => bail!(
                "{}: `[slack] webhook_env` must name the environment variable holding the webhook URL",
                err.path.display()
            ),
        },
        report_url: m
            .report_url
            .as_ref()
            .map(|v| err.text(v, "slack.report_url", MAX_TEXT))
            .transpose()?,
    })
}
