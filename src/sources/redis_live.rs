//! Live Redis: capture `INFO everything` from instances over the network,
//! concurrently, with a connect timeout, a response timeout and a bounded
//! retry with back-off. Passwords never leave this module: targets are shown
//! redacted and recorded as `host:port`.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Utc};

/// How long to wait for a connection, for a reply, and how often to try.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub connect_timeout: Duration,
    pub response_timeout: Duration,
    pub tries: u32,
    /// Wait before the second try; doubled before each further one.
    pub backoff: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(2),
            response_timeout: Duration::from_secs(5),
            tries: 3,
            backoff: Duration::from_millis(250),
        }
    }
}

/// One Redis endpoint to capture. Its `Debug` masks the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    pub tls: bool,
    pub username: Option<String>,
    pub password: Option<String>,
    pub host: String,
    pub port: u16,
    pub db: i64,
    /// `redis+cluster://`: capture every node the seed knows.
    pub cluster: bool,
    /// PEM certificates to trust for TLS instead of the public roots (a
    /// self-signed or private CA).
    pub root_cert: Option<std::sync::Arc<Vec<u8>>>,
}

impl Target {
    /// Parse `redis://[user[:password]@]host[:port][/db]`, `rediss://…` (TLS),
    /// and `redis+cluster://…` / `rediss+cluster://…` (a cluster seed).
    pub fn parse(url: &str) -> Result<Target> {
        let parsed = url::Url::parse(url).map_err(|e| anyhow!("`{}` is not a Redis URL: {e}", redact_text(url)))?;
        let (tls, cluster) = match parsed.scheme() {
            "redis" => (false, false),
            "rediss" => (true, false),
            "redis+cluster" => (false, true),
            "rediss+cluster" => (true, true),
            other => bail!(
                "`{}`: scheme `{other}` is not redis, rediss, redis+cluster or rediss+cluster",
                redact_text(url)
            ),
        };
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| anyhow!("`{}` has no host", redact_text(url)))?;
        let decode = |s: &str| percent_decode(s);
        let db = parsed.path().trim_start_matches('/');
        Ok(Target {
            tls,
            cluster,
            root_cert: None,
            username: Some(parsed.username()).filter(|u| !u.is_empty()).map(decode),
            password: parsed.password().map(decode),
            host: host.trim_start_matches('[').trim_end_matches(']').to_string(),
            port: parsed.port().unwrap_or(6379),
            db: if db.is_empty() {
                0
            } else {
                db.parse()
                    .map_err(|_| anyhow!("`{}`: database `{db}` is not a number", redact_text(url)))?
            },
        })
    }

    /// `host:port`, as the snapshot store records it.
    pub fn instance(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The URL with the password masked, for messages.
    pub fn redacted(&self) -> String {
        let scheme = match (self.tls, self.cluster) {
            (false, false) => "redis",
            (true, false) => "rediss",
            (false, true) => "redis+cluster",
            (true, true) => "rediss+cluster",
        };
        let auth = match (&self.username, &self.password) {
            (Some(u), Some(_)) => format!("{u}:***@"),
            (None, Some(_)) => ":***@".to_string(),
            (Some(u), None) => format!("{u}@"),
            (None, None) => String::new(),
        };
        format!("{scheme}://{auth}{}", self.instance())
    }

    /// The same credentials on another node (cluster members).
    pub fn with_node(&self, host: &str, port: u16) -> Target {
        Target {
            host: host.to_string(),
            port,
            cluster: false,
            ..self.clone()
        }
    }

    fn client(&self) -> redis::RedisResult<redis::Client> {
        let addr = if self.tls {
            redis::ConnectionAddr::TcpTls {
                host: self.host.clone(),
                port: self.port,
                insecure: false,
                tls_params: None,
            }
        } else {
            redis::ConnectionAddr::Tcp(self.host.clone(), self.port)
        };
        let mut redis_info = redis::RedisConnectionInfo::default().set_db(self.db);
        if let Some(u) = &self.username {
            redis_info = redis_info.set_username(u.clone());
        }
        if let Some(p) = &self.password {
            redis_info = redis_info.set_password(p.clone());
        }
        let info = redis::IntoConnectionInfo::into_connection_info(addr)?.set_redis_settings(redis_info);
        match (&self.root_cert, self.tls) {
            (Some(pem), true) => redis::Client::build_with_tls(
                info,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem.to_vec()),
                },
            ),
            _ => redis::Client::open(info),
        }
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("host", &self.host)
            .field("port", &self.port)
            .field("db", &self.db)
            .field("cluster", &self.cluster)
            .field(
                "root_cert",
                &self.root_cert.as_ref().map(|c| format!("{} bytes", c.len())),
            )
            .finish()
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| s.to_string())
}

