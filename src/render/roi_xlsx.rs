//! `roi.xlsx` (rust_xlsxwriter): Summary, Customers, Assumptions and
//! Scenarios. Every figure is a live formula over the Assumptions sheet
//! (through defined names such as `origin_call_cost`) and the measured
//! counts, with its computed value cached for readers that do not
//! recalculate: change an assumption in Excel or LibreOffice and every
//! total follows.

use anyhow::{Result, anyhow};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::utility::column_number_to_name as letter;
use rust_xlsxwriter::{Format, FormatAlign, Formula, Workbook, Worksheet};

use crate::metrics::roi::{RoiCase, RoiInputs};

fn num(x: Decimal) -> f64 {
    x.to_f64().unwrap_or(0.0)
}

fn xerr(e: rust_xlsxwriter::XlsxError) -> anyhow::Error {
    anyhow!("writing roi.xlsx: {e}")
}

/// A formula with its cached result.
fn formula(text: &str, value: f64) -> Formula {
    Formula::new(text).set_result(value.to_string())
}

/// What a formula shows, and caches, where a figure is undefined (payback
/// that never comes, a ratio without a denominator): readers that do not
/// recalculate (pandas, calamine, a mail preview) must not see 0.
pub const UNDEFINED: &str = "n/a";

/// A formula whose figure may be undefined: `n/a` is cached for `None`.
fn formula_or_na(text: &str, value: Option<Decimal>) -> Formula {
    match value {
        Some(v) => formula(text, num(v)),
        None => Formula::new(text).set_result(UNDEFINED),
    }
}

struct Formats {
    head: Format,
    money: Format,
    pct: Format,
    count: Format,
    plain: Format,
    price: Format,
    bold_money: Format,
}

fn formats(currency: &str) -> Formats {
    let money = format!("#,##0.00 \"{currency}\";-#,##0.00 \"{currency}\"");
    Formats {
        head: Format::new()
            .set_bold()
            .set_background_color("#E5E7EB")
            .set_align(FormatAlign::Center),
        money: Format::new().set_num_format(&money),
        bold_money: Format::new().set_bold().set_num_format(&money),
        pct: Format::new().set_num_format("0.0%"),
        count: Format::new().set_num_format("#,##0"),
        plain: Format::new().set_num_format("0.00"),
        price: Format::new().set_num_format("0.000000"),
    }
}

/// Rows of the Assumptions sheet: (defined name, label, value, source).
fn assumptions(i: &RoiInputs) -> Vec<(&'static str, &'static str, f64, String)> {
    let s = &i.settings;
    let cfg = |k: &str| format!("config [costs] {k}");
    let (lo, hi) = i.reduction_ci.map_or((None, None), |[a, b]| (Some(a), Some(b)));
    let hours = i
        .b_mean_latency
        .zip(i.e_mean_latency)
        .map(|(b, e)| i.customers.iter().map(|c| c.e_rows).sum::<u64>() as f64 * (b - e) / 3_600_000.0);
    vec![
        (
            "origin_call_cost",
            "Cost of one origin call",
            i.costs.origin_call_cost,
            cfg("origin_call_cost"),
        ),
        (
            "redis_monthly_cost",
            "Redis cost per month",
            i.costs.redis_monthly_cost,
            cfg("redis_monthly_cost"),
        ),
        (
            "implementation_cost",
            "Implementation cost (one-time)",
            i.costs.implementation_cost,
            cfg("implementation_cost"),
        ),
        (
            "hourly_value",
            "Value of an hour of user time (soft benefit only)",
            i.costs.hourly_value_of_user_time,
            cfg("hourly_value_of_user_time"),
        ),
        (
            "window_days",
            "Days in the window",
            i.days as f64,
            format!("window {} to {} (end exclusive)", i.from, i.to),
        ),
        (
            "baseline_requests",
            "Baseline requests (cache off)",
            i.b_rows as f64,
            format!("measured, {} to {}", i.baseline_from, i.baseline_to),
        ),
        (
            "baseline_origin_calls",
            "Baseline origin calls",
            i.b_origin as f64,
            format!("measured, {} to {}", i.baseline_from, i.baseline_to),
        ),
        (
            "discount_rate",
            "Annual discount rate (NPV)",
            s.discount_rate,
            "config [roi] discount_rate".into(),
        ),
        (
            "npv_years",
            "NPV horizon, years",
            f64::from(s.npv_horizon_years),
            "config [roi] npv_horizon_years".into(),
        ),
        (
            "low_cost_factor",
            "Low scenario: origin call cost ×",
            s.low_origin_call_cost_factor,
            "config [roi] low_origin_call_cost_factor".into(),
        ),
        (
            "high_cost_factor",
            "High scenario: origin call cost ×",
            s.high_origin_call_cost_factor,
            "config [roi] high_origin_call_cost_factor".into(),
        ),
        (
            "swing",
            "Sensitivity swing of Redis cost and volume",
            s.sensitivity_swing,
            "config [roi] sensitivity_swing".into(),
        ),
        (
            "reduction_low",
            "API call reduction, 95 % CI low",
            lo.unwrap_or(f64::NAN),
            "measured (delta method per user); blank: not enough data".into(),
        ),
        (
            "reduction_high",
            "API call reduction, 95 % CI high",
            hi.unwrap_or(f64::NAN),
            "measured (delta method per user); blank: not enough data".into(),
        ),
        (
            "user_hours_saved",
            "User hours saved in the window",
            hours.unwrap_or(f64::NAN),
            "measured: requests with the cache × (mean latency before − after)".into(),
        ),
    ]
}

