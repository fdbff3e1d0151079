//! Metrics: merged rollups folded into sufficient statistics (`fold`,
//! `stats`), KPIs derived from them (`requests`), Redis KPIs from the
//! snapshot store (`redis`), and the statistics of "is the gain real?"
//! (`experiment`).

pub mod audience;
pub mod conformance;
pub mod customers;
pub mod daily;
pub mod endpoints;
pub mod evidence;
pub mod experiment;
pub mod feedback;
pub mod fold;
pub mod redis;
pub mod requests;
pub mod roi;
pub mod stats;
pub mod trend;

pub use crate::ground::kpi::Kpi;
