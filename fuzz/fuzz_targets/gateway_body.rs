//! The gateway's NDJSON stream bodies, split into chunks of every size.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| omni_wasm::transport::fuzzing::gateway_body(data));
