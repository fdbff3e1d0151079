#![no_main]
//! See `cacheroi::fuzzing::redis_info`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cacheroi::fuzzing::redis_info(data));
