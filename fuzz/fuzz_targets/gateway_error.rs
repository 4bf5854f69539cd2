//! Gateway error answers: a `google.rpc.Status` body, an `{"error": …}` line, a proxy's page.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| omni_wasm::transport::fuzzing::gateway_error(data));
