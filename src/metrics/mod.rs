//! Metrics: sufficient statistics per group computed by Polars in one
//! aggregation (`stats`), KPIs derived from them (`requests`), Redis KPIs from
//! the snapshot store (`redis`).

pub mod experiment;
pub mod kpi;
pub mod redis;
pub mod requests;
pub mod stats;

pub use kpi::Kpi;
