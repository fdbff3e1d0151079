//! `[sources]` and `[redis]`: where each input lives.

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use serde::Deserialize;

use super::errors::{Errors, MAX_TEXT};
use super::{Here, Sp};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SourcesModel {
    pub(super) requests: Option<Sp<String>>,
    pub(super) feedback: Option<Sp<String>>,
    pub(super) customers: Option<Sp<String>>,
    pub(super) redis_snapshots: Option<Sp<String>>,
    pub(super) rollups: Option<Sp<String>>,
    pub(super) requests_mapping: Option<Sp<crate::sources::mapping::MappingModel>>,
    pub(super) feedback_mapping: Option<Sp<crate::sources::mapping::FeedbackModel>>,
    pub(super) prometheus: Option<Sp<crate::sources::prometheus::PrometheusModel>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RedisModel {
    #[serde(default)]
    pub(super) urls: Vec<Sp<String>>,
    /// PEM file of the CA to trust for rediss:// (self-signed servers).
    pub(super) ca_file: Option<Sp<PathBuf>>,
}

/// Where each input lives; globs are kept as patterns, resolved at read time.
/// Requests and feedback are needed by the reports only (`snapshot` reads
/// none of them): their accessors name the missing key.
#[derive(Debug, Clone)]
pub struct Sources {
    pub(super) requests: Option<String>,
    pub(super) feedback: Option<String>,
    pub customers: Option<String>,
    /// The Redis snapshot store (None: the reports have no Redis figures).
    pub redis_snapshots: Option<String>,
    /// The rollup dataset: one an engine made (read only), or where
    /// cacheroi keeps its own (default `<output_dir>/rollups`).
    pub rollups: Option<String>,
    /// `[sources.requests_mapping]`: the request log's own columns and words.
    pub mapping: Option<crate::sources::mapping::Mapping>,
    /// `[sources.feedback_mapping]`: the feedback file's own column names.
    pub feedback_mapping: Option<crate::sources::mapping::Renames>,
    /// `[sources.prometheus]`: the Redis figures from redis_exporter's
    /// series (instead of the snapshot store; never both).
    pub prometheus: Option<crate::sources::prometheus::Prometheus>,
    /// The config file, for errors.
    pub(super) config: PathBuf,
}

impl Sources {
    fn need<'a>(&self, v: &'a Option<String>, key: &str) -> Result<&'a str> {
        v.as_deref()
            .ok_or_else(|| anyhow!("{}: missing sources.{key}", self.config.display()))
    }

    /// The request-log path or glob.
    pub fn requests(&self) -> Result<&str> {
        self.need(&self.requests, "requests")
    }

    /// The feedback path or glob, if configured (without it the feedback
    /// KPIs are not measured).
    pub fn feedback(&self) -> Option<&str> {
        self.feedback.as_deref()
    }

    /// The snapshot store, which `cacheroi snapshot` needs.
    pub fn redis_store(&self) -> Result<&str> {
        self.need(&self.redis_snapshots, "redis_snapshots")
    }

    /// The optional sources not configured, each with the KPIs it measures.
    pub fn missing(&self) -> Vec<crate::ground::kpi::MissingSource> {
        use crate::ground::kpi::MissingSource;
        let mut out = Vec::new();
        if self.feedback.is_none() {
            out.push(MissingSource::Feedback);
        }
        if self.redis_snapshots.is_none() && self.prometheus.is_none() {
            out.push(MissingSource::Redis);
        }
        out
    }
}

/// `[sources]`, required: each path resolved, each mapping checked, and at
/// most one source of the Redis figures.
pub(super) fn sources_of(err: &Errors, here: &Here, src: Option<SourcesModel>) -> Result<Sources> {
    let src = src.ok_or_else(|| {
        anyhow!(
            "{}: missing [sources] section (requests; optionally feedback, customers, redis_snapshots)",
            err.path.display()
        )
    })?;
    let optional = |v: &Option<Sp<String>>, key: &str| -> Result<Option<String>> {
        match v {
            Some(v) if !v.get_ref().trim().is_empty() => Ok(Some(here.resolve(&err.text(v, key, MAX_TEXT)?))),
            _ => Ok(None),
        }
    };
    if let (Some(store), Some(prom)) = (&src.redis_snapshots, &src.prometheus)
        && !store.get_ref().trim().is_empty()
    {
        return Err(err.at(
            prom,
            "sources.prometheus",
            "and sources.redis_snapshots both give the Redis figures: drop one of them (sources.redis_snapshots, or the [sources.prometheus] section)",
        ));
    }
    Ok(Sources {
        requests: optional(&src.requests, "sources.requests")?,
        feedback: optional(&src.feedback, "sources.feedback")?,
        redis_snapshots: optional(&src.redis_snapshots, "sources.redis_snapshots")?,
        customers: optional(&src.customers, "sources.customers")?,
        rollups: optional(&src.rollups, "sources.rollups")?,
        mapping: src
            .requests_mapping
            .as_ref()
            .map(|m| {
                crate::sources::mapping::Mapping::new(m.get_ref()).map_err(|e| err.at(m, "sources.requests_mapping", e))
            })
            .transpose()?,
        feedback_mapping: src
            .feedback_mapping
            .as_ref()
            .map(|m| {
                crate::sources::mapping::Renames::new(m.get_ref()).map_err(|e| err.at(m, "sources.feedback_mapping", e))
            })
            .transpose()?,
        prometheus: src
            .prometheus
            .as_ref()
            .map(|m| {
                let mut p = crate::sources::prometheus::Prometheus::new(m.get_ref())
                    .map_err(|e| err.at(m, "sources.prometheus", e))?;
                p.ca_file = p.ca_file.map(|f| PathBuf::from(here.resolve(&f.to_string_lossy())));
                Ok::<_, anyhow::Error>(p)
            })
            .transpose()?,
        config: err.path.to_path_buf(),
    })
}

/// `[redis] urls`, each at most [`MAX_TEXT`] characters.
pub(super) fn redis_urls(err: &Errors, redis: &RedisModel) -> Result<Vec<String>> {
    redis.urls.iter().map(|u| err.text(u, "redis.urls", MAX_TEXT)).collect()
}
