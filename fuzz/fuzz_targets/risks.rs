#![no_main]
//! See `cacheroi::fuzzing::risks`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cacheroi::fuzzing::risks(data));
