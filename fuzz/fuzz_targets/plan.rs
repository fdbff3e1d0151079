#![no_main]
//! See `cacheroi::fuzzing::plan`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cacheroi::fuzzing::plan(data));