fn header(ws: &mut Worksheet, f: &Formats, cols: &[(&str, f64)]) -> Result<()> {
    for (c, (name, width)) in cols.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, &f.head).map_err(xerr)?;
        ws.set_column_width(c as u16, *width).map_err(xerr)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xerr)?;
    Ok(())
}

/// Weeks: the window week by week as live formulas (adding up to the
/// Customers totals), the run-rate week marked.
fn weeks_sheet(wb: &mut Workbook, f: &Formats, case: &RoiCase) -> Result<()> {
    let ws = wb.add_worksheet().set_name("Weeks").map_err(xerr)?;
    header(
        ws,
        f,
        &[
            ("Week", 10.0),
            ("From", 11.0),
            ("To (exclusive)", 13.0),
            ("Days", 6.0),
            ("Requests", 11.0),
            ("With cache", 11.0),
            ("Origin calls (cache)", 12.0),
            ("Share with cache", 10.0),
            ("Calls avoided", 13.0),
            ("Gross savings", 15.0),
            ("Redis cost", 14.0),
            ("Net savings", 15.0),
            ("Annualized net", 16.0),
            ("Note", 12.0),
        ],
    )?;
    let rr = case.run_rate.as_ref().map(|r| r.week.as_str());
    for (k, w) in case.weeks.iter().enumerate() {
        week_row(ws, f, k as u32 + 1, w, rr)?;
    }
    Ok(())
}

/// One week's row (`row`, 0-based); `rr`: the run-rate week.
fn week_row(
    ws: &mut Worksheet,
    f: &Formats,
    row: u32,
    w: &crate::metrics::roi::WeekRoi,
    rr: Option<&str>,
) -> Result<()> {
    let x = row + 1;
    ws.write_string(row, 0, &w.week).map_err(xerr)?;
    ws.write_string(row, 1, &w.from).map_err(xerr)?;
    ws.write_string(row, 2, &w.to).map_err(xerr)?;
    let counts = [
        w.days as f64,
        w.requests as f64,
        w.cached_requests as f64,
        w.cached_origin_calls as f64,
    ];
    for (c, v) in counts.into_iter().enumerate() {
        ws.write_number_with_format(row, 3 + c as u16, v, &f.count)
            .map_err(xerr)?;
    }
    let fig = &w.figures;
    let cells: [(u16, String, Option<Decimal>, &Format); 6] = [
        (
            7,
            format!("=IF(E{x}=0,\"{UNDEFINED}\",F{x}/E{x})"),
            w.cache_share,
            &f.pct,
        ),
        (
            8,
            format!("=F{x}*baseline_origin_calls/baseline_requests-G{x}"),
            Some(fig.origin_calls_avoided),
            &f.plain,
        ),
        (9, format!("=I{x}*origin_call_cost"), Some(fig.gross_savings), &f.money),
        (
            10,
            format!("=redis_monthly_cost*12/365*D{x}"),
            Some(fig.redis_cost),
            &f.money,
        ),
        (11, format!("=J{x}-K{x}"), Some(fig.net_savings), &f.money),
        (
            12,
            format!("=L{x}*365/D{x}"),
            Some(fig.annualized_net_savings),
            &f.money,
        ),
    ];
    for (col, text, value, fmt) in cells {
        ws.write_formula_with_format(row, col, formula_or_na(&text, value), fmt)
            .map_err(xerr)?;
    }
    let note = if rr == Some(w.week.as_str()) {
        "run-rate"
    } else if w.ramp_up {
        "ramp-up"
    } else if !w.complete {
        "part of a week"
    } else {
        ""
    };
    ws.write_string(row, 13, note).map_err(xerr)?;
    Ok(())
}

