//! Delivery: the only stage that touches the filesystem and the network —
//! atomic report files, the snapshot store, e-mail and its delivery log,
//! Slack, and the Prometheus textfile and Pushgateway.

pub mod files;
pub mod log;
pub mod mail;
pub mod prometheus;
pub mod slack;
pub mod store;
