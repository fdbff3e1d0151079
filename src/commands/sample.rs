//! `cacheroi sample`: write deterministic sample data.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::SampleArgs;
use crate::sample::{Options, generate};

pub fn run(args: &SampleArgs) -> Result<Vec<PathBuf>> {
    generate(&Options {
        out: args.out.clone(),
        seed: args.seed,
        requests_per_day: args.requests_per_day,
        format: args.format,
        wide: args.wide,
    })
}