/// `roi --by month`: one column per calendar month of the window, the
/// window's total last (sums of the months), with live formulas as on the
/// Weeks sheet; below, each customer's requests with the cache, their
/// origin calls and the net savings they give in each month (the month's
/// Redis cost allocated by share of the month's requests with the cache).
fn months_sheet(wb: &mut Workbook, f: &Formats, case: &RoiCase) -> Result<()> {
    let months = &case.months;
    if months.is_empty() {
        return Ok(());
    }
    let ws = wb.add_worksheet().set_name("Months").map_err(xerr)?;
    let mut cols: Vec<(&str, f64)> = vec![("Figure", 30.0)];
    cols.extend(months.iter().map(|m| (m.month.week.as_str(), 15.0)));
    cols.push(("Window", 16.0));
    header(ws, f, &cols)?;
    let total_col = months.len() as u16 + 1;
    let labels = [
        "From",
        "To (exclusive)",
        "Days",
        "Requests",
        "With cache",
        "Origin calls (cache)",
        "Calls avoided",
        "Gross savings",
        "Redis cost",
        "Net savings",
    ];
    for (r, l) in labels.iter().enumerate() {
        ws.write_string(r as u32 + 1, 0, *l).map_err(xerr)?;
    }
    for (k, m) in months.iter().enumerate() {
        month_column(ws, f, k as u16 + 1, m)?;
    }
    window_totals(ws, f, case, total_col)?;
    customer_blocks(ws, f, case)
}

/// One month's column of the Months sheet (column `col`, 0-based).
fn month_column(ws: &mut Worksheet, f: &Formats, col: u16, m: &crate::metrics::roi::MonthRoi) -> Result<()> {
    let c = letter(col);
    let w = &m.month;
    ws.write_string(1, col, &w.from).map_err(xerr)?;
    ws.write_string(2, col, &w.to).map_err(xerr)?;
    let counts = [
        w.days,
        w.requests as i64,
        w.cached_requests as i64,
        w.cached_origin_calls as i64,
    ];
    for (r, v) in counts.into_iter().enumerate() {
        ws.write_number_with_format(3 + r as u32, col, v as f64, &f.count)
            .map_err(xerr)?;
    }
    let fig = &w.figures;
    // Rows (1-based): 4 days, 6 with cache, 7 origin calls, 8 avoided, 9 gross, 10 Redis.
    let cells: [(u32, String, Decimal, &Format); 4] = [
        (
            7,
            format!("={c}6*baseline_origin_calls/baseline_requests-{c}7"),
            fig.origin_calls_avoided,
            &f.plain,
        ),
        (8, format!("={c}8*origin_call_cost"), fig.gross_savings, &f.money),
        (9, format!("=redis_monthly_cost*12/365*{c}4"), fig.redis_cost, &f.money),
        (10, format!("={c}9-{c}10"), fig.net_savings, &f.money),
    ];
    for (row, text, value, fmt) in cells {
        ws.write_formula_with_format(row, col, formula(&text, num(value)), fmt)
            .map_err(xerr)?;
    }
    Ok(())
}

