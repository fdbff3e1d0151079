//! Delivery: the only stage that touches the filesystem (and, later, the
//! network).

pub mod files;
pub mod store;
