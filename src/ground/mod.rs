//! The vocabulary every stage may use: KPI names and units, how a number in
//! a unit reads, and the money settings. Nothing here reads or writes.

pub mod files;
pub mod kpi;
pub mod money;
pub mod score;
pub mod units;
