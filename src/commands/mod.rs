//! One thin file per subcommand: wire sources → metrics → report → render →
//! deliver.

pub mod gate;
pub mod impact;
pub mod sample;
pub mod snapshot;
pub mod weekly;
