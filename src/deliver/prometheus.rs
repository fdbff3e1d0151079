//! Delivering the Prometheus series (docs/prometheus.md "Export"): a textfile
//! written atomically (a temporary file in the same folder, then renamed:
//! node_exporter never reads half a file), or a PUT to a Pushgateway,
//! retried with back-off on 5xx and no answer.

use std::path::Path;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};

/// Write `text` to `path` atomically.
pub fn write_textfile(path: &Path, text: &str) -> Result<()> {
    crate::fsutil::write_atomic(path, text.as_bytes())
}

/// The Pushgateway URL as messages show it (no user or password).
fn shown(url: &url::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.as_str().trim_end_matches('/').to_string()
}

/// A Pushgateway to push to, checked before any work.
pub struct Pushgateway {
    url: url::Url,
    user: Option<(String, Option<String>)>,
    who: String,
}

/// `--pushgateway URL`: http(s) with a host; a user and password in it are
/// sent as basic auth and never shown.
pub fn pushgateway(base: &str) -> Result<Pushgateway> {
    let mut url = url::Url::parse(base.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            anyhow!(
                "--pushgateway `{}`: write the URL with http:// or https://, e.g. http://pushgateway:9091",
                crate::error::clip(base, 80)
            )
        })?;
    let user = (!url.username().is_empty()).then(|| (url.username().to_string(), url.password().map(str::to_string)));
    let who = shown(&url);
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let path = format!("{}/metrics/job/cacheroi", url.path().trim_end_matches('/'));
    url.set_path(&path);
    Ok(Pushgateway { url, user, who })
}

/// PUT `text` to `<base>/metrics/job/cacheroi` (it replaces the job's
/// series); Ok(attempts).
pub fn push(target: &Pushgateway, text: &str) -> Result<u32> {
    let Pushgateway { url, user, who } = target;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| anyhow!("Pushgateway {who}: {}", e.without_url()))?;
        let mut backoff = Duration::from_millis(500);
        let mut last = String::new();
        for n in 1..=3 {
            let mut req = client
                .put(url.clone())
                .header("Content-Type", "text/plain; version=0.0.4")
                .body(text.to_string());
            if let Some((u, p)) = &user {
                req = req.basic_auth(u, p.as_deref());
            }
            match req.send().await {
                Ok(resp) if resp.status().is_success() => return Ok(n),
                Ok(resp) if !resp.status().is_server_error() => {
                    let status = resp.status();
                    let body = resp.text().await.unwrap_or_default();
                    bail!(
                        "Pushgateway {who}: HTTP {status}: {}",
                        crate::error::clip(body.trim().lines().next().unwrap_or(""), 160)
                    );
                }
                Ok(resp) => last = format!("HTTP {}", resp.status()),
                Err(e) => last = format!("no answer ({})", e.without_url()),
            }
            if n < 3 {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
        bail!("Pushgateway {who}: {last} after 3 attempts: check --pushgateway and that it runs")
    })
}
