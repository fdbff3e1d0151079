#![no_main]
//! See `cacheroi::fuzzing::nginx_log`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cacheroi::fuzzing::nginx_log(data));
