//! Periods in the report time zone (docs/kpis.md#periods-windows-and-the-baseline): an ISO week is
//! `[Monday 00:00, next Monday 00:00)` wall-clock in the zone, turned into UTC
//! instants so that filtering rows is a comparison of epoch microseconds.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

use crate::error::UsageError;

/// Dates (and ISO weeks) the tool accepts: 1970-01-01 to 2199-12-31. A log
/// row, a window or a week outside them is a mistake, and every loop over
/// weeks or days stays bounded.
pub const FIRST_YEAR: i32 = 1970;
pub const LAST_YEAR: i32 = 2199;

/// The last day of a window whose exclusive end is the date text `end`
/// ("2026-11-16" → "2026-11-15"), for people; the text itself when it is
/// no date.
pub fn last_day(end: &str) -> String {
    NaiveDate::parse_from_str(end, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.pred_opt())
        .map_or_else(|| end.to_string(), |d| d.to_string())
}

/// Whether `d` lies in the years the tool accepts.
pub fn sane_date(d: NaiveDate) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&d.year())
}

/// The instant of local midnight starting `date` in `tz`. Where midnight does
/// not exist (a DST gap at 00:00), the first instant of the day is taken.
pub fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut t = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    // A gap is at most a few hours; step forward until the wall time exists.
    for _ in 0..=24 * 4 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.with_timezone(&Utc);
        }
        t += Duration::minutes(15);
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// A reporting period `[start, end)`: local dates and the UTC instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// First local date in the period.
    pub start_date: NaiveDate,
    /// First local date after the period (exclusive end).
    pub end_date: NaiveDate,
    #[serde(skip)]
    pub start: DateTime<Utc>,
    #[serde(skip)]
    pub end: DateTime<Utc>,
}

impl Period {
    pub fn new(start_date: NaiveDate, end_date: NaiveDate, tz: Tz) -> Self {
        Period {
            start_date,
            end_date,
            start: local_midnight(start_date, tz),
            end: local_midnight(end_date, tz),
        }
    }

    /// Length in local calendar days: days(P) of docs/kpis.md#periods-windows-and-the-baseline (7 for a week,
    /// also across a DST change).
    pub fn days(&self) -> i64 {
        (self.end_date - self.start_date).num_days()
    }

    /// `[start, end)` as epoch microseconds, the unit of the canonical `ts`.
    pub fn micros(&self) -> (i64, i64) {
        (self.start.timestamp_micros(), self.end.timestamp_micros())
    }
}

/// The first day of a report window: `--from`, else the rollout start.
/// Dates outside the sane range, or `--to` not after the start, are usage
/// errors; None when there is no start at all.
pub fn window_start(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    rollout_start: Option<NaiveDate>,
) -> Result<Option<NaiveDate>, crate::error::UsageError> {
    for (flag, d) in [("--from", from), ("--to", to)] {
        if let Some(d) = d
            && !sane_date(d)
        {
            return Err(crate::error::UsageError(format!(
                "{flag} {d} is outside {FIRST_YEAR}–{LAST_YEAR}"
            )));
        }
    }
    let Some(start) = from.or(rollout_start) else {
        return Ok(None);
    };
    if let Some(to) = to
        && to <= start
    {
        return Err(crate::error::UsageError(format!(
            "--to {to} must be after the window start {start}"
        )));
    }
    Ok(Some(start))
}

/// A calendar span named by `--month 2026-11`, `--quarter 2026-Q4` or
/// `--year 2026`: local dates `[from, to)` in the report time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Calendar {
    /// `YYYY-MM` (also `YYYY/MM`).
    pub fn month(s: &str) -> Result<Calendar, String> {
        let bad = || format!("`{}` is not a month like 2026-11", crate::error::clip(s, 40));
        let (y, m) = s.trim().split_once(['-', '/']).ok_or_else(bad)?;
        let (year, month) = (year_of(y).ok_or_else(bad)?, m.parse::<u32>().map_err(|_| bad())?);
        let from = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)?;
        Ok(Calendar {
            from,
            to: next_month(from),
        })
    }

    /// `YYYY-Qn` (also `YYYYQn`, any case), n in 1–4.
    pub fn quarter(s: &str) -> Result<Calendar, String> {
        let bad = || format!("`{}` is not a quarter like 2026-Q4", crate::error::clip(s, 40));
        let upper = s.trim().to_ascii_uppercase();
        let (y, q) = upper.split_once('Q').ok_or_else(bad)?;
        let year = year_of(y.trim_end_matches('-')).ok_or_else(bad)?;
        let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q)).ok_or_else(bad)?;
        let from = NaiveDate::from_ymd_opt(year, 3 * q - 2, 1).ok_or_else(bad)?;
        Ok(Calendar {
            from,
            to: next_month(next_month(next_month(from))),
        })
    }

    /// `YYYY`.
    pub fn year(s: &str) -> Result<Calendar, String> {
        let bad = || format!("`{}` is not a year like 2026", crate::error::clip(s, 40));
        let year = year_of(s.trim()).ok_or_else(bad)?;
        Ok(Calendar {
            from: NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(bad)?,
            to: NaiveDate::from_ymd_opt(year + 1, 1, 1).ok_or_else(bad)?,
        })
    }
}

