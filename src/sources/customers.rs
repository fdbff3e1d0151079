//! Customers (docs/inputs.md#customers-optional): names, tiers and the segment for rows
//! that do not carry one.

use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::*;

use crate::error::SourceError;
use crate::formats::RawFile;
use crate::frames::{CUSTOMER_ID, SEGMENT};

pub const NAME: &str = "name";
pub const TIER: &str = "tier";
pub const SEATS: &str = "seats";
pub const ANNUAL_VALUE: &str = "annual_contract_value";
/// Optional: where `send --report customer` mails the customer's report.
pub const CONTACT_EMAIL: &str = "contact_email";
/// The customers table's segment, under its own name while joining.
const CUSTOMER_SEGMENT: &str = "__customer_segment";
/// A row's segment when neither the row nor the customers table has one.
pub const DEFAULT_SEGMENT: &str = "general";

/// Read the customers table: one row per `customer_id` (the first wins),
/// text columns with empty values as null.
pub fn read(path: &Path, limits: &crate::formats::Limits) -> Result<DataFrame> {
    let wanted = crate::formats::Wanted {
        names: vec![CUSTOMER_ID, NAME, TIER, SEATS, SEGMENT, ANNUAL_VALUE, CONTACT_EMAIL],
        free_text: vec![NAME],
    };
    let raw = RawFile::open(path, &wanted, limits)?;
    let Some((id, _)) = raw.column(CUSTOMER_ID) else {
        return Err(SourceError::MissingColumn {
            path: path.to_path_buf(),
            column: CUSTOMER_ID,
            found: raw.column_names(),
        }
        .into());
    };
    let text = |name: &str| -> Expr {
        match raw.column(name) {
            Some((n, _)) => {
                let c = col(n).cast(DataType::String);
                when(c.clone().eq(lit("")))
                    .then(lit(NULL).cast(DataType::String))
                    .otherwise(c)
            }
            None => lit(NULL).cast(DataType::String),
        }
        .alias(name)
    };
    let number = |name: &str, dt: DataType| -> Expr {
        match raw.column(name) {
            Some((n, _)) => col(n).cast(dt.clone()),
            None => lit(NULL).cast(dt.clone()),
        }
        .alias(name)
    };
    raw.frame
        .clone()
        .select([
            col(id).cast(DataType::String).alias(CUSTOMER_ID),
            text(NAME),
            text(TIER),
            number(SEATS, DataType::Int64),
            text(SEGMENT),
            number(ANNUAL_VALUE, DataType::Float64),
            text(CONTACT_EMAIL),
        ])
        .filter(col(CUSTOMER_ID).is_not_null().and(col(CUSTOMER_ID).neq(lit(""))))
        .unique_stable(Some(cols([CUSTOMER_ID])), UniqueKeepStrategy::First)
        .collect()
        .map_err(anyhow::Error::from)
        .with_context(|| format!("{}: cannot read customers", path.display()))
}

/// Give every row its segment (docs/kpis.md#segments-and-customers): its own if not empty, else the
/// customers table's, else `general`. Rows that all carry a segment skip the
/// join.
pub fn assign_segments(rows: DataFrame, customers: Option<&DataFrame>) -> Result<DataFrame> {
    let nulls = rows.column(SEGMENT)?.null_count();
    let Some(customers) = customers.filter(|_| nulls > 0) else {
        return Ok(rows
            .lazy()
            .with_column(col(SEGMENT).fill_null(lit(DEFAULT_SEGMENT)))
            .collect()?);
    };
    let lookup = customers
        .clone()
        .lazy()
        .select([col(CUSTOMER_ID), col(SEGMENT).alias(CUSTOMER_SEGMENT)]);
    let joined = rows
        .lazy()
        .join(
            lookup,
            [col(CUSTOMER_ID)],
            [col(CUSTOMER_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(coalesce(&[col(SEGMENT), col(CUSTOMER_SEGMENT), lit(DEFAULT_SEGMENT)]).alias(SEGMENT))
        .drop(cols([CUSTOMER_SEGMENT]));
    Ok(joined.collect()?)
}

/// (customer_id, contact_email) of every customer with a contact, in the
/// table's order.
pub fn contacts(customers: &DataFrame) -> Result<Vec<(String, String)>> {
    let ids = customers.column(crate::frames::CUSTOMER_ID)?.str()?;
    let emails = customers.column(CONTACT_EMAIL)?.str()?;
    Ok(ids
        .iter()
        .zip(emails.iter())
        .filter_map(|(i, e)| Some((i?.to_string(), e?.trim().to_string())))
        .filter(|(_, e)| !e.is_empty())
        .collect())
}

/// customer_id → (name, tier) from the customers table (empty without one).
pub fn names_and_tiers(customers: Option<&DataFrame>) -> Result<std::collections::BTreeMap<String, (String, String)>> {
    let Some(c) = customers else {
        return Ok(Default::default());
    };
    let ids = c.column(crate::frames::CUSTOMER_ID)?.str()?;
    let names = c.column(NAME)?.str()?;
    let tiers = c.column(TIER)?.str()?;
    Ok((0..c.height())
        .filter_map(|i| {
            let id = ids.get(i)?.to_string();
            Some((
                id,
                (
                    names.get(i).unwrap_or_default().to_string(),
                    tiers.get(i).unwrap_or_default().to_string(),
                ),
            ))
        })
        .collect())
}
