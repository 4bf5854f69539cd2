//! The HTTP head of a gRPC-web answer (status and headers): trailers-only errors, proxies.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| omni_wasm::transport::fuzzing::grpc_web_head(data));
