#![no_main]
//! See `cacheroi::fuzzing::prom_selector`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cacheroi::fuzzing::prom_selector(data));
