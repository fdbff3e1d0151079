//! `cacheroi customer-report`: one folder per customer with only that
//! customer's numbers and feedback (data isolation: nothing of another
//! customer is read into its report).

use anyhow::{Result, bail};
use polars::prelude::*;

use super::inputs::{WindowData, load_window};
use crate::cli::CustomerReportArgs;
use crate::config::Settings;
use crate::frames::CUSTOMER_ID;
use crate::metrics::requests::baseline;
use crate::report::customer::{self, CustomerWindow};
use crate::{deliver, metrics, render, report};

/// A customer id as a folder name: letters, digits, `-`, `_` and `.` kept,
/// anything else `_` (an id from the data never climbs out of the folder).
pub fn folder_name(id: &str) -> String {
    let name: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.trim_matches('.').is_empty() {
        format!("_{name}")
    } else {
        name
    }
}

/// Which customers.
pub enum Choice<'a> {
    Ids(&'a [String]),
    AllEnterprise,
}

/// What [`write`] made.
pub struct Made {
    pub files: Vec<std::path::PathBuf>,
    /// Ids asked for that have no request rows in the window (left out).
    pub without_rows: Vec<String>,
    /// The window, `to` exclusive.
    pub window: (chrono::NaiveDate, chrono::NaiveDate),
}

/// `cacheroi customer-report`: each chosen customer's report; the files written.
pub fn run(settings: &Settings, args: &CustomerReportArgs) -> Result<Vec<std::path::PathBuf>> {
    let choice = match (args.all_enterprise, args.customer.is_empty()) {
        (true, _) => Choice::AllEnterprise,
        (false, false) => Choice::Ids(&args.customer),
        (false, true) => bail!("customer-report needs --customer ID (repeatable) or --all-enterprise"),
    };
    let out = args.window.out.clone().unwrap_or_else(|| settings.output_dir.clone());
    let made = write(settings, choice, &args.window, &out)?;
    if let Some(id) = made.without_rows.first() {
        bail!(
            "customer `{}` has no request rows in {} to {}",
            crate::error::clip(id, 60),
            made.window.0,
            made.window.1
        );
    }
    Ok(made.files)
}

/// Write each chosen customer's report under `<out>/customers/<id>/`; ids
/// without request rows in the window are returned, not written. Nothing is
/// written when an id is unknown to the requests (the caller decides).
pub fn write(
    settings: &Settings,
    choice: Choice,
    window: &crate::cli::WindowArgs,
    out: &std::path::Path,
) -> Result<Made> {
    let (dates_from, dates_to) = window.dates();
    let built = build_from(settings, load_window(settings, dates_from, dates_to, false)?, choice)?;
    let tera = super::templates(settings)?;
    let mut written = Vec::new();
    for (id, r) in &built.reports {
        let files = render::files::customer(&tera, r)?;
        let dir = out.join("customers").join(folder_name(id));
        written.extend(deliver::files::write(&dir, &files)?);
    }
    Ok(Made {
        files: written,
        without_rows: built.without_rows,
        window: built.window,
    })
}

/// The chosen customers' reports over a window, by customer id.
pub struct Built {
    pub reports: Vec<(String, customer::CustomerReport)>,
    /// Ids asked for that have no request rows in the window.
    pub without_rows: Vec<String>,
    pub window: (chrono::NaiveDate, chrono::NaiveDate),
}

/// Each chosen customer's report over a window already loaded. Nothing is
/// built when every id asked for is without rows (the caller decides).
pub fn build_from(settings: &Settings, wd: WindowData, choice: Choice) -> Result<Built> {
    let WindowData {
        window: period,
        data,
        baseline_days,
        ..
    } = wd;
    let base = baseline(&data.requests, baseline_days, None);
    let rows = metrics::customers::rows(&data.requests, data.customers.as_ref(), &base, &period, &settings.costs)?;
    let (chosen, without_rows): (Vec<_>, Vec<String>) = match choice {
        Choice::AllEnterprise => (
            rows.iter()
                .filter(|r| r.tier.eq_ignore_ascii_case("enterprise"))
                .collect(),
            Vec::new(),
        ),
        Choice::Ids(ids) => {
            let found = ids
                .iter()
                .filter_map(|id| rows.iter().find(|r| &r.customer_id == id))
                .collect();
            let missing = ids
                .iter()
                .filter(|id| !rows.iter().any(|r| &r.customer_id == *id))
                .cloned()
                .collect();
            (found, missing)
        }
    };
    let window = (period.start_date, period.end_date);
    if !without_rows.is_empty() && chosen.is_empty() {
        return Ok(Built {
            reports: Vec::new(),
            without_rows,
            window,
        });
    }
    let ctx = settings.report_context();
    let feedback = metrics::feedback::by_customer(&data.feedback, &period)?;
    let mut reports = Vec::new();
    for row in chosen {
        // Only this customer's feedback rows reach its comments.
        let own = data
            .feedback
            .clone()
            .lazy()
            .filter(col(CUSTOMER_ID).eq(lit(row.customer_id.as_str())))
            .collect()?;
        let comments = metrics::feedback::recent_comments(&own, &period, data.customers.as_ref(), settings.timezone)?;
        let built = customer::of(
            ctx.currency(),
            report::weekly::Generated::new(&ctx).at,
            row,
            CustomerWindow {
                from: period.start_date.to_string(),
                to: period.end_date.to_string(),
                days: period.days(),
            },
            feedback.get(&row.customer_id).cloned().unwrap_or_default(),
            comments,
        );
        reports.push((row.customer_id.clone(), built));
    }
    Ok(Built {
        reports,
        without_rows,
        window,
    })
}

#[cfg(test)]
mod tests {
    use super::folder_name;

    #[test]
    fn ids_from_the_data_make_safe_folder_names() {
        assert_eq!(folder_name("c013"), "c013");
        assert_eq!(folder_name("../etc/passwd"), ".._etc_passwd");
        assert_eq!(folder_name(".."), "_..");
        assert_eq!(folder_name("a b/ü"), "a_b__");
    }
}