/// The Window column: each figure the sum of the months.
fn window_totals(ws: &mut Worksheet, f: &Formats, case: &RoiCase, total_col: u16) -> Result<()> {
    let months = &case.months;
    let (first, last) = (letter(1), letter(months.len() as u16));
    let r = &case.roi;
    let sums: [(u32, f64, &Format); 8] = [
        (3, case.months.iter().map(|m| m.month.days as f64).sum(), &f.count),
        (4, months.iter().map(|m| m.month.requests as f64).sum(), &f.count),
        (5, months.iter().map(|m| m.month.cached_requests as f64).sum(), &f.count),
        (
            6,
            months.iter().map(|m| m.month.cached_origin_calls as f64).sum(),
            &f.count,
        ),
        (7, num(r.origin_calls_avoided), &f.plain),
        (8, num(r.gross_savings), &f.bold_money),
        (9, num(r.redis_cost), &f.bold_money),
        (10, num(r.net_savings), &f.bold_money),
    ];
    for (row, value, fmt) in sums {
        let x = row + 1;
        ws.write_formula_with_format(
            row,
            total_col,
            formula(&format!("=SUM({first}{x}:{last}{x})"), value),
            fmt,
        )
        .map_err(xerr)?;
    }
    Ok(())
}

/// Per customer, below the figures: three blocks of one row per customer
/// (with cache, origin calls, net savings), a column per month.
fn customer_blocks(ws: &mut Worksheet, f: &Formats, case: &RoiCase) -> Result<()> {
    let months = &case.months;
    let n = case.customers.len() as u32;
    let top = 13u32; // 0-based row of the first block's heading
    let block = |b: u32| top + b * (n + 2);
    let names = ["With cache", "Origin calls (cache)", "Net savings"];
    for (b, name) in names.iter().enumerate() {
        ws.write_string_with_format(block(b as u32), 0, format!("{name} by customer"), &f.head)
            .map_err(xerr)?;
    }
    for (j, cu) in case.customers.iter().enumerate() {
        for b in 0..3 {
            ws.write_string(block(b) + 1 + j as u32, 0, &cu.customer_id)
                .map_err(xerr)?;
        }
    }
    for (k, m) in months.iter().enumerate() {
        let (col, c) = (k as u16 + 1, letter(k as u16 + 1));
        let (e_first, e_last) = (block(0) + 2, block(0) + 1 + n);
        for (j, net) in m.customer_net_savings.iter().enumerate() {
            let (e_row, o_row, n_row) = (
                block(0) + 1 + j as u32,
                block(1) + 1 + j as u32,
                block(2) + 1 + j as u32,
            );
            let (e, o) = m.customer_counts[j];
            ws.write_number_with_format(e_row, col, e as f64, &f.count)
                .map_err(xerr)?;
            ws.write_number_with_format(o_row, col, o as f64, &f.count)
                .map_err(xerr)?;
            let (ex, ox) = (e_row + 1, o_row + 1);
            let text = format!(
                "=({c}{ex}*baseline_origin_calls/baseline_requests-{c}{ox})*origin_call_cost\
                 -IF(SUM({c}{e_first}:{c}{e_last})=0,0,{c}10*{c}{ex}/SUM({c}{e_first}:{c}{e_last}))"
            );
            ws.write_formula_with_format(n_row, col, formula(&text, num(*net)), &f.money)
                .map_err(xerr)?;
        }
    }
    Ok(())
}

/// The row kinds of the Summary sheet: label, formula, format, how.
type SummaryRow<'a> = (&'static str, Formula, &'a Format, &'static str);

/// The bytes of roi.xlsx: one function per sheet.
pub fn roi_xlsx(i: &RoiInputs, case: &RoiCase) -> Result<Vec<u8>> {
    let f = formats(&i.costs.currency);
    let mut wb = Workbook::new();
    // The 1-based row of the Customers total, for formulas.
    let tr = case.customers.len() as u32 + 2;
    summary_sheet(&mut wb, &f, case, tr)?;
    customers_sheet(&mut wb, &f, case)?;
    assumptions_sheet(&mut wb, &f, i)?;
    scenarios_sheet(&mut wb, &f, case, tr)?;
    weeks_sheet(&mut wb, &f, case)?;
    months_sheet(&mut wb, &f, case)?;
    wb.save_to_buffer().map_err(xerr)
}

