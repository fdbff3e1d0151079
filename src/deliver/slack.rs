//! Posting a digest to a Slack incoming webhook: JSON over HTTPS, retried
//! with back-off on 429 (honouring Retry-After) and 5xx, never on another
//! 4xx. The URL is a secret: no message names it, only the environment
//! variable it came from.

use std::time::Duration;

use anyhow::{Result, anyhow};

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    /// The first back-off after a 5xx; doubled after each.
    pub backoff: Duration,
    /// The longest Retry-After honoured.
    pub max_wait: Duration,
    pub timeout: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 3,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        }
    }
}

/// What one attempt gave.
enum Answer {
    Ok,
    /// Retry after this long.
    Again(Duration, String),
    /// Do not retry.
    Fail(String),
}

async fn attempt(client: &reqwest::Client, url: &str, body: &str, backoff: Duration, r: &Retry) -> Answer {
    let sent = client
        .post(url)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await;
    let resp = match sent {
        Ok(resp) => resp,
        // The error's text would carry the URL: drop it.
        Err(e) => return Answer::Again(backoff, format!("cannot reach the webhook ({})", e.without_url())),
    };
    let status = resp.status();
    if status.is_success() {
        return Answer::Ok;
    }
    let said = format!("HTTP {status}");
    if status.as_u16() == 429 {
        let wait = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(backoff, Duration::from_secs)
            .min(r.max_wait);
        Answer::Again(wait, said)
    } else if status.is_server_error() {
        Answer::Again(backoff, said)
    } else {
        Answer::Fail(said)
    }
}

/// Post `body` (JSON) to `url`; `source` names where the URL came from
/// (`$SLACK_WEBHOOK_URL`) for messages. Ok(attempts) on success.
pub fn post(url: &str, body: &str, source: &str, r: &Retry) -> Result<u32> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(r.timeout)
            .build()
            .map_err(|e| anyhow!("Slack webhook ({source}): {}", e.without_url()))?;
        let mut backoff = r.backoff;
        let mut last = String::new();
        for n in 1..=r.attempts.max(1) {
            match attempt(&client, url, body, backoff, r).await {
                Answer::Ok => return Ok(n),
                Answer::Fail(said) => {
                    return Err(anyhow!("Slack webhook ({source}): {said}, not retried"));
                }
                Answer::Again(wait, said) => {
                    last = said;
                    if n < r.attempts {
                        tracing::info!(attempt = n, wait = ?wait, "Slack webhook: {last}, retrying");
                        tokio::time::sleep(wait).await;
                        backoff *= 2;
                    }
                }
            }
        }
        Err(anyhow!(
            "Slack webhook ({source}): {last} after {} attempts",
            r.attempts.max(1)
        ))
    })
}
