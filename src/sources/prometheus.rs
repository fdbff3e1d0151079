//! Redis figures from Prometheus (docs/prometheus.md): the raw samples of
//! redis_exporter's series, read with range-vector queries over the HTTP API
//! (Prometheus, Thanos, Mimir and VictoriaMetrics speak it), paged by time,
//! and turned into the same captures a snapshot store holds — one per
//! instance and scrape — so that every report measures them with the
//! snapshot store's delta rules. Never `increase()` or `rate()`: they
//! extrapolate, and the figures must equal what snapshots taken at the same
//! instants would give.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::redis_store::{Capture, FailedCapture, Store};

/// `[sources.prometheus]` as written.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusModel {
    pub url: Option<String>,
    /// Label matchers of the redis_exporter series: `{job="redis"}`.
    pub redis_selector: Option<String>,
    /// The environment variable that holds a bearer token.
    pub bearer_token_env: Option<String>,
    /// A PEM file of the CA to trust for https (else the system's roots).
    pub ca_file: Option<PathBuf>,
    /// Seconds one request may take (default 30).
    pub timeout_seconds: Option<f64>,
    /// Hours of samples one request asks for (default 6).
    pub page_hours: Option<u32>,
}

/// A label matcher: `job="redis"`, `instance=~"cache-.*"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Matcher {
    pub label: String,
    pub op: &'static str,
    pub value: String,
}

/// A validated `[sources.prometheus]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Prometheus {
    /// The API's base URL without user and password.
    base: url::Url,
    /// The URL as messages show it (no user, no password, no query).
    pub shown: String,
    basic: Option<(String, Option<String>)>,
    pub bearer_token_env: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub matchers: Vec<Matcher>,
    pub timeout: Duration,
    pub page: chrono::Duration,
    /// Tries per request (5xx and timeouts are retried with back-off).
    pub attempts: u32,
    pub backoff: Duration,
}

/// The redis_exporter series a capture is made of, by the capture field.
const SERIES: [&str; 10] = [
    "redis_up",
    "redis_instance_info",
    "redis_uptime_in_seconds",
    "redis_keyspace_hits_total",
    "redis_keyspace_misses_total",
    "redis_evicted_keys_total",
    "redis_expired_keys_total",
    "redis_memory_used_bytes",
    "redis_memory_max_bytes",
    "redis_mem_fragmentation_ratio",
];

impl Prometheus {
    pub fn new(m: &PrometheusModel) -> Result<Prometheus, String> {
        let text = m
            .url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or("needs a url")?;
        let mut base = url::Url::parse(text).map_err(|e| {
            format!(
                "url `{}` is no URL ({e}): write it with its scheme, e.g. http://prometheus:9090",
                crate::error::clip(&shown_text(text), 80)
            )
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(format!(
                "url `{}`: use http:// or https:// and a host, e.g. http://prometheus:9090",
                crate::error::clip(&shown_text(text), 80)
            ));
        }
        let basic = (!base.username().is_empty()).then(|| {
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            (
                decode(base.username()).unwrap_or_default(),
                base.password().and_then(decode),
            )
        });
        let _ = base.set_username("");
        let _ = base.set_password(None);
        base.set_query(None);
        base.set_fragment(None);
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let shown = base.as_str().trim_end_matches('/').to_string();
        let selector = m.redis_selector.as_deref().unwrap_or("{}");
        let matchers = parse_selector(selector)
            .map_err(|e| format!("redis_selector `{}`: {e}", crate::error::clip(selector, 80)))?;
        if let Some(env) = &m.bearer_token_env
            && (env.is_empty() || !env.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            return Err(format!(
                "bearer_token_env `{}` is no variable name",
                crate::error::clip(env, 40)
            ));
        }
        if basic.is_some() && m.bearer_token_env.is_some() {
            return Err("a user in the url and bearer_token_env: use one way to log in".into());
        }
        let timeout = m.timeout_seconds.unwrap_or(30.0);
        if !(timeout.is_finite() && timeout > 0.0 && timeout <= 600.0) {
            return Err("timeout_seconds: between 0 and 600".into());
        }
        let page_hours = m.page_hours.unwrap_or(6);
        if !(1..=168).contains(&page_hours) {
            return Err("page_hours: between 1 and 168".into());
        }
        Ok(Prometheus {
            base,
            shown,
            basic,
            bearer_token_env: m.bearer_token_env.clone(),
            ca_file: m.ca_file.clone(),
            matchers,
            timeout: Duration::from_secs_f64(timeout),
            page: chrono::Duration::hours(i64::from(page_hours)),
            attempts: 3,
            backoff: Duration::from_millis(500),
        })
    }

    /// The selector of every series a capture needs, in PromQL.
    pub fn selector(&self) -> String {
        let mut parts = vec![format!("__name__=~{}", quote(&SERIES.join("|")))];
        parts.extend(
            self.matchers
                .iter()
                .map(|m| format!("{}{}{}", m.label, m.op, quote(&m.value))),
        );
        format!("{{{}}}", parts.join(","))
    }
}

/// A URL as a message may show it: without user and password.
fn shown_text(text: &str) -> String {
    let (scheme, rest) = match text.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), text),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    format!("{scheme}{host}{path}")
}

