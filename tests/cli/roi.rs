//! `cacheroi roi` on the bundled sample: metrics.json by the contract, rows
//! that add up, a CSV that is safe in a spreadsheet, and a workbook whose
//! formulas LibreOffice recalculates — also after finance changes the
//! origin call cost.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use serde_json::Value;

use super::{cacheroi, copy_dir};

fn copy_sample(to: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    copy_dir(&src, to);
}

/// Run roi on a copy of the sample with two hostile customer names.
fn roi(dir: &Path, extra: &[&str]) -> PathBuf {
    let data = dir.join("data");
    copy_sample(&data);
    let customers = fs::read_to_string(data.join("customers.csv")).unwrap();
    let customers = customers
        .replace("Acme QA (internal)", "\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")
        .replace("Platform Dev Team", "-2+3");
    fs::write(data.join("customers.csv"), customers).unwrap();
    cacheroi(dir)
        .args(["-q", "roi", "--config", "data/cacheroi.toml", "--out", "out"])
        .args(extra)
        .assert()
        .success();
    dir.join("out/roi")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn metrics_follow_the_contract_and_rows_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let out = roi(dir.path(), &[]);
    let m: Value = serde_json::from_str(&fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(m["window"]["from"], "2026-10-05");
    assert_eq!(m["window"]["to"], "2026-11-16");
    assert_eq!(m["window"]["days"], 42);
    let r = &m["roi"];
    // docs/kpis.md#finance-roi-cacheroi-roi from its own parts: Redis 900 × 12 / 365 × 42; net = gross − Redis;
    // annualized = net × 365 / 42; ROI and payback from the 12,000 implementation cost.
    let (gross, redis, net, annual) = (
        f(&r["gross_savings"]),
        f(&r["redis_cost"]),
        f(&r["net_savings"]),
        f(&r["annualized_net_savings"]),
    );
    assert!((redis - 900.0 * 12.0 / 365.0 * 42.0).abs() < 1e-9);
    assert!((net - (gross - redis)).abs() < 1e-9);
    assert!((annual - net * 365.0 / 42.0).abs() < 1e-9);
    assert!((f(&r["first_year_roi"]) - (annual - 12000.0) / 12000.0).abs() < 1e-12);
    assert!((f(&r["payback_months"]) - 12000.0 / (annual / 12.0)).abs() < 1e-9);
    let customers = m["customers"].as_array().unwrap();
    assert_eq!(customers.len(), 30);
    for key in ["gross_savings", "redis_cost", "net_savings", "annualized_net_savings"] {
        let sum: f64 = customers.iter().map(|c| f(&c[key])).sum();
        assert!((sum - f(&r[key])).abs() < 1e-6, "{key}: {sum} vs {}", r[key]);
        assert!(customers.iter().all(|c| c["customer_id"].is_string()));
    }
    // Enterprise customers are marked against 10,000–50,000 a year.
    let enterprise: Vec<&Value> = customers.iter().filter(|c| c["tier"] == "enterprise").collect();
    assert_eq!(enterprise.len(), 5);
    assert!(enterprise.iter().all(|c| c["enterprise_range"].is_string()));
    assert!(
        m["assumptions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["key"] == "origin_call_cost" && a["source"].as_str().unwrap().contains("origin_call_cost"))
    );
    assert_eq!(m["scenarios"].as_array().unwrap().len(), 3);
    // Soft benefits stay out of the hard savings.
    assert!(m["soft_benefits"]["value"].is_number());
    let html = fs::read_to_string(out.join("roi.html")).unwrap();
    assert!(html.contains("Soft benefit, not in the savings above"));
    assert!(html.contains("charts/tornado.png"));
    assert!(!html.contains("=HYPERLINK(\"http"), "escaped in HTML");
}

#[test]
fn the_csv_is_safe_and_its_columns_add_up() {
    let dir = tempfile::tempdir().unwrap();
    // The first rollout week: the Redis bill outweighs the savings, so net
    // figures are negative and must stay numbers.
    let out = roi(dir.path(), &["--to", "2026-10-12"]);
    let bytes = fs::read(out.join("roi.csv")).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.contains("\r\n"), "RFC 4180 line ends");
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    let by_id = |id: &str| rows.iter().find(|r| &r[0] == id).unwrap().clone();
    assert_eq!(&by_id("c001")[1], "'=HYPERLINK(\"http://x\",\"y\")");
    assert_eq!(&by_id("c002")[1], "'-2+3");
    let total = rows.last().unwrap().clone();
    assert_eq!(&total[0], "TOTAL");
    let net_total: f64 = total[8].parse().unwrap();
    assert!(net_total < 0.0);
    // Negative numbers are plain numbers, and each money column adds up to
    // its TOTAL to the cent.
    for col in 5..=9 {
        let cents: i64 = rows[..rows.len() - 1]
            .iter()
            .map(|r| {
                assert!(!r[col].starts_with('\''), "number neutralised: {}", &r[col]);
                (r[col].parse::<f64>().unwrap() * 100.0).round() as i64
            })
            .sum();
        assert_eq!(
            cents,
            (total[col].parse::<f64>().unwrap() * 100.0).round() as i64,
            "column {col}"
        );
    }
    assert!(rows.iter().any(|r| r[8].starts_with('-')));
}

fn read_xlsx_part(path: &Path, part: &str) -> String {
    let mut z = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    z.by_name(part).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// A copy of the workbook with one cell's number replaced (what finance
/// does by typing a new assumption).
fn with_cell(path: &Path, part: &str, cell: &str, value: &str, to: &Path) {
    let mut z = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    let mut w = zip::ZipWriter::new(fs::File::create(to).unwrap());
    for i in 0..z.len() {
        let mut file = z.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        if name == part {
            let xml = String::from_utf8(bytes).unwrap();
            let at = xml.find(&format!("<c r=\"{cell}\"")).unwrap();
            let v0 = at + xml[at..].find("<v>").unwrap() + 3;
            let v1 = v0 + xml[v0..].find("</v>").unwrap();
            bytes = format!("{}{value}{}", &xml[..v0], &xml[v1..]).into_bytes();
        }
        w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(&bytes).unwrap();
    }
    w.finish().unwrap();
}

/// LibreOffice (headless, a fresh profile that recalculates on load) opens
/// the workbook and writes each sheet as CSV: the Summary's figures.
fn libreoffice_summary(xlsx: &Path, work: &Path) -> Vec<(String, String)> {
    libreoffice_sheet(xlsx, work, "Summary")
        .into_iter()
        .skip(1)
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

/// One sheet of the workbook as LibreOffice recalculates it, row by row.
fn libreoffice_sheet(xlsx: &Path, work: &Path, sheet: &str) -> Vec<Vec<String>> {
    let profile = work.join("profile/user");
    fs::create_dir_all(&profile).unwrap();
    fs::write(
        profile.join("registrymodifications.xcu"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"#,
    )
    .unwrap();
    let out = work.join("csv");
    let status = Process::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            work.join("profile").display()
        ))
        .args([
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,false,false,false,false,-1",
            "--outdir",
        ])
        .arg(&out)
        .arg(xlsx)
        .output()
        .expect("soffice (Debian package libreoffice-calc; scripts/test.sh installs it)");
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let stem = xlsx.file_stem().unwrap().to_string_lossy().into_owned();
    let text = fs::read_to_string(out.join(format!("{stem}-{sheet}.csv"))).unwrap();
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// A number as LibreOffice's CSV shows it ("1,234.56", "-3.00 USD", "12%").
fn number(v: &str) -> f64 {
    v.trim_end_matches('%')
        .trim_end_matches(" USD")
        .replace(['$', ','], "")
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {v:?}"))
}

fn figure(rows: &[(String, String)], name: &str) -> f64 {
    let v = &rows
        .iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("{name}"))
        .1;
    v.trim_end_matches('%')
        .replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("{name}: {v}"))
}

#[test]
fn the_workbook_has_live_formulas_that_libreoffice_recalculates() {
    let dir = tempfile::tempdir().unwrap();
    let out = roi(dir.path(), &[]);
    let xlsx = out.join("roi.xlsx");
    let m: Value = serde_json::from_str(&fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let r = &m["roi"];

    // Read back with calamine: the sheets, the cached values and the formulas.
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    assert_eq!(
        wb.sheet_names(),
        ["Summary", "Customers", "Assumptions", "Scenarios", "Weeks"]
    );
    let summary = wb.worksheet_range("Summary").unwrap();
    assert_eq!(summary.get_value((4, 0)), Some(&Data::String("Net savings".into())));
    match summary.get_value((4, 1)) {
        Some(Data::Float(v)) => assert!((v - f(&r["net_savings"])).abs() < 1e-6),
        other => panic!("net savings cell: {other:?}"),
    }
    let formulas = wb.worksheet_formula("Summary").unwrap();
    assert_eq!(formulas.get_value((4, 1)).map(String::as_str), Some("B3-B4"));
    assert_eq!(
        formulas.get_value((3, 1)).map(String::as_str),
        Some("redis_monthly_cost*12/365*window_days")
    );
    let cust = wb.worksheet_formula("Customers").unwrap();
    assert_eq!(cust.get_value((1, 7)).map(String::as_str), Some("G2*origin_call_cost"));
    let names = wb.worksheet_range("Customers").unwrap();
    assert_eq!(
        names.get_value((1, 1)),
        Some(&Data::String("=HYPERLINK(\"http://x\",\"y\")".into())),
        "a name is text in the workbook, never a formula"
    );
    // Frozen header row.
    assert!(read_xlsx_part(&xlsx, "xl/worksheets/sheet2.xml").contains("<pane ySplit=\"1\""));

    // LibreOffice recalculates to the same totals.
    let lo = libreoffice_summary(&xlsx, &dir.path().join("lo1"));
    for (name, key) in [
        ("Gross savings", "gross_savings"),
        ("Redis cost", "redis_cost"),
        ("Net savings", "net_savings"),
        ("Annualized net savings", "annualized_net_savings"),
        ("Payback (months)", "payback_months"),
    ] {
        let got = figure(&lo, name);
        assert!(
            (got - f(&r[key])).abs() < 1e-6 * f(&r[key]).abs().max(1.0),
            "{name}: {got} vs {}",
            r[key]
        );
    }

    // The run-rate row follows the Weeks sheet's last full week.
    let rr = &m["run_rate"]["figures"];
    let got = figure(&lo, "Run-rate: annualized net savings (last full week)");
    assert!((got - f(&rr["annualized_net_savings"])).abs() < 1e-6, "{got} vs {rr}");

    // Finance doubles the origin call cost (Assumptions!C2, 0.06 → 0.12):
    // gross doubles, Redis stays, and every total follows.
    let changed = dir.path().join("changed.xlsx");
    with_cell(&xlsx, "xl/worksheets/sheet3.xml", "C2", "0.12", &changed);
    let lo = libreoffice_summary(&changed, &dir.path().join("lo2"));
    let gross = 2.0 * f(&r["gross_savings"]);
    let net = gross - f(&r["redis_cost"]);
    let annual = net * 365.0 / 42.0;
    for (name, want) in [
        ("Gross savings", gross),
        ("Net savings", net),
        ("Annualized net savings", annual),
        ("First-year ROI", (annual - 12000.0) / 12000.0 * 100.0),
        ("Payback (months)", 12000.0 / (annual / 12.0)),
        (
            "Run-rate: annualized net savings (last full week)",
            (2.0 * f(&rr["gross_savings"]) - f(&rr["redis_cost"])) * 365.0 / 7.0,
        ),
    ] {
        let got = figure(&lo, name);
        assert!(
            (got - want).abs() < 1e-6 * want.abs().max(1.0),
            "{name}: {got} vs {want}"
        );
    }
}

#[test]
fn a_window_that_never_pays_back_reads_n_a_not_zero() {
    // Rollout week 1 alone (2.1 % adoption): the Redis cost exceeds the
    // savings, so there is no payback, no break-even below the cost… and a
    // reader that does not recalculate must not see "0 months".
    let dir = tempfile::tempdir().unwrap();
    let out = roi(dir.path(), &["--from", "2026-10-05", "--to", "2026-10-12"]);
    let m: Value = serde_json::from_str(&fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    assert!(f(&m["roi"]["annualized_net_savings"]) < 0.0, "{}", m["roi"]);
    assert!(m["roi"]["payback_months"].is_null());

    use calamine::{Data, Reader, Xlsx, open_workbook};
    let xlsx = out.join("roi.xlsx");
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let summary = wb.worksheet_range("Summary").unwrap();
    let cached = |label: &str| {
        (0..summary.height() as u32)
            .find(|r| summary.get_value((*r, 0)) == Some(&Data::String(label.into())))
            .and_then(|r| summary.get_value((r, 1)).cloned())
            .unwrap_or_else(|| panic!("{label}"))
    };
    assert_eq!(cached("Payback (months)"), Data::String("n/a".into()));
    // First-year ROI is defined (negative) and cached as that number.
    match cached("First-year ROI") {
        Data::Float(v) => assert!((v - f(&m["roi"]["first_year_roi"])).abs() < 1e-9, "{v}"),
        other => panic!("first-year ROI: {other:?}"),
    }

    // LibreOffice recalculates the formula to the same text.
    let lo = libreoffice_summary(&xlsx, &dir.path().join("lo"));
    let shown = |name: &str| lo.iter().find(|(k, _)| k == name).unwrap().1.clone();
    assert_eq!(shown("Payback (months)"), "n/a");
    // The first-year ROI is defined (negative), and LibreOffice agrees with metrics.json.
    let roi_pct = figure(&lo, "First-year ROI");
    assert!(
        (roi_pct / 100.0 - f(&m["roi"]["first_year_roi"])).abs() < 1e-6,
        "{roi_pct}"
    );
}

#[test]
fn calls_avoided_and_gross_savings_match_the_raw_rows() {
    use super::independent::{close, customer_segments, read_requests, t};
    let dir = tempfile::tempdir().unwrap();
    super::sample(dir.path(), 80);
    cacheroi(dir.path())
        .args(["-q", "roi", "--config", "data/cacheroi.toml", "--out", "out"])
        .assert()
        .success();
    let m: Value = serde_json::from_str(&fs::read_to_string(dir.path().join("out/roi/metrics.json")).unwrap()).unwrap();
    let data = dir.path().join("data");
    let (_, rows) = read_requests(&data.join("requests"), &customer_segments(&data.join("customers.csv")));
    let (w0, w1) = (t("2026-10-05T00:00:00Z"), t("2026-11-16T00:00:00Z"));
    let (b0, b1) = (t("2026-09-07T00:00:00Z"), t("2026-10-05T00:00:00Z"));
    let b: Vec<_> = rows.iter().filter(|r| r.ts >= b0 && r.ts < b1 && !r.enabled).collect();
    let b_per_request = b.iter().map(|r| r.origin).sum::<f64>() / b.len() as f64;
    let avoided_of = |customer: Option<&str>| {
        let e: Vec<_> = rows
            .iter()
            .filter(|r| r.ts >= w0 && r.ts < w1 && r.enabled && customer.is_none_or(|c| r.customer == c))
            .collect();
        e.len() as f64 * b_per_request - e.iter().map(|r| r.origin).sum::<f64>()
    };
    let r = &m["roi"];
    close(f(&r["origin_calls_avoided"]), avoided_of(None), "origin_calls_avoided");
    close(f(&r["gross_savings"]), avoided_of(None) * 0.06, "gross_savings");
    close(f(&r["redis_cost"]), 900.0 * 12.0 / 365.0 * 42.0, "redis_cost");
    for c in m["customers"].as_array().unwrap() {
        let id = c["customer_id"].as_str().unwrap();
        close(f(&c["origin_calls_avoided"]), avoided_of(Some(id)), id);
        close(f(&c["gross_savings"]), avoided_of(Some(id)) * 0.06, id);
    }
}

#[test]
fn the_run_rate_is_the_last_full_week_and_ramp_up_weeks_are_flagged() {
    // The sample's window (W41–W46) ramps up from 2.1 % of requests with the
    // cache in W41 to 90.4 % in W46: the whole window's annualized figure
    // understates today's savings, and the report says so.
    let dir = tempfile::tempdir().unwrap();
    let out = roi(dir.path(), &[]);
    let m: Value = serde_json::from_str(&fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let rr = &m["run_rate"];
    assert_eq!(rr["week"], "2026-W46");
    let weeks = m["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 6);
    let flagged: Vec<&str> = weeks
        .iter()
        .filter(|w| w["ramp_up"] == true)
        .map(|w| w["week"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, ["2026-W41", "2026-W42", "2026-W43", "2026-W44", "2026-W45"]);
    // The weeks add up to the window.
    for key in ["origin_calls_avoided", "gross_savings", "redis_cost", "net_savings"] {
        let sum: f64 = weeks.iter().map(|w| f(&w["figures"][key])).sum();
        assert!(
            (sum - f(&m["roi"][key])).abs() < 1e-6,
            "{key}: {sum} vs {}",
            m["roi"][key]
        );
    }
    let md = fs::read_to_string(out.join("roi.md")).unwrap();
    assert!(
        md.contains("**Ramp-up weeks in the window.** The window includes 5 ramp-up weeks"),
        "{md}"
    );
    assert!(md.contains("Budget with the run-rate (2026-W46)"), "{md}");
    let html = fs::read_to_string(out.join("roi.html")).unwrap();
    assert!(html.contains("Ramp-up weeks in the window.") && html.contains("Run-rate"));

    // The run-rate is exactly the ROI of W46 alone, annualized (a separate run).
    let one = tempfile::tempdir().unwrap();
    let week = roi(one.path(), &["--from", "2026-11-09", "--to", "2026-11-16"]);
    let w: Value = serde_json::from_str(&fs::read_to_string(week.join("metrics.json")).unwrap()).unwrap();
    for key in [
        "net_savings",
        "annualized_net_savings",
        "first_year_roi",
        "payback_months",
    ] {
        assert!(
            (f(&rr["figures"][key]) - f(&w["roi"][key])).abs() < 1e-9,
            "{key}: {} vs {}",
            rr["figures"][key],
            w["roi"][key]
        );
    }
    // A window of steady adoption has no ramp-up weeks and no warning.
    assert!(w["weeks"].as_array().unwrap().iter().all(|w| w["ramp_up"] == false));
    let md = fs::read_to_string(week.join("roi.md")).unwrap();
    assert!(!md.contains("Ramp-up weeks"), "{md}");
    assert!(md.contains("Adoption held steady over the window"), "{md}");
}

/// `roi --by month` over a window from mid-September (before the rollout,
/// inside the baseline) to mid-November: one column per calendar month in
/// metrics.json, roi.csv, roi.xlsx (recalculated by LibreOffice) and the
/// HTML, each month adding up to the window.
#[test]
fn months_are_columns_that_add_up_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let out = roi(
        dir.path(),
        &["--from", "2026-09-21", "--to", "2026-11-16", "--by", "month"],
    );
    let m: Value = serde_json::from_str(&fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    let months = m["months"].as_array().expect("months in metrics.json");
    let labels: Vec<&str> = months.iter().map(|x| x["week"].as_str().unwrap()).collect();
    assert_eq!(labels, ["2026-09", "2026-10", "2026-11"]);
    let days: Vec<i64> = months.iter().map(|x| x["days"].as_i64().unwrap()).collect();
    assert_eq!(days, [10, 31, 15]);
    for key in ["gross_savings", "redis_cost", "net_savings"] {
        let sum: f64 = months.iter().map(|x| f(&x["figures"][key])).sum();
        assert!(
            (sum - f(&m["roi"][key])).abs() < 1e-6,
            "{key}: {sum} vs {}",
            m["roi"][key]
        );
    }
    // September is all baseline (the cache was off): no savings, its Redis cost.
    assert_eq!(f(&months[0]["figures"]["gross_savings"]), 0.0);
    assert!(f(&months[0]["figures"]["redis_cost"]) > 0.0);
    let notes = m["window"]["notes"]
        .as_array()
        .expect("notes on a window before the rollout");
    assert!(
        notes[0]
            .as_str()
            .unwrap()
            .starts_with("14 days of the window (2026-09-21 to 2026-10-04) come before")
    );

    // roi.csv: a net-savings column per month; the customers of a month
    // with the cache add up to its TOTAL.
    let csv_text = fs::read_to_string(out.join("roi.csv")).unwrap();
    let mut r = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let cols: Vec<usize> = ["net_savings_2026-09", "net_savings_2026-10", "net_savings_2026-11"]
        .iter()
        .map(|h| {
            header
                .iter()
                .position(|x| x == h)
                .unwrap_or_else(|| panic!("{h} in {header:?}"))
        })
        .collect();
    let rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    let (total, customers) = rows.split_last().unwrap();
    assert_eq!(total[0], "TOTAL");
    for (k, &c) in cols.iter().enumerate() {
        let shown: f64 = total[c].parse().unwrap();
        assert!((shown - f(&months[k]["figures"]["net_savings"])).abs() < 0.006);
        if k > 0 {
            let sum: f64 = customers.iter().map(|row| row[c].parse::<f64>().unwrap()).sum();
            assert!((sum - shown).abs() < 0.005, "{}: {sum} vs {shown}", header[c]);
        }
    }

    // roi.xlsx: the Months sheet recalculated by LibreOffice gives the same
    // months, the window's sums, and each customer's month.
    let sheet = libreoffice_sheet(&out.join("roi.xlsx"), &dir.path().join("lo"), "Months");
    assert_eq!(sheet[0][1..5], ["2026-09", "2026-10", "2026-11", "Window"]);
    let row = |name: &str| sheet.iter().find(|r| r[0] == name).unwrap_or_else(|| panic!("{name}"));
    for (name, key) in [
        ("Gross savings", "gross_savings"),
        ("Redis cost", "redis_cost"),
        ("Net savings", "net_savings"),
    ] {
        let r = row(name);
        for (k, month) in months.iter().enumerate() {
            let want = f(&month["figures"][key]);
            assert!(
                (number(&r[1 + k]) - want).abs() < 0.006,
                "{name} {}: {} vs {want}",
                labels[k],
                r[1 + k]
            );
        }
        assert!(
            (number(&r[4]) - f(&m["roi"][key])).abs() < 0.006,
            "{name} window: {}",
            r[4]
        );
    }
    let first = m["customers"][0]["customer_id"].as_str().unwrap();
    let nets: Vec<&Vec<String>> = sheet.iter().filter(|r| r[0] == first).collect();
    assert_eq!(nets.len(), 3, "three blocks: with cache, origin calls, net savings");
    for (k, month) in months.iter().enumerate() {
        let want = f(&month["customer_net_savings"][0]);
        assert!(
            (number(&nets[2][1 + k]) - want).abs() < 0.006,
            "{first} {}: {}",
            labels[k],
            nets[2][1 + k]
        );
    }

    let html = fs::read_to_string(out.join("roi.html")).unwrap();
    assert!(html.contains("Month by month") && html.contains(">2026-10</th>"));
}

/// `--month 2026-10` is `--from 2026-10-01 --to 2026-11-01`: the same
/// metrics.json, byte for byte (but the minute it was made at).
#[test]
fn a_month_is_the_same_window_as_its_dates() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_sample(&data);
    let run = |out: &str, args: &[&str]| {
        cacheroi(dir.path())
            .args(["-q", "roi", "--config", "data/cacheroi.toml", "--out", out])
            .args(args)
            .assert()
            .success();
        let text = fs::read_to_string(dir.path().join(out).join("roi/metrics.json")).unwrap();
        text.lines()
            .filter(|l| !l.trim_start().starts_with("\"at\":"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let month = run("a", &["--month", "2026-10"]);
    let dates = run("b", &["--from", "2026-10-01", "--to", "2026-11-01"]);
    assert!(month.contains("\"from\": \"2026-10-01\"") && month.contains("\"to\": \"2026-11-01\""));
    assert_eq!(month, dates);
    // A quarter and a year are windows too (the sample has rows in both).
    for args in [["--quarter", "2026-Q4"], ["--year", "2026"]] {
        cacheroi(dir.path())
            .args(["-q", "roi", "--config", "data/cacheroi.toml", "--out", "c"])
            .args(args)
            .assert()
            .success();
    }
}

/// Two ways of naming a window at once is a usage error; a window without
/// request rows is refused; both in one line, nothing written.
#[test]
fn conflicting_or_empty_windows_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_sample(&data);
    for (cmd, args) in [
        ("roi", vec!["--month", "2026-11", "--from", "2026-11-01"]),
        ("impact", vec!["--quarter", "2026-Q4", "--to", "2026-12-01"]),
        (
            "customer-report",
            vec!["--all-enterprise", "--year", "2026", "--month", "2026-10"],
        ),
        ("roi", vec!["--month", "2026-13"]),
    ] {
        let out = cacheroi(dir.path())
            .args([cmd, "--config", "data/cacheroi.toml", "--out", "out"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd} {args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.starts_with("error: "), "{err}");
    }
    for (cmd, args) in [
        ("roi", vec!["--month", "2026-12"]),
        ("impact", vec!["--from", "2026-08-01", "--to", "2026-09-07"]),
        ("customer-report", vec!["--all-enterprise", "--year", "2025"]),
    ] {
        let out = cacheroi(dir.path())
            .args(["-q", cmd, "--config", "data/cacheroi.toml", "--out", "out"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{cmd} {args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("no request rows in the window"), "{err}");
        assert!(
            err.contains("the request log has rows from 2026-09-07 to 2026-11-15"),
            "{err}"
        );
    }
    assert!(!dir.path().join("out/roi").exists() && !dir.path().join("out/impact").exists());
}

/// The windows that crashed (issue 25): a month that starts before the
/// rollout start and inside the baseline, through impact and roi.
#[test]
fn a_window_that_starts_before_the_rollout_reports() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    copy_sample(&data);
    for cmd in ["impact", "roi"] {
        cacheroi(dir.path())
            .args(["-q", cmd, "--config", "data/cacheroi.toml", "--out", "out"])
            .args(["--from", "2026-10-01", "--to", "2026-11-01"])
            .assert()
            .success();
    }
    let m: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("out/impact/metrics.json")).unwrap()).unwrap();
    let notes = m["window"]["notes"].as_array().unwrap();
    assert!(
        notes[0]
            .as_str()
            .unwrap()
            .contains("before the rollout start 2026-10-05")
    );
    let md = fs::read_to_string(dir.path().join("out/impact/impact.md")).unwrap();
    assert!(md.contains("4 days of the window (2026-10-01 to 2026-10-04) come before the rollout start"));
}
