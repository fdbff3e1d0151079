//! `roi.csv`: the per-customer table and its total, RFC 4180 quoting (the
//! csv crate), UTF-8 with a byte-order mark so Excel reads it as UTF-8, and
//! text cells that a spreadsheet would run as a formula neutralised.

use anyhow::Result;
use rust_decimal::Decimal;

use crate::metrics::roi::{RoiCase, cents_adding_up};

/// A text cell that starts with `=`, `+`, `-`, `@`, tab or carriage return
/// gets a leading apostrophe (OWASP's CSV-injection advice); numbers are
/// written as numbers and never touched.
pub fn neutralise(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

pub const HEADER: [&str; 11] = [
    "customer_id",
    "name",
    "tier",
    "requests",
    "cached_requests",
    "origin_calls_avoided",
    "gross_savings",
    "redis_cost",
    "net_savings",
    "annualized_net_savings",
    "enterprise_range",
];

/// The bytes of roi.csv. Money and calls avoided are rounded to cents so
/// that each column adds up to the TOTAL row.
pub fn roi_csv(case: &RoiCase) -> Result<Vec<u8>> {
    let rows = &case.customers;
    let column = |f: fn(&crate::metrics::roi::CustomerRoi) -> Decimal, total: Decimal| {
        cents_adding_up(&rows.iter().map(f).collect::<Vec<_>>(), total)
    };
    let r = &case.roi;
    let avoided = column(|c| c.origin_calls_avoided, r.origin_calls_avoided);
    let gross = column(|c| c.gross_savings, r.gross_savings);
    let redis = column(|c| c.redis_cost, r.redis_cost);
    let net = column(|c| c.net_savings, r.net_savings);
    let annual = column(|c| c.annualized_net_savings, r.annualized_net_savings);
    // `roi --by month`: one column of net savings per calendar month.
    let months = crate::metrics::roi::weeks::months_shown(case);
    let mut out = "\u{feff}".as_bytes().to_vec();
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut header: Vec<String> = HEADER.iter().map(|h| h.to_string()).collect();
    header.extend(case.months.iter().map(|m| format!("net_savings_{}", m.month.week)));
    w.write_record(&header)?;
    for (i, c) in rows.iter().enumerate() {
        let mut record = vec![
            neutralise(&c.customer_id),
            neutralise(&c.name),
            neutralise(&c.tier),
            c.requests.to_string(),
            c.cached_requests.to_string(),
            format!("{:.2}", avoided[i]),
            format!("{:.2}", gross[i]),
            format!("{:.2}", redis[i]),
            format!("{:.2}", net[i]),
            format!("{:.2}", annual[i]),
            c.enterprise_range.unwrap_or("").to_string(),
        ];
        record.extend(months.customers.iter().map(|m| format!("{:.2}", m[i])));
        w.write_record(&record)?;
    }
    let total = |x: Decimal| format!("{:.2}", x.round_dp(2));
    let mut total_record = vec![
        "TOTAL".to_string(),
        String::new(),
        String::new(),
        rows.iter().map(|c| c.requests).sum::<u64>().to_string(),
        rows.iter().map(|c| c.cached_requests).sum::<u64>().to_string(),
        total(r.origin_calls_avoided),
        total(r.gross_savings),
        total(r.redis_cost),
        total(r.net_savings),
        total(r.annualized_net_savings),
        String::new(),
    ];
    total_record.extend(months.net.iter().map(|x| format!("{x:.2}")));
    w.write_record(&total_record)?;
    out.extend(w.into_inner().map_err(|e| anyhow::anyhow!("writing roi.csv: {e}"))?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_neutralised_and_plain_text_is_not() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("Acme"), "Acme");
        assert_eq!(neutralise("O'Neil & Daughters, Ltd."), "O'Neil & Daughters, Ltd.");
    }
}
