//! One thin file per subcommand: wire sources → metrics → report → render →
//! deliver.

pub mod sample;
pub mod weekly;