/// A four-digit year the tool accepts.
fn year_of(s: &str) -> Option<i32> {
    (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
        .filter(|y| (FIRST_YEAR..=LAST_YEAR).contains(y))
}

/// The first day of the month after the month of `first` (a 1st).
fn next_month(first: NaiveDate) -> NaiveDate {
    let (y, m) = if first.month() == 12 {
        (first.year() + 1, 1)
    } else {
        (first.year(), first.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).expect("the 1st of a month exists")
}

/// The calendar months of `[from, to)`, each clipped to it: (label
/// `YYYY-MM`, first day, day after), oldest first.
pub fn months_of(from: NaiveDate, to: NaiveDate) -> Vec<(String, NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut first = NaiveDate::from_ymd_opt(from.year(), from.month(), 1).expect("the 1st of a month exists");
    while first < to {
        let next = next_month(first);
        out.push((first.format("%Y-%m").to_string(), first.max(from), next.min(to)));
        first = next;
    }
    out
}

/// An ISO week (year, week number) in the report time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IsoWeek {
    pub year: i32,
    pub week: u32,
}

impl IsoWeek {
    /// Parse `2026-W47` (also `2026W47`, any case), years
    /// [`FIRST_YEAR`]–[`LAST_YEAR`] only.
    pub fn parse(s: &str) -> Option<IsoWeek> {
        let upper = s.trim().to_ascii_uppercase();
        let (y, w) = upper.split_once('W')?;
        let year: i32 = y.trim_end_matches('-').parse().ok()?;
        let week: u32 = w.parse().ok()?;
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return None;
        }
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)?;
        Some(IsoWeek { year, week })
    }

    /// The ISO week that holds `date`.
    pub fn of(date: NaiveDate) -> IsoWeek {
        let w = date.iso_week();
        IsoWeek {
            year: w.year(),
            week: w.week(),
        }
    }

    pub fn monday(&self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).expect("validated ISO week")
    }

    pub fn previous(&self) -> IsoWeek {
        IsoWeek::of(self.monday() - Duration::days(7))
    }

    pub fn period(&self, tz: Tz) -> Period {
        let monday = self.monday();
        Period::new(monday, monday + Duration::days(7), tz)
    }

    /// Every ISO week from `first` to `last`, both included.
    pub fn range(first: IsoWeek, last: IsoWeek) -> Vec<IsoWeek> {
        let mut out = Vec::new();
        let mut monday = first.monday();
        while monday <= last.monday() {
            out.push(IsoWeek::of(monday));
            monday += Duration::days(7);
        }
        out
    }

    pub fn label(&self) -> String {
        format!("{}-W{:02}", self.year, self.week)
    }
}

