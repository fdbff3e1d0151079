//! Any window finance may ask for, on the bundled sample (baseline
//! 2026-09-07 to 2026-10-05, rollout from Monday 2026-10-05, rows from
//! 2026-09-07 to 2026-11-15): hundreds of seeded random windows — whole
//! weeks and not, calendar months, single days, before, inside and after the
//! rollout and the baseline — through every report kind's build, none
//! panicking; a window without rows refused with its one line; and each
//! window's ROI the sum of the ROI of its calendar months, each month
//! computed on its own as `roi --month` would (gross, Redis cost and net;
//! annualized figures do not add up and are not compared).

use chrono::{Datelike, Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;

use super::inputs::{self, Loaded};
use crate::config::Settings;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The bundled sample copied into `dir`, its reports and rollups under `dir/out`.
fn sample_settings(dir: &std::path::Path) -> Settings {
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let data = dir.join("data");
    copy(&from, &data);
    let config = data.join("cacheroi.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replace("output_dir = \"../reports\"", "output_dir = \"../out\"");
    assert!(text.contains("\"../out\""), "the sample's output_dir moved");
    std::fs::write(&config, text).unwrap();
    crate::config::load(&config).unwrap().for_reports().unwrap()
}

fn copy(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// A random window: a third whole weeks from a Monday, a sixth a calendar
/// month, a sixth a single day, the rest any start and length; starts from
/// a month before the data to a month after it.
fn random_window(rng: &mut impl Rng) -> (NaiveDate, NaiveDate) {
    let first = day("2026-08-10");
    let from = first + Duration::days(rng.random_range(0..130));
    match rng.random_range(0..6) {
        0 | 1 => {
            let monday = from - Duration::days(i64::from(from.weekday().num_days_from_monday()));
            (monday, monday + Duration::weeks(rng.random_range(1..10)))
        }
        2 => {
            let c = crate::period::Calendar::month(&from.format("%Y-%m").to_string()).unwrap();
            (c.from, c.to)
        }
        3 => (from, from + Duration::days(1)),
        _ => (from, from + Duration::days(rng.random_range(1..110))),
    }
}

fn window(settings: &Settings, loaded: &Loaded, w: (NaiveDate, NaiveDate)) -> anyhow::Result<inputs::WindowData> {
    inputs::window_of(settings, loaded.clone(), Some(w.0), Some(w.1))
}

/// Whether `[from, to)` holds request rows of the sample.
fn has_rows(loaded: &Loaded, w: (NaiveDate, NaiveDate)) -> bool {
    let days = (
        crate::rollups::build::epoch_day(w.0),
        crate::rollups::build::epoch_day(w.1),
    );
    !crate::rollups::merged::within(&loaded.requests.requests, |r| r.day, days).is_empty()
}

#[test]
fn every_window_reports_and_its_months_add_up_to_its_roi() {
    let dir = tempfile::tempdir().unwrap();
    let settings = sample_settings(dir.path());
    // Every feedback row (the windows and the baseline are all inside it).
    let loaded = inputs::load(&settings, polars::prelude::lit(true), &[], false).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(25);
    let (mut reported, mut refused, mut split) = (0, 0, 0);
    for k in 0..240 {
        let w = random_window(&mut rng);
        if !has_rows(&loaded, w) {
            let err = window(&settings, &loaded, w)
                .err()
                .expect("a window without rows is refused");
            assert!(
                err.to_string().contains("no request rows in the window"),
                "{w:?}: {err}"
            );
            refused += 1;
            continue;
        }
        let (_, roi) = super::roi::build_from(&settings, window(&settings, &loaded, w).unwrap(), true)
            .unwrap_or_else(|e| panic!("roi {w:?}: {e:#}"));
        reported += 1;
        // The heavier reports on every fourth window.
        if k % 4 == 0 {
            let impact = super::impact::build_from(&settings, window(&settings, &loaded, w).unwrap())
                .unwrap_or_else(|e| panic!("impact {w:?}: {e:#}"));
            assert_eq!(impact.metrics.window.days, (w.1 - w.0).num_days());
            let customers = super::customer_report::build_from(
                &settings,
                window(&settings, &loaded, w).unwrap(),
                super::customer_report::Choice::AllEnterprise,
            )
            .unwrap_or_else(|e| panic!("customer-report {w:?}: {e:#}"));
            assert!(customers.without_rows.is_empty());
        }
        // The months, each a window of its own: where every one has rows,
        // they add up to the window.
        let months = crate::period::months_of(w.0, w.1);
        let case = &roi.metrics.case;
        assert_eq!(case.months.len(), months.len(), "{w:?}");
        if months.len() < 2 || !months.iter().all(|m| has_rows(&loaded, (m.1, m.2))) {
            continue;
        }
        let mut sums = [Decimal::ZERO; 3];
        for (k, (label, from, to)) in months.iter().enumerate() {
            let (_, m) = super::roi::build_from(&settings, window(&settings, &loaded, (*from, *to)).unwrap(), false)
                .unwrap_or_else(|e| panic!("roi {label}: {e:#}"));
            let f = &m.metrics.case.roi;
            sums[0] += f.gross_savings;
            sums[1] += f.redis_cost;
            sums[2] += f.net_savings;
            // The month column of `--by month` is that month's own ROI.
            let col = &case.months[k].month.figures;
            for (a, b) in [(col.gross_savings, f.gross_savings), (col.net_savings, f.net_savings)] {
                assert!(
                    (a - b).abs() < Decimal::new(1, 9),
                    "{w:?} {label}: column {a} vs own {b}"
                );
            }
        }
        let r = &case.roi;
        for (name, sum, whole) in [
            ("gross", sums[0], r.gross_savings),
            ("redis", sums[1], r.redis_cost),
            ("net", sums[2], r.net_savings),
        ] {
            assert!(
                (sum - whole).abs() < Decimal::new(1, 9),
                "{w:?} {name}: months {sum} vs window {whole}"
            );
        }
        split += 1;
    }
    // The seed gives windows of every kind: most report, some are refused,
    // and many cross a month end.
    assert!(
        reported >= 150 && refused >= 10 && split >= 30,
        "{reported} reported, {refused} refused, {split} split"
    );
}

#[test]
fn weeks_before_and_around_the_rollout_give_weekly_reports_and_briefs() {
    let dir = tempfile::tempdir().unwrap();
    let settings = sample_settings(dir.path());
    // From a baseline week to the last week of the sample's data.
    for label in ["2026-W37", "2026-W40", "2026-W41", "2026-W46"] {
        let week = crate::period::IsoWeek::parse(label).unwrap();
        let report = super::weekly::build(&settings, week).unwrap_or_else(|e| panic!("{label}: {e:#}"));
        assert!(!report.no_rows, "{label}");
        for audience in [
            crate::report::brief::Audience::Executive,
            crate::report::brief::Audience::Technical,
            crate::report::brief::Audience::Support,
        ] {
            let plan = crate::report::brief::PlanWeek { phase_before: None };
            let b = crate::report::brief::build(audience, &report, &plan);
            assert_eq!(b.iso_week, label);
        }
    }
}