/// Summary, first: the sheet a CSV export of the workbook gives.
fn summary_sheet(wb: &mut Workbook, f: &Formats, case: &RoiCase, tr: u32) -> Result<()> {
    let summary = wb.add_worksheet().set_name("Summary").map_err(xerr)?;
    header(summary, f, &[("Figure", 44.0), ("Value", 22.0), ("How", 70.0)])?;
    let mut rows = savings_rows(f, case, tr);
    rows.extend(return_rows(f, case));
    rows.extend(run_rate_rows(f, case));
    for (k, (label, fm, fmt, how)) in rows.into_iter().enumerate() {
        let row = k as u32 + 1;
        summary.write_string(row, 0, label).map_err(xerr)?;
        summary.write_formula_with_format(row, 1, fm, fmt).map_err(xerr)?;
        summary.write_string(row, 2, how).map_err(xerr)?;
    }
    Ok(())
}

/// Rows 2–6 of the Summary: calls avoided, gross, Redis, net, annualized.
fn savings_rows<'a>(f: &'a Formats, case: &RoiCase, tr: u32) -> Vec<SummaryRow<'a>> {
    let r = &case.roi;
    vec![
        (
            "Origin calls avoided",
            formula(&format!("=Customers!G{tr}"), num(r.origin_calls_avoided)),
            &f.plain,
            "Σ customers: cached requests × baseline calls per request − their origin calls",
        ),
        (
            "Gross savings",
            formula(&format!("=Customers!H{tr}"), num(r.gross_savings)),
            &f.money,
            "origin calls avoided × origin_call_cost",
        ),
        (
            "Redis cost",
            formula("=redis_monthly_cost*12/365*window_days", num(r.redis_cost)),
            &f.money,
            "redis_monthly_cost × 12 / 365 × days",
        ),
        (
            "Net savings",
            formula("=B3-B4", num(r.net_savings)),
            &f.bold_money,
            "gross − Redis cost",
        ),
        (
            "Annualized net savings",
            formula("=B5*365/window_days", num(r.annualized_net_savings)),
            &f.bold_money,
            "net × 365 / days",
        ),
    ]
}

/// The Summary's return rows, over the annualized net savings in B6: ROI,
/// payback, break-even, NPV, and the soft benefit apart.
fn return_rows<'a>(f: &'a Formats, case: &RoiCase) -> Vec<SummaryRow<'a>> {
    let (r, ann) = (&case.roi, "B6");
    vec![
        (
            "First-year ROI",
            formula_or_na(
                &format!("=IF(implementation_cost>0,({ann}-implementation_cost)/implementation_cost,\"{UNDEFINED}\")"),
                r.first_year_roi,
            ),
            &f.pct,
            "(annualized net − implementation cost) / implementation cost",
        ),
        (
            "Payback (months)",
            formula_or_na(
                &format!("=IF({ann}>0,implementation_cost/({ann}/12),\"{UNDEFINED}\")"),
                r.payback_months,
            ),
            &f.plain,
            "implementation cost / (annualized net / 12); n/a when annualized net ≤ 0",
        ),
        (
            "Break-even origin call cost",
            formula_or_na(
                &format!("=IF(B2>0,B4/B2,\"{UNDEFINED}\")"),
                case.break_even_origin_call_cost,
            ),
            &f.price,
            "Redis cost / origin calls avoided",
        ),
        (
            "NPV",
            formula(
                &format!(
                    "=-implementation_cost+IF(discount_rate=0,{ann}*npv_years,{ann}*(1-(1+discount_rate)^-npv_years)/discount_rate)"
                ),
                num(case.npv),
            ),
            &f.money,
            "−implementation cost + annualized net discounted over npv_years at discount_rate",
        ),
        (
            "Soft benefit: user time (not in savings)",
            formula_or_na(
                &format!("=IF(ISNUMBER(user_hours_saved),user_hours_saved*hourly_value,\"{UNDEFINED}\")"),
                case.soft_benefits.value,
            ),
            &f.money,
            "user hours saved × hourly value; shown apart, never added to hard savings",
        ),
    ]
}