/// Resolve `--week`: `last` is the last complete ISO week before `now` in
/// the zone; otherwise an ISO week like `2026-W47`.
pub fn resolve_week(arg: &str, now: DateTime<Utc>, tz: Tz) -> Result<IsoWeek, UsageError> {
    if arg.eq_ignore_ascii_case("last") {
        let today = now.with_timezone(&tz).date_naive();
        return Ok(IsoWeek::of(today).previous());
    }
    IsoWeek::parse(arg).ok_or_else(|| {
        UsageError(format!(
            "--week `{}` is not an ISO week like 2026-W47 (years {FIRST_YEAR}–{LAST_YEAR}) or `last`",
            crate::error::clip(arg, 40)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_day_of_an_exclusive_end() {
        assert_eq!(last_day("2026-11-16"), "2026-11-15");
        assert_eq!(last_day("2027-01-01"), "2026-12-31");
        assert_eq!(last_day("?"), "?");
    }

    #[test]
    fn a_window_starts_at_from_else_the_rollout() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let rollout = Some(d("2026-11-09"));
        assert_eq!(window_start(None, None, rollout).unwrap(), rollout);
        assert_eq!(
            window_start(Some(d("2026-11-16")), None, rollout).unwrap(),
            Some(d("2026-11-16"))
        );
        assert_eq!(window_start(None, None, None).unwrap(), None);
        // --to must come after the start; dates stay in 1970–2199.
        assert!(window_start(None, Some(d("2026-11-09")), rollout).is_err());
        assert!(window_start(Some(d("1969-12-31")), None, None).is_err());
        assert!(window_start(None, Some(d("2200-01-01")), rollout).is_err());
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn months_quarters_and_years_are_calendar_spans() {
        let span = |c: Calendar| (c.from.to_string(), c.to.to_string());
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(span(Calendar::month("2026-11").unwrap()), s("2026-11-01", "2026-12-01"));
        assert_eq!(span(Calendar::month("2026-12").unwrap()), s("2026-12-01", "2027-01-01"));
        assert_eq!(span(Calendar::month("2026/02").unwrap()), s("2026-02-01", "2026-03-01"));
        assert_eq!(
            span(Calendar::quarter("2026-Q4").unwrap()),
            s("2026-10-01", "2027-01-01")
        );
        assert_eq!(
            span(Calendar::quarter("2026q1").unwrap()),
            s("2026-01-01", "2026-04-01")
        );
        assert_eq!(span(Calendar::year("2026").unwrap()), s("2026-01-01", "2027-01-01"));
        assert_eq!(span(Calendar::year("2199").unwrap()), s("2199-01-01", "2200-01-01"));
        for bad in [
            "2026-13",
            "2026-00",
            "2026",
            "26-11",
            "2200-01",
            "1969-12",
            "2026-11-01",
            "",
            "+202-11",
        ] {
            assert!(Calendar::month(bad).is_err(), "{bad}");
        }
        for bad in ["2026-Q5", "2026-Q0", "2026", "Q4", "2026-Q", "12345-Q1"] {
            assert!(Calendar::quarter(bad).is_err(), "{bad}");
        }
        for bad in ["1969", "2200", "20266", "-2026", "two"] {
            assert!(Calendar::year(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_window_splits_at_month_boundaries() {
        let got = months_of(d(2026, 10, 15), d(2026, 12, 3));
        let got: Vec<_> = got
            .iter()
            .map(|(l, a, b)| (l.as_str(), a.to_string(), b.to_string()))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-10", "2026-10-15".to_string(), "2026-11-01".to_string()),
                ("2026-11", "2026-11-01".to_string(), "2026-12-01".to_string()),
                ("2026-12", "2026-12-01".to_string(), "2026-12-03".to_string()),
            ]
        );
        // One day, and a window ending on a 1st.
        assert_eq!(months_of(d(2026, 11, 30), d(2026, 12, 1)).len(), 1);
        assert_eq!(months_of(d(2026, 11, 1), d(2027, 1, 1)).len(), 2);
    }

    #[test]
    fn parses_iso_weeks() {
        assert_eq!(IsoWeek::parse("2026-W47"), Some(IsoWeek { year: 2026, week: 47 }));
        assert_eq!(IsoWeek::parse("2026w07"), Some(IsoWeek { year: 2026, week: 7 }));
        assert_eq!(IsoWeek::parse("2026-W54"), None);
        assert_eq!(IsoWeek::parse("last week"), None);
        // Outside the sane years: refused before any date arithmetic.
        for far in [
            "262142-W52",
            "262143-W01",
            "99999-W01",
            "2200-W01",
            "1969-W52",
            "-5-W01",
        ] {
            assert_eq!(IsoWeek::parse(far), None, "{far}");
        }
        assert!(IsoWeek::parse("2199-W52").is_some());
        assert_eq!(IsoWeek::parse("2026-W47").unwrap().monday(), d(2026, 11, 16));
        // Across a year end: 2026-W52, 2026-W53, 2027-W01.
        let r = IsoWeek::range(IsoWeek { year: 2026, week: 52 }, IsoWeek { year: 2027, week: 1 });
        assert_eq!(
            r.iter().map(|w| w.label()).collect::<Vec<_>>(),
            vec!["2026-W52", "2026-W53", "2027-W01"]
        );
    }

    #[test]
    fn last_is_the_previous_complete_week() {
        // as_of Monday 2026-11-23: W48 has just begun, the last complete is W47.
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
        assert_eq!(resolve_week("last", now, chrono_tz::UTC).unwrap().label(), "2026-W47");
        // Sunday 2026-11-22 23:00 in UTC: still W47, so the last complete is W46.
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 23, 0, 0).unwrap();
        assert_eq!(resolve_week("last", now, chrono_tz::UTC).unwrap().label(), "2026-W46");
        // The same instant is already Monday in Berlin: last complete is W47.
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 23, 30, 0).unwrap();
        assert_eq!(
            resolve_week("last", now, chrono_tz::Europe::Berlin).unwrap().label(),
            "2026-W47"
        );
        assert!(resolve_week("47", now, chrono_tz::UTC).is_err());
    }

    #[test]
    fn a_week_across_dst_is_seven_days_of_167_hours() {
        // Europe/Berlin leaves summer time on Sunday 2026-10-25: the ISO week
        // W43 (Oct 19–26) lasts 7 local days but 169 hours; spring W13 lasts 167.
        let p = IsoWeek { year: 2026, week: 43 }.period(chrono_tz::Europe::Berlin);
        assert_eq!(p.days(), 7);
        assert_eq!((p.end - p.start).num_hours(), 169);
        assert_eq!(p.start.to_rfc3339(), "2026-10-18T22:00:00+00:00");
        let p = IsoWeek { year: 2026, week: 13 }.period(chrono_tz::Europe::Berlin);
        assert_eq!((p.end - p.start).num_hours(), 167);
    }

    #[test]
    fn midnight_in_a_dst_gap_moves_to_the_first_instant() {
        // America/Santiago springs forward at 00:00 on 2026-09-06: 00:00 does not exist.
        let t = local_midnight(d(2026, 9, 6), chrono_tz::America::Santiago);
        assert_eq!(
            t.with_timezone(&chrono_tz::America::Santiago).date_naive(),
            d(2026, 9, 6)
        );
    }
}
