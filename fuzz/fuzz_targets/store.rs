#![no_main]
//! See `cacheroi::fuzzing::store`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cacheroi::fuzzing::store(data));
