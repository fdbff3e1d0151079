#![no_main]
//! See `cacheroi::fuzzing::arguments`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cacheroi::fuzzing::arguments(data));
