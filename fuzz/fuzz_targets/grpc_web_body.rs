//! gRPC-web response bodies, split into chunks of every size: frames, messages, trailers.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| omni_wasm::transport::fuzzing::grpc_web_body(data));