/// The run-rate rows of the Summary: the Weeks sheet's row of the last full week.
fn run_rate_rows<'a>(f: &'a Formats, case: &RoiCase) -> Vec<SummaryRow<'a>> {
    let mut rows = Vec::new();
    if let Some((k, rr)) = case
        .run_rate
        .as_ref()
        .and_then(|rr| Some((case.weeks.iter().position(|w| w.week == rr.week)?, rr)))
    {
        // The run-rate: the Weeks sheet's row of the last full week.
        let x = k + 2;
        let ann = format!("Weeks!M{x}");
        rows.push((
            "Run-rate: annualized net savings (last full week)",
            formula(&format!("={ann}"), num(rr.figures.annualized_net_savings)),
            &f.bold_money,
            "the last full week's net × 365 / 7 (Weeks sheet): the savings at current adoption",
        ));
        rows.push((
            "Run-rate: first-year ROI",
            formula_or_na(
                &format!("=IF(implementation_cost>0,({ann}-implementation_cost)/implementation_cost,\"{UNDEFINED}\")"),
                rr.figures.first_year_roi,
            ),
            &f.pct,
            "(run-rate annualized net − implementation cost) / implementation cost",
        ));
        rows.push((
            "Run-rate: payback (months)",
            formula_or_na(
                &format!("=IF({ann}>0,implementation_cost/({ann}/12),\"{UNDEFINED}\")"),
                rr.figures.payback_months,
            ),
            &f.plain,
            "implementation cost / (run-rate annualized net / 12)",
        ));
        rows.push((
            "Run-rate: NPV",
            formula(
                &format!(
                    "=-implementation_cost+IF(discount_rate=0,{ann}*npv_years,{ann}*(1-(1+discount_rate)^-npv_years)/discount_rate)"
                ),
                num(rr.npv),
            ),
            &f.money,
            "as NPV above, at the run-rate",
        ));
    }
    rows
}

/// Customers: each customer's figures as formulas, and the totals.
fn customers_sheet(wb: &mut Workbook, f: &Formats, case: &RoiCase) -> Result<()> {
    let tr = case.customers.len() as u32 + 2; // 1-based row of the total, for formulas
    let cust = wb.add_worksheet().set_name("Customers").map_err(xerr)?;
    header(
        cust,
        f,
        &[
            ("Customer", 10.0),
            ("Name", 30.0),
            ("Tier", 12.0),
            ("Requests", 11.0),
            ("With cache", 11.0),
            ("Origin calls (cache)", 12.0),
            ("Calls avoided", 13.0),
            ("Gross savings", 15.0),
            ("Redis cost", 14.0),
            ("Net savings", 15.0),
            ("Annualized net", 16.0),
            ("Enterprise 10k–50k", 12.0),
        ],
    )?;
    for (k, c) in case.customers.iter().enumerate() {
        customer_row(cust, f, k as u32 + 1, c, tr)?;
    }
    customer_totals(cust, f, case)
}

/// One customer's row (`row`, 0-based), its figures as formulas; `tr`:
/// the 1-based row of the total.
fn customer_row(
    cust: &mut Worksheet,
    f: &Formats,
    row: u32,
    c: &crate::metrics::roi::CustomerRoi,
    tr: u32,
) -> Result<()> {
    let x = row + 1;
    // Text goes in as strings: a name like =HYPERLINK(...) stays text.
    cust.write_string(row, 0, &c.customer_id).map_err(xerr)?;
    cust.write_string(row, 1, &c.name).map_err(xerr)?;
    cust.write_string(row, 2, &c.tier).map_err(xerr)?;
    cust.write_number_with_format(row, 3, c.requests as f64, &f.count)
        .map_err(xerr)?;
    cust.write_number_with_format(row, 4, c.cached_requests as f64, &f.count)
        .map_err(xerr)?;
    cust.write_number_with_format(row, 5, c.cached_origin_calls as f64, &f.count)
        .map_err(xerr)?;
    let cells: [(u16, String, f64, &Format); 5] = [
        (
            6,
            format!("=E{x}*baseline_origin_calls/baseline_requests-F{x}"),
            num(c.origin_calls_avoided),
            &f.plain,
        ),
        (7, format!("=G{x}*origin_call_cost"), num(c.gross_savings), &f.money),
        (
            8,
            format!("=IF($E${tr}=0,0,redis_monthly_cost*12/365*window_days*E{x}/$E${tr})"),
            num(c.redis_cost),
            &f.money,
        ),
        (9, format!("=H{x}-I{x}"), num(c.net_savings), &f.money),
        (
            10,
            format!("=J{x}*365/window_days"),
            num(c.annualized_net_savings),
            &f.money,
        ),
    ];
    for (col, text, value, fmt) in cells {
        cust.write_formula_with_format(row, col, formula(&text, value), fmt)
            .map_err(xerr)?;
    }
    cust.write_formula(
        row,
        11,
        formula(
            &format!(
                "=IF(LOWER(C{x})=\"enterprise\",IF(K{x}<10000,\"below\",IF(K{x}>50000,\"above\",\"within\")),\"\")"
            ),
            0.0,
        )
        .set_result(c.enterprise_range.unwrap_or("")),
    )
    .map_err(xerr)?;
    Ok(())
}

