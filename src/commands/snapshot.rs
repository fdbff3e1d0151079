//! `cacheroi snapshot`: capture INFO from every configured Redis instance
//! (and every member of a cluster) into the snapshot store, for cron.

use std::path::Path;

use anyhow::{Result, anyhow};
use chrono::Utc;

use crate::cli::SnapshotArgs;
use crate::config::Settings;
use crate::deliver::store;
use crate::error::UsageError;
use crate::sources::redis_live::{Captured, Limits, Target, capture, cluster_members};

/// Capture every target; a cluster seed expands to its members.
async fn capture_all(targets: Vec<Target>, limits: Limits) -> Vec<Captured> {
    let mut plain = Vec::new();
    let mut failed = Vec::new();
    for t in targets {
        if !t.cluster {
            plain.push(t);
            continue;
        }
        match cluster_members(&t, limits).await {
            Ok(members) if !members.is_empty() => plain.extend(members),
            Ok(_) => failed.push(Captured {
                ts: Utc::now(),
                instance: t.instance(),
                target: t.redacted(),
                outcome: Err("CLUSTER NODES listed no reachable node".into()),
            }),
            Err(e) => failed.push(Captured {
                ts: Utc::now(),
                instance: t.instance(),
                target: t.redacted(),
                outcome: Err(e),
            }),
        }
    }
    plain.sort_by_key(|t| t.instance());
    plain.dedup_by_key(|t| t.instance());
    let mut set = tokio::task::JoinSet::new();
    for (i, t) in plain.into_iter().enumerate() {
        set.spawn(async move { (i, capture(&t, limits).await) });
    }
    let mut done: Vec<(usize, Captured)> = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Ok(r) = r {
            done.push(r);
        }
    }
    done.sort_by_key(|(i, _)| *i);
    failed.extend(done.into_iter().map(|(_, c)| c));
    failed
}

/// The store line of a capture (docs/inputs.md#redis-snapshot-store), or a failure record.
pub fn store_line(c: &Captured) -> String {
    let ts = c.ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    match &c.outcome {
        Ok(info) => serde_json::json!({"ts": ts, "instance": c.instance, "info": info}).to_string(),
        Err(e) => serde_json::json!({"ts": ts, "instance": c.instance, "error": e}).to_string(),
    }
}

/// `cacheroi snapshot`: returns the stdout lines; failures are printed on
/// stderr, one line each, and make the command fail after the store is written.
pub fn run(settings: &Settings, args: &SnapshotArgs) -> Result<Vec<String>> {
    let urls = if args.redis.is_empty() {
        settings.redis_urls.clone()
    } else {
        args.redis.clone()
    };
    if urls.is_empty() && args.retain.is_none() {
        return Err(UsageError(format!(
            "no Redis to capture: pass --redis URL or set [redis] urls in {}",
            settings.path.display()
        ))
        .into());
    }
    // Validated by clap (at most 100 years): the cutoff cannot overflow.
    let retention = args.retain;
    let mut targets = urls
        .iter()
        .map(|u| Target::parse(u).map_err(|e| UsageError(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(ca) = args.ca_file.as_ref().or(settings.redis_ca_file.as_ref()) {
        let pem = std::fs::read(ca).map_err(|e| anyhow!("{}: cannot read the CA file: {e}", ca.display()))?;
        let pem = std::sync::Arc::new(pem);
        for t in &mut targets {
            t.root_cert = Some(pem.clone());
        }
    }
    let limits = Limits {
        connect_timeout: args.timeout,
        response_timeout: args.timeout.max(std::time::Duration::from_secs(1)).mul_f64(2.5),
        tries: args.tries.max(1),
        ..Limits::default()
    };
    // The redis crate leaves the TLS crypto provider to the application.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let captured = runtime.block_on(capture_all(targets, limits));

    let store_path = Path::new(settings.sources.redis_store()?);
    store::append(store_path, &captured.iter().map(store_line).collect::<Vec<_>>())?;
    let mut out = Vec::new();
    let mut failures = 0;
    for c in &captured {
        match &c.outcome {
            Ok(info) => {
                let version = crate::sources::redis_store::Info::parse(info)
                    .get("redis_version")
                    .unwrap_or("?")
                    .to_string();
                out.push(format!("captured {} (Redis {version})", c.instance));
            }
            Err(e) => {
                failures += 1;
                eprintln!("error: cannot capture {}: {e}", c.target);
            }
        }
    }
    if let Some(keep) = retention {
        let cutoff = Utc::now()
            .checked_sub_signed(keep)
            .ok_or_else(|| anyhow!("--retain: the cutoff is out of range"))?;
        let dropped = store::retain(store_path, cutoff)?;
        out.push(format!(
            "retention: dropped {dropped} capture(s) older than {}",
            cutoff.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    if failures > 0 {
        return Err(anyhow!(
            "{failures} of {} Redis instance(s) could not be captured (failures recorded in {})",
            captured.len(),
            store_path.display()
        ));
    }
    Ok(out)
}
