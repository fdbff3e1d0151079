#![no_main]
//! See `cacheroi::fuzzing::request_csv`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cacheroi::fuzzing::request_csv(data));
