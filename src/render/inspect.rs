//! What `cacheroi inspect` prints: each file with its format and columns,
//! the cache-status words and how they count, the first rows after mapping,
//! the totals, and the mapping section that reads the files.

use crate::sources::inspect::Inspection;

/// The lines for stdout, section by section.
pub fn lines(i: &Inspection) -> Vec<String> {
    let mut out = files(i);
    out.push(String::new());
    out.extend(status_words(i));
    out.push(String::new());
    out.extend(first_rows(i));
    out.push(String::new());
    out.extend(totals(i));
    out.push(String::new());
    out.push(i.suggestion.clone());
    out
}

/// Each file: its format, records, lines off the layout and columns.
fn files(i: &Inspection) -> Vec<String> {
    let mut out = Vec::new();
    for f in &i.files {
        out.push(format!(
            "{}: {}, {} records{}",
            f.path,
            f.format,
            f.records,
            if f.malformed > 0 {
                format!(", {} not matching the layout", f.malformed)
            } else {
                String::new()
            }
        ));
        for e in &f.malformed_examples {
            out.push(format!("  {e}"));
        }
        out.push(format!("  columns: {}", f.columns.join(", ")));
    }
    out
}

/// The cache-status column's words, their rows and what they count as.
fn status_words(i: &Inspection) -> Vec<String> {
    let mut out = Vec::new();
    match &i.status_column {
        Some(c) => {
            out.push(format!("Cache status (`{c}`):"));
            for (w, n, to) in &i.status_words {
                let w = if w.is_empty() { "(empty)" } else { w.as_str() };
                out.push(format!("  {w:<14} {n:>10}  → {to}"));
            }
        }
        None => out.push("No cache-status column found: name it in the mapping (cache_status = \"…\").".into()),
    }
    out
}

/// The first rows after mapping.
fn first_rows(i: &Inspection) -> Vec<String> {
    let mut out = Vec::new();
    out.push(format!("First rows after mapping ({}):", i.mapping_from));
    for r in &i.first_rows {
        out.push(format!(
            "  {} {} {} {} {} {} ms {} cache={} origin={}",
            r["ts"],
            r["customer_id"],
            r["user_id"],
            r["endpoint"],
            r["status"],
            r["latency_ms"],
            if r["cache_status"].is_empty() {
                "-"
            } else {
                &r["cache_status"]
            },
            r["cache_enabled"],
            r["upstream_calls"]
        ));
    }
    out
}

/// Every file's rows after mapping, counted like the reports count them.
fn totals(i: &Inspection) -> Vec<String> {
    let mut out = Vec::new();
    let t = &i.totals;
    if let Some(p) = &i.problem {
        out.push(format!("Totals: not counted — {p}"));
    }
    out.push(format!(
        "Totals: {} rows, {} valid{}; with the cache {}, 5xx {}, origin calls {}",
        t.rows,
        t.valid,
        if t.rejected.is_empty() {
            String::new()
        } else {
            format!(
                " (rejected: {})",
                t.rejected
                    .iter()
                    .map(|(r, n)| format!("{r} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        t.with_cache,
        t.server_errors,
        t.origin_calls
    ));
    out.push(format!(
        "  by cache status: {}",
        t.cache_status
            .iter()
            .map(|(w, n)| format!("{} {n}", if w.is_empty() { "none" } else { w }))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out
}
