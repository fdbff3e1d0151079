//! Rollups: the request log read once, ever, into small daily aggregates
//! that merge by plain sums (docs/rollups.md). The step that makes them is
//! the only one that reads raw request rows; every report, the gate, the
//! trend, the statistics and the archive compute from the merged rollups.
//! A distributed engine can make the same dataset with `sql/rollup.sql`.

pub mod build;
pub mod dataset;
pub mod merged;
mod names;
pub mod schema;
pub mod store;
mod weeks;

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono_tz::Tz;
use polars::prelude::DataFrame;

pub use merged::{Lat, Merged, Req, UserDay};
pub use schema::Marker;
pub use store::Refreshed;

use crate::formats::Limits;

/// Where the rollups are and what they must match.
pub struct Location<'a> {
    /// The dataset's folder.
    pub root: PathBuf,
    /// Made elsewhere (`[sources] rollups` without a manifest of ours): read,
    /// never refreshed.
    pub external: bool,
    pub timezone: Tz,
    /// The customers table the segments are resolved with, and its bytes' hash.
    pub customers: Option<&'a DataFrame>,
    pub customers_hash: String,
    pub limits: &'a Limits,
    /// How the request files' columns map to canonical ones.
    pub mapping: Option<&'a crate::sources::mapping::Mapping>,
    /// Read the per-endpoint table (only the weekly report and the briefs
    /// use it; the rest skip its files).
    pub endpoints: bool,
}

impl Location<'_> {
    /// The marker this run needs.
    pub fn marker(&self, producer: &str) -> Marker {
        Marker {
            schema: schema::VERSION,
            timezone: self.timezone.name().to_string(),
            alpha: schema::ALPHA,
            customers: self.customers_hash.clone(),
            producer: producer.to_string(),
            mapping: self.mapping.map_or_else(|| "none".into(), |m| m.hash()),
        }
    }
}

/// The rollups of `paths` brought up to date (for a store of cacheroi's;
/// `since` limits which files are rolled up), merged.
pub fn refresh_and_load(
    loc: &Location,
    paths: &[PathBuf],
    since: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(Merged, Refreshed)> {
    let started = std::time::Instant::now();
    if loc.external {
        let want = loc.marker("");
        // The producer is informative only: check_marker ignores it.
        let found = store::check_marker(&loc.root, &want)?;
        tracing::info!(root = %loc.root.display(), producer = %found.producer, "reading rollups made elsewhere");
        let merged = merged::load(&loc.root, None, &found, loc.endpoints)?;
        return Ok((merged, Refreshed::default()));
    }
    let marker = loc.marker(concat!("cacheroi ", env!("CARGO_PKG_VERSION")));
    let setup = store::Setup {
        marker: marker.clone(),
        tz: loc.timezone,
        customers: loc.customers,
        limits: loc.limits,
        since,
        mapping: loc.mapping,
    };
    let (manifest, done) = store::refresh(&loc.root, paths, &setup)?;
    tracing::info!(
        rolled_up = done.rolled_up,
        reused = done.reused,
        removed = done.removed,
        elapsed = ?started.elapsed(),
        "rollups"
    );
    let merged = merged::load(&loc.root, Some(&manifest), &marker, loc.endpoints).map_err(|e| {
        anyhow::anyhow!(
            "{e} — the rollup store {} is damaged: remove it and the next run rolls every file up anew",
            loc.root.display()
        )
    })?;
    tracing::debug!(elapsed = ?started.elapsed(), "rollups merged");
    Ok((merged, done))
}

/// The hash of a customers file's bytes ("none" without one).
pub fn customers_hash(path: Option<&Path>) -> Result<String> {
    use sha2::{Digest, Sha256};
    Ok(match path {
        None => "none".into(),
        Some(p) => {
            let bytes = std::fs::read(p).map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", p.display()))?;
            Sha256::digest(&bytes)
                .iter()
                .take(6)
                .map(|b| format!("{b:02x}"))
                .collect()
        }
    })
}

/// Roll up canonical request rows held in memory (tests): the rows as the
/// normaliser gives them (missing columns take defaults: customer `c`, no
/// cache status, status 200, one upstream call), merged.
pub fn merged_from_rows(rows: DataFrame, tz: Tz) -> Result<Merged> {
    use crate::frames::*;
    use polars::prelude::*;
    let n = rows.height();
    let mut rows = rows;
    let defaults: [(&str, Column); 6] = [
        (CUSTOMER_ID, Column::new(CUSTOMER_ID.into(), vec!["c"; n])),
        (ENDPOINT, Column::new(ENDPOINT.into(), vec!["GET /"; n])),
        (CACHE_STATUS, Column::new(CACHE_STATUS.into(), vec![None::<i32>; n])),
        (STATUS, Column::new(STATUS.into(), vec![200i64; n])),
        (UPSTREAM_CALLS, Column::new(UPSTREAM_CALLS.into(), vec![1i64; n])),
        (SEGMENT, Column::new(SEGMENT.into(), vec![None::<String>; n])),
    ];
    for (name, c) in defaults {
        if rows.column(name).is_err() {
            rows.with_column(c)?;
        }
    }
    let sums = build::aggregate(&rows, None, None, tz)?;
    let empty = build::empty("rows", "memory")?;
    merged::from_rollups(&[build::FileRollup {
        requests: sums.requests,
        latency: sums.latency,
        users: sums.users,
        quality: empty.quality,
        examples: empty.examples,
        endpoints: sums.endpoints,
    }])
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use crate::frames::*;

    /// 205 endpoints in one file: endpoint k has k + 1 requests, so the 5
    /// quietest (1 + 2 + 3 + 4 + 5 = 15 requests) are summed as "(other
    /// endpoints)" and the 200 busiest keep their names.
    #[test]
    fn a_files_quietest_endpoints_beyond_200_are_summed_as_other() {
        let mut endpoints = Vec::new();
        for k in 0..205usize {
            endpoints.extend(std::iter::repeat_n(format!("GET /e{k:03}"), k + 1));
        }
        let n = endpoints.len();
        let df = df!(
            TS => vec![1_763_294_400_000_000i64; n],
            USER_ID => vec!["u"; n],
            ENDPOINT => endpoints,
            LATENCY_MS => vec![10.0; n],
            CACHE_ENABLED => vec![true; n],
        )
        .unwrap();
        let m = super::merged_from_rows(df, chrono_tz::UTC).unwrap();
        let rows_of = |name: &str| -> u64 {
            let id = m.endpoint_names.iter().position(|e| e == name);
            m.endpoints
                .iter()
                .filter(|e| Some(e.endpoint as usize) == id)
                .map(|e| e.rows)
                .sum()
        };
        assert_eq!(m.endpoint_names.len(), 201);
        assert_eq!(rows_of(super::schema::OTHER_ENDPOINT), 15);
        assert_eq!(rows_of("GET /e005"), 6);
        assert_eq!(rows_of("GET /e204"), 205);
        assert_eq!(rows_of("GET /e004"), 0);
        assert_eq!(m.endpoints.iter().map(|e| e.rows).sum::<u64>(), n as u64);
    }
}