/// A PromQL string literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Label matchers as PromQL writes them: `{job="redis", instance=~"c.*"}`
/// (the braces may be left out). Names are `[a-zA-Z_][a-zA-Z0-9_]*`, values
/// quoted with `"`, `'` or `` ` ``; a regex must compile. `__name__` is
/// cacheroi's to set.
pub fn parse_selector(text: &str) -> Result<Vec<Matcher>, String> {
    let t = text.trim();
    let inner = match (t.strip_prefix('{'), t.ends_with('}')) {
        (Some(rest), true) => &rest[..rest.len() - 1],
        (None, false) => t,
        _ => return Err("unbalanced braces".into()),
    };
    let chars: Vec<char> = inner.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let skip = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip(&mut i);
        if i >= chars.len() {
            break;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        let label: String = chars[start..i].iter().collect();
        if label.is_empty() || label.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(format!("expected a label name at `{}`", rest_of(&chars, start)));
        }
        if label == "__name__" {
            return Err("__name__ is set by cacheroi (it reads redis_exporter's series): match other labels".into());
        }
        skip(&mut i);
        let op = ["=~", "!~", "!=", "="]
            .into_iter()
            .find(|op| chars[i..].iter().take(op.len()).copied().eq(op.chars()))
            .ok_or_else(|| format!("expected =, !=, =~ or !~ after `{label}`"))?;
        i += op.len();
        skip(&mut i);
        let quote_char = *chars
            .get(i)
            .ok_or_else(|| format!("`{label}{op}` needs a quoted value"))?;
        if !matches!(quote_char, '"' | '\'' | '`') {
            return Err(format!("the value of `{label}` must be quoted, e.g. {label}{op}\"…\""));
        }
        i += 1;
        let value = quoted_value(&chars, &mut i, quote_char, &label)?;
        if op.ends_with('~') {
            regex::Regex::new(&format!("^(?:{value})$"))
                .map_err(|_| format!("the regex of `{label}` does not compile"))?;
        }
        out.push(Matcher { label, op, value });
        skip(&mut i);
        match chars.get(i) {
            None => break,
            Some(',') => i += 1,
            Some(_) => return Err(format!("expected `,` or the end at `{}`", rest_of(&chars, i))),
        }
    }
    Ok(out)
}

/// The value of `label` after its opening quote `quote_char`, escapes
/// read (none in backquotes); `i` ends after the closing quote.
fn quoted_value(chars: &[char], i: &mut usize, quote_char: char, label: &str) -> Result<String, String> {
    let mut value = String::new();
    loop {
        let c = *chars
            .get(*i)
            .ok_or_else(|| format!("the value of `{label}` is not closed"))?;
        *i += 1;
        if c == quote_char {
            return Ok(value);
        }
        if c == '\\' && quote_char != '`' {
            let e = *chars
                .get(*i)
                .ok_or_else(|| format!("the value of `{label}` is not closed"))?;
            *i += 1;
            value.push(match e {
                'n' => '\n',
                't' => '\t',
                '\\' | '"' | '\'' => e,
                other => return Err(format!("unknown escape `\\{other}` in the value of `{label}`")),
            });
        } else {
            value.push(c);
        }
    }
}

