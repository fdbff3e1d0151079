//! The reports' figures computed again from the raw CSV rows in plain Rust
//! (no Polars), following the KPI definitions of docs/kpis.md word by word.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub struct Row {
    pub ts: DateTime<Utc>,
    pub customer: String,
    pub user: String,
    pub segment: String,
    pub status: i64,
    pub latency: f64,
    pub cache_status: String,
    pub enabled: bool,
    pub origin: f64,
}

/// Apply the reject rules by hand: None for a row that must be rejected. An
/// empty segment takes the customer's segment from `segments_of`, else
/// `general`.
pub fn parse_row(f: &csv::StringRecord, segments_of: &HashMap<String, String>) -> Option<Row> {
    let ts = DateTime::parse_from_rfc3339(f.get(0)?).ok()?.with_timezone(&Utc);
    let (customer, user, segment, endpoint) = (f.get(1)?, f.get(2)?, f.get(3)?, f.get(4)?);
    if customer.is_empty() || user.is_empty() || endpoint.is_empty() {
        return None;
    }
    let status: i64 = f.get(5)?.parse().ok()?;
    let latency: f64 = f.get(6)?.parse().ok()?;
    let enabled = match f.get(8)?.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => true,
        "false" | "0" | "no" => false,
        _ => return None,
    };
    let upstream: Option<f64> = match f.get(9)? {
        "" => None,
        s => Some(s.parse::<i64>().ok().filter(|v| *v >= 0)? as f64),
    };
    if !(latency.is_finite() && latency >= 0.0) {
        return None;
    }
    let cache_status = f.get(7)?.to_ascii_uppercase();
    if !["", "HIT", "STALE", "MISS", "BYPASS", "ERROR"].contains(&cache_status.as_str()) {
        return None;
    }
    let served = cache_status == "HIT" || cache_status == "STALE";
    Some(Row {
        ts,
        customer: customer.into(),
        user: user.into(),
        segment: match (segment, segments_of.get(customer).map(String::as_str)) {
            ("", Some(s)) if !s.is_empty() => s.into(),
            ("", _) => "general".into(),
            (s, _) => s.into(),
        },
        status,
        latency,
        origin: upstream.unwrap_or(if served { 0.0 } else { 1.0 }),
        cache_status,
        enabled,
    })
}

/// numpy's `linear` quantile.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn kpi(json: &Value, key: &str) -> f64 {
    json["kpis"][key]["value"]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} has no value"))
}

pub fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: metrics.json {got} vs independent {want}"
    );
}

/// customer_id → segment (empty when the table has none) from customers.csv.
pub fn customer_segments(path: &Path) -> HashMap<String, String> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, seg) = (at("customer_id"), at("segment"));
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (r[id].to_string(), r[seg].to_string())
        })
        .collect()
}

/// Every request row of the CSV files under `dir` (sorted by name): the
/// number read, and the valid rows.
pub fn read_requests(dir: &Path, segments_of: &HashMap<String, String>) -> (u64, Vec<Row>) {
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut read = 0;
    let mut rows = Vec::new();
    for file in &files {
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_path(file).unwrap();
        for rec in rdr.records() {
            read += 1;
            rows.extend(parse_row(&rec.unwrap(), segments_of));
        }
    }
    (read, rows)
}

/// The relative accuracy of latency quantiles read from the rollups.
pub const ALPHA: f64 = 0.005;

/// A quantile from the rollups' histograms: within a relative α of the exact one.
pub fn close_alpha(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= ALPHA * want.abs() * (1.0 + 1e-9),
        "{what}: metrics.json {got} not within α of the independent {want}"
    );
}

/// `1 − e/b` of two quantiles each within α: e/b lies within (1 ± α)/(1 ∓ α)
/// of the exact ratio.
pub fn close_gain_alpha(got: f64, e: f64, b: f64, what: &str) {
    let (lo, hi) = (
        1.0 - e / b * (1.0 + ALPHA) / (1.0 - ALPHA),
        1.0 - e / b * (1.0 - ALPHA) / (1.0 + ALPHA),
    );
    assert!(
        got >= lo - 1e-12 && got <= hi + 1e-12,
        "{what}: metrics.json {got} not in [{lo}, {hi}] around the independent {}",
        1.0 - e / b
    );
}