/// The Customers total: each column the sum of the customers.
fn customer_totals(cust: &mut Worksheet, f: &Formats, case: &RoiCase) -> Result<()> {
    let n = case.customers.len() as u32;
    let total_row = n + 1; // 0-based row of the Customers total
    let last = n + 1; // 1-based last customer row
    let r = &case.roi;
    cust.write_string_with_format(total_row, 0, "TOTAL", &f.head)
        .map_err(xerr)?;
    let totals: [(u16, char, f64, &Format); 8] = [
        (3, 'D', case.customers.iter().map(|c| c.requests as f64).sum(), &f.count),
        (
            4,
            'E',
            case.customers.iter().map(|c| c.cached_requests as f64).sum(),
            &f.count,
        ),
        (
            5,
            'F',
            case.customers.iter().map(|c| c.cached_origin_calls as f64).sum(),
            &f.count,
        ),
        (6, 'G', num(r.origin_calls_avoided), &f.plain),
        (7, 'H', num(r.gross_savings), &f.bold_money),
        (8, 'I', num(r.redis_cost), &f.bold_money),
        (9, 'J', num(r.net_savings), &f.bold_money),
        (10, 'K', num(r.annualized_net_savings), &f.bold_money),
    ];
    for (col, letter, value, fmt) in totals {
        cust.write_formula_with_format(
            total_row,
            col,
            formula(&format!("=SUM({letter}2:{letter}{last})"), value),
            fmt,
        )
        .map_err(xerr)?;
    }

    Ok(())
}

/// Assumptions: every input with its source, each a defined name.
fn assumptions_sheet(wb: &mut Workbook, f: &Formats, i: &RoiInputs) -> Result<()> {
    let asm = wb.add_worksheet().set_name("Assumptions").map_err(xerr)?;
    header(
        asm,
        f,
        &[("Name", 24.0), ("Assumption", 46.0), ("Value", 16.0), ("Source", 60.0)],
    )?;
    let list = assumptions(i);
    for (k, (name, label, value, source)) in list.iter().enumerate() {
        let row = k as u32 + 1;
        asm.write_string(row, 0, *name).map_err(xerr)?;
        asm.write_string(row, 1, *label).map_err(xerr)?;
        if value.is_finite() {
            let fmt = match *name {
                "origin_call_cost" => &f.price,
                "discount_rate" | "reduction_low" | "reduction_high" | "swing" => &f.pct,
                "redis_monthly_cost" | "implementation_cost" | "hourly_value" => &f.money,
                _ => &f.plain,
            };
            asm.write_number_with_format(row, 2, *value, fmt).map_err(xerr)?;
        }
        asm.write_string(row, 3, source).map_err(xerr)?;
    }
    for (k, (name, ..)) in list.iter().enumerate() {
        wb.define_name(*name, &format!("=Assumptions!$C${}", k + 2))
            .map_err(xerr)?;
    }

    Ok(())
}

