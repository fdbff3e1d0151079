#![no_main]
//! See `cacheroi::fuzzing::feedback_csv`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cacheroi::fuzzing::feedback_csv(data));
