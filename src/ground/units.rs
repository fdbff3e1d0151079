//! How a number in a unit reads ("1,234,567", "74.1 %", "−1.2 pts",
//! "-1,234.57 USD"): one formatter for the sentences the report builds and
//! the filters the templates use, so a figure reads the same everywhere.

/// Thousands separator for integers: 1234567 → "1,234,567".
fn group(n: i128) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

pub fn count(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |x| group(x.round() as i128))
}

/// A ratio as a percentage: one decimal (0.7412 → "74.1 %"), two where one
/// would hide the difference that matters (0.0007 → "0.07 %", 0.9996 → "99.96 %").
pub fn pct(v: Option<f64>) -> String {
    v.map_or_else(
        || "—".into(),
        |x| {
            let p = x * 100.0;
            let fine = (p != 0.0 && p.abs() < 1.0) || (p > 99.0 && p < 100.0);
            if fine { format!("{p:.2} %") } else { format!("{p:.1} %") }
        },
    )
}

/// A relative change with its sign: −0.741 → "−74.1 %", 0.032 → "+3.2 %".
pub fn signed_pct(x: f64) -> String {
    let p = x * 100.0;
    let sign = if p < 0.0 { "−" } else { "+" };
    if p != 0.0 && p.abs() < 1.0 {
        format!("{sign}{:.2} %", p.abs())
    } else {
        format!("{sign}{:.1} %", p.abs())
    }
}

/// A p-value: "< 0.001" below a thousandth, else three decimals.
pub fn p_value(p: f64) -> String {
    if p < 0.001 { "< 0.001".into() } else { format!("{p:.3}") }
}

pub fn money(v: Option<f64>, currency: &str) -> String {
    v.map_or_else(
        || "—".into(),
        |x| {
            let cents = (x * 100.0).round() as i128;
            let sign = if cents < 0 { "-" } else { "" };
            let abs = cents.abs();
            format!(
                "{sign}{} {currency}",
                format_args!("{}.{:02}", group(abs / 100), abs % 100)
            )
        },
    )
}

pub fn bytes(v: Option<f64>) -> String {
    let Some(b) = v else { return "—".into() };
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut x = b;
    let mut u = 0;
    while x >= 1024.0 && u < UNITS.len() - 1 {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b:.0} B")
    } else {
        format!("{x:.1} {}", UNITS[u])
    }
}

/// A duration in hours as a person reads it: hours from one hour on,
/// minutes from one minute, seconds below ("0.00 h" hides 4 s a week).
pub fn duration(hours: f64) -> String {
    let a = hours.abs();
    if a >= 1.0 {
        format!("{a:.2} h")
    } else if a * 60.0 >= 1.0 {
        format!("{:.1} min", a * 60.0)
    } else if a * 3600.0 >= 1.0 {
        format!("{:.1} s", a * 3600.0)
    } else {
        format!("{:.2} s", a * 3600.0)
    }
}

/// A KPI value in its unit (`count`, `ratio`, `milliseconds`, `score`, `money`, `hours`).
pub fn kpi(v: Option<f64>, unit: &str, currency: &str) -> String {
    match unit {
        "ratio" => pct(v),
        // Small ratios (error rates, availability) need two decimals.
        "ratio2" => v.map_or_else(|| "—".into(), |x| format!("{:.2} %", x * 100.0)),
        "milliseconds" => v.map_or_else(|| "—".into(), |x| format!("{x:.1} ms")),
        "score" => v.map_or_else(|| "—".into(), |x| format!("{x:.2} / 5")),
        "money" => money(v, currency),
        "hours" => v.map_or_else(
            || "—".into(),
            |x| {
                if x < 0.0 {
                    format!("-{}", duration(x))
                } else {
                    duration(x)
                }
            },
        ),
        "number" => v.map_or_else(|| "—".into(), |x| format!("{x:.2}")),
        _ => count(v),
    }
}

/// A change between two values of a KPI, signed: ratios in percentage points.
pub fn change(v: Option<f64>, unit: &str, currency: &str) -> String {
    let Some(d) = v else { return "—".into() };
    let sign = if d > 0.0 {
        "+"
    } else if d < 0.0 {
        "−"
    } else {
        "±"
    };
    let a = d.abs();
    match unit {
        "ratio" | "ratio2" if a * 100.0 < 0.1 && a > 0.0 => format!("{sign}{:.2} pts", a * 100.0),
        "ratio" | "ratio2" => format!("{sign}{:.1} pts", a * 100.0),
        "milliseconds" => format!("{sign}{a:.1} ms"),
        "score" => format!("{sign}{a:.2}"),
        "money" => format!("{sign}{}", money(Some(a), currency)),
        "hours" => format!("{sign}{}", duration(a)),
        _ => format!("{sign}{}", group(a.round() as i128)),
    }
}

/// A count with its noun in the right number: "1 restart", "2,015 snapshots",
/// "0 failed captures"; "—" without a count.
pub fn plural(n: Option<f64>, one: &str) -> String {
    match n {
        None => "—".into(),
        Some(1.0) => format!("1 {one}"),
        Some(n) => format!("{} {one}s", count(Some(n))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_take_their_noun_in_the_right_number() {
        assert_eq!(plural(Some(1.0), "restart"), "1 restart");
        assert_eq!(plural(Some(0.0), "failed capture"), "0 failed captures");
        assert_eq!(plural(Some(2015.0), "snapshot"), "2,015 snapshots");
        assert_eq!(plural(None, "complaint"), "—");
    }

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(count(Some(1234567.0)), "1,234,567");
        assert_eq!(pct(Some(0.7412)), "74.1 %");
        assert_eq!(pct(Some(0.0007)), "0.07 %");
        assert_eq!(pct(Some(0.99956)), "99.96 %");
        assert_eq!(pct(Some(1.0)), "100.0 %");
        assert_eq!(change(Some(-0.0002), "ratio", "USD"), "−0.02 pts");
        assert_eq!(money(Some(-1234.565), "USD"), "-1,234.57 USD");
        assert_eq!(money(Some(0.004), "EUR"), "0.00 EUR");
        assert_eq!(kpi(None, "ratio", "USD"), "—");
        assert_eq!(change(Some(-0.0123), "ratio", "USD"), "−1.2 pts");
        assert_eq!(bytes(Some(3.0 * 1024.0 * 1024.0)), "3.0 MiB");
        // 1.5 h; 0.04 h = 2.4 min; 0.0012 h = 4.32 s; a target of 1 h.
        assert_eq!(kpi(Some(1.5), "hours", ""), "1.50 h");
        assert_eq!(kpi(Some(0.04), "hours", ""), "2.4 min");
        assert_eq!(kpi(Some(0.0012), "hours", ""), "4.3 s");
        assert_eq!(kpi(Some(1.0), "hours", ""), "1.00 h");
        assert_eq!(change(Some(0.0012), "hours", ""), "+4.3 s");
        // 0.00001 h = 0.036 s.
        assert_eq!(kpi(Some(0.00001), "hours", ""), "0.04 s");
    }
}
