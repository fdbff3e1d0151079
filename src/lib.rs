//! cacheroi: is the Redis cache paying off?
//!
//! The data flows one way: sources → rollups → metrics → evaluate → report
//! → render → deliver, on a ground of shared vocabulary. Each stage is a
//! module (or a few, listed in `house.rs`, whose test fails on an import
//! against the flow); `commands/` wires them together per subcommand, and
//! `main.rs` only parses arguments and maps errors to exit codes.

pub mod cli;
pub mod commands;
pub mod config;
pub mod deliver;
pub mod error;
pub mod evaluate;
pub mod formats;
pub mod frames;
pub mod fsutil;
pub mod fuzzing;
pub mod ground;
pub mod house;
pub mod metrics;
pub mod period;
pub mod quality;
pub mod render;
pub mod report;
pub mod rollups;
pub mod sample;
pub mod sources;
pub mod stats;