/// Mask the credentials of every URL in `text` without parsing it (a URL
/// that does not parse must not leak either): in each `scheme://userinfo@`
/// (up to the last `@` before white space or a quote),
/// whatever follows the first `:` of the userinfo becomes `***`, and a
/// userinfo without `:` is masked whole (redis-cli reads it as a password).
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        // The URL ends at white space or a quote; its userinfo at the last
        // `@` before that (an unencoded password may hold `@` or `/`).
        let end = tail.find([' ', '\t', '\n', '\r', '"', '\'', '`']).unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(userinfo_end) => {
                let userinfo = &authority[..userinfo_end];
                match userinfo.split_once(':') {
                    Some((user, _)) => out.push_str(&format!("{user}:***")),
                    None => out.push_str("***"),
                }
                out.push_str(&authority[userinfo_end..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The result of capturing one instance.
#[derive(Debug, Clone)]
pub struct Captured {
    pub ts: DateTime<Utc>,
    pub instance: String,
    pub target: String,
    pub outcome: Result<String, String>,
}

/// One connection with the connect and reply timeouts applied.
async fn connect(target: &Target, limits: Limits) -> Result<redis::aio::MultiplexedConnection, String> {
    let client = target.client().map_err(|e| e.to_string())?;
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(limits.connect_timeout))
        .set_response_timeout(Some(limits.response_timeout));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(describe)
}

async fn info_once(target: &Target, limits: Limits) -> Result<String, String> {
    let mut con = connect(target, limits).await?;
    redis::cmd("INFO")
        .arg("everything")
        .query_async::<String>(&mut con)
        .await
        .map_err(describe)
}

fn describe(e: redis::RedisError) -> String {
    let text = e.to_string();
    if e.is_timeout() {
        format!("timed out ({text})")
    } else if e.is_connection_refusal() {
        "connection refused".into()
    } else {
        text
    }
}

/// Capture one instance: up to `tries` attempts, backing off between them.
pub async fn capture(target: &Target, limits: Limits) -> Captured {
    let mut wait = limits.backoff;
    let mut last = String::new();
    for attempt in 1..=limits.tries.max(1) {
        match info_once(target, limits).await {
            Ok(info) => {
                return Captured {
                    ts: Utc::now(),
                    instance: target.instance(),
                    target: target.redacted(),
                    outcome: Ok(info),
                };
            }
            Err(e) => {
                // Authentication and permission errors will not go away by retrying.
                let fatal = e.contains("WRONGPASS") || e.contains("NOAUTH") || e.contains("NOPERM");
                last = e;
                if fatal || attempt == limits.tries {
                    break;
                }
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
        }
    }
    let reason = format!(
        "{last} (after {} tr{}, {} s connect timeout)",
        limits.tries,
        if limits.tries == 1 { "y" } else { "ies" },
        limits.connect_timeout.as_secs_f64()
    );
    Captured {
        ts: Utc::now(),
        instance: target.instance(),
        target: target.redacted(),
        outcome: Err(reason),
    }
}

/// The members of a cluster, from the seed's `CLUSTER NODES` (primaries and
/// replicas; failed nodes and nodes without an address are left out).
pub async fn cluster_members(seed: &Target, limits: Limits) -> Result<Vec<Target>, String> {
    let mut con = connect(seed, limits).await?;
    let nodes: String = redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut con)
        .await
        .map_err(describe)?;
    Ok(parse_cluster_nodes(&nodes)
        .into_iter()
        .map(|(h, p)| seed.with_node(if h.is_empty() { &seed.host } else { &h }, p))
        .collect())
}

/// `(host, port)` of each usable line of `CLUSTER NODES`.
pub fn parse_cluster_nodes(text: &str) -> Vec<(String, u16)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 3
            || fields[2].contains("fail")
            || fields[2].contains("noaddr")
            || fields[2].contains("handshake")
        {
            continue;
        }
        // ip:port@cport[,hostname]
        let addr = fields[1].split('@').next().unwrap_or_default();
        if let Some((host, port)) = addr.rsplit_once(':')
            && let Ok(port) = port.parse()
        {
            out.push((host.to_string(), port));
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_passwords_are_masked() {
        let t = Target::parse("rediss://reporter:s3cr%40t@cache-2:6380/1").unwrap();
        assert_eq!((t.tls, t.cluster, t.port, t.db), (true, false, 6380, 1));
        assert_eq!(t.password.as_deref(), Some("s3cr@t"));
        assert_eq!(t.instance(), "cache-2:6380");
        assert_eq!(t.redacted(), "rediss://reporter:***@cache-2:6380");
        assert!(!format!("{t:?}").is_empty());
        let t = Target::parse("redis+cluster://:pw@10.0.0.1").unwrap();
        assert_eq!(
            (t.cluster, t.port, t.redacted()),
            (true, 6379, "redis+cluster://:***@10.0.0.1:6379".to_string())
        );
        let err = Target::parse("http://user:pw@host").unwrap_err().to_string();
        assert!(!err.contains("pw@") && err.contains("***"), "{err}");
        assert_eq!(redact_text("redis://u:hunter2@h:1"), "redis://u:***@h:1");
    }

    #[test]
    fn a_url_that_does_not_parse_is_still_redacted() {
        // Port out of range: url::Url::parse fails, the password must not show.
        let err = Target::parse("redis://u:hunter2@host:99999").unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("redis://u:***@host:99999"), "{err}");
        for (text, want) in [
            ("redis://:p@ss@h:1/0", "redis://:***@h:1/0"),
            ("redis://hunter2@h", "redis://***@h"),
            ("rediss://u:a/b@h", "rediss://u:***@h"),
            (
                "see redis://u:pw@h:1 and redis://v:pw2@g",
                "see redis://u:***@h:1 and redis://v:***@g",
            ),
            ("no url here", "no url here"),
            ("redis://h:6379", "redis://h:6379"),
        ] {
            assert_eq!(redact_text(text), want, "{text}");
        }
    }

    #[test]
    fn debug_masks_the_password() {
        let t = Target::parse("redis://reporter:hunter2@cache-1:6379").unwrap();
        let shown = format!("{t:?} {t:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("***") && shown.contains("reporter"), "{shown}");
    }

    #[test]
    fn cluster_nodes_lines_give_every_live_member() {
        let text = "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,hostname4 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected
67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922
e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460
6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.1:30005@31005 master,fail - 1426238316232 1426238315732 5 disconnected
";
        assert_eq!(
            parse_cluster_nodes(text),
            vec![
                ("127.0.0.1".to_string(), 30001),
                ("127.0.0.1".to_string(), 30002),
                ("127.0.0.1".to_string(), 30004)
            ]
        );
    }
}
