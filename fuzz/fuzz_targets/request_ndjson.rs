#![no_main]
//! See `cacheroi::fuzzing::request_ndjson`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cacheroi::fuzzing::request_ndjson(data));
