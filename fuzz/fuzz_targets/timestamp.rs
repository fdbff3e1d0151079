#![no_main]
//! See `cacheroi::fuzzing::timestamp`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cacheroi::fuzzing::timestamp(data));
