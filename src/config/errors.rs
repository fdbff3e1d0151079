//! Errors of one config file, each naming the file and the line of the key,
//! and the checks every section shares (numbers, integers, text, dates).

use std::path::Path;

use anyhow::{Result, anyhow};
use chrono::NaiveDate;

use super::Sp;
use crate::period::{FIRST_YEAR, LAST_YEAR, sane_date};

/// The longest path, glob or name accepted in a config (characters).
pub(super) const MAX_TEXT: usize = 4096;

/// Errors of one config file, each naming the file and the line of the key.
pub(super) struct Errors<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
}

impl Errors<'_> {
    pub(super) fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.text.as_bytes()[..offset].iter().filter(|b| **b == b'\n').count() + 1
    }

    /// `<file>: line N: <key> <message>`.
    pub(super) fn at<T>(&self, v: &Sp<T>, key: &str, msg: impl std::fmt::Display) -> anyhow::Error {
        anyhow!(
            "{}: line {}: {key} {msg}",
            self.path.display(),
            self.line(v.span().start)
        )
    }

    /// A number within `[lo, hi]`.
    pub(super) fn number(&self, v: &Option<Sp<f64>>, key: &str, default: f64, lo: f64, hi: f64) -> Result<f64> {
        let Some(v) = v else { return Ok(default) };
        let x = *v.get_ref();
        if !(x.is_finite() && x >= lo && x <= hi) {
            return Err(self.at(v, key, format!("must be a number from {lo} to {hi}, got {x}")));
        }
        Ok(x)
    }

    /// An integer within `[lo, hi]`.
    pub(super) fn integer(&self, v: &Option<Sp<i64>>, key: &str, default: i64, lo: i64, hi: i64) -> Result<i64> {
        let Some(v) = v else { return Ok(default) };
        let x = *v.get_ref();
        if !(lo..=hi).contains(&x) {
            return Err(self.at(v, key, format!("must be a whole number from {lo} to {hi}, got {x}")));
        }
        Ok(x)
    }

    /// Text of at most `max` characters.
    pub(super) fn text(&self, v: &Sp<String>, key: &str, max: usize) -> Result<String> {
        let t = v.get_ref();
        if t.chars().count() > max {
            return Err(self.at(v, key, format!("is longer than {max} characters")));
        }
        Ok(t.clone())
    }

    /// A date within the years the tool accepts.
    pub(super) fn date(&self, v: &Sp<NaiveDate>, key: &str) -> Result<NaiveDate> {
        let d = *v.get_ref();
        if !sane_date(d) {
            return Err(self.at(v, key, format!("{d} is outside {FIRST_YEAR}–{LAST_YEAR}")));
        }
        Ok(d)
    }
}