fn rest_of(chars: &[char], from: usize) -> String {
    crate::error::clip(&chars[from..].iter().collect::<String>(), 30)
}

/// The Prometheus API's answer to an instant query of a range vector.
#[derive(Deserialize)]
struct Answer {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    #[serde(default)]
    result: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
}

/// One scrape of one instance, as the series give it.
#[derive(Debug, Default)]
struct Scrape {
    up: Option<f64>,
    /// redis_instance_info's labels, shared by every scrape of its series.
    info: Option<std::rc::Rc<BTreeMap<String, String>>>,
    values: [Option<f64>; 8],
}

/// The scrapes read so far, per instance, then per time (ms).
type Scrapes = BTreeMap<String, BTreeMap<i64, Scrape>>;

/// Disjoint, sorted ranges covering `ranges`, cut at `now`.
fn merged(ranges: &[(DateTime<Utc>, DateTime<Utc>)], now: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut r: Vec<_> = ranges
        .iter()
        .map(|(a, b)| (*a, (*b).min(now)))
        .filter(|(a, b)| a < b)
        .collect();
    r.sort();
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for (a, b) in r {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Every capture of the redis_exporter series in `ranges` (half-open, cut at
/// `now`): one per instance (its `instance` label) and scrape; a scrape with
/// `redis_up == 0` is a failed capture. A missing scrape is a gap in the
/// captures, never zero traffic.
pub fn read(p: &Prometheus, ranges: &[(DateTime<Utc>, DateTime<Utc>)], now: DateTime<Utc>) -> Result<Store> {
    let token = match &p.bearer_token_env {
        Some(env) => Some(std::env::var(env).map_err(|_| {
            anyhow!(
                "Prometheus {}: the environment variable {env} (sources.prometheus.bearer_token_env) is not set",
                p.shown
            )
        })?),
        None => None,
    };
    let ranges = merged(ranges, now);
    let mut scrapes = Scrapes::new();
    let mut series_seen = 0usize;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let client = client(p)?;
    for (from, to) in &ranges {
        // Pages (a, b] with a = from − 1 ms, b = to − 1 ms: exactly [from, to).
        let mut a = *from - chrono::Duration::milliseconds(1);
        let end = *to - chrono::Duration::milliseconds(1);
        while a < end {
            let b = (a + p.page).min(end);
            let query = format!("{}[{}ms]", p.selector(), (b - a).num_milliseconds());
            let time = format!("{:.3}", b.timestamp_millis() as f64 / 1000.0);
            let body = runtime.block_on(get(&client, p, token.as_deref(), &query, &time))?;
            series_seen += add_page(p, &body, &mut scrapes)?;
            a = b;
        }
    }
    if series_seen == 0 && !ranges.is_empty() {
        bail!(
            "Prometheus {}: no redis_exporter series match {} between {} and {}: check sources.prometheus.redis_selector and that Prometheus scrapes redis_exporter",
            p.shown,
            crate::error::clip(&p.matchers_text(), 80),
            ranges[0].0.format("%Y-%m-%d %H:%M"),
            ranges[ranges.len() - 1].1.format("%Y-%m-%d %H:%M")
        );
    }
    Ok(store_of(scrapes))
}

impl Prometheus {
    /// The configured matchers as written back: `{job="redis"}`.
    pub fn matchers_text(&self) -> String {
        let parts: Vec<String> = self
            .matchers
            .iter()
            .map(|m| format!("{}{}{}", m.label, m.op, quote(&m.value)))
            .collect();
        format!("{{{}}}", parts.join(","))
    }
}

fn client(p: &Prometheus) -> Result<reqwest::Client> {
    let mut b = reqwest::Client::builder().timeout(p.timeout);
    if let Some(ca) = &p.ca_file {
        let pem = std::fs::read(ca).map_err(|e| anyhow!("sources.prometheus.ca_file {}: {e}", ca.display()))?;
        let cert = reqwest::Certificate::from_pem(&pem)
            .map_err(|_| anyhow!("sources.prometheus.ca_file {}: not a PEM certificate", ca.display()))?;
        b = b.add_root_certificate(cert);
    }
    b.build()
        .map_err(|e| anyhow!("Prometheus {}: {}", p.shown, e.without_url()))
}

/// One query, retried with back-off on 5xx and on no answer; the body.
async fn get(
    client: &reqwest::Client,
    p: &Prometheus,
    token: Option<&str>,
    query: &str,
    time: &str,
) -> Result<Vec<u8>> {
    let url = p
        .base
        .join("api/v1/query")
        .map_err(|e| anyhow!("Prometheus {}: {e}", p.shown))?;
    let mut backoff = p.backoff;
    let mut last = String::new();
    for n in 1..=p.attempts.max(1) {
        let mut req = client.get(url.clone()).query(&[("query", query), ("time", time)]);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some((user, pass)) = &p.basic {
            req = req.basic_auth(user, pass.as_deref());
        }
        match req.send().await {
            Ok(resp) => {
                let status = resp.status();
                let body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                if status.is_success() {
                    return Ok(body);
                }
                let said = serde_json::from_slice::<Answer>(&body)
                    .ok()
                    .and_then(|a| a.error)
                    .map(|e| format!(": {}", crate::error::clip(&e, 160)))
                    .unwrap_or_default();
                if !status.is_server_error() {
                    let check = match status.as_u16() {
                        401 | 403 => "check the token (sources.prometheus.bearer_token_env) or the URL's user",
                        404 => "check sources.prometheus.url: it is the server's base URL, /api/v1 is added",
                        400 | 422 => "check sources.prometheus.redis_selector",
                        _ => "check sources.prometheus",
                    };
                    bail!("Prometheus {}: HTTP {status}{said}: {check}", p.shown);
                }
                last = format!("HTTP {status}{said}");
            }
            Err(e) => last = format!("no answer ({})", e.without_url()),
        }
        if n < p.attempts {
            tracing::info!(attempt = n, wait = ?backoff, "Prometheus {}: {last}, retrying", p.shown);
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
    }
    bail!(
        "Prometheus {}: {last} after {} attempts: check that Prometheus runs and sources.prometheus.url",
        p.shown,
        p.attempts.max(1)
    )
}

/// Add one answer's samples to the scrapes; how many series it held.
fn add_page(p: &Prometheus, body: &[u8], scrapes: &mut Scrapes) -> Result<usize> {
    let answer: Answer = serde_json::from_slice(body).map_err(|_| {
        anyhow!(
            "Prometheus {}: the answer is not the HTTP API's JSON: is sources.prometheus.url the Prometheus server (not its UI behind a login, or another service)?",
            p.shown
        )
    })?;
    if answer.status != "success" {
        bail!(
            "Prometheus {}: the query failed: {}",
            p.shown,
            crate::error::clip(answer.error.as_deref().unwrap_or("no reason given"), 160)
        );
    }
    let data = answer
        .data
        .ok_or_else(|| anyhow!("Prometheus {}: an answer without data", p.shown))?;
    if data.result_type != "matrix" {
        bail!(
            "Prometheus {}: the answer is a {}, not samples (a matrix)",
            p.shown,
            data.result_type
        );
    }
    let n = data.result.len();
    for s in data.result {
        let name = s.metric.get("__name__").cloned().unwrap_or_default();
        let Some(slot) = SERIES.iter().position(|x| *x == name) else {
            continue;
        };
        let instance = s.metric.get("instance").cloned().unwrap_or_default();
        let by_time = scrapes.entry(instance).or_default();
        let labels = (slot == 1).then(|| std::rc::Rc::new(s.metric));
        for (t, v) in s.values {
            let ms = (t * 1000.0).round() as i64;
            let value: Option<f64> = v.parse().ok().filter(|x: &f64| x.is_finite());
            let scrape = by_time.entry(ms).or_default();
            match slot {
                0 => scrape.up = value,
                1 => scrape.info = labels.clone(),
                k => scrape.values[k - 2] = value,
            }
        }
    }
    Ok(n)
}

/// The captures of the scrapes, in the snapshot store's shape.
fn store_of(scrapes: Scrapes) -> Store {
    let mut store = Store::default();
    let count = |v: Option<f64>| v.filter(|x| *x >= 0.0).map(|x| x.round() as u64);
    let flat = scrapes
        .into_iter()
        .flat_map(|(instance, by_time)| by_time.into_iter().map(move |(ms, s)| (instance.clone(), ms, s)));
    for (instance, ms, s) in flat {
        let Some(ts) = DateTime::<Utc>::from_timestamp_millis(ms) else {
            continue;
        };
        if s.up == Some(0.0) {
            store.failures.push(FailedCapture {
                ts,
                instance,
                error: "redis_up == 0: the exporter could not reach Redis".into(),
            });
            continue;
        }
        let label = |k: &str| {
            s.info
                .as_ref()
                .and_then(|i| i.get(k))
                .filter(|v| !v.is_empty())
                .cloned()
        };
        let [uptime, hits, misses, evicted, expired, used, max, frag] = s.values;
        store.captures.push(Capture {
            ts,
            instance,
            redis_version: label("redis_version"),
            run_id: label("run_id"),
            uptime_in_seconds: count(uptime),
            keyspace_hits: count(hits),
            keyspace_misses: count(misses),
            evicted_keys: count(evicted),
            expired_keys: count(expired),
            used_memory: count(used),
            maxmemory: count(max),
            mem_fragmentation_ratio: frag,
            instantaneous_ops_per_sec: None,
            total_commands_processed: None,
            connected_clients: None,
            role: label("role"),
            command_latency: Vec::new(),
        });
    }
    store
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(url: &str, selector: &str) -> PrometheusModel {
        PrometheusModel {
            url: Some(url.into()),
            redis_selector: Some(selector.into()),
            ..Default::default()
        }
    }

    #[test]
    fn selectors_parse_as_promql_matchers_and_are_written_back() {
        let m = parse_selector(r#"{job="redis", instance=~'cache-\\d+:9121' ,env!=`dev`}"#).unwrap();
        assert_eq!(
            m,
            [
                Matcher {
                    label: "job".into(),
                    op: "=",
                    value: "redis".into()
                },
                Matcher {
                    label: "instance".into(),
                    op: "=~",
                    value: r"cache-\d+:9121".into()
                },
                Matcher {
                    label: "env".into(),
                    op: "!=",
                    value: "dev".into()
                },
            ]
        );
        assert_eq!(parse_selector("").unwrap(), []);
        assert_eq!(parse_selector("job=\"a\\\"b\"").unwrap()[0].value, "a\"b");
        let p = Prometheus::new(&model("http://prom:9090", "{job=\"redis\"}")).unwrap();
        assert_eq!(
            p.selector(),
            "{__name__=~\"redis_up|redis_instance_info|redis_uptime_in_seconds|redis_keyspace_hits_total|redis_keyspace_misses_total|redis_evicted_keys_total|redis_expired_keys_total|redis_memory_used_bytes|redis_memory_max_bytes|redis_mem_fragmentation_ratio\",job=\"redis\"}"
        );
    }

    #[test]
    fn bad_selectors_and_urls_are_one_line_each() {
        for (sel, says) in [
            ("{job=redis}", "must be quoted"),
            ("{job=\"redis\"", "unbalanced braces"),
            ("{job==\"x\"}", "must be quoted"),
            ("{job~\"x\"}", "expected =, !=, =~ or !~"),
            ("{instance=~\"(\"}", "does not compile"),
            ("{__name__=\"x\"}", "__name__ is set by cacheroi"),
            ("{job=\"a\" env=\"b\"}", "expected `,`"),
            ("{9job=\"a\"}", "expected a label name"),
            ("{job=\"a}", "not closed"),
        ] {
            let e = parse_selector(sel).unwrap_err();
            assert!(e.contains(says), "{sel}: {e}");
        }
        let e = Prometheus::new(&model("prometheus:9090", "{}")).unwrap_err();
        assert!(
            e.contains("use http:// or https://") || e.contains("with its scheme"),
            "{e}"
        );
        // `prom.example:9090/x` reads as the scheme `prom.example`: still no http.
        let e = Prometheus::new(&model("prom.example:9090/x", "{}")).unwrap_err();
        assert!(e.contains("use http:// or https://"), "{e}");
        let e = Prometheus::new(&model("//prom:9090", "{}")).unwrap_err();
        assert!(e.contains("with its scheme"), "{e}");
        // A password in the URL is never shown, and the URL keeps its path.
        let p = Prometheus::new(&model("https://u:s3cret@prom.example/prom", "{}")).unwrap();
        assert_eq!(p.shown, "https://prom.example/prom");
        assert_eq!(p.basic, Some(("u".into(), Some("s3cret".into()))));
        let e = Prometheus::new(&model("ftp://u:s3cret@prom.example", "{}")).unwrap_err();
        assert!(!e.contains("s3cret"), "{e}");
        let mut m = model("http://p:9090", "{}");
        m.bearer_token_env = Some("MY TOKEN".into());
        assert!(Prometheus::new(&m).unwrap_err().contains("no variable name"));
    }

    #[test]
    fn an_unset_token_variable_stops_before_any_query() {
        let mut m = model("http://127.0.0.1:9", "{job=\"redis\"}");
        m.bearer_token_env = Some("CACHEROI_TEST_TOKEN_THAT_IS_NOT_SET".into());
        let p = Prometheus::new(&m).unwrap();
        let now = Utc::now();
        let e = read(&p, &[(now - chrono::Duration::hours(1), now)], now)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "Prometheus http://127.0.0.1:9: the environment variable CACHEROI_TEST_TOKEN_THAT_IS_NOT_SET (sources.prometheus.bearer_token_env) is not set"
        );
    }

    /// Two scrapes of one instance and one with Redis down: two captures
    /// with the counters, labels from redis_instance_info, one failure.
    #[test]
    fn samples_become_captures_and_a_down_redis_a_failure() {
        let p = Prometheus::new(&model("http://p:9090", "{}")).unwrap();
        let body = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"redis_up","instance":"a:9121"},"values":[[1000,"1"],[1015,"1"],[1030,"0"]]},
            {"metric":{"__name__":"redis_keyspace_hits_total","instance":"a:9121"},"values":[[1000,"10"],[1015,"25"]]},
            {"metric":{"__name__":"redis_instance_info","instance":"a:9121","redis_version":"7.2.4","run_id":"r1","role":"master"},"values":[[1000,"1"],[1015,"1"]]},
            {"metric":{"__name__":"redis_uptime_in_seconds","instance":"a:9121"},"values":[[1000,"100"],[1015,"115"]]}
        ]}}"#;
        let mut scrapes = Scrapes::new();
        assert_eq!(add_page(&p, body, &mut scrapes).unwrap(), 4);
        let store = store_of(scrapes);
        assert_eq!(store.captures.len(), 2);
        assert_eq!(store.failures.len(), 1);
        let c = &store.captures[1];
        assert_eq!(
            (c.keyspace_hits, c.uptime_in_seconds, c.keyspace_misses),
            (Some(25), Some(115), None)
        );
        assert_eq!((c.run_id.as_deref(), c.role.as_deref()), (Some("r1"), Some("master")));
        assert_eq!(c.ts.timestamp(), 1015);
        assert!(
            add_page(&p, b"<html>login</html>", &mut BTreeMap::new())
                .unwrap_err()
                .to_string()
                .contains("not the HTTP API's JSON")
        );
    }

    #[test]
    fn ranges_merge_and_stop_at_now() {
        let t = |h: i64| DateTime::<Utc>::from_timestamp(h * 3600, 0).unwrap();
        assert_eq!(
            merged(&[(t(5), t(9)), (t(0), t(2)), (t(1), t(3)), (t(8), t(20))], t(12)),
            [(t(0), t(3)), (t(5), t(12))]
        );
    }
}