/// Scenarios: annualized = (volume·E·b·reduction·cost − Redis)·365/window_days,
/// and the one-at-a-time sensitivity.
fn scenarios_sheet(wb: &mut Workbook, f: &Formats, case: &RoiCase, tr: u32) -> Result<()> {
    let sc = wb.add_worksheet().set_name("Scenarios").map_err(xerr)?;
    header(
        sc,
        f,
        &[
            ("Scenario", 34.0),
            ("Origin call cost", 16.0),
            ("API call reduction", 16.0),
            ("Calls avoided", 14.0),
            ("Gross savings", 15.0),
            ("Redis cost", 14.0),
            ("Net savings", 15.0),
            ("Annualized net", 16.0),
            ("First-year ROI", 14.0),
            ("NPV", 15.0),
        ],
    )?;
    let e = format!("Customers!$E${tr}");
    let b = "(baseline_origin_calls/baseline_requests)";
    let base_red = format!("(1-(Customers!$F${tr}/{e})/{b})");
    let scen = scenario_drivers(case, &base_red);
    for (k, (name, cost, red, s)) in scen.iter().enumerate() {
        let (row, x) = (k as u32 + 1, k + 2);
        let fig = &s.figures;
        sc.write_string(row, 0, name).map_err(xerr)?;
        let cells: [(u16, String, Option<Decimal>, &Format); 9] = [
            (1, format!("={cost}"), Some(s.origin_call_cost), &f.price),
            (2, format!("={red}"), Some(s.api_call_reduction), &f.pct),
            (3, format!("={e}*{b}*C{x}"), Some(fig.origin_calls_avoided), &f.plain),
            (4, format!("=D{x}*B{x}"), Some(fig.gross_savings), &f.money),
            (
                5,
                "=redis_monthly_cost*12/365*window_days".to_string(),
                Some(fig.redis_cost),
                &f.money,
            ),
            (6, format!("=E{x}-F{x}"), Some(fig.net_savings), &f.money),
            (
                7,
                format!("=G{x}*365/window_days"),
                Some(fig.annualized_net_savings),
                &f.bold_money,
            ),
            (
                8,
                format!("=IF(implementation_cost>0,(H{x}-implementation_cost)/implementation_cost,\"{UNDEFINED}\")"),
                fig.first_year_roi,
                &f.pct,
            ),
            (
                9,
                format!(
                    "=-implementation_cost+IF(discount_rate=0,H{x}*npv_years,H{x}*(1-(1+discount_rate)^-npv_years)/discount_rate)"
                ),
                Some(s.npv),
                &f.money,
            ),
        ];
        for (col, text, value, fmt) in cells {
            sc.write_formula_with_format(row, col, formula_or_na(&text, value), fmt)
                .map_err(xerr)?;
        }
    }
    sensitivity_table(sc, f, case, scen.len() as u32 + 2)
}

/// Each scenario's name and its cost and reduction formulas: low and high
/// scale the cost by their factor and take the reduction's interval end
/// (the base reduction without one).
fn scenario_drivers<'a>(
    case: &'a RoiCase,
    base_red: &str,
) -> Vec<(String, String, String, &'a crate::metrics::roi::Scenario)> {
    let red_or = |bound: &str| format!("IF(ISNUMBER({bound}),{bound},{base_red})");
    case.scenarios
        .iter()
        .map(|s| {
            let (cost, red) = match s.name {
                "low" => ("origin_call_cost*low_cost_factor".to_string(), red_or("reduction_low")),
                "high" => (
                    "origin_call_cost*high_cost_factor".to_string(),
                    red_or("reduction_high"),
                ),
                _ => ("origin_call_cost".to_string(), base_red.to_string()),
            };
            (s.name.to_string(), cost, red, s)
        })
        .collect()
}

/// The one-at-a-time sensitivity of annualized net savings from row `top`
/// (values; the scenarios' formulas carry the model).
fn sensitivity_table(sc: &mut Worksheet, f: &Formats, case: &RoiCase, top: u32) -> Result<()> {
    for (c, h) in [
        "Driver (one at a time)",
        "Worse case",
        "Better case",
        "Annualized net, worse case",
        "Annualized net, better case",
    ]
    .iter()
    .enumerate()
    {
        sc.write_string_with_format(top, c as u16, *h, &f.head).map_err(xerr)?;
    }
    for (k, s) in crate::report::roi::by_effect(&case.sensitivity).iter().enumerate() {
        let row = top + 1 + k as u32;
        sc.write_string(row, 0, s.driver).map_err(xerr)?;
        sc.write_string(row, 1, &s.worse_input).map_err(xerr)?;
        sc.write_string(row, 2, &s.better_input).map_err(xerr)?;
        sc.write_number_with_format(row, 3, s.worse, &f.money).map_err(xerr)?;
        sc.write_number_with_format(row, 4, s.better, &f.money).map_err(xerr)?;
    }
    Ok(())
}
