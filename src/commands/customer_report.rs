//! `cacheroi customer-report`: one folder per customer with only that
//! customer's numbers and feedback (data isolation: nothing of another
//! customer is read into its report).

use anyhow::{Result, anyhow, bail};
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

/// Write each chosen customer's report; the files written.
pub fn run(settings: &Settings, args: &CustomerReportArgs) -> Result<Vec<std::path::PathBuf>> {
    if args.customer.is_empty() && !args.all_enterprise {
        bail!("customer-report needs --customer ID (repeatable) or --all-enterprise");
    }
    let WindowData {
        window,
        data,
        baseline_days,
        ..
    } = load_window(settings, args.window.from, args.window.to, false)?;
    let base = baseline(&data.requests, baseline_days, None);
    let rows = metrics::customers::rows(&data.requests, data.customers.as_ref(), &base, &window, &settings.costs)?;
    let chosen: Vec<_> = if args.all_enterprise {
        rows.iter()
            .filter(|r| r.tier.eq_ignore_ascii_case("enterprise"))
            .collect()
    } else {
        args.customer
            .iter()
            .map(|id| {
                rows.iter().find(|r| &r.customer_id == id).ok_or_else(|| {
                    anyhow!(
                        "customer `{}` has no request rows in {} to {}",
                        crate::error::clip(id, 60),
                        window.start_date,
                        window.end_date
                    )
                })
            })
            .collect::<Result<_>>()?
    };
    let ctx = settings.report_context();
    let tera = super::templates(settings)?;
    let feedback = metrics::feedback::by_customer(&data.feedback, &window)?;
    let out = args.window.out.clone().unwrap_or_else(|| settings.output_dir.clone());
    let mut written = Vec::new();
    for row in chosen {
        // Only this customer's feedback rows reach its comments.
        let own = data
            .feedback
            .clone()
            .lazy()
            .filter(col(CUSTOMER_ID).eq(lit(row.customer_id.as_str())))
            .collect()?;
        let comments = metrics::feedback::recent_comments(&own, &window, data.customers.as_ref(), settings.timezone)?;
        let r = customer::of(
            ctx.currency(),
            report::weekly::Generated::new(&ctx).at,
            row,
            CustomerWindow {
                from: window.start_date.to_string(),
                to: window.end_date.to_string(),
                days: window.days(),
            },
            feedback.get(&row.customer_id).cloned().unwrap_or_default(),
            comments,
        );
        let files = render::files::customer(&tera, &r)?;
        let dir = out.join("customers").join(folder_name(&row.customer_id));
        written.extend(deliver::files::write(&dir, &files)?);
    }
    Ok(written)
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
